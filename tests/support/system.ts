/**
 * The system under test, on real services: the suite's Temporal dev server, a fresh database,
 * a real SMTP server in-process, the worker and the HTTP API on a free port.
 * The workflow bundle and database live for a suite; each test gets its own task queue, worker
 * and API.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createApp, type AppDeps } from '../../api/app';
import { createApiClient, type ApiClient, type ApiClientScope } from '../../api/apiClients';
import type { Database } from '../../db/database';
import { startMailCatcher, type CaughtMessage, type MailCatcher } from '../../mail/catcher';
import { createMailer } from '../../mail/mailer';
import { createLinkSigner } from '../../shared/links';
import type { Logger } from '../../shared/log';
import { createEncryptionCodec, sealedDataConverter } from '../../shared/codec';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { loadPolicyPack, loadPolicyRegistry } from '../../shared/policy/load';
import type { PolicyPack } from '../../shared/policy/schema';
import { WORKFLOW_BUNDLE_OPTIONS, createWorker } from '../../worker/createWorker';
import { freshDatabase, type DatabaseKind } from './databases';
import { Visitor, csrfIn } from './visitor';
import { composeIdentity } from '../../system/root';
import { devAccounts, type DevAccount } from '../../api/identity/devProvider';
import { SESSION_COOKIE } from '../../api/identity/sessions';

export const LINK_SECRET = 'tL9q-Wz3rX7v_Kp2Nb8mYd4Hs6Jc0Fg1-links';
/** Payloads are encrypted in tests as in production. */
export const SESSION_SECRET = 'sR5t-Uv8wQ2x_Ay7Bz4Cm9Dn3Ep6Fk1-sessions';

/** Sign-in as the product composes it, with the development provider on the test's own origin. */
export const testIdentity = (publicUrl: string, policies: Map<string, PolicyPack>, overrides: { idleMs?: number; absoluteMs?: number } = {}) =>
  composeIdentity({ publicUrl, policies, sessionSecret: SESSION_SECRET, developmentProvider: true, ...overrides });

/** An app's dependencies on the suite's services, for tests that build an API of their own. */
export async function appDepsFor(suite: Pick<Suite, 'temporal' | 'db' | 'policies' | 'mail'>, overrides: Partial<AppDeps> & { publicUrl: string }): Promise<AppDeps> {
  return {
    temporal: suite.temporal,
    db: suite.db,
    policies: suite.policies,
    links: createLinkSigner(LINK_SECRET),
    mailer: createMailer(suite.mail.url, 'Escalations <escalations@example.org>'),
    csrfSecret: 'test-csrf-secret',
    identity: await composeIdentity({ publicUrl: overrides.publicUrl, policies: suite.policies, sessionSecret: SESSION_SECRET, developmentProvider: false }),
    ...overrides,
  };
}

export const PAYLOAD_KEY = Buffer.alloc(32, 7);
export const codec = createEncryptionCodec(PAYLOAD_KEY);
export const dataConverter: DataConverter = sealedDataConverter(codec);

/** API clients made through api/apiClients.ts in a test's database, as `npm run api-keys` makes them. */
export interface TestKeys {
  /** The intake key of the partnership's standing test client (one per database). */
  intake(partnership: string): Promise<string>;
  /** The read key of the partnership's standing test client (one per database). */
  read(partnership: string): Promise<string>;
  /** A client of its own, for a test that revokes it or must tell it from the standing one. */
  create(partnership: string, scope: ApiClientScope, name?: string): Promise<{ key: string; client: ApiClient }>;
}

export function testKeys(db: Database): TestKeys {
  const standing = new Map<string, Promise<string>>();
  const create = (partnership: string, scope: ApiClientScope, name = `Test ${scope} client for ${partnership}`) =>
    createApiClient(db, { partnership, scope, name });
  const once = (scope: ApiClientScope) => (partnership: string) => {
    const id = `${scope}:${partnership}`;
    if (!standing.has(id)) standing.set(id, create(partnership, scope).then((c) => c.key));
    return standing.get(id)!;
  };
  return { intake: once('intake'), read: once('read'), create };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
/** The browser's sign-in prompt, with the key as the password. */
export const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`staff:${key}`).toString('base64')}` });

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already created in this process (a script that started the dev server first): keep it.
  }
}

export interface Suite {
  db: Database;
  keys: TestKeys;
  mail: MailCatcher;
  temporal: Client;
  policies: Map<string, PolicyPack>;
  bundle: WorkflowBundleWithSourceMap;
  nativeConnection: NativeConnection;
  dataConverter: DataConverter;
  close(): Promise<void>;
}

/** `address`: a Temporal of the test's own (the suite's dev server otherwise). */
export async function startSuite(kind: DatabaseKind, extraPacks: string[] = [], address = process.env.TEMPORAL_TEST_ADDRESS): Promise<Suite> {
  quietRuntime();
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the integration tests through jest (globalSetup)');
  const policies = loadPolicyRegistry();
  for (const file of extraPacks) {
    const pack = loadPolicyPack(file);
    policies.set(pack.id, pack);
  }
  const [{ db, drop }, mail, bundle, connection, nativeConnection] = await Promise.all([
    freshDatabase(kind),
    startMailCatcher(0),
    bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: new DefaultLogger('WARN') }),
    Connection.connect({ address }),
    NativeConnection.connect({ address }),
  ]);
  return {
    db,
    keys: testKeys(db),
    mail,
    policies,
    bundle,
    nativeConnection,
    dataConverter,
    temporal: new Client({ connection, dataConverter }),
    async close() {
      await connection.close();
      await nativeConnection.close();
      await mail.close();
      await drop();
    },
  };
}

export interface Running {
  baseUrl: string;
  /** The suite's API clients (the same database). */
  keys: TestKeys;
  taskQueue: string;
  worker: Worker;
  /** References of the cases opened through this API. */
  opened: string[];
  /**
   * POSTs JSON and returns status and parsed body. Without an authorization header it sends the
   * key the route wants (`keyFor`): the intake key of the body's partnership, the read key of the
   * case's, and so on.
   */
  postJson(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  getJson(path: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Someone signed in by a code sent to `email` (one session per address, kept for the test). */
  as(email: string): Promise<Visitor>;
  /** A partnership admin, signed in through the development OpenID provider. */
  asAdmin(partnership: string): Promise<Visitor>;
  /** Staff signed in through the development OpenID provider as `email` (one of `devAccounts`). */
  asStaff(email: string): Promise<Visitor>;
  stop(): Promise<void>;
}

export interface SystemOptions {
  /**
   * The host name of the service's public URL (127.0.0.1 otherwise; it listens there either way).
   * A browser keeps the session cookie for this host: `localhost` makes it the Temporal UI's site.
   */
  host?: string;
  /** The Temporal UI's origin allowed to call the codec endpoint from a browser. */
  uiOrigin?: string;
  /** The API's port (a free one otherwise). */
  port?: number;
  /** Where the API's request lines go (tests that read them). */
  logger?: Logger;
  /** The worker's task queue (a new one otherwise): a system restarted for a case already running. */
  taskQueue?: string;
  /** The codec endpoint's codec (the tests' key otherwise). */
  codec?: PayloadCodec;
  /** Rate limits other than the defaults (api/rateLimits.ts). */
  rateLimits?: AppDeps['rateLimits'];
  /** Serve the /mail page from this catcher (the suite's), as `npm start` does with its embedded one. */
  mailCatcher?: MailCatcher;
}

/** A worker on its own task queue and an API that starts workflows on it. */
export async function startSystem(suite: Suite, options: SystemOptions = {}): Promise<Running> {
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const mailer = createMailer(suite.mail.url, 'Escalations <escalations@example.org>');
  const links = createLinkSigner(LINK_SECRET);
  // The public URL is only known once the server listens; links are built lazily from it.
  const publicUrlRef = { value: '' };
  const activities = createActivities({
    temporal: suite.temporal,
    db: suite.db,
    mailer,
    links,
    get publicUrl() {
      return publicUrlRef.value;
    },
  });
  const worker = await createWorker({
    connection: suite.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities,
    workflowBundle: suite.bundle,
    dataConverter: suite.dataConverter,
  });
  const running = worker.run();
  // Listen first: sign-in (the development provider's issuer, the callback) needs the public URL.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? 0, '127.0.0.1', resolve));
  const baseUrl = `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  publicUrlRef.value = baseUrl;
  mailByOrigin.set(baseUrl, suite.mail);
  const app = createApp({
    temporal: suite.temporal,
    db: suite.db,
    policies: suite.policies,
    links,
    mailer,
    csrfSecret: 'test-csrf-secret',
    codec: options.codec ?? codec,
    uiOrigin: options.uiOrigin,
    publicUrl: baseUrl,
    taskQueue,
    identity: await testIdentity(baseUrl, suite.policies),
    logger: options.logger,
    rateLimits: options.rateLimits,
    ...(options.mailCatcher ? { mailCatcher: options.mailCatcher } : {}),
  });
  server.on('request', app);
  const opened: string[] = [];
  const send = async (path: string, init?: RequestInit) => {
    const given = (init?.headers ?? {}) as Record<string, string>;
    const auth = Object.keys(given).some((h) => h.toLowerCase() === 'authorization') ? {} : bearer(await keyFor(suite, init?.method ?? 'GET', path, init?.body));
    const res = await fetch(`${baseUrl}${path}`, { ...init, headers: { ...auth, ...given } });
    const text = await res.text();
    const body = text ? JSON.parse(text) : undefined;
    if (init?.method === 'POST' && path === '/api/disagreements' && res.status === 201) opened.push(body.reference);
    return { status: res.status, body, headers: res.headers };
  };
  return {
    baseUrl,
    keys: suite.keys,
    taskQueue,
    worker,
    opened,
    postJson: (path, body, headers = {}) =>
      send(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    getJson: (path, headers = {}) => send(path, { headers }),
    as: (email) => signedIn(baseUrl, suite.mail, email),
    asAdmin: (partnership) => signedInAsStaff(baseUrl, adminAccount(suite.policies, partnership).email),
    asStaff: (email) => signedInAsStaff(baseUrl, email),
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      worker.shutdown();
      await running;
      mailer.close();
    },
  };
}

/**
 * The key a route of the JSON API wants, from the suite's standing clients: an intake key to open a
 * case (the body's partnership) or end one (the case's: the same client opened it), a read key for
 * the rest (the case's partnership, or the one in the path). A reference with no case is read with
 * the key of the partnership its prefix names, so it answers 404 as an unknown case would.
 */
export async function keyFor(suite: Pick<Suite, 'db' | 'keys' | 'policies'>, method: string, path: string, body?: unknown): Promise<string> {
  const known = (id: unknown) => (typeof id === 'string' && suite.policies.has(id) ? id : undefined);
  const fallback = 'bromley';
  const caseOf = async (reference: string) => {
    const { rows } = await suite.db.query<{ partnership_id: string }>('SELECT partnership_id FROM cases WHERE reference = $1', [reference]);
    const byPrefix = [...suite.policies.values()].find((p) => reference.startsWith(`${p.referencePrefix}-`))?.id;
    return rows[0]?.partnership_id ?? byPrefix ?? fallback;
  };
  const partnershipPath = /^\/api\/partnerships\/([^/?]+)/.exec(path);
  if (partnershipPath) return suite.keys.read(known(decodeURIComponent(partnershipPath[1])) ?? fallback);
  const casePath = /^\/api\/disagreements\/([^/?]+)(\/[^?]*)?/.exec(path);
  if (method === 'POST' && casePath) return suite.keys.intake(await caseOf(casePath[1]));
  if (casePath) return suite.keys.read(await caseOf(casePath[1]));
  if (method === 'POST' && path.startsWith('/api/disagreements')) {
    let partnership: unknown;
    try {
      partnership = (JSON.parse(String(body)) as { partnership?: unknown }).partnership;
    } catch {
      // Not JSON: the API says so, to any intake key.
    }
    return suite.keys.intake(known(partnership) ?? fallback);
  }
  return suite.keys.read(fallback);
}

export function linkIn(message: CaughtMessage): string {
  const match = message.text.match(/https?:\/\/\S+\/respond\/[A-Za-z0-9._-]+/);
  if (!match) throw new Error(`No response link in "${message.subject}"`);
  return match[0];
}

/** The development provider's account that administers `partnership` (its business unit's mailbox). */
export function adminAccount(policies: Map<string, PolicyPack>, partnership: string): DevAccount {
  const admin = devAccounts(policies.values()).find((a) => a.roles.includes(`partnership-admin:${partnership}`));
  if (!admin) throw new Error(`Nobody administers ${partnership} in the development provider`);
  return admin;
}

/** Staff signed in through the development OpenID provider (a new session each time: no codes are spent). */
export async function signedInAsStaff(baseUrl: string, email: string): Promise<Visitor> {
  const visitor = new Visitor(baseUrl);
  const landed = await visitor.signInAsStaff(email);
  if (landed.status !== 200 || !visitor.cookies().has(SESSION_COOKIE)) throw new Error(`Staff sign-in as ${email} failed (${landed.status} at ${landed.url})`);
  return visitor;
}

/** A person signed in by email code, reused for the same origin and address. */
export async function signedIn(baseUrl: string, mail: MailCatcher, email: string): Promise<Visitor> {
  const key = `${baseUrl} ${email.toLowerCase()}`;
  const known = signedInAt.get(key);
  if (known) return known;
  const visitor = new Visitor(baseUrl);
  const landed = await visitor.signInByCode(mail, email);
  if (new URL(landed.url).pathname.startsWith('/sign-in')) throw new Error(`Sign-in by code as ${email} failed (${landed.status} at ${landed.url})`);
  signedInAt.set(key, visitor);
  return visitor;
}

/** Each running system's SMTP server, by the service's origin: how a link's reader gets their code. */
const mailByOrigin = new Map<string, MailCatcher>();
/** People who signed in to follow a link, by origin and address. */
const signedInAt = new Map<string, Visitor>();

/**
 * The person a decision link was sent to, following it: signs in by a code sent to the address
 * the link was issued to (as the page asks), then is on the link's page. Keeps cookies and reads
 * the CSRF field; `submit` fills in the form and confirms the check-your-answers page.
 */
export async function openLink(link: string, visitor?: Visitor) {
  const origin = new URL(link).origin;
  const mail = mailByOrigin.get(origin);
  const sentTo = mail?.messages().find((m) => m.text.includes(link))?.to[0];
  // Someone who signed in for an earlier link is still signed in (as people are, for a while).
  const person = visitor ?? (sentTo ? signedInAt.get(`${origin} ${sentTo}`) : undefined) ?? new Visitor(origin);
  let page = await person.get(link);
  if (page.status === 401 && page.html.includes('name="link"')) {
    if (!mail || !sentTo) throw new Error(`No email holds ${link}`);
    const before = mail.messages().length;
    const codePage = await person.request('/sign-in/email', {
      form: { _csrf: csrfIn(page.html) ?? '', link: new URL(link).pathname.split('/').pop()!, returnTo: new URL(link).pathname },
    });
    page = await person.enterCode(mail, sentTo, codePage, before);
    if (!visitor) signedInAt.set(`${origin} ${sentTo}`, person);
  }
  return {
    status: page.status,
    html: page.html,
    visitor: person,
    /** Fills in the form and, when the check-your-answers page comes back, confirms it. */
    async submit(fields: Record<string, string>, options: { csrf?: string | null } = {}) {
      const token = options.csrf === undefined ? csrfIn(page.html) : options.csrf;
      const post = async (form: Record<string, string>, csrfToken: string | null | undefined) => {
        const res = await person.request(link, { form: { ...(csrfToken ? { _csrf: csrfToken } : {}), ...form }, follow: false });
        return { status: res.status, html: res.html };
      };
      const first = await post(fields, token);
      if (first.status !== 200 || !first.html.includes('name="_confirm"')) return first;
      return post({ ...fields, _confirm: 'yes' }, csrfIn(first.html));
    },
  };
}

export const newCase = (overrides: Record<string, unknown> = {}) => ({
  partnership: 'bromley',
  raiser: { name: 'Ann Teacher', email: 'ann.teacher@example.org', agency: 'hillside-primary' },
  other: { name: 'Bob Social-Worker', email: 'bob.sw@example.org', agency: 'bromley-csc' },
  childReference: 'UPN-A123456789012',
  category: 'levels-of-need',
  description: 'School believes the threshold for a child protection enquiry is met; children’s social care closed the referral.',
  flags: { childProtectionPlan: false, lookedAfter: false, immediateHarm: false },
  ...overrides,
});

export const to = (address: string) => (m: CaughtMessage) => m.to.includes(address);
export const toWithSubject = (address: string, subject: RegExp) => (m: CaughtMessage) => m.to.includes(address) && subject.test(m.subject);

/** Waits until the case's record holds an event of this type (events are written just after emails). */
export async function waitForEvent(system: Running, reference: string, type: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const { body } = await system.getJson(`/api/disagreements/${reference}`);
    if (body?.events?.some((e: { type: string }) => e.type === type)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`No ${type} event for ${reference} within ${timeoutMs} ms`);
}

/** Registers jest hooks: one suite (database, SMTP, bundle) per file, a worker and API per test. */
export function useSystem(kind: DatabaseKind, extraPacks: string[] = [], options: SystemOptions = {}) {
  const ctx = {} as { suite: Suite; system: Running };
  beforeAll(async () => {
    ctx.suite = await startSuite(kind, extraPacks);
  });
  afterAll(async () => {
    await ctx.suite?.close();
  });
  beforeEach(async () => {
    ctx.system = await startSystem(ctx.suite, options);
  });
  afterEach(async () => {
    await ctx.system?.stop();
  });
  return ctx;
}

export const QUICK_PACK = join(__dirname, '..', 'fixtures', 'packs', 'quick.yaml');

/** A case under the quick test pack, whose stages last seconds. */
export const quickCase = () =>
  newCase({
    partnership: 'quick-test',
    category: 'need-for-action',
    raiser: { name: 'Sue School', email: 'sue@quick.example.org', agency: 'school' },
    other: { name: 'Pete Police', email: 'pete@quick.example.org', agency: 'police' },
  });
