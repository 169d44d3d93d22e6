/** A case's pages are for the people it involves, through their own link; the API and dashboards need a key. */
import { createLinkSigner } from '../../shared/links';
import { API_KEY, LINK_SECRET, codec, newCase, useSystem } from '../support/system';

const links = createLinkSigner(LINK_SECRET);

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
    const signedIn = await fetch(`${system.baseUrl}/partnerships/bromley/dashboard`, { headers: { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}` } });
    expect(signedIn.status).toBe(200);
  });

  it('decodes encrypted payloads at the codec endpoint for staff only', async () => {
    const { system } = ctx;
    const [encrypted] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"email":"ann@example.org"}') }]);
    const body = JSON.stringify({
      payloads: [{ metadata: { encoding: Buffer.from(encrypted.metadata!.encoding!).toString('base64'), 'encryption-key-id': Buffer.from(encrypted.metadata!['encryption-key-id']!).toString('base64') }, data: Buffer.from(encrypted.data!).toString('base64') }],
    });
    const anonymous = await fetch(`${system.baseUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(anonymous.status).toBe(401);
    const decoded = await fetch(`${system.baseUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}`, 'x-namespace': 'default' }, body });
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
    // The API answers with a plain pointer: no token in it.
    expect(first.body.url).toBe(`${system.baseUrl}/cases/${reference}`);

    expect((await fetch(`${system.baseUrl}/cases/${reference}`)).status).toBe(403);
    expect((await fetch(`${system.baseUrl}/cases/${reference}/record.pdf`)).status).toBe(403);

    // TODO(session): view links are no longer issued (emails and the API carry plain pointers);
    // the ?access= handling stays until sign-in replaces it, so it is tested with links made here.
    const viewLink = (ref: string) => links.issueView({ reference: ref, recipientId: 'raiser.worker.0', expiresAt: new Date(Date.now() + 86_400_000) });
    const viaLink = await fetch(`${system.baseUrl}/cases/${reference}?access=${await viewLink(reference)}`, { redirect: 'manual' });
    expect(viaLink.status).toBe(303);
    expect(viaLink.headers.get('location')).toBe(`/cases/${reference}`);
    const cookie = viaLink.headers.getSetCookie()[0];
    expect(cookie).toMatch(new RegExp(`Path=/cases/${reference}; HttpOnly; SameSite=Lax`));
    const page = await fetch(`${system.baseUrl}/cases/${reference}/record`, { headers: { cookie: cookie.split(';')[0] } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(newCase().childReference);

    // Another case's link does not open this one.
    const otherToken = await viewLink(second.body.reference);
    expect((await fetch(`${system.baseUrl}/cases/${reference}?access=${otherToken}`, { redirect: 'manual' })).status).toBe(403);
    // Staff with a key can read any case.
    expect((await fetch(`${system.baseUrl}/cases/${reference}`, { headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(200);
    for (const r of [reference, second.body.reference]) await suite.temporal.workflow.getHandle(r).terminate('test finished');
  });
});
