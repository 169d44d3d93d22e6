/**
 * Outages degrade cleanly. A PostgreSQL restart while the API and a worker hold pooled connections
 * crashes neither; the API answers 503 with Retry-After while the server is down and works again
 * after. An API whose Temporal cannot be reached answers 503 at once (not after the client's 20 s
 * of retries), says so on /ready, and writes nothing.
 */
import type { Server } from 'node:http';
import { Client, type Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { connectTemporalForRequests } from '../../api/availability';
import { openCase, validateNewCase } from '../../api/cases';
import { listen } from '../../api/server';
import { createLinkSigner } from '../../shared/links';
import { LINK_SECRET, appDepsFor, basic, bearer, signedIn, dataConverter, newCase, startSuite, type Suite } from '../support/system';
import { apiEnv, apiKeyIn, ensureStopped, freePort, spawnNode, throwawayCluster, type Spawned } from '../support/processes';
import { closedPort, eventually } from '../support/waits';
import { Visitor, csrfIn } from '../support/visitor';

/** Fails a request that hangs (the old behaviour was about 20 s per request); not a timing assertion. */
const NO_HANG = () => AbortSignal.timeout(15_000);
/** The keys of each part's API: a read key (for the API and, as a browser's sign-in, the pages) and an intake key of Bromley. */
const keys = { staff: {} as Record<string, string>, staffBrowser: {} as Record<string, string>, intake: {} as Record<string, string> };

// Needs PostgreSQL's programs to run a cluster of its own; CI sets DATABASE_URL whenever they are installed.
const withPostgres = process.env.DATABASE_URL ? describe : describe.skip;

withPostgres(`a PostgreSQL restart under a running API and worker${process.env.DATABASE_URL ? '' : ' (skipped: DATABASE_URL is not set)'}`, () => {
  let cluster: Awaited<ReturnType<typeof throwawayCluster>>;
  let api: Spawned | undefined;
  let worker: Spawned | undefined;
  let base: string;

  beforeAll(async () => {
    cluster = await throwawayCluster();
    const read = await apiKeyIn(cluster.url, 'bromley', 'read');
    Object.assign(keys, { staff: bearer(read), staffBrowser: basic(read), intake: bearer(await apiKeyIn(cluster.url, 'bromley', 'intake')) });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = spawnNode('api/main.ts', apiEnv({ DATABASE_URL: cluster.url, PORT: String(port), DATABASE_CONNECT_TIMEOUT_MS: '2000' }));
    // A worker too: its pool keeps the connection it migrated with, idle, when PostgreSQL goes.
    worker = spawnNode('worker/main.ts', apiEnv({ DATABASE_URL: cluster.url, SMTP_URL: 'smtp://127.0.0.1:1' }));
    await Promise.all([api.waitForOutput(/listening on/), worker.waitForOutput(/RUNNING/)]);
  });
  afterAll(async () => {
    await ensureStopped(api);
    await ensureStopped(worker);
    await cluster?.remove();
  });

  it('survives, answers 503 with Retry-After while PostgreSQL is down, and 200 once it is back', async () => {
    // Fill the pool: concurrent requests each hold a connection, which then idles in the pool.
    const warm = await Promise.all(Array.from({ length: 10 }, () => fetch(`${base}/api/disagreements/BSCP-2026-ZZZZZZ`, { headers: keys.staff })));
    expect(warm.map((r) => r.status)).toEqual(Array(10).fill(404));

    // Fast shutdown ends every pooled connection with 57P01 ("terminating connection due to administrator command").
    await cluster.pause();
    const ready = await eventually('/ready to say the database is down', async () => {
      if (!api!.alive()) return 'died' as const;
      const res = await fetch(`${base}/ready`, { signal: NO_HANG() });
      return res.status === 503 ? res : undefined;
    });
    if (ready === 'died') throw new Error(`The API process died when PostgreSQL went down:\n${api!.output()}`);
    // The pooled connections were ended by the server, and the process lived through it.
    await api!.waitForOutput(/"code":"57P01".*dropped a pooled connection/, 10_000);
    expect(api!.alive()).toBe(true);
    expect(ready.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await ready.json()).toEqual({ status: 'not ready', checks: { database: 'unavailable', temporal: 'ok' } });

    const read = await fetch(`${base}/api/disagreements/BSCP-2026-ZZZZZZ`, { headers: keys.staff, signal: NO_HANG() });
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(read.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await read.json()).toMatchObject({ status: 503, title: 'Service temporarily unavailable' });

    const write = await fetch(`${base}/api/disagreements`, { method: 'POST', headers: { ...keys.intake, 'content-type': 'application/json' }, body: JSON.stringify(newCase()), signal: NO_HANG() });
    expect(write.status).toBe(503);
    expect(write.headers.get('retry-after')).toMatch(/^\d+$/);

    // A page that needs the database (asking for a sign-in code) answers with the outage page.
    const visitor = new Visitor(base);
    const signIn = await visitor.get('/sign-in');
    const page = await visitor.request('/sign-in/email', { form: { _csrf: csrfIn(signIn.html)!, email: 'gp@example.org', returnTo: '/' }, follow: false });
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(page.html).toContain('Sorry, the service is unavailable');
    // Liveness is about the process, which is fine.
    expect((await fetch(`${base}/health`)).status).toBe(200);

    await cluster.resume();
    await eventually('/ready to say ready', async () => ((await fetch(`${base}/ready`)).status === 200 ? true : undefined));
    const again = await fetch(`${base}/api/disagreements/BSCP-2026-ZZZZZZ`, { headers: keys.staff });
    expect(again.status).toBe(404);
    expect(api!.alive()).toBe(true);
    expect(api!.output()).not.toMatch(/Unhandled 'error' event/);
    // The worker lived through it as well.
    await worker!.waitForOutput(/"code":"57P01".*dropped a pooled connection/, 10_000);
    expect(worker!.alive()).toBe(true);
  });
});

describe('an API whose Temporal cannot be reached', () => {
  let suite: Suite;
  let connection: Connection;
  let server: Server;
  let base: string;
  let reference: string;
  const links = createLinkSigner(LINK_SECRET);

  beforeAll(async () => {
    suite = await startSuite('pglite');
    connection = connectTemporalForRequests(`127.0.0.1:${await closedPort()}`);
    const temporal = new Client({ connection, dataConverter });
    const app = createApp(await appDepsFor(suite, { temporal, links, publicUrl: 'http://localhost' }));
    const read = await suite.keys.read('bromley');
    Object.assign(keys, { staff: bearer(read), staffBrowser: basic(read), intake: bearer(await suite.keys.intake('bromley')) });
    server = await listen(app, 0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    // A case recorded while Temporal was down (its start is left to the reconciler).
    const checked = validateNewCase(suite, newCase());
    if (!checked.ok) throw new Error('the test case is not valid');
    const opened = await openCase({ db: suite.db, temporal }, checked.body, checked.pack);
    reference = (opened as { reference: string }).reference;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await connection?.close();
    await suite?.close();
  });

  const caseCount = async () => (await suite.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cases')).rows[0].n;

  it('answers 503 with Retry-After on POST /api/disagreements, and writes nothing', async () => {
    const before = await caseCount();
    const res = await fetch(`${base}/api/disagreements`, {
      method: 'POST',
      headers: { ...keys.intake, 'content-type': 'application/json', 'idempotency-key': 'outage-1' },
      body: JSON.stringify(newCase()),
      signal: NO_HANG(),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await res.json()).toMatchObject({ status: 503, detail: expect.stringContaining('workflow service') });
    expect(await caseCount()).toBe(before);
    expect((await suite.db.query('SELECT 1 FROM idempotency_keys')).rows).toEqual([]);
  });

  it('answers the raise form with a 503 page, and writes nothing', async () => {
    const before = await caseCount();
    const raiser = await signedIn(base, suite.mail, 'ann.teacher@example.org');
    const { html } = await raiser.get('/raise/bromley');
    const fields = {
      _csrf: html.match(/name="_csrf" value="([^"]+)"/)![1],
      _submission: html.match(/name="_submission" value="([^"]+)"/)![1],
      'raiser.name': 'Ann Teacher',
      'raiser.email': 'ann.teacher@example.org',
      'raiser.agency': 'hillside-primary',
      'other.name': 'Bob Social-Worker',
      'other.email': 'bob.sw@example.org',
      'other.agency': 'bromley-csc',
      childReference: 'UPN-A123456789012',
      category: 'levels-of-need',
      description: 'School believes the threshold is met.',
      _confirm: 'yes', // past the check-your-answers page
    };
    const res = await raiser.request('/raise/bromley', { form: fields, follow: false });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.html).toContain('it will not be recorded twice');
    expect(await caseCount()).toBe(before);
  });

  it('says on /ready which dependency is down, and stays live on /health', async () => {
    const ready = await fetch(`${base}/ready`, { signal: NO_HANG() });
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await ready.json()).toEqual({ status: 'not ready', checks: { database: 'ok', temporal: 'unavailable' } });
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('answers a decision link with a 503 page, and still shows the case page from the record', async () => {
    // The link as it was sent to the other practitioner before Temporal went away.
    const token = await links.issue({ reference, stage: 1, recipientId: 'other.worker.0', expiresAt: new Date(Date.now() + 3_600_000) });
    await suite.db.query(
      `INSERT INTO notifications (key, reference, kind, stage, recipient_id, recipient_role, email, sent_at) VALUES ($1, $2, 'stageInvitation', 1, 'other.worker.0', 'worker', 'bob.sw@example.org', now())`,
      [`${reference}:outage-test`, reference],
    );
    const bob = await signedIn(base, suite.mail, 'bob.sw@example.org');
    const link = await bob.get(`/respond/${token}`);
    expect(link.status).toBe(503);
    expect(link.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(link.html).toContain('Sorry, the service is unavailable');

    const page = await bob.get(`/cases/${reference}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Not available just now');
  });
});
