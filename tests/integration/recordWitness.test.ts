/**
 * The attacks a DBA or a stolen owner login can make on the record, each reported by
 * record:verify: on real cases (the API opens them, the worker writes their record) on the suite's
 * Temporal dev server, in PGlite and in PostgreSQL (where the attacker uses the owner's login; the
 * application's own login cannot do any of this, see record.test.ts).
 */
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openDatabase, type Database, type Queryable } from '../../db/database';
import { appendEvent, verifyChains, verifyRecord } from '../../db/record';
import { verifyWholeRecord, type WitnessOptions } from '../../scripts/recordVerification';
import { Client } from '@temporalio/client';
import { DISAGREEMENT_WORKFLOW, recordHead } from '../../shared/contract';
import { TEST_RECORD_KEY, databaseKinds, testRecordVerifyKeys } from '../support/databases';
import { PAYLOAD_KEY, newCase, startSuite, startSystem, waitForEvent, type Running, type Suite } from '../support/system';
import { eventually } from '../support/waits';

const keys = testRecordVerifyKeys;
const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

describe.each(databaseKinds)('record:verify against Temporal’s witness (%s)', (kind) => {
  let suite: Suite;
  let system: Running;
  let witness: WitnessOptions;
  /** The case references, by the attack each will suffer. */
  const cases = {} as Record<'clean' | 'closed' | 'rewritten' | 'shortened' | 'edited', string>;

  /** The owner's login to this suite's database (PGlite has one user: the application's). */
  let ownerUrl: string | undefined;
  const asOwner = async <T>(work: (owner: Database) => Promise<T>): Promise<T> => {
    if (!ownerUrl) return work(suite.db);
    const owner = await openDatabase({ url: ownerUrl });
    try {
      return await work(owner);
    } finally {
      await owner.close();
    }
  };

  const lastSeqInDatabase = async (reference: string) =>
    Number((await suite.db.query<{ last: number }>('SELECT max(seq) AS last FROM case_events WHERE reference = $1', [reference])).rows[0].last);

  beforeAll(async () => {
    suite = await startSuite(kind);
    system = await startSystem(suite);
    witness = { temporal: suite.temporal, taskQueue: system.taskQueue };
    if (kind === 'postgres' && process.env.DATABASE_OWNER_URL) {
      const { rows } = await suite.db.query<{ name: string }>('SELECT current_database() AS name');
      const url = new URL(process.env.DATABASE_OWNER_URL);
      url.pathname = `/${rows[0].name}`;
      ownerUrl = url.toString();
    }
    for (const which of ['clean', 'closed', 'rewritten', 'shortened', 'edited'] as const) {
      const opened = await system.postJson('/api/disagreements', newCase());
      expect(opened.status).toBe(201);
      cases[which] = opened.body.reference;
    }
    // One case is over: its workflow has closed, and still answers for its record.
    await waitForEvent(system, cases.closed, 'stageEntered');
    expect((await system.postJson(`/api/disagreements/${cases.closed}/withdraw`, { reason: 'Agreed between us.' })).status).toBe(200);
    await suite.temporal.workflow.getHandle(cases.closed).result();
    // Each case's workflow has written what its first stage writes, and says so.
    for (const reference of Object.values(cases)) {
      await waitForEvent(system, reference, 'stageEntered');
      await eventually(`${reference}'s workflow to have seen its record written`, async () => {
        const head = await suite.temporal.workflow.getHandle(reference).query(recordHead);
        return head.lastSeq > 0 && head.lastSeq === (await lastSeqInDatabase(reference)) ? true : undefined;
      });
    }
  });
  afterAll(async () => {
    await system?.stop();
    await suite?.close();
  });

  it('vouches for untouched cases: every signature and seal holds, and each workflow agrees', async () => {
    const report = await verifyWholeRecord(suite.db, keys, witness);
    expect(report).toMatchObject({ problems: [], unwitnessed: [], witnessed: 5, cases: 5 });
    expect((await suite.temporal.workflow.getHandle(cases.closed).describe()).status.name).toBe('COMPLETED');
    expect(report.events).toBeGreaterThanOrEqual(10);
  });

  /** The seq of the case's last event, once its workflow has seen it written (its witness has caught up). */
  const caughtUp = (reference: string) =>
    eventually(`${reference}'s workflow to have seen its last event written`, async () => {
      const last = await lastSeqInDatabase(reference);
      return (await suite.temporal.workflow.getHandle(reference).query(recordHead)).lastSeq === last ? last : undefined;
    });

  /**
   * An attack in one owner transaction: switching the guard off locks the table against the
   * worker's writes until it commits, so the attack sees a still record. Gives up (undefined) when
   * the record moved on since `expectedLast`.
   */
  const attack = <T>(reference: string, expectedLast: number | undefined, work: (tx: Queryable, last: number) => Promise<T>) =>
    asOwner((owner) =>
      owner.transaction(async (tx) => {
        await tx.query('ALTER TABLE case_events DISABLE TRIGGER case_events_append_only');
        const last = Number((await tx.query<{ last: number }>('SELECT max(seq) AS last FROM case_events WHERE reference = $1', [reference])).rows[0].last);
        if (expectedLast !== undefined && last !== expectedLast) return undefined;
        const result = await work(tx, last);
        await tx.query('ALTER TABLE case_events ENABLE TRIGGER case_events_append_only');
        return { last, result };
      }),
    );

  it('reports a decision rewritten with its chain recomputed', async () => {
    const reference = cases.rewritten;
    const rewritten = await attack(reference, undefined, async (tx, last) => {
      await tx.query(
        `UPDATE case_events SET type = 'outcomeRecorded', actor = 'raiser.lineManager.0',
                detail = '{"role": "lineManager", "outcome": "resolved", "agreedOutcome": "No further action"}'
          WHERE reference = $1 AND seq = 1`,
        [reference],
      );
      for (let seq = 1; seq <= last; seq++) {
        await tx.query(
          `UPDATE case_events e SET prev_hash = p.hash, hash = case_event_hash(p.hash, e.reference, e.seq, e.type, e.at, e.stage, e.actor, e.detail)
             FROM case_events p WHERE p.reference = e.reference AND p.seq = e.seq - 1 AND e.reference = $1 AND e.seq = $2`,
          [reference, seq],
        );
      }
    });
    const last = rewritten!.last;
    // The hash chain alone no longer sees it: that was the attack that worked.
    expect((await verifyChains(suite.db, reference)).problems.filter((p) => p.seq <= last)).toEqual([]);
    const report = await verifyWholeRecord(suite.db, keys, witness);
    // (Events the worker appends afterwards chain onto the rewritten head, signed: they are not the attack.)
    const found = report.problems.filter((p) => p.reference === reference && p.seq <= last);
    expect(found).toEqual(Array.from({ length: last }, (_, i) => ({ reference, seq: i + 1, problem: 'its content does not match what was signed when it was written (altered, or its chain rewritten)' })));
  });

  it('reports the last event dropped, which no signature in the database can show', async () => {
    const reference = cases.shortened;
    let last: number | undefined;
    while (last === undefined) {
      last = (await attack(reference, await caughtUp(reference), (tx, seq) => tx.query('DELETE FROM case_events WHERE reference = $1 AND seq = $2', [reference, seq])))?.last;
    }
    if ((await lastSeqInDatabase(reference)) > last - 1) {
      // Rare: a write that had read the dropped event before the attack's lock lands after it, and
      // the gap it leaves is what shows. (The test is about the other, usual, case.)
      expect((await verifyRecord(suite.db, keys, reference)).problems).toContainEqual({ reference, seq: last + 1, problem: 'an event is missing before this one' });
      return;
    }
    // What the database alone can show: nothing wrong with this case.
    expect((await verifyRecord(suite.db, keys, reference)).problems).toEqual([]);
    const report = await verifyWholeRecord(suite.db, keys, witness);
    expect(report.problems.filter((p) => p.reference === reference)).toEqual([
      { reference, seq: last, problem: `the record ends at event ${last - 1} but the case's workflow saw event ${last} written: the events after it were removed` },
    ]);
    // One case asked about, as `npm run record:verify -- REFERENCE` does.
    expect((await verifyWholeRecord(suite.db, keys, witness, reference)).problems).toHaveLength(1);
  });

  it('reports a case row whose description and child reference were edited', async () => {
    const reference = cases.edited;
    await asOwner(async (owner) => {
      await owner.query('ALTER TABLE cases DISABLE TRIGGER cases_identity_fixed');
      await owner.query(`UPDATE cases SET description = 'No concerns.', child_reference = 'NONE' WHERE reference = $1`, [reference]);
      await owner.query('ALTER TABLE cases ENABLE TRIGGER cases_identity_fixed');
    });
    const report = await verifyWholeRecord(suite.db, keys, witness);
    expect(report.problems.filter((p) => p.reference === reference)).toEqual([
      { reference, seq: -1, problem: 'the case row’s opening details (description, child reference, parties, policy) were changed after it opened' },
    ]);
  });

  it('says plainly which cases Temporal cannot vouch for (past retention), rather than passing them', async () => {
    // A case in the database whose workflow Temporal no longer holds.
    const reference = 'BSCP-2026-GONE01';
    await suite.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags, opened_at, workflow_started_at)
         VALUES ($1, 'bromley', '1.5', 'levels-of-need', '{}', '{}', 'X', 'Y', '{}', now() - interval '2 years', now() - interval '2 years')`,
        [reference],
      );
      await appendEvent(tx, { reference, seq: 0, type: 'opened', at: new Date().toISOString(), detail: {} });
    });
    const report = await verifyWholeRecord(suite.db, keys, witness);
    expect(report.unwitnessed).toEqual([{ reference, why: expect.stringMatching(/no longer holds its history.*retention/) }]);
    expect(report.problems.filter((p) => p.reference === reference)).toEqual([]);
  });

  const scriptOnServer = kind === 'postgres' ? it : it.skip;
  scriptOnServer('npm run record:verify lists every attack and exits 1 (the script, as operators run it)', async () => {
    const { rows } = await suite.db.query<{ name: string }>('SELECT current_database() AS name');
    const appUrl = new URL(process.env.DATABASE_URL!);
    appUrl.pathname = `/${rows[0].name}`;
    const { DATABASE_OWNER_URL: _owner, ...inherited } = process.env;
    const failed = await run(process.execPath, ['--import', 'tsx', 'scripts/verify-record.ts', '--task-queue', system.taskQueue], {
      cwd: ROOT,
      env: {
        ...inherited,
        DATABASE_URL: appUrl.toString(),
        TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
        PAYLOAD_KEY: PAYLOAD_KEY.toString('base64'),
        // The public key only: the verifier never needs the signing key.
        RECORD_VERIFY_KEYS: createPublicKey(TEST_RECORD_KEY).export({ type: 'spki', format: 'pem' }).toString(),
        RECORD_SIGNING_KEY: '',
      },
    }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${cases.rewritten} event 1: its content does not match what was signed when it was written`);
    expect(failed.stderr).toMatch(new RegExp(`${cases.shortened} event \\d+: the record ends at event \\d+ but the case's workflow saw event \\d+ written`));
    expect(failed.stderr).toContain(`${cases.edited}: the case row’s opening details`);
    expect(failed.stderr).toMatch(/BSCP-2026-GONE01: Temporal no longer holds its history/);
    expect(failed.stderr).not.toContain(cases.clean);
  }, 60_000);

  it('lists a start the workflow refused as not a case, never as a removed record', async () => {
    // Anyone who reaches Temporal can start a workflow without the key: it is refused at once and
    // writes nothing, so its missing row must not read as a truncation.
    const forged = `FORGED-${Date.now()}`;
    const plain = new Client({ connection: suite.temporal.connection });
    const handle = await plain.workflow.start(DISAGREEMENT_WORKFLOW, { taskQueue: system.taskQueue, workflowId: forged, args: [{ reference: forged }] });
    await handle.result().catch(() => undefined);
    const report = await verifyWholeRecord(suite.db, keys, witness);
    expect(report.refusedStarts).toContain(forged);
    expect(report.problems.map((p) => p.reference)).not.toContain(forged);
  });

  it('reports every case Temporal runs when the record is truncated', async () => {
    await asOwner(async (owner) => {
      await owner.transaction(async (tx) => {
        // The owner (a DBA) can skip every trigger; the application's login cannot.
        await tx.query('SET LOCAL session_replication_role = replica');
        await tx.query('TRUNCATE cases CASCADE');
      });
    });
    const report = await verifyWholeRecord(suite.db, keys, witness);
    expect(report.events).toBe(0);
    expect(report.problems).toEqual(
      Object.values(cases)
        .sort()
        .map((reference) => ({ reference, seq: -1, problem: 'Temporal runs this case but the database has no row for it: its record was removed (TRUNCATE or DELETE)' })),
    );
  });
});
