/**
 * Nothing a visitor does to a link touches the workflow: a flood of GETs of one decision link (a
 * mail scanner, a script) leaves the case's Temporal history exactly as it was, is recorded once
 * by the API, and the person's decision through that link still records afterwards.
 */
import { createApp } from '../../api/app';
import { listen } from '../../api/server';
import { linkOpeningsOf } from '../../db/linkOpenings';
import { databaseKinds } from '../support/databases';
import { settledHistoryLength } from '../support/waits';
import { appDepsFor, linkIn, newCase, openLink, toWithSubject, useSystem, waitForEvent, type Running, type Suite } from '../support/system';

// Enough concurrent GETs from two API processes to race the one opening; more only lengthens the suite.
const FLOOD = 2_000;
const CONCURRENCY = 50;
/** The flood is what the rate limit on links would stop (tests/integration/webHardening.test.ts): lifted here to see what it reaches. */
const UNLIMITED_LINKS = { linksPerAddress: 1_000_000, linksPerPerson: 1_000_000 };

/** Another API on the same database, Temporal and task queue, as a second process would be. */
async function secondApi(suite: Suite, system: Running) {
  const app = createApp(await appDepsFor(suite, { publicUrl: system.baseUrl, taskQueue: system.taskQueue, rateLimits: UNLIMITED_LINKS }));
  const server = await listen(app, 0, '127.0.0.1');
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe.each(databaseKinds)('a flood of GETs of one decision link (%s)', (kind) => {
  const ctx = useSystem(kind, [], { rateLimits: UNLIMITED_LINKS });

  it(`leaves the workflow's history unchanged after ${FLOOD} GETs, records one opening, and the decision still records`, async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    expect(opened.status).toBe(201);
    const reference: string = opened.body.reference;
    const invite = await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${reference}: stage 1`)));
    const link = linkIn(invite);
    await waitForEvent(system, reference, 'notified');
    const handle = suite.temporal.workflow.getHandle(reference);
    // Bob signs in (a code to his address) and is on the page: the link's one opening.
    const page = await openLink(link);
    expect(page.status).toBe(200);
    const before = await settledHistoryLength(handle);

    // Two API processes behind one address, as a deployment runs them: each sees the link for the
    // first time, and the record still keeps one opening.
    const second = await secondApi(suite, system);
    const linkTo = (n: number) => (n % 2 === 0 ? link : link.replace(system.baseUrl, second.baseUrl));
    let sent = 0;
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent < FLOOD) {
          // Bob's browser reloading, and anyone else the email reached, who is asked to sign in.
          const n = sent++;
          const res = await fetch(linkTo(n), n % 5 === 4 ? {} : { headers: { cookie: page.visitor.cookieHeader } });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    await second.close();
    expect(Object.fromEntries(statuses)).toEqual({ 200: (FLOOD * 4) / 5, 401: FLOOD / 5 });

    expect((await handle.fetchHistory()).events?.length).toBe(before);
    const openings = await linkOpeningsOf(suite.db, reference);
    expect(openings).toEqual([expect.objectContaining({ stage: 1, recipientId: 'other.worker.0' })]);

    // The person's decision through the same link is recorded as if nothing had happened.
    const decided = await page.submit({ outcome: 'notResolved', reasons: 'Social care still says the threshold is not met.' });
    expect(decided.status).toBe(200);
    expect(decided.html).toContain('not resolved at stage 1');
    await waitForEvent(system, reference, 'outcomeRecorded');
    expect(await linkOpeningsOf(suite.db, reference)).toHaveLength(1);
    await handle.terminate('test finished');
  });
});
