/**
 * The Temporal Web UI decodes payloads for staff: it calls the API's codec endpoint from the browser
 * with the staff session's cookie. Only the UI's origin gets the CORS headers a credentialed request
 * needs; operations and partnership admins may decode, nobody else. Everyone signs in for real
 * (staff through the development OpenID provider, a participant by email code) and the codec is
 * called with the session cookie that sign-in set.
 */
import { OPERATIONS_ACCOUNT } from '../../api/identity/devProvider';
import { SESSION_COOKIE } from '../../api/identity/sessions';
import { bearer, codec, newCase, useSystem } from '../support/system';
import type { Visitor } from '../support/visitor';

const UI_ORIGIN = 'http://localhost:8233';
const OTHER_ORIGIN = 'http://localhost:5173';
const SECRET = '{"childReference":"UPN-A123456789012","email":"ann@example.org"}';

async function encryptedBody(): Promise<string> {
  const [encrypted] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(SECRET) }]);
  const b64 = (v: Uint8Array | null | undefined) => Buffer.from(v ?? new Uint8Array()).toString('base64');
  return JSON.stringify({
    payloads: [{ metadata: Object.fromEntries(Object.entries(encrypted.metadata ?? {}).map(([k, v]) => [k, b64(v)])), data: b64(encrypted.data) }],
  });
}

const corsOf = (res: Response) => ({
  origin: res.headers.get('access-control-allow-origin'),
  credentials: res.headers.get('access-control-allow-credentials'),
  headers: res.headers.get('access-control-allow-headers'),
});

describe('the codec endpoint, called by the Temporal Web UI with a staff session', () => {
  const ctx = useSystem('pglite', [], { uiOrigin: UI_ORIGIN });
  let body: string;
  beforeAll(async () => {
    body = await encryptedBody();
  });

  /** What the UI sends (`credentials: 'include'`): JSON, the namespace, the session's cookie. */
  const decode = (headers: Record<string, string>, session?: Visitor) => {
    if (session) expect(session.cookies().has(SESSION_COOKIE)).toBe(true);
    return fetch(`${ctx.system.baseUrl}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...(session ? { cookie: session.cookieHeader } : {}), ...headers },
      body,
    });
  };

  it("answers the UI origin's preflight with the CORS a credentialed request needs, and another origin's with none", async () => {
    const preflight = (origin: string) =>
      fetch(`${ctx.system.baseUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
    const ui = await preflight(UI_ORIGIN);
    expect(ui.status).toBe(204);
    expect(corsOf(ui)).toEqual({ origin: UI_ORIGIN, credentials: 'true', headers: expect.any(String) });
    const allowed = ui.headers.get('access-control-allow-headers')!.split(',').map((h) => h.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(['x-namespace', 'content-type', 'authorization']));
    expect(ui.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ui.headers.get('vary')).toMatch(/Origin/i);

    const other = await preflight(OTHER_ORIGIN);
    expect(corsOf(other)).toEqual({ origin: null, credentials: null, headers: null });
    expect(other.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('decodes for an operations person from the UI origin, with the CORS headers', async () => {
    const operations = await ctx.system.asStaff(OPERATIONS_ACCOUNT.email);
    const res = await decode({ origin: UI_ORIGIN }, operations);
    expect(res.status).toBe(200);
    expect(corsOf(res)).toMatchObject({ origin: UI_ORIGIN, credentials: 'true' });
    const [payload] = ((await res.json()) as { payloads: { data: string }[] }).payloads;
    expect(Buffer.from(payload.data, 'base64').toString()).toBe(SECRET);
  });

  it('refuses a partnership admin (a payload does not say whose case it is), decoding nothing', async () => {
    const res = await decode({ origin: UI_ORIGIN }, await ctx.system.asAdmin('hull'));
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain(Buffer.from(SECRET).toString('base64'));
  });

  it('asks for sign-in (401) with no session, and refuses (403) someone taking part in a case, decoding nothing', async () => {
    const nobody = await decode({ origin: UI_ORIGIN });
    expect(nobody.status).toBe(401);
    // The UI can read the refusal (the CORS headers are there), so it can say what is wrong.
    expect(corsOf(nobody)).toMatchObject({ origin: UI_ORIGIN, credentials: 'true' });
    expect(await nobody.text()).not.toContain(Buffer.from(SECRET).toString('base64'));

    // The raiser of a case, signed in by a code sent to her address: a person with no staff role.
    const opened = await ctx.system.postJson('/api/disagreements', newCase());
    expect(opened.status).toBe(201);
    const participant = await ctx.system.as('ann.teacher@example.org');
    const res = await decode({ origin: UI_ORIGIN }, participant);
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain(Buffer.from(SECRET).toString('base64'));
    await ctx.suite.temporal.workflow.getHandle(opened.body.reference).terminate('test finished');
  });

  it('refuses a browser page of another origin, even with a staff session, and gives it no CORS headers', async () => {
    const res = await decode({ origin: OTHER_ORIGIN }, await ctx.system.asStaff(OPERATIONS_ACCOUNT.email));
    expect(res.status).toBe(403);
    expect(corsOf(res)).toEqual({ origin: null, credentials: null, headers: null });
    expect(await res.text()).not.toContain(Buffer.from(SECRET).toString('base64'));
  });

  it('decodes nothing for an API client key of any scope: a payload does not say whose it is', async () => {
    for (const key of [await ctx.suite.keys.read('bromley'), await ctx.suite.keys.intake('bromley')]) {
      const res = await decode(bearer(key));
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(Buffer.from(SECRET).toString('base64'));
    }
  });
});
