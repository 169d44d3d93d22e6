/** The JSON API needs a key; the codec endpoint decodes for staff only. Pages and sign-in: signIn.test.ts. */
import { bearer, codec, newCase, useSystem } from '../support/system';

describe('who may read what', () => {
  const ctx = useSystem('pglite');

  it('asks for an API key on the JSON API and the dashboards, and writes nothing without one', async () => {
    const { suite, system } = ctx;
    const count = async () => (await suite.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cases')).rows[0].n;
    const before = await count();
    const anonymous = await fetch(`${system.baseUrl}/api/disagreements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(newCase()) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await count()).toBe(before);
    const wrongKey = await fetch(`${system.baseUrl}/api/partnerships/bromley/stats`, { headers: { authorization: 'Bearer not-the-key' } });
    expect(wrongKey.status).toBe(401);

    // The dashboard page is for signed-in partnership admins (tests/integration/signIn.test.ts): no key opens it.
    for (const key of [await system.keys.read('bromley'), await system.keys.intake('bromley')]) {
      const dashboard = await fetch(`${system.baseUrl}/partnerships/bromley/dashboard`, { headers: bearer(key), redirect: 'manual' });
      expect(dashboard.status).toBe(303);
    }
  });

  it('decodes encrypted payloads at the codec endpoint for staff only', async () => {
    const { system } = ctx;
    const [encrypted] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"email":"ann@example.org"}') }]);
    const body = JSON.stringify({
      payloads: [{ metadata: { encoding: Buffer.from(encrypted.metadata!.encoding!).toString('base64'), 'encryption-key-id': Buffer.from(encrypted.metadata!['encryption-key-id']!).toString('base64') }, data: Buffer.from(encrypted.data!).toString('base64') }],
    });
    const decode = (headers: Record<string, string>) => fetch(`${system.baseUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body });
    // Nobody, and no API key of any scope: a payload does not say whose it is.
    for (const headers of [{}, bearer(await system.keys.intake('bromley')), bearer(await system.keys.read('bromley'))]) {
      const refused = await decode(headers);
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain('ann@example.org');
    }
    // Operations staff, signed in.
    const operations = await system.asStaff('operations@example.org');
    const decoded = await decode({ cookie: operations.cookieHeader });
    expect(decoded.status).toBe(200);
    const [payload] = ((await decoded.json()) as { payloads: { data: string; metadata: { encoding: string } }[] }).payloads;
    expect(Buffer.from(payload.data, 'base64').toString()).toBe('{"email":"ann@example.org"}');
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('json/plain');
  });
});
