/**
 * The fault scenarios, as a table. Each opens its own cases, injects its fault, and drives every
 * case it meant to open to a known end (stage 1 runs out, the raiser's manager records "resolved"
 * at stage 2), so the emails each case should send are known (pack.ts, expectedMails).
 */
import { randomUUID } from 'node:crypto';
import { describeAttempts, flood, linkIn, postUntilCreated } from './client';
import { workflowStatus, type Scenario, type ScenarioRun } from './harness';
import { RAISER_MANAGER, newCaseBody } from './pack';
import { ownerOfConnection, sleep, waitFor } from './processes';
import type { HeldData } from './smtp';

/** How long the SMTP server holds back its 250 while the sending worker is killed. */
const HOLD_MS = 5_000;

const workerKillMidSend: Scenario = {
  id: 'worker-kill',
  title: 'a worker SIGKILLed while it sends a stage-1 invitation',
  quick: true,
  async run(r) {
    let held: HeldData | undefined;
    // Both invitations are held, so the killed worker has none that got its 250 but was not yet
    // marked sent (that window, a crash after the hand-off, is a resend by design: same Message-ID).
    r.dep.smtp.holdData((to) => to.includes(r.people.raiser) || to.includes(r.people.other), HOLD_MS, (h) => (held ??= h), 2);
    const c = await r.open();
    const sending = await waitFor('a stage-1 invitation on the wire', () => held, r.d.stepTimeoutMs);
    const workers = r.dep.workers;
    const owner = ownerOfConnection(sending.clientPort, workers.map((w) => w.pid).filter((p): p is number => p !== undefined));
    const victim = workers.find((w) => w.pid === owner) ?? workers[0];
    const pid = victim.pid;
    await victim.kill();
    r.inject(
      `SIGKILL ${victim.name} (pid ${pid}) while it sent "${sending.subject}" to ${sending.to.join(', ')} ` +
        `(the server held its 250 back; ${owner ? 'sender found by its socket' : 'sender not found, killed the first worker'})`,
    );
    await sleep(2_000);
    await victim.start();
    r.note(`${victim.name} started again (pid ${victim.pid})`);
    await r.resolveAtStage2(c);
  },
};

const temporalKill: Scenario = {
  id: 'temporal-kill',
  title: 'the Temporal server SIGKILLed mid-stage and started again on the same port and state',
  quick: false,
  async run(r) {
    const cases = [await r.open('case 1'), await r.open('case 2')];
    for (const c of cases) for (const to of [r.people.raiser, r.people.other]) await r.mailTo(c, to, 'invitation', 1, r.d.stepTimeoutMs);
    const pid = r.dep.temporalServer.pid;
    await r.dep.temporalServer.kill();
    r.inject(`SIGKILL Temporal (pid ${pid}) with ${cases.length} cases inside stage 1; down ${r.d.temporalDownMs / 1000} s, while a client opens a third case`);
    const started = Date.now();
    // An agency system opens a case during the outage and resends (same key) until it gets a 201.
    const third = r.intend('case 3, opened during the outage');
    const resending = postUntilCreated(r.dep.baseUrl, r.dep.intakeKey, newCaseBody(r.tag, `${r.tag}-outage`), randomUUID(), {
      firstTimeoutMs: 5_000,
      maxTimeoutMs: 30_000,
      pauseMs: 1_000,
      giveUpAfterMs: r.d.temporalDownMs + r.d.stepTimeoutMs,
    });
    await sleep(Math.max(0, r.d.temporalDownMs - (Date.now() - started)));
    await r.dep.temporalServer.start();
    r.inject(`Temporal started again (pid ${r.dep.temporalServer.pid}) on the same port and database file`);
    const opened = await resending;
    third.reference = opened.created?.reference;
    r.check('the case opened during the outage got its 201', Boolean(opened.created), describeAttempts(opened.attempts));
    await Promise.all(r.cases.map((c) => r.resolveAtStage2(c)));
  },
};

const smtpDown: Scenario = {
  id: 'smtp-down',
  title: 'the SMTP server down (connections refused) while cases open',
  quick: true,
  async run(r) {
    await r.dep.smtp.down();
    r.inject(`SMTP server down for ${r.d.smtpDownMs / 1000} s (listening socket closed, open sessions cut)`);
    const started = Date.now();
    const cases = [await r.open('case 1'), await r.open('case 2')];
    await sleep(Math.max(0, r.d.smtpDownMs - (Date.now() - started)));
    await r.dep.smtp.upAgain();
    r.inject('SMTP server listening again on the same port');
    await Promise.all(cases.map((c) => r.resolveAtStage2(c)));
  },
};

const smtpRefuses: Scenario = {
  id: 'smtp-refuses',
  title: 'the SMTP server permanently refuses one recipient (550 5.1.1 at RCPT TO)',
  quick: true,
  async run(r) {
    r.dep.smtp.refuse(r.people.other);
    r.inject(`every RCPT TO <${r.people.other}> (the other practitioner) answered 550 5.1.1`);
    const c = await r.open('case 1', [r.people.other]);
    await r.resolveAtStage2(c);
  },
  async verify(r) {
    const c = r.cases[0];
    if (!c?.reference) return;
    const { rows } = await r.dep.pool.query<{ type: string; n: string }>(
      'SELECT type, count(*) AS n FROM case_events WHERE reference = $1 GROUP BY type ORDER BY type',
      [c.reference],
    );
    const failures = rows.filter((row) => /deliver/i.test(row.type) && /fail|refus|bounce/i.test(row.type));
    r.check(
      'the refusal is recorded as a delivery-failure event',
      failures.length > 0,
      failures.length > 0 ? failures.map((f) => `${f.type} x${f.n}`).join(', ') : `record has only: ${rows.map((x) => x.type).join(', ')}`,
    );
    const refusals = r.dep.smtp.refusals.filter((x) => x.address === r.people.other).length;
    r.note(`the SMTP server refused ${refusals} RCPT TO for ${r.people.other}`);
  },
};

const postgresRestart: Scenario = {
  id: 'postgres-restart',
  title: 'PostgreSQL restarted (fast shutdown) while the worker and API pools hold connections',
  quick: true,
  async run(r) {
    const cases = [await r.open('case 1'), await r.open('case 2')];
    // Inside stage 1, just after the workers wrote to the record: their pools hold connections.
    await waitFor(
      'the stage-1 invitations recorded',
      async () => {
        const { rows } = await r.dep.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM case_events WHERE reference = ANY($1) AND type = 'notified' AND stage = 1`,
          [cases.map((c) => c.reference)],
        );
        return Number(rows[0].n) >= cases.length;
      },
      r.d.stepTimeoutMs,
    );
    // And the API's pool: a few concurrent reads leave several idle connections in it.
    await Promise.all(
      cases.flatMap((c) => [1, 2, 3].map(() => fetch(`${r.dep.baseUrl}/api/disagreements/${c.reference}`, { headers: { authorization: `Bearer ${r.dep.readKey}` } }).then((res) => res.arrayBuffer()))),
    );
    await r.dep.pg.restart(r.d.postgresDownMs);
    r.inject(`PostgreSQL fast shutdown (every session terminated, 57P01), started again after ${r.d.postgresDownMs / 1000} s`);
    await sleep(3_000);
    const crashed = r.dep.crashesSince(r.startedAt).map((c) => c.process);
    r.note(crashed.length ? `crashed after the restart: ${crashed.join(', ')} (restarted by the harness)` : 'no process exited');
    await Promise.all(cases.map((c) => r.resolveAtStage2(c)));
  },
};

interface ResendRound {
  /** 'none': the API is not restarted, only slow (the client still times out and resends). */
  signal: 'SIGKILL' | 'SIGTERM' | 'none';
  /** How long after the client's first POST left the API gets its signal. */
  afterMs: number;
  /**
   * Hold the database up for this long from just before the first POST (the harness takes an
   * exclusive lock on `cases`, as a long migration or a VACUUM FULL would), so the signal lands
   * while that POST is surely in flight, and the client surely times out and resends.
   */
  holdDatabaseMs?: number;
}

const apiRestartResend = (rounds: { full: ResendRound[]; quick: ResendRound[] }): Scenario => ({
  id: 'api-resend',
  title: 'the API restarted (or slow) while a client resends the same POST (same Idempotency-Key) until it gets a 201',
  quick: true,
  async run(r) {
    const plan = r.d.mode === 'full' ? rounds.full : rounds.quick;
    for (const [i, round] of plan.entries()) {
      const c = r.intend(`request ${i + 1}`);
      const body = newCaseBody(r.tag, `${r.tag}-r${i + 1}`);
      const key = randomUUID();
      const lock = round.holdDatabaseMs ? await r.dep.pool.connect() : undefined;
      if (lock) {
        await lock.query('BEGIN');
        await lock.query('LOCK TABLE cases IN EXCLUSIVE MODE');
      }
      let sent!: () => void;
      const firstSent = new Promise<void>((resolve) => (sent = resolve));
      // An agency system with a short timeout that backs off: 250 ms, then 500 ms, ... up to 8 s.
      const resending = postUntilCreated(r.dep.baseUrl, r.dep.intakeKey, body, key, {
        firstTimeoutMs: 250,
        maxTimeoutMs: 8_000,
        pauseMs: 200,
        giveUpAfterMs: r.d.stepTimeoutMs,
        onAttempt: (n) => n === 1 && sent(),
      });
      await firstSent;
      const released = lock
        ? sleep(round.holdDatabaseMs!).then(async () => {
            await lock.query('COMMIT').catch(() => {});
            lock.release();
          })
        : Promise.resolve();
      await sleep(round.afterMs);
      const pid = r.dep.api.pid;
      const held = lock ? `the database held up (exclusive lock on cases) for ${round.holdDatabaseMs} ms from just before the client's first POST` : '';
      if (round.signal === 'none') {
        r.inject(`request ${i + 1}: no restart; ${held}`);
        await released;
      } else {
        if (round.signal === 'SIGKILL') await r.dep.api.kill();
        else r.dep.api.signal('SIGTERM');
        r.inject(`request ${i + 1}: ${round.signal} to the API (pid ${pid}) ${round.afterMs} ms after the client's first POST${held ? `; ${held}` : ''}`);
        if (!(await r.dep.api.waitForExit(15_000 + (round.holdDatabaseMs ?? 0)))) await r.dep.api.kill();
        await released;
        await r.dep.api.start();
        r.note(`request ${i + 1}: API started again (pid ${r.dep.api.pid})`);
      }
      const result = await resending;
      r.check(`request ${i + 1} got its 201`, Boolean(result.created), `${result.attempts.length} attempts: ${describeAttempts(result.attempts)}`);
      c.reference = result.created?.reference;
    }
    for (const c of r.cases) await r.resolveAtStage2(c);
  },
  async verify(r) {
    for (const [i, c] of r.cases.entries()) {
      const { rows } = await r.dep.pool.query<{ reference: string }>('SELECT reference FROM cases WHERE child_reference = $1 ORDER BY opened_at', [`${r.tag}-r${i + 1}`]);
      r.check(`request ${i + 1} opened exactly one case`, rows.length === 1, `${rows.length} case(s): ${rows.map((x) => x.reference).join(', ') || 'none'}${c.reference ? `; the client was given ${c.reference}` : ''}`);
    }
  },
});

const linkFlood: Scenario = {
  id: 'link-flood',
  title: 'a flood of GETs of one decision link, then the decision through it',
  quick: true,
  async run(r) {
    const c = await r.open();
    const invite = await r.mailTo(c, RAISER_MANAGER, 'invitation', 2, r.d.stage1Ms + r.d.stepTimeoutMs);
    const link = invite && linkIn(invite.text);
    if (!link || !c.reference) return;
    const reference = c.reference;
    // The case is waiting on its stage-2 timer: its history must stay still.
    const before = await waitFor(
      'a still history',
      async () => {
        const a = await workflowStatus(r.dep, reference);
        await sleep(1_500);
        const b = await workflowStatus(r.dep, reference);
        return a && b && a.historyLength === b.historyLength ? b.historyLength : undefined;
      },
      r.d.stepTimeoutMs,
      0,
    );
    const started = Date.now();
    const statuses = await flood(link, r.d.floodGets, r.d.floodConcurrency);
    const seconds = (Date.now() - started) / 1000;
    const answered = [...statuses.entries()].map(([status, n]) => `${n} x ${status || 'no answer'}`).join(', ');
    r.inject(`${r.d.floodGets} GETs of ${reference}'s stage-2 link, ${r.d.floodConcurrency} at a time, in ${seconds.toFixed(1)} s: ${answered}`);
    await sleep(2_000);
    const after = await workflowStatus(r.dep, reference);
    const growth = after ? after.historyLength - before : NaN;
    r.check('the GETs left the workflow history unchanged', growth === 0, `history ${before} -> ${after?.historyLength ?? 'unreadable'} events (${growth >= 0 ? '+' : ''}${growth})`);
    const decision = await r.resolveAtStage2(c, link);
    r.check('the decision through the flooded link was recorded', Boolean(decision?.recorded), decision?.detail ?? `answered ${decision?.status}`);
    if (decision?.recorded) {
      r.check(`the decision was recorded in under ${r.d.slowDecisionMs} ms`, decision.confirmMs < r.d.slowDecisionMs, `${decision.confirmMs} ms for the confirming POST`, { timing: true });
    }
  },
};

export const SCENARIOS: Scenario[] = [
  workerKillMidSend,
  temporalKill,
  smtpDown,
  smtpRefuses,
  postgresRestart,
  apiRestartResend({
    full: [
      // Before the request reaches the API; while it is held up in the database (no restart,
      // a graceful restart, a crash); and inside an unhindered open.
      { signal: 'SIGKILL', afterMs: 0 },
      { signal: 'none', afterMs: 0, holdDatabaseMs: 2_000 },
      { signal: 'SIGTERM', afterMs: 100, holdDatabaseMs: 2_000 },
      { signal: 'SIGKILL', afterMs: 100, holdDatabaseMs: 2_000 },
      { signal: 'SIGKILL', afterMs: 25 },
    ],
    quick: [
      { signal: 'none', afterMs: 0, holdDatabaseMs: 2_000 },
      { signal: 'SIGKILL', afterMs: 100, holdDatabaseMs: 2_000 },
    ],
  }),
  linkFlood,
];

export function selectScenarios(mode: 'full' | 'quick', only?: string[]): Scenario[] {
  const chosen = SCENARIOS.filter((s) => (only?.length ? only.includes(s.id) : mode === 'full' || s.quick));
  const unknown = (only ?? []).filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`Unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  return chosen;
}

export type { ScenarioRun };
