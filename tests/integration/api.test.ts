/** Bad input to the API gets a 400 problem-details response naming each field, and leaves nothing behind. */
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { databaseKinds } from '../support/databases';
import { appDepsFor, bearer, newCase, startSuite, startSystem, type Running, type Suite } from '../support/system';

describe.each(databaseKinds)('opening a disagreement over HTTP (%s)', (kind) => {
  let suite: Suite;
  let system: Running;

  beforeAll(async () => {
    suite = await startSuite(kind);
    system = await startSystem(suite);
  });
  afterAll(async () => {
    await system?.stop();
    await suite?.close();
  });

  const caseCount = async () => (await suite.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cases')).rows[0].n;

  it.each([
    ['an empty body', {}, ['partnership', 'raiser', 'other', 'childReference', 'category', 'description']],
    ['a bad email and a missing agency', newCase({ raiser: { name: 'Ann', email: 'not-an-email' } }), ['raiser.email', 'raiser.agency']],
    ['an unknown partnership', newCase({ partnership: 'atlantis' }), ['partnership']],
    ['an agency not in the directory', newCase({ other: { name: 'Bob', email: 'bob@example.org', agency: 'nowhere' } }), ['other.agency']],
    ['a category the policy does not have', newCase({ category: 'parking' }), ['category']],
    ['a flag that is not a boolean', newCase({ flags: { childProtectionPlan: 'yes' } }), ['flags.childProtectionPlan']],
    ['an unexpected field', newCase({ childName: 'Should not be sent' }), ['']],
    ['the same person on both sides', newCase({ other: { name: 'Ann', email: 'ANN.TEACHER@example.org', agency: 'bromley-csc' } }), ['other.email']],
    ['a telephone number that is not one', newCase({ other: { name: 'Bob', email: 'bob@example.org', agency: 'bromley-csc', phone: 'call reception' } }), ['other.phone']],
  ])('refuses %s with a 400 naming each problem', async (_what, body, paths) => {
    const before = await caseCount();
    const res = await system.postJson('/api/disagreements', body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, title: expect.any(String) });
    const reported = res.body.errors.map((e: { path: string }) => e.path);
    for (const path of paths) expect(reported).toContain(path);
    for (const error of res.body.errors) expect(error.message).toEqual(expect.any(String));
    expect(await caseCount()).toBe(before);
  });

  it('refuses a body that is not JSON with a 400', async () => {
    const res = await system.postJson('/api/disagreements', '{"partnership": ');
    expect(res.status).toBe(400);
    expect(res.body.title).toMatch(/not valid JSON/);
  });

  it('answers 400 for a malformed reference and 404 for an unknown one', async () => {
    expect((await system.getJson('/api/disagreements/not-a-reference')).status).toBe(400);
    const missing = await system.getJson('/api/disagreements/BSCP-2026-ZZZZZZ');
    expect(missing.status).toBe(404);
    expect(missing.body.title).toBe('No such case');
  });

  it('answers 503 with Retry-After and keeps no case when Temporal cannot serve the namespace', async () => {
    const connection = await Connection.connect({ address: process.env.TEMPORAL_TEST_ADDRESS! });
    try {
      const app = createApp(await appDepsFor(suite, { temporal: new Client({ connection, namespace: 'no-such-namespace' }), publicUrl: 'http://localhost' }));
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as { port: number };
      const before = await caseCount();
      const res = await fetch(`http://127.0.0.1:${port}/api/disagreements`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(await suite.keys.intake('bromley')) },
        body: JSON.stringify(newCase()),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect(await caseCount()).toBe(before);
      await new Promise((resolve) => server.close(resolve));
    } finally {
      await connection.close();
    }
  });
});
