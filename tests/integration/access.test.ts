/** A case's pages are for the people it involves, through their own link; the API and dashboards need a key. */
import { basic, bearer, codec, newCase, useSystem } from '../support/system';

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

    const dashboard = await fetch(`${system.baseUrl}/partnerships/bromley/dashboard`);
    expect(dashboard.status).toBe(401);
    expect(dashboard.headers.get('www-authenticate')).toMatch(/^Basic/);
    const badKey = await fetch(`${system.baseUrl}/partnerships/bromley/dashboard`, { headers: basic('lscp_ac_aaaaaaaaaa_not-a-key') });
    expect(badKey.status).toBe(401);
    // Until staff sign in, a read key of the partnership opens its dashboard, and no other key does.
    const signedIn = await fetch(`${system.baseUrl}/partnerships/bromley/dashboard`, { headers: basic(await system.keys.read('bromley')) });
    expect(signedIn.status).toBe(200);
    const asBearer = await fetch(`${system.baseUrl}/partnerships/bromley/dashboard`, { headers: bearer(await system.keys.read('bromley')) });
    expect(asBearer.status).toBe(200);
    for (const key of [await system.keys.read('hull'), await system.keys.intake('bromley')]) {
      const refused = await fetch(`${system.baseUrl}/partnerships/bromley/dashboard`, { headers: basic(key) });
      expect(refused.status).toBe(403);
      expect(await refused.text()).not.toContain('Escalations dashboard');
    }
  });

  it('decodes encrypted payloads at the codec endpoint for staff only', async () => {
    const { system } = ctx;
    const [encrypted] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"email":"ann@example.org"}') }]);
    const body = JSON.stringify({
      payloads: [{ metadata: { encoding: Buffer.from(encrypted.metadata!.encoding!).toString('base64'), 'encryption-key-id': Buffer.from(encrypted.metadata!['encryption-key-id']!).toString('base64') }, data: Buffer.from(encrypted.data!).toString('base64') }],
    });
    const anonymous = await fetch(`${system.baseUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    const intake = await fetch(`${system.baseUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(await system.keys.intake('bromley')) }, body });
    expect(intake.status).toBe(403);
    expect(await intake.text()).not.toContain('ann@example.org');
    // For now any read key; it is to become an operations staff session.
    const decoded = await fetch(`${system.baseUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(await system.keys.read('bromley')), 'x-namespace': 'default' }, body });
    expect(decoded.status).toBe(200);
    const [payload] = ((await decoded.json()) as { payloads: { data: string; metadata: { encoding: string } }[] }).payloads;
    expect(Buffer.from(payload.data, 'base64').toString()).toBe('{"email":"ann@example.org"}');
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('json/plain');
  });

  it('shows a case only through a link for that case, which it moves out of the address into a cookie', async () => {
    const { suite, system } = ctx;
    const first = await system.postJson('/api/disagreements', newCase());
    const second = await system.postJson('/api/disagreements', newCase());
    const reference: string = first.body.reference;

    expect((await fetch(`${system.baseUrl}/cases/${reference}`)).status).toBe(403);
    expect((await fetch(`${system.baseUrl}/cases/${reference}/record.pdf`)).status).toBe(403);

    const viaLink = await fetch(first.body.url, { redirect: 'manual' });
    expect(viaLink.status).toBe(303);
    expect(viaLink.headers.get('location')).toBe(`/cases/${reference}`);
    const cookie = viaLink.headers.getSetCookie()[0];
    expect(cookie).toMatch(new RegExp(`Path=/cases/${reference}; HttpOnly; SameSite=Lax`));
    const page = await fetch(`${system.baseUrl}/cases/${reference}/record`, { headers: { cookie: cookie.split(';')[0] } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(newCase().childReference);

    // Another case's link does not open this one.
    const otherToken = new URL(second.body.url).searchParams.get('access');
    expect((await fetch(`${system.baseUrl}/cases/${reference}?access=${otherToken}`, { redirect: 'manual' })).status).toBe(403);
    // Until staff sign in, a read key of the case's partnership opens its pages; no other key does.
    expect((await fetch(`${system.baseUrl}/cases/${reference}`, { headers: bearer(await system.keys.read('bromley')) })).status).toBe(200);
    expect((await fetch(`${system.baseUrl}/cases/${reference}/record`, { headers: basic(await system.keys.read('bromley')) })).status).toBe(200);
    for (const key of [await system.keys.read('hull'), await system.keys.intake('bromley')]) {
      const refused = await fetch(`${system.baseUrl}/cases/${reference}/record`, { headers: bearer(key) });
      expect(refused.status).toBe(403);
      expect(await refused.text()).not.toContain(newCase().childReference);
    }
    for (const r of [reference, second.body.reference]) await suite.temporal.workflow.getHandle(r).terminate('test finished');
  });
});
