/**
 * fast-check fuzzing of every route that takes a body (and every route's path and query), found by
 * walking the app's router as api/app.ts builds it, so a route added later is fuzzed without anyone
 * listing it. Arbitrary JSON and form bodies (NUL, lone surrogates, deep nesting, huge field counts),
 * arbitrary charsets and content encodings, with and without a key, a session and the page's own
 * hidden fields (CSRF): never a 5xx, and a refusal writes nothing (cases, case_events and
 * idempotency_keys counted before and after). Real app on PGlite, SMTP and the Temporal dev server.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { startMailCatcher, type MailCatcher } from '../../mail/catcher';
import { adminAccount, codec, newCase, signedIn, signedInAsStaff, startSuite, type Suite } from '../support/system';
import type { Visitor } from '../support/visitor';
import { webApp, type WebApp } from '../support/webApp';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** `[method, path]` of every route the app serves, as its router holds them. */
function routesOf(stack: Layer[], out: [string, string][] = []): [string, string][] {
  for (const layer of stack) {
    if (layer.route) {
      for (const path of [layer.route.path].flat()) {
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) out.push([method.toUpperCase(), path]);
      }
    } else if (layer.handle?.stack) {
      routesOf(layer.handle.stack, out);
    }
  }
  return out;
}

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);

let suite: Suite;
let catcher: MailCatcher;
let app: WebApp;
let routes: [string, string][];
let people: { person: Visitor; admin: Visitor; operations: Visitor };
let keys: { intake: string; read: string };
let knownReference: string;

beforeAll(async () => {
  suite = await startSuite('pglite');
  catcher = await startMailCatcher(0);
  // Limits lifted: the fuzz is about what a request does, not how many (webHardening tests the limits).
  const lifted = { raisePerAddress: 1e6, raisePerPerson: 1e6, signInPerAddress: 1e6, signInPerPerson: 1e6, linksPerAddress: 1e6, linksPerPerson: 1e6, apiPerAddress: 1e6, apiPerClient: 1e6 };
  app = await webApp(suite, { mailCatcher: catcher, codec, rateLimits: lifted });
  routes = routesOf((app.app as unknown as { router: { stack: Layer[] } }).router.stack);
  keys = { intake: await suite.keys.intake('bromley'), read: await suite.keys.read('bromley') };
  const opened = await fetch(`${app.baseUrl}/api/disagreements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${keys.intake}`, 'content-type': 'application/json' },
    body: JSON.stringify(newCase()),
  });
  knownReference = ((await opened.json()) as { reference: string }).reference;
  people = {
    person: await signedIn(app.baseUrl, suite.mail, 'ann.teacher@example.org'),
    admin: await signedInAsStaff(app.baseUrl, adminAccount(suite.policies, 'bromley').email),
    operations: await signedInAsStaff(app.baseUrl, 'operations@example.org'),
  };
});

afterAll(async () => {
  if (process.env.FUZZ_REPORT) console.log([...seen].map(([route, statuses]) => `${route}: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}`).join('\n'));
  if (knownReference) await suite.temporal.workflow.getHandle(knownReference).terminate('test finished').catch(() => undefined);
  await app?.close();
  await catcher?.close();
  await suite?.close();
});

/** Answers seen per route: printed at the end, to see the fuzz reaches past the parsers. */
const seen = new Map<string, Map<number, number>>();
const tally = (route: string, status: number) => {
  const byStatus = seen.get(route) ?? new Map<number, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  seen.set(route, byStatus);
};

const counts = async () => {
  const { rows } = await suite.db.query<{ c: number; e: number; k: number }>(
    `SELECT (SELECT count(*)::int FROM cases) AS c, (SELECT count(*)::int FROM case_events) AS e, (SELECT count(*)::int FROM idempotency_keys) AS k`,
  );
  return rows[0];
};

/** Text as an attacker types it: any UTF-16 (lone surrogates too), NULs, markup. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '<script>alert(1)</script>', '%00', '../../etc/passwd', ' ', '', 'bromley', 'BSCP-2026-ZZZZZZ', '\u202e', 'a'.repeat(5000)),
);
const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, nasty, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(nasty, tie('value'), { maxKeys: 4 })),
})).value;

/** A valid case with one field (at any depth) replaced: gets past the parsers into the handlers. */
const mutatedCase = fc.tuple(fc.constantFrom('partnership', 'raiser', 'raiser.name', 'raiser.email', 'other.agency', 'childReference', 'category', 'description', 'flags', 'flags.immediateHarm'), jsonish).map(([path, value]) => {
  const body = JSON.parse(JSON.stringify(newCase())) as Record<string, any>;
  const [head, tail] = path.split('.');
  if (tail) body[head] = { ...(body[head] ?? {}), [tail]: value };
  else body[head] = value;
  return body;
});

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-7',
  'application/json; charset=utf-16le',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-7',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json; charset="',
  '*/*',
);
const encodings = fc.constantFrom(undefined, undefined, undefined, 'identity', 'gzip', 'deflate', 'br', 'x-unknown', 'gzip, br');

/** A body: JSON (valid-ish or not), a form (with the page's hidden fields or without), or raw bytes. */
const bodies = (hidden: Record<string, string>) =>
  fc.oneof(
    fc.record({ kind: fc.constant('json' as const), text: fc.oneof(jsonish, mutatedCase).map((v) => JSON.stringify(v) ?? 'null') }),
    fc.record({
      kind: fc.constant('form' as const),
      text: fc.tuple(fc.boolean(), fc.dictionary(nasty, fc.oneof(nasty, fc.array(nasty, { maxLength: 3 })), { maxKeys: 8 })).map(([withHidden, fields]) => {
        const params = new URLSearchParams(withHidden ? hidden : {});
        for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) params.append(k, one);
        return params.toString();
      }),
    }),
    fc.record({ kind: fc.constant('manyFields' as const), text: fc.integer({ min: 990, max: 1100 }).map((n) => Array.from({ length: n }, (_, i) => `f${i}=1`).join('&')) }),
    fc.record({ kind: fc.constant('raw' as const), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('{"a":"\\u0000"}', '{"a":"\\ud800"}', '{', '[[[[[[[[[[]]]]]]]]]]', '\u0000\u0000')) }),
  );

const who = fc.constantFrom('nobody', 'person', 'admin', 'operations', 'intake', 'read', 'badKey');

/** Percent-encoded as sent on the wire; a lone surrogate as the (invalid) UTF-8 bytes an attacker would send. */
function encodeSegment(value: string): string {
  return [...value]
    .map((ch) => {
      const c = ch.charCodeAt(0);
      if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      return encodeURIComponent(ch);
    })
    .join('');
}

function concretePath(path: string, params: string[]): string {
  let i = 0;
  return path.replace(/:(\w+)/g, () => encodeSegment(params[i++ % params.length] ?? 'x'));
}
const pathParams = fc.array(fc.oneof(nasty, fc.constantFrom('bromley', 'BSCP-2026-ZZZZZZ', 'KNOWN')), { minLength: 1, maxLength: 3 });

function headersFor(as: string, extra: Record<string, string>): Record<string, string> {
  const visitor = as === 'person' || as === 'admin' || as === 'operations' ? people[as] : undefined;
  const key = as === 'intake' ? keys.intake : as === 'read' ? keys.read : as === 'badKey' ? 'lscp_not-a-key' : undefined;
  return { ...(visitor ? { cookie: visitor.cookieHeader } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra };
}

/** The hidden fields (CSRF token, submission id) of the page at the same address, as a browser would post them back. */
async function hiddenFieldsOf(path: string): Promise<Record<string, string>> {
  const res = await fetch(`${app.baseUrl}${path}`, { headers: { cookie: people.person.cookieHeader } });
  const html = await res.text();
  return Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

describe('fuzzing every route', () => {
  it('finds the routes (so an empty walk cannot pass)', () => {
    const posts = routes.filter(([m]) => m === 'POST').map(([, p]) => p);
    expect(posts).toEqual(expect.arrayContaining(['/api/disagreements', '/raise/:partnership', '/respond/:token', '/sign-in/email', '/sign-in/code']));
    expect(routes.some(([m, p]) => m === 'GET' && p === '/mail/:id')).toBe(true);
  });

  it('answers every body sent to every POST route without a 5xx, and a refusal writes nothing', async () => {
    const posts = routes.filter(([m]) => m === 'POST' || m === 'PUT' || m === 'PATCH' || m === 'DELETE');
    for (const [method, path] of posts) {
      const hidden = await hiddenFieldsOf(concretePath(path, ['bromley']));
      await fc.assert(
        fc.asyncProperty(bodies(hidden), fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: contentTypes, weight: 1 }), fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: encodings, weight: 1 }), who, pathParams, async (body, anyType, encoding, as, params) => {
          // Mostly the type the body is (so the handlers are reached), sometimes any type at all.
          const contentType = anyType ?? (path.startsWith('/api/') || path.startsWith('/codec') ? 'application/json' : 'application/x-www-form-urlencoded');
          const target = concretePath(path, params.map((p) => (p === 'KNOWN' ? knownReference : p)));
          let payload: Buffer = Buffer.from(body.text);
          if (encoding?.startsWith('gzip')) payload = gzipSync(payload);
          const headers = headersFor(as, { 'content-type': contentType, ...(encoding ? { 'content-encoding': encoding } : {}) });
          const before = await counts();
          const res = await fetch(`${app.baseUrl}${target}`, { method, headers, body: new Uint8Array(payload), redirect: 'manual' });
          const text = await res.text();
          if (res.status >= 500) throw new Error(`${method} ${path} as ${as} (${contentType}, ${encoding ?? 'no encoding'}) answered ${res.status}: ${text.slice(0, 300)}`);
          tally(`${method} ${path}`, res.status);
          if (res.status >= 400) expect(await counts()).toEqual(before);
        }),
        { numRuns: RUNS },
      );
    }
  });

  it('sends someone signed out of a very long address to sign in and back home, with a redirect a client can read (found by the fuzzer)', async () => {
    const long = `/partnerships/bromley/proformas/${'a'.repeat(6000)}?${'x'.repeat(2000)}=${encodeURIComponent('\u{10000}'.repeat(300))}`;
    const res = await fetch(`${app.baseUrl}${long}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in?returnTo=%2F');
  });

  it('answers every route with any path and query without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), pathParams, fc.dictionary(nasty, nasty, { maxKeys: 4 }), who, async ([method, path], params, query, as) => {
        const target = `${concretePath(path, params.map((p) => (p === 'KNOWN' ? knownReference : p)))}?${new URLSearchParams(query).toString()}`;
        const before = await counts();
        const res = await fetch(`${app.baseUrl}${target}`, { method: method === 'GET' || method === 'HEAD' ? method : 'POST', headers: headersFor(as, {}), redirect: 'manual' });
        const text = await res.text();
        if (res.status >= 500) throw new Error(`${method} ${target} as ${as} answered ${res.status}: ${text.slice(0, 300)}`);
        if (res.status >= 400) expect(await counts()).toEqual(before);
      }),
      { numRuns: RUNS * 8 },
    );
  });
});
