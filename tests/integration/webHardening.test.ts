/**
 * The web tier as an attacker meets it (issue 10): security headers, bodies that are not plain
 * UTF-8 text refused with 400/413/415 (never a 500, nothing written), rate limits hit for real
 * with low limits, the embedded mail page closed to everyone but an admin on this machine, and
 * the data folders private. Real app, PGlite, SMTP and the suite's Temporal dev server.
 */
import { OPERATIONS_ACCOUNT } from '../../api/identity/devProvider';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../db/database';
import { createMailer } from '../../mail/mailer';
import { startMailCatcher, type MailCatcher } from '../../mail/catcher';
import { linkSecretOf, readSettings } from '../../shared/config';
import { newCase, signedIn, signedInAsStaff, adminAccount, startSuite, type Suite } from '../support/system';
import { webApp, type WebApp } from '../support/webApp';
import { csrfIn } from '../support/visitor';

let suite: Suite;
const apps: WebApp[] = [];
beforeAll(async () => {
  suite = await startSuite('pglite');
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await suite?.close();
});
const serve = async (overrides: Parameters<typeof webApp>[1] = {}, host?: string) => {
  const app = await webApp(suite, overrides, host);
  apps.push(app);
  return app;
};

const countRows = async () => {
  const { rows } = await suite.db.query<{ cases: number; events: number; keys: number }>(
    `SELECT (SELECT count(*)::int FROM cases) AS cases, (SELECT count(*)::int FROM case_events) AS events, (SELECT count(*)::int FROM idempotency_keys) AS keys`,
  );
  return rows[0];
};

describe('security headers', () => {
  it('sets a strict CSP with a fresh nonce per page, no framing, Permissions-Policy, no-store; no HSTS over plain http', async () => {
    const app = await serve();
    const [a, b] = await Promise.all([fetch(`${app.baseUrl}/sign-in`), fetch(`${app.baseUrl}/sign-in`)]);
    const csp = a.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/object-src 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(b.headers.get('content-security-policy')).not.toContain(nonce);
    // The GOV.UK template's own inline line carries it.
    expect(await a.text()).toContain(`<script nonce="${nonce}">`);
    expect(a.headers.get('permissions-policy')).toContain('camera=()');
    expect(a.headers.get('x-frame-options')).toBe('DENY');
    expect(a.headers.get('referrer-policy')).toBe('no-referrer');
    expect(a.headers.get('cache-control')).toBe('no-store');
    expect(a.headers.get('strict-transport-security')).toBeNull();
  });

  it('sends HSTS when the public URL is https, and behind the trusted proxy when it says the request was https', async () => {
    const https = await serve({ publicUrl: 'https://escalations.example.org' });
    const res = await fetch(`${https.baseUrl}/health`);
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');

    const proxied = await serve({ trustProxy: 1 });
    const viaTls = await fetch(`${proxied.baseUrl}/health`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(viaTls.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    const plain = await fetch(`${proxied.baseUrl}/health`, { headers: { 'x-forwarded-proto': 'http' } });
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('bodies that are not storable text: 400, 413 or 415, never 500, nothing written', () => {
  let app: WebApp;
  let key: string;
  beforeAll(async () => {
    app = await serve();
    key = await suite.keys.intake('bromley');
  });
  const api = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${app.baseUrl}/api/disagreements`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body });
  const form = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${app.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

  const cases: [string, () => Promise<Response>, number, RegExp][] = [
    ['bad JSON', () => api('{"partnership": '), 400, /not valid JSON/],
    ['a NUL in a JSON field', () => api(JSON.stringify(newCase({ description: 'before\u0000after' }))), 400, /description contains a NUL/],
    ['a lone surrogate in a JSON field', () => api(JSON.stringify(newCase()).replace('"Ann Teacher"', '"Ann \\ud800Teacher"')), 400, /raiser\.name contains a broken character/],
    ['a NUL in a JSON key', () => api(JSON.stringify({ ...newCase(), 'x\u0000': 1 })), 400, /NUL/],
    ['JSON in Latin-1', () => api(JSON.stringify(newCase()), { 'content-type': 'application/json; charset=latin1' }), 415, /not UTF-8/],
    ['JSON in UTF-7', () => api(JSON.stringify(newCase()), { 'content-type': 'application/json; charset=utf-7' }), 415, /not UTF-8/],
    ['a brotli body', () => api(JSON.stringify(newCase()), { 'content-encoding': 'br' }), 415, /compressed/],
    ['a gzip body', () => api(gzipSync(JSON.stringify(newCase())), { 'content-encoding': 'gzip' }), 415, /compressed/],
    ['an unknown encoding', () => api(JSON.stringify(newCase()), { 'content-encoding': 'x-unknown' }), 415, /compressed/],
    ['a body too large', () => api(JSON.stringify(newCase({ description: 'x'.repeat(200_000) }))), 413, /too large/],
    ['a NUL in a form field', () => form('/sign-in/email', 'email=a%00b%40example.org'), 400, /email contains a NUL/],
    ['a form in UTF-7', () => form('/sign-in/email', 'email=a%40example.org', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-7' }), 415, /not UTF-8/],
    ['a form with 1,001 fields', () => form('/sign-in/email', Array.from({ length: 1001 }, (_, i) => `f${i}=1`).join('&')), 400, /too many fields/],
    ['a form too large', () => form('/sign-in/email', `email=${'x'.repeat(200_000)}`), 413, /too large/],
    ['a NUL in the query', () => fetch(`${app.baseUrl}/sign-in?returnTo=%00`), 400, /query\.returnTo contains a NUL/],
    ['a NUL in the path', () => fetch(`${app.baseUrl}/cases/A%00B`), 400, /address contains a NUL/],
  ];

  it.each(cases)('%s', async (_name, send, status, words) => {
    const before = await countRows();
    const res = await send();
    const text = await res.text();
    expect(res.status).toBe(status);
    expect(text).toMatch(words);
    expect(await countRows()).toEqual(before);
  });

  it('keeps a form field with an encoded surrogate (broken UTF-8) as the text typed: storable, never a 500', async () => {
    const before = await countRows();
    for (const body of ['email=%ED%A0%80', 'email=%ED%A0%80%00x', 'email=%F0%9F%98']) expect((await form('/sign-in/email', body)).status).toBeLessThan(500);
    expect(await countRows()).toEqual(before);
  });

  it('answers a page in HTML and the API in problem details', async () => {
    const page = await form('/sign-in/email', 'email=a%00b');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const problem = await api('{');
    expect(problem.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await problem.json()).toMatchObject({ status: 400, title: 'The request body is not valid JSON' });
  });

  it('still takes a good case: the checks refuse only what is wrong', async () => {
    const res = await api(JSON.stringify(newCase({ description: 'Ünïcödé is fine: 👩‍⚕️ and “quotes”.' })));
    expect(res.status).toBe(201);
    await suite.temporal.workflow.getHandle(((await res.json()) as { reference: string }).reference).terminate('test finished');
  });
});

describe('rate limits: 429 with Retry-After', () => {
  const expectLimited = async (res: Response, kind: 'page' | 'api') => {
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    if (kind === 'api') expect(await res.json()).toMatchObject({ status: 429, title: 'Too many requests' });
    else expect(await res.text()).toContain('Too many tries');
  };

  it('limits raising per person and per address', async () => {
    const app = await serve({ rateLimits: { raisePerAddress: 3, raisePerPerson: 2 } });
    const ann = await signedIn(app.baseUrl, suite.mail, 'ann.limit@example.org');
    const bob = await signedIn(app.baseUrl, suite.mail, 'bob.limit@example.org');
    const raise = (who: typeof ann) => fetch(`${app.baseUrl}/raise`, { method: 'POST', redirect: 'manual', headers: { cookie: who.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' }, body: 'partnership=bromley' });
    expect((await raise(ann)).status).toBe(303);
    expect((await raise(ann)).status).toBe(303);
    await expectLimited(await raise(ann), 'page'); // Ann's own limit
    await expectLimited(await raise(bob), 'page'); // the address's: Bob has not raised yet
  });

  it('limits sign-in codes per address asked for and per network address', async () => {
    const app = await serve({ rateLimits: { signInPerAddress: 4, signInPerPerson: 2 } });
    const ask = (email: string) => fetch(`${app.baseUrl}/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `email=${encodeURIComponent(email)}` });
    expect((await ask('target@example.org')).status).not.toBe(429);
    expect((await ask('Target@example.org')).status).not.toBe(429);
    await expectLimited(await ask('target@example.org'), 'page');
    expect((await ask('other@example.org')).status).not.toBe(429);
    await expectLimited(await ask('third@example.org'), 'page'); // four from this address
  });

  it("lets nobody spend a person's sign-in allowance: asking for their codes from elsewhere does not lock them out", async () => {
    const app = await serve({ trustProxy: 1, rateLimits: { signInPerAddress: 100, signInPerPerson: 2 } });
    const ask = (from: string, body: string) =>
      fetch(`${app.baseUrl}/sign-in/email`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from }, body });
    // An attacker's forms for the victim's address, with a junk CSRF token and without one.
    // They are refused (403), then limited themselves (429).
    const attacker = [];
    for (let i = 0; i < 6; i++) attacker.push((await ask('203.0.113.66', i % 2 ? '_csrf=junk&email=victim%40example.org' : 'email=victim%40example.org')).status);
    expect(attacker.slice(0, 2)).toEqual([403, 403]);
    expect(attacker.slice(2)).toEqual([429, 429, 429, 429]);
    // The victim, from their own network, with the sign-in page's own token: a code is sent.
    const form = await fetch(`${app.baseUrl}/sign-in`, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const asked = await fetch(`${app.baseUrl}/sign-in/email`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '198.51.100.7', cookie },
      body: new URLSearchParams({ _csrf: csrfIn(await form.text())!, email: 'victim@example.org' }),
    });
    expect(asked.status).toBe(303);
    expect(asked.headers.get('location')).toBe('/sign-in/code');
  });

  it('limits decision links per network address and per person', async () => {
    const byAddress = await serve({ rateLimits: { linksPerAddress: 2 } });
    for (let i = 0; i < 2; i++) expect((await fetch(`${byAddress.baseUrl}/respond/not-a-token-${i}`)).status).not.toBe(429);
    await expectLimited(await fetch(`${byAddress.baseUrl}/respond/not-a-token-x`, { method: 'POST' }), 'page');

    const byPerson = await serve({ rateLimits: { linksPerPerson: 2 } });
    const carol = await signedIn(byPerson.baseUrl, suite.mail, 'carol.limit@example.org');
    const open = (cookie?: string) => fetch(`${byPerson.baseUrl}/respond/not-a-token`, { headers: cookie ? { cookie } : {} });
    expect((await open(carol.cookieHeader)).status).not.toBe(429);
    expect((await open(carol.cookieHeader)).status).not.toBe(429);
    await expectLimited(await open(carol.cookieHeader), 'page');
    expect((await open()).status).not.toBe(429); // someone else from here is not Carol
  });

  it('limits the API per client, and per address before any key is checked', async () => {
    const app = await serve({ rateLimits: { apiPerClient: 2, apiPerAddress: 5 } });
    const one = (await suite.keys.create('bromley', 'read', 'limited one')).key;
    const two = (await suite.keys.create('bromley', 'read', 'limited two')).key;
    const read = (key?: string) => fetch(`${app.baseUrl}/api/disagreements/BSCP-2026-ZZZZZZ`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    expect((await read(one)).status).toBe(404);
    expect((await read(one)).status).toBe(404);
    await expectLimited(await read(one), 'api');
    expect((await read(two)).status).toBe(404);
    expect((await read()).status).toBe(401);
    await expectLimited(await read(two), 'api'); // the sixth from this address
  });
});

describe('the embedded mail page', () => {
  let catcher: MailCatcher;
  beforeAll(async () => {
    catcher = await startMailCatcher(0);
    const mailer = createMailer(catcher.url, 'Escalations <escalations@example.org>');
    await mailer.send({
      to: 'ann@example.org',
      subject: 'Hostile <b>subject</b>',
      text: 'From <img src=x onerror="alert(1)"> see https://service.example.org/respond/abc. and javascript:alert(2)',
      html: '<p>x</p>',
      messageId: '<hostile@lscp-escalations>',
    });
    mailer.close();
    await catcher.waitFor(() => true);
  });
  afterAll(() => catcher?.close());

  it('is not there without the embedded catcher', async () => {
    const app = await serve();
    expect((await fetch(`${app.baseUrl}/mail`)).status).toBe(404);
  });

  it('sends someone signed out to sign in, refuses a practitioner and a partnership admin, shows operations everything escaped', async () => {
    const app = await serve({ mailCatcher: catcher });
    const signedOut = await fetch(`${app.baseUrl}/mail`, { redirect: 'manual' });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toMatch(/^\/sign-in/);
    const practitioner = await signedIn(app.baseUrl, suite.mail, 'dan.practitioner@example.org');
    expect((await practitioner.get('/mail')).status).toBe(403);
    // Every partnership's codes are in it: one partnership's admin could sign in as another's people.
    expect((await (await signedInAsStaff(app.baseUrl, adminAccount(suite.policies, 'bromley').email)).get('/mail')).status).toBe(403);

    const admin = await signedInAsStaff(app.baseUrl, OPERATIONS_ACCOUNT.email);
    const list = await admin.get('/mail');
    expect(list.status).toBe(200);
    expect(list.html).toContain('Hostile &lt;b&gt;subject&lt;/b&gt;');
    const id = /href="\/mail\/(\d+)"/.exec(list.html)![1];
    const message = await admin.get(`/mail/${id}`);
    expect(message.status).toBe(200);
    expect(message.html).not.toContain('<img src=x');
    expect(message.html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(message.html).toContain('<a class="govuk-link" href="https://service.example.org/respond/abc" rel="noreferrer noopener">');
    expect(message.html).not.toMatch(/href="javascript:/);
  });

  it('answers nothing to a request relayed by a proxy or from another machine', async () => {
    const app = await serve({ mailCatcher: catcher }, '0.0.0.0');
    const admin = await signedInAsStaff(app.baseUrl, OPERATIONS_ACCOUNT.email);
    expect((await admin.get('/mail')).status).toBe(200);
    expect((await admin.request('/mail', { headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(404);
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!outside) return; // a machine with no other address: the proxy case above stands for it
    const port = new URL(app.baseUrl).port;
    const fromOutside = await fetch(`http://${outside.address}:${port}/mail`, { headers: { cookie: admin.cookieHeader } });
    expect(fromOutside.status).toBe(404);
  });
});

describe('data folders are private', () => {
  it('makes DATA_DIR and the PGlite folder 0700, and their files 0600', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lscp-private-'));
    try {
      const dataDir = join(root, 'data');
      const settings = readSettings({ DATA_DIR: dataDir });
      linkSecretOf(settings);
      const db = await openDatabase({ pgliteDir: join(dataDir, 'pglite') });
      await db.query('SELECT 1');
      await db.close();
      const modes: string[] = [];
      const walk = (path: string) => {
        const stat = statSync(path);
        const mode = stat.mode & 0o777;
        if (stat.isDirectory()) {
          if (mode !== 0o700) modes.push(`${path} ${mode.toString(8)}`);
          for (const entry of readdirSync(path)) walk(join(path, entry));
        } else if (mode !== 0o600) modes.push(`${path} ${mode.toString(8)}`);
      };
      walk(dataDir);
      expect(readdirSync(join(dataDir, 'pglite')).length).toBeGreaterThan(5);
      expect(modes).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
