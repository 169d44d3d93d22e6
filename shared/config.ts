/**
 * Configuration, read and checked once at start. With nothing set, everything runs embedded
 * (Temporal dev server, PGlite, an in-process SMTP server); each part is replaced by a setting.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { issuesToProblems } from './policy/load';

const port = z.coerce.number().int().min(1).max(65535);
const seconds = (min: number, max: number) =>
  z.coerce.number().int('must be a whole number of seconds').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const milliseconds = (min: number, max: number) =>
  z.coerce.number().int('must be a whole number of milliseconds').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

/**
 * A secret copied from an example (the repository, the README, a tutorial) is public: anyone who
 * read it can forge links or sessions. Such values are refused by their tell-tale words, and so is
 * anything with too few different characters to be random.
 */
export function looksLikePlaceholder(value: string): boolean {
  return /change.?me|replace.?(me|this|with)|placeholder|your.?own|not.?secret|example|default|password|(^|[^a-z])secret([^a-z]|$)/i.test(value) || new Set(value).size < 10;
}
const PLACEHOLDER = 'is a placeholder or example value, which anyone can read: set a long random value of your own (openssl rand -base64 32)';
const secret = optionalString.pipe(z.string().min(32, 'must be at least 32 characters').refine((v) => !looksLikePlaceholder(v), PLACEHOLDER).optional());

/**
 * Rate limits (issue 10, web tier): requests allowed per window, per network address and per
 * identity. Unset: the defaults in api/rateLimits.ts (DEFAULT_RATE_LIMITS).
 */
const perWindow = z.coerce.number({ error: 'must be a whole number of requests, like 100' }).int('must be a whole number of requests').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1000000').optional();
const rateLimitSettings = {
  RATE_LIMIT_WINDOW_SECONDS: seconds(1, 86_400).optional(),
  RATE_LIMIT_RAISE_PER_ADDRESS: perWindow,
  RATE_LIMIT_RAISE_PER_PERSON: perWindow,
  RATE_LIMIT_SIGN_IN_PER_ADDRESS: perWindow,
  RATE_LIMIT_SIGN_IN_PER_PERSON: perWindow,
  RATE_LIMIT_LINKS_PER_ADDRESS: perWindow,
  RATE_LIMIT_LINKS_PER_PERSON: perWindow,
  RATE_LIMIT_API_PER_ADDRESS: perWindow,
  RATE_LIMIT_API_PER_CLIENT: perWindow,
};

export const settingsSchema = z.object({
  PORT: port.default(3000),
  /** The address `npm start` listens on (the API on its own listens on every interface). */
  HOST: optionalString,
  PUBLIC_URL: optionalString.pipe(z.url().optional()),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI_PATH: optionalString,
  /** The Temporal UI's origin, allowed to call the codec endpoint from a browser. */
  TEMPORAL_UI_URL: optionalString,
  DATABASE_URL: optionalString.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  SMTP_URL: optionalString.pipe(z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional()),
  SMTP_PORT: port.default(2525),
  MAIL_FROM: z.string().min(3).default('Safeguarding escalations <escalations@example.org>'),
  LINK_SECRET: secret,
  /** Base64 of 32 random bytes: encrypts workflow payloads in Temporal. */
  PAYLOAD_KEY: optionalString,
  // Payload key rotation (issue 10, forged messages): keys that no longer seal, kept to open what they sealed.
  /** Retired payload keys, base64 of 32 bytes each, separated by commas or spaces: decode only. */
  PAYLOAD_KEYS_RETIRED: optionalString,
  /** Staff sign-in: the partnership's OpenID Connect provider. Unset: the embedded development provider (never in a deployment). */
  OIDC_ISSUER: optionalString.pipe(z.url('must be the issuer URL, like https://login.microsoftonline.com/<tenant>/v2.0').optional()),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  /** The ID token claim listing roles (`partnership-admin:<id>`, `operations`). */
  OIDC_ROLES_CLAIM: z.string().min(1).default('lscp_roles'),
  /** Accept the provider's email claim without email_verified (Entra ID does not send it). */
  OIDC_TRUST_UNVERIFIED_EMAIL: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Signs session cookies and keys sign-in code hashes (32+ characters). */
  SESSION_SECRET: secret,
  SESSION_IDLE_MINUTES: z.coerce.number().int('must be a whole number of minutes').min(1, 'must be at least 1').max(720, 'must be at most 720').default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int('must be a whole number of hours').min(1, 'must be at least 1').max(24, 'must be at most 24').default(10),
  /** The TLS proxy in front of the API: a hop count (1) or its addresses (10.0.0.0/8). Unset: none. */
  TRUST_PROXY: optionalString
    .pipe(z.string().regex(/^[0-9a-f.:/, ]+$/i, 'must be a hop count or proxy addresses, like 1 or 10.0.0.0/8').optional())
    .transform((v) => (v && /^\d+$/.test(v) ? Number(v) : v)),
  /** The development sign-in provider runs only when asked (`npm start` asks) and only for a localhost PUBLIC_URL. */
  DEV_SIGN_IN: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  DATA_DIR: z.string().default('data'),
  POLICY_DIR: optionalString,
  /** A case whose row is committed but whose workflow has not started after this long is started by the reconciler. */
  RECONCILE_AFTER_SECONDS: seconds(1, 86_400).default(30),
  /** How often the reconciler looks for such cases. */
  RECONCILE_INTERVAL_SECONDS: seconds(1, 3_600).default(10),
  /** Deadline for the Temporal calls made while serving one request; past it the request answers 503. */
  TEMPORAL_CALL_TIMEOUT_MS: milliseconds(500, 120_000).default(10_000),
  /** How long a request waits for a PostgreSQL connection before it answers 503. */
  DATABASE_CONNECT_TIMEOUT_MS: milliseconds(100, 60_000).default(5_000),

  // --- The record anchored outside its database (issue 10, record part) ---
  /** The login migrations run with (owns the tables); the app's DATABASE_URL login then gets only the rights it needs. Unset: DATABASE_URL migrates (single role). */
  DATABASE_OWNER_URL: optionalString.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  /** Ed25519 private key (PEM, or base64 PKCS#8) that signs the record; only the worker and the API read it. */
  RECORD_SIGNING_KEY: optionalString,
  /** Public keys record:verify accepts (PEM or base64 SPKI, several while rotating). Unset: derived from RECORD_SIGNING_KEY or the embedded key. */
  RECORD_VERIFY_KEYS: optionalString,
  ...rateLimitSettings,
});

export type Settings = z.infer<typeof settingsSchema>;

export class ConfigError extends Error {}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const result = settingsSchema.safeParse(env);
  if (!result.success) {
    const lines = issuesToProblems(result.error.issues).map((p) => `  ${p.path}: ${p.message}`);
    throw new ConfigError(`Configuration is not valid:\n${lines.join('\n')}`);
  }
  return { ...result.data, DATA_DIR: resolve(result.data.DATA_DIR) };
}

export const publicUrlOf = (s: Settings) => (s.PUBLIC_URL ?? `http://localhost:${s.PORT}`).replace(/\/$/, '');

/**
 * The link-signing secret. Embedded runs keep a generated one in the data folder so links in
 * emails survive a restart; a deployment (a Temporal address or a database set) must give one.
 */
export function linkSecretOf(s: Settings): string {
  if (s.LINK_SECRET) return s.LINK_SECRET;
  return generatedSecret(s, 'link-secret', 'LINK_SECRET must be set (32 or more characters) when running against real services');
}

/**
 * Settings that are no longer read, with what replaced them: said at start so that a deployment
 * still setting one learns why its old value does nothing.
 */
export function retiredSettings(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.API_KEYS?.trim()
    ? ['API_KEYS is no longer read: every agency system or tool now has a key of its own, scoped to one partnership (npm run api-keys -- create --partnership <id> --scope intake|read --name "<what uses it>").']
    : [];
}

/** The secret that signs session cookies: given, or generated into the data folder for embedded runs. */
export function sessionSecretOf(s: Settings): string {
  return s.SESSION_SECRET ?? generatedSecret(s, 'session-secret', 'SESSION_SECRET must be set (32 or more characters) when running against real services');
}

/** A deployment runs against real services: it must be given every secret and never uses development sign-in. */
export const isDeployment = (s: Settings) => Boolean(s.TEMPORAL_ADDRESS && s.DATABASE_URL);

/** The key that encrypts workflow payloads: every worker and the API must share it. */
export function payloadKeyOf(s: Settings): Buffer {
  const text = s.PAYLOAD_KEY ?? generatedSecret(s, 'payload-key', 'PAYLOAD_KEY must be set (base64 of 32 random bytes) when running against real services');
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new ConfigError('PAYLOAD_KEY must be the base64 of exactly 32 bytes');
  return key;
}

/**
 * The payload key ring: PAYLOAD_KEY seals (and opens), each of PAYLOAD_KEYS_RETIRED only opens
 * payloads sealed before a rotation. Every worker and the API must hold the same ring.
 */
export function payloadKeyRingOf(s: Settings): { current: Buffer; retired: Buffer[] } {
  const current = payloadKeyOf(s);
  const texts = (s.PAYLOAD_KEYS_RETIRED ?? '').split(/[\s,]+/).filter(Boolean);
  const retired = texts.map((text, i) => {
    const key = Buffer.from(text, 'base64');
    if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
      throw new ConfigError(`PAYLOAD_KEYS_RETIRED: key ${i + 1} must be the base64 of exactly 32 bytes`);
    }
    return key;
  });
  return { current, retired: retired.filter((key) => !key.equals(current)) };
}

/**
 * The record's signing key (PEM): given, or generated into the data folder for embedded runs
 * (like the other secrets there). A deployment must give one: the database must never hold it.
 */
export function recordSigningKeyText(s: Settings): string {
  if (s.RECORD_SIGNING_KEY) return s.RECORD_SIGNING_KEY.replace(/\\n/g, '\n');
  return generatedSecret(s, 'record-signing-key.pem', 'RECORD_SIGNING_KEY must be set (an Ed25519 private key in PEM: openssl genpkey -algorithm ed25519) when running against real services', () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

/** A secret kept in the (private) data folder for embedded runs, made once by `make`; never in a deployment. */
function generatedSecret(s: Settings, name: string, requiredMessage: string, make = () => randomBytes(32).toString('base64url')): string {
  if (isDeployment(s)) throw new ConfigError(requiredMessage);
  const file = join(s.DATA_DIR, name);
  if (!existsSync(file)) {
    makePrivateDir(s.DATA_DIR);
    try {
      writeFileSync(file, make(), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process of this run made it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/** The rate limits set (issue 10, web tier); the rest keep their defaults. */
export function rateLimitsOf(s: Settings) {
  const given = {
    windowSeconds: s.RATE_LIMIT_WINDOW_SECONDS,
    raisePerAddress: s.RATE_LIMIT_RAISE_PER_ADDRESS,
    raisePerPerson: s.RATE_LIMIT_RAISE_PER_PERSON,
    signInPerAddress: s.RATE_LIMIT_SIGN_IN_PER_ADDRESS,
    signInPerPerson: s.RATE_LIMIT_SIGN_IN_PER_PERSON,
    linksPerAddress: s.RATE_LIMIT_LINKS_PER_ADDRESS,
    linksPerPerson: s.RATE_LIMIT_LINKS_PER_PERSON,
    apiPerAddress: s.RATE_LIMIT_API_PER_ADDRESS,
    apiPerClient: s.RATE_LIMIT_API_PER_CLIENT,
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<Record<keyof typeof given, number>>;
}

/** A folder only this user can enter (0700), made so if it already exists (issue 10: data folders private). */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
