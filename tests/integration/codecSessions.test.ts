/**
 * The Temporal Web UI decodes payloads for staff: it calls the API's codec endpoint from the browser
 * with the staff session's cookie. Only the UI's origin gets the CORS headers a credentialed request
 * needs; operations and partnership admins may decode, nobody else.
 */
import { as, apiClient, hullAdmin, operations, participant } from '../support/principals';
import { API_KEY, codec, useSystem } from '../support/system';

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
  const ctx = useSystem('pglite', [], { principals: true, uiOrigin: UI_ORIGIN });
  let body: string;
  beforeAll(async () => {
    body = await encryptedBody();
  });

  /** What the UI sends (`credentials: 'include'`): JSON, the namespace, the session's principal. */
  const decode = (headers: Record<string, string>) =>
    fetch(`${ctx.system.baseUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body });

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
    const res = await decode({ origin: UI_ORIGIN, ...as(operations) });
    expect(res.status).toBe(200);
    expect(corsOf(res)).toMatchObject({ origin: UI_ORIGIN, credentials: 'true' });
    const [payload] = ((await res.json()) as { payloads: { data: string }[] }).payloads;
    expect(Buffer.from(payload.data, 'base64').toString()).toBe(SECRET);
  });

  it('decodes for a partnership admin', async () => {
    const res = await decode({ origin: UI_ORIGIN, ...as(hullAdmin) });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(Buffer.from(SECRET).toString('base64'));
  });

  it('asks for sign-in (401) with no principal, and refuses (403) a participant or an API client, decoding nothing', async () => {
    const nobody = await decode({ origin: UI_ORIGIN });
    expect(nobody.status).toBe(401);
    // The UI can read the refusal (the CORS headers are there), so it can say what is wrong.
    expect(corsOf(nobody)).toMatchObject({ origin: UI_ORIGIN, credentials: 'true' });
    expect(await nobody.text()).not.toContain(Buffer.from(SECRET).toString('base64'));

    for (const principal of [participant, apiClient()]) {
      const res = await decode({ origin: UI_ORIGIN, ...as(principal) });
      expect({ kind: principal.kind, status: res.status }).toEqual({ kind: principal.kind, status: 403 });
      expect(await res.text()).not.toContain(Buffer.from(SECRET).toString('base64'));
    }
  });

  it('refuses a browser page of another origin, even with a staff session, and gives it no CORS headers', async () => {
    const res = await decode({ origin: OTHER_ORIGIN, ...as(operations) });
    expect(res.status).toBe(403);
    expect(corsOf(res)).toEqual({ origin: null, credentials: null, headers: null });
    expect(await res.text()).not.toContain(Buffer.from(SECRET).toString('base64'));
  });

  it('still decodes for the CLI with the shared staff key (no Origin, no session)', async () => {
    const res = await decode({ authorization: `Bearer ${API_KEY}` });
    expect(res.status).toBe(200);
    expect(corsOf(res).origin).toBeNull();
    const wrongKey = await decode({ authorization: 'Bearer not-the-key' });
    expect(wrongKey.status).toBe(401);
  });
});
