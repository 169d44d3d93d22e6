/**
 * The child's-file record is append-only, its hash chain shows tampering, and every event and
 * case row is signed with a key the database does not hold. On PostgreSQL the application's own
 * login may not change the record at all; migrations run as a separate owner.
 */
import { openDatabase, type Database } from '../../db/database';
import { adoptUnsignedRecord, appendEvent, verifyChains, verifyRecord } from '../../db/record';
import { generateRecordKey, privateKeyFrom, publicKeysOf } from '../../db/recordSigning';
import { databaseKinds, freshDatabase, testRecordSigner, testRecordVerifyKeys } from '../support/databases';

const keys = testRecordVerifyKeys;
const ALTERED = 'its content does not match what was signed when it was written (altered, or its chain rewritten)';
const EDITED = 'the case row’s opening details (description, child reference, parties, policy) were changed after it opened';

describe.each(databaseKinds)('the append-only record (%s)', (kind) => {
  let db: Database;
  let drop: () => Promise<void>;
  let ownerUrl: string | undefined;
  beforeAll(async () => {
    ({ db, drop, ownerUrl } = await freshDatabase(kind));
  });
  afterAll(async () => {
    await drop?.();
  });

  /** What a DBA or a stolen owner login can do (PGlite has one user: the application's). */
  const asOwner = async <T>(work: (owner: Database) => Promise<T>): Promise<T> => {
    if (!ownerUrl) return work(db);
    const owner = await openDatabase({ url: ownerUrl });
    try {
      return await work(owner);
    } finally {
      await owner.close();
    }
  };

  const openCase = async (reference: string, events: number) => {
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags, opened_at)
         VALUES ($1, 'bromley', '1.5', 'levels-of-need', '{}', '{}', 'X', 'Y', '{}', now())`,
        [reference],
      );
      await appendEvent(tx, { reference, seq: 0, type: 'opened', at: new Date(Date.UTC(2026, 10, 23, 10, 0)).toISOString(), detail: { n: 0 } });
    });
    for (let seq = 1; seq < events; seq++) {
      await db.transaction((tx) => appendEvent(tx, { reference, seq, type: 'stageEntered', at: new Date(Date.UTC(2026, 10, 23, 10, seq)).toISOString(), stage: seq, detail: { n: seq, text: 'é ünïcödé' } }));
    }
  };

  it('chains every event to the one before, signs each, seals the case row, and verifies', async () => {
    await openCase('BSCP-2026-AAAAA1', 4);
    await openCase('BSCP-2026-AAAAA2', 2);
    await openCase('BSCP-2026-AAAAA3', 3);
    await openCase('BSCP-2026-AAAAA4', 3);
    expect(await verifyChains(db, 'BSCP-2026-AAAAA1')).toEqual({ cases: 1, events: 4, problems: [] });
    expect(await verifyRecord(db, keys)).toMatchObject({ cases: 4, events: 12, problems: [] });
    // Read a few events at a time (as a large record is), the chains still link across pages.
    expect(await verifyRecord(db, keys, undefined, { pageSize: 5 })).toEqual(await verifyRecord(db, keys));
    expect(await verifyRecord(db, keys, 'BSCP-2026-AAAAA1', { pageSize: 1 })).toEqual(await verifyRecord(db, keys, 'BSCP-2026-AAAAA1'));
    const { rows } = await db.query<{ seq: number; prev_hash: string; hash: string; signature: string }>(
      'SELECT seq, prev_hash, hash, signature FROM case_events WHERE reference = $1 ORDER BY seq',
      ['BSCP-2026-AAAAA1'],
    );
    expect(rows[0].prev_hash).toBe('genesis:BSCP-2026-AAAAA1');
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
    for (const r of rows) expect(r.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect((await db.query('SELECT 1 FROM case_seals WHERE reference = $1', ['BSCP-2026-AAAAA1'])).rows).toHaveLength(1);
  });

  it('refuses to update, delete or truncate an event, a seal or a case', async () => {
    // The app's login is refused by its rights on PostgreSQL; on PGlite (one user) by the triggers.
    const refused = /append-only|permission denied|opening details/;
    await expect(db.query(`UPDATE case_events SET detail = '{"n": 99}' WHERE reference = 'BSCP-2026-AAAAA1' AND seq = 1`)).rejects.toThrow(refused);
    await expect(db.query(`DELETE FROM case_events WHERE reference = 'BSCP-2026-AAAAA1'`)).rejects.toThrow(refused);
    await expect(db.query('TRUNCATE case_events')).rejects.toThrow(refused);
    await expect(db.query('TRUNCATE case_seals')).rejects.toThrow(refused);
    await expect(db.query(`UPDATE case_seals SET digest = 'x'`)).rejects.toThrow(refused);
    await expect(db.query(`UPDATE cases SET description = 'rewritten' WHERE reference = 'BSCP-2026-AAAAA1'`)).rejects.toThrow(refused);
    await expect(db.query(`DELETE FROM cases WHERE reference = 'BSCP-2026-AAAAA1'`)).rejects.toThrow(refused);
    // The current state is a projection the application keeps: that it may write.
    await expect(db.query(`UPDATE cases SET status = status, stage_name = 'Stage 1' WHERE reference = 'BSCP-2026-AAAAA1'`)).resolves.toBeDefined();
  });

  it('will not write an event before the one it follows, and treats a repeat as done', async () => {
    await expect(db.transaction((tx) => appendEvent(tx, { reference: 'BSCP-2026-AAAAA2', seq: 5, type: 'x', at: new Date().toISOString(), detail: {} }))).rejects.toThrow(/cannot be chained/);
    await expect(db.transaction((tx) => appendEvent(tx, { reference: 'BSCP-2026-AAAAA2', seq: 1, type: 'other', at: new Date().toISOString(), detail: {} }))).resolves.toBe(false);
  });

  it('will not write an event without the signing key', async () => {
    // The same database, as a process without RECORD_SIGNING_KEY sees it.
    const unsigned = { query: db.query.bind(db), exec: db.exec.bind(db) };
    await expect(appendEvent(unsigned, { reference: 'BSCP-2026-AAAAA2', seq: 2, type: 'x', at: new Date().toISOString(), detail: {} })).rejects.toThrow(/signing key/);
    expect((await db.query('SELECT 1 FROM case_events WHERE reference = $1 AND seq = 2', ['BSCP-2026-AAAAA2'])).rows).toEqual([]);
  });

  it('finds an event altered behind the application’s back, and a chain rewritten to match', async () => {
    await asOwner(async (owner) => {
      await owner.query('ALTER TABLE case_events DISABLE TRIGGER case_events_append_only');
      // A careless edit: the hash no longer matches.
      await owner.query(`UPDATE case_events SET detail = '{"n": 2, "text": "changed"}' WHERE reference = 'BSCP-2026-AAAAA1' AND seq = 2`);
      // A careful one: the decision rewritten and every hash from there on recomputed.
      await owner.query(`UPDATE case_events SET type = 'outcomeRecorded', detail = '{"outcome": "resolved", "agreedOutcome": "No further action"}' WHERE reference = 'BSCP-2026-AAAAA3' AND seq = 1`);
      for (const seq of [1, 2]) {
        await owner.query(
          `UPDATE case_events e SET prev_hash = p.hash, hash = case_event_hash(p.hash, e.reference, e.seq, e.type, e.at, e.stage, e.actor, e.detail)
             FROM case_events p WHERE p.reference = e.reference AND p.seq = e.seq - 1 AND e.reference = 'BSCP-2026-AAAAA3' AND e.seq = $1`,
          [seq],
        );
      }
      await owner.query(`DELETE FROM case_events WHERE reference = 'BSCP-2026-AAAAA2' AND seq = 0`);
      await owner.query('ALTER TABLE case_events ENABLE TRIGGER case_events_append_only');
    });
    // The chain alone is fooled by the careful rewrite...
    expect((await verifyChains(db, 'BSCP-2026-AAAAA3')).problems).toEqual([]);
    // ...the signatures are not.
    const result = await verifyRecord(db, keys);
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { reference: 'BSCP-2026-AAAAA1', seq: 2, problem: ALTERED },
        { reference: 'BSCP-2026-AAAAA2', seq: 1, problem: 'an event is missing before this one' },
        { reference: 'BSCP-2026-AAAAA2', seq: 1, problem: 'does not follow the hash of the event before it' },
        { reference: 'BSCP-2026-AAAAA3', seq: 1, problem: ALTERED },
        { reference: 'BSCP-2026-AAAAA3', seq: 2, problem: ALTERED },
      ]),
    );
    expect((await verifyRecord(db, keys, 'BSCP-2026-AAAAA3')).problems.map((p) => p.seq)).toEqual([1, 2]);
  });

  it('finds a case row whose description was edited after it opened', async () => {
    await asOwner(async (owner) => {
      await owner.query('ALTER TABLE cases DISABLE TRIGGER cases_identity_fixed');
      await owner.query(`UPDATE cases SET description = 'Nothing to worry about', child_reference = 'Z' WHERE reference = 'BSCP-2026-AAAAA4'`);
      await owner.query('ALTER TABLE cases ENABLE TRIGGER cases_identity_fixed');
    });
    expect((await verifyRecord(db, keys, 'BSCP-2026-AAAAA4')).problems).toEqual([{ reference: 'BSCP-2026-AAAAA4', seq: -1, problem: EDITED }]);
  });

  it('signs what it wrote, as it reads back: times finer than a millisecond, any key order, numbers, missing stage and actor', async () => {
    const reference = 'BSCP-2026-AAAAA6';
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags, opened_at, workflow_input)
         VALUES ($1, 'bromley', '1.5', 'levels-of-need', $2, '{"z": 1, "a": [0.1, 1e21, -0]}', 'X', 'Ünïcödé 🙂 "quoted"', '{}', now(), $3)`,
        [reference, { name: 'A', role: 'sw', nested: { b: 2, a: 1 } }, JSON.stringify({ startAtStage: 1, when: null })],
      );
      await appendEvent(tx, { reference, seq: 0, type: 'opened', at: '2026-11-23T10:00:00.123456Z', detail: { z: { y: 1, x: [3, { b: 1.5e-7, a: 'é' }] }, a: -0, big: 1e21, gone: undefined } });
    });
    await db.transaction((tx) => appendEvent(tx, { reference, seq: 1, type: 'note', at: '2026-11-23T11:00:00+01:00', stage: null, actor: undefined, detail: { text: 'line\nbreak\ttab \u2028 lone \ud800 surrogate' } }));
    await db.transaction((tx) => appendEvent(tx, { reference, seq: 2, type: 'stageEntered', at: new Date(Date.UTC(2026, 10, 23, 10, 5)).toISOString(), stage: 2, actor: 'system', detail: {} }));
    expect((await verifyRecord(db, keys, reference)).problems).toEqual([]);
    const { rows } = await db.query<{ at: Date }>('SELECT at FROM case_events WHERE reference = $1 ORDER BY seq', [reference]);
    expect(rows.map((r) => new Date(r.at).toISOString())).toEqual(['2026-11-23T10:00:00.123Z', '2026-11-23T10:00:00.000Z', '2026-11-23T10:05:00.000Z']);
  });

  it('will not write an event the database would give back differently (refused, not found later)', async () => {
    await expect(db.transaction((tx) => appendEvent(tx, { reference: 'BSCP-2026-AAAAA6', seq: 3, type: 'note', at: 'not a time', detail: {} }))).rejects.toThrow(/not a point in time/);
    expect((await db.query('SELECT 1 FROM case_events WHERE reference = $1 AND seq = 3', ['BSCP-2026-AAAAA6'])).rows).toEqual([]);
  });

  // The tester's attack: the owner rewrites an outcome and its actor and a case's description, then
  // redefines the database's own hash and digest functions to give the old values back. record:verify
  // computes every digest itself, so the functions' answers do not matter to it.
  it('finds content rewritten by the owner even when the database’s hash and digest functions are redefined to hide it', async () => {
    const reference = 'BSCP-2026-AAAAA5';
    await openCase(reference, 2);
    await db.transaction((tx) =>
      appendEvent(tx, { reference, seq: 2, type: 'outcomeRecorded', at: new Date(Date.UTC(2026, 10, 23, 11, 0)).toISOString(), stage: 1, actor: 'raiser.lineManager.0', detail: { role: 'lineManager', outcome: 'resolved' } }),
    );
    expect((await verifyRecord(db, keys, reference)).problems).toEqual([]);
    const original = await asOwner(async (owner) =>
      (await owner.query<{ sql: string }>(`SELECT pg_get_functiondef(p.oid) AS sql FROM pg_proc p WHERE p.proname IN ('case_event_hash', 'case_row_digest')`)).rows.map((r) => r.sql),
    );
    expect(original).toHaveLength(2);
    try {
      await asOwner(async (owner) => {
        await owner.query('ALTER TABLE case_events DISABLE TRIGGER USER');
        await owner.query(
          `UPDATE case_events SET detail = jsonb_set(detail, '{outcome}', '"notResolved"'), actor = 'someone-else' WHERE reference = $1 AND type = 'outcomeRecorded'`,
          [reference],
        );
        await owner.query('ALTER TABLE case_events ENABLE TRIGGER USER');
        await owner.query('ALTER TABLE cases DISABLE TRIGGER USER');
        await owner.query(`UPDATE cases SET description = 'Nothing to worry about' WHERE reference = $1`, [reference]);
        await owner.query('ALTER TABLE cases ENABLE TRIGGER USER');
        // The stored hash for rows that exist, the stored seal for cases that have one.
        await owner.query(`CREATE OR REPLACE FUNCTION case_event_hash(prev text, reference text, seq integer, type text, at timestamptz, stage integer, actor text, detail jsonb)
          RETURNS text LANGUAGE sql IMMUTABLE AS $$
            SELECT coalesce((SELECT e.hash FROM case_events e WHERE e.reference = case_event_hash.reference AND e.seq = case_event_hash.seq),
              encode(sha256(convert_to(concat_ws('|', prev, reference, seq::text, type, ((extract(epoch FROM at) * 1000)::bigint)::text,
                coalesce(stage::text, ''), coalesce(actor, ''), detail::text), 'UTF8')), 'hex'))
          $$`);
        await owner.query(`CREATE OR REPLACE FUNCTION case_row_digest(c cases) RETURNS text LANGUAGE sql IMMUTABLE AS $$
            SELECT coalesce((SELECT s.digest FROM case_seals s WHERE s.reference = c.reference), 'x')
          $$`);
      });
      // What the database computes now vouches for the rewrite...
      expect((await verifyChains(db, reference)).problems).toEqual([]);
      const { rows } = await db.query<{ same: boolean }>('SELECT case_row_digest(c) = s.digest AS same FROM cases c JOIN case_seals s USING (reference) WHERE c.reference = $1', [reference]);
      expect(rows[0].same).toBe(true);
      // ...record:verify does not ask it.
      expect((await verifyRecord(db, keys, reference)).problems).toEqual([
        { reference, seq: -1, problem: EDITED },
        { reference, seq: 2, problem: ALTERED },
      ]);
    } finally {
      await asOwner(async (owner) => {
        for (const sql of original) await owner.query(sql);
      });
    }
  });

  it('names events signed with a key it does not know', async () => {
    const other = publicKeysOf(privateKeyFrom(generateRecordKey()));
    const { problems } = await verifyRecord(db, other, 'BSCP-2026-AAAAA4');
    expect(problems).toContainEqual({ reference: 'BSCP-2026-AAAAA4', seq: 0, problem: expect.stringMatching(/key record:verify does not know/) });
  });
});

describe.each(databaseKinds)('a record written before it was signed (%s)', (kind) => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    fresh = await freshDatabase(kind);
  });
  afterAll(async () => {
    await fresh?.drop();
  });
  const asOwner = async <T>(work: (owner: Database) => Promise<T>): Promise<T> => {
    if (!fresh.ownerUrl) return work(fresh.db);
    const owner = await openDatabase({ url: fresh.ownerUrl });
    try {
      return await work(owner);
    } finally {
      await owner.close();
    }
  };

  it('is named unsigned by record:verify, and signed once by record:adopt (refused while a chain is broken)', async () => {
    // As the code before signing wrote it: chained, unsigned, no seal.
    await asOwner(async (owner) => {
      for (const reference of ['BSCP-2025-OLD001', 'BSCP-2025-OLD002']) {
        await owner.query(
          `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags, opened_at)
           VALUES ($1, 'bromley', '1.4', 'levels-of-need', '{}', '{}', 'X', 'Y', '{}', now() - interval '1 year')`,
          [reference],
        );
        for (const seq of [0, 1]) {
          await owner.query(
            `INSERT INTO case_events (reference, seq, type, at, detail, prev_hash, hash)
             SELECT $1, $2, 'x', now(), '{}', p.prev, case_event_hash(p.prev, $1, $2, 'x', now(), NULL, NULL, '{}')
               FROM (SELECT coalesce((SELECT hash FROM case_events WHERE reference = $1 AND seq = $2 - 1), 'genesis:' || $1) AS prev) p`,
            [reference, seq],
          );
        }
      }
    });
    const before = await verifyRecord(fresh.db, keys);
    expect(before.problems).toHaveLength(6);
    expect(before.problems.filter((p) => /is not signed/.test(p.problem))).toHaveLength(4);
    expect(before.problems.filter((p) => /has no seal/.test(p.problem))).toHaveLength(2);

    // A broken chain is never signed into good standing.
    await asOwner((owner) =>
      owner.transaction(async (tx) => {
        await tx.query('ALTER TABLE case_events DISABLE TRIGGER case_events_append_only');
        await tx.query(`UPDATE case_events SET detail = '{"changed": true}' WHERE reference = 'BSCP-2025-OLD002' AND seq = 1`);
        await tx.query('ALTER TABLE case_events ENABLE TRIGGER case_events_append_only');
      }),
    );
    await expect(asOwner((owner) => adoptUnsignedRecord(owner, testRecordSigner))).rejects.toThrow(/broken.*nothing was signed/);
    await asOwner((owner) =>
      owner.transaction(async (tx) => {
        await tx.query('ALTER TABLE case_events DISABLE TRIGGER case_events_append_only');
        await tx.query(`UPDATE case_events SET detail = '{}' WHERE reference = 'BSCP-2025-OLD002' AND seq = 1`);
        await tx.query('ALTER TABLE case_events ENABLE TRIGGER case_events_append_only');
      }),
    );

    await expect(asOwner((owner) => adoptUnsignedRecord(owner, testRecordSigner))).resolves.toEqual({ events: 4, cases: 2 });
    expect((await verifyRecord(fresh.db, keys)).problems).toEqual([]);
    await expect(asOwner((owner) => adoptUnsignedRecord(owner, testRecordSigner))).resolves.toEqual({ events: 0, cases: 0 });
  });
});

const onServer = process.env.DATABASE_URL && process.env.DATABASE_OWNER_URL ? describe : describe.skip;

onServer('the application’s login on PostgreSQL', () => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await freshDatabase('postgres'));
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags, opened_at)
         VALUES ('BSCP-2026-BBBBB1', 'bromley', '1.5', 'levels-of-need', '{}', '{}', 'X', 'Y', '{}', now())`,
      );
      await appendEvent(tx, { reference: 'BSCP-2026-BBBBB1', seq: 0, type: 'opened', at: new Date().toISOString(), detail: {} });
    });
  });
  afterAll(async () => {
    await drop?.();
  });

  it('is not the owner and not a superuser', async () => {
    const { rows } = await db.query<{ me: string; superuser: boolean; owner: string }>(
      `SELECT current_user AS me, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
              (SELECT tableowner FROM pg_tables WHERE tablename = 'case_events') AS owner`,
    );
    expect(rows[0].superuser).toBe(false);
    expect(rows[0].owner).not.toBe(rows[0].me);
  });

  it.each([
    ['switch the record’s guard off', 'ALTER TABLE case_events DISABLE TRIGGER case_events_append_only', /must be owner/],
    ['switch every trigger off', 'ALTER TABLE case_events DISABLE TRIGGER ALL', /must be owner/],
    ['drop the guard', 'DROP TRIGGER case_events_append_only ON case_events', /must be owner/],
    ['switch the case row’s guard off', 'ALTER TABLE cases DISABLE TRIGGER cases_identity_fixed', /must be owner/],
    ['update an event', `UPDATE case_events SET detail = '{}'`, /permission denied for table case_events/],
    ['delete an event', 'DELETE FROM case_events', /permission denied for table case_events/],
    ['truncate the record', 'TRUNCATE case_events', /permission denied for table case_events/],
    ['truncate the seals', 'TRUNCATE case_seals', /permission denied for table case_seals/],
    ['delete a seal', 'DELETE FROM case_seals', /permission denied for table case_seals/],
    ['truncate the cases', 'TRUNCATE cases CASCADE', /permission denied for table cases/],
    ['delete a case', 'DELETE FROM cases', /permission denied for table cases/],
    ['edit a case’s description', `UPDATE cases SET description = 'x'`, /permission denied for table cases/],
    ['edit a case’s child reference', `UPDATE cases SET child_reference = 'x'`, /permission denied for table cases/],
    ['skip triggers by replication role', 'SET session_replication_role = replica', /permission denied/],
    ['redefine the hash', `CREATE OR REPLACE FUNCTION case_event_hash(prev text, reference text, seq integer, type text, at timestamptz, stage integer, actor text, detail jsonb) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$`, /must be owner|permission denied/],
  ])('may not %s', async (_what, sql, refusal) => {
    await expect(db.query(sql)).rejects.toThrow(refusal);
  });

  it('still does its own work: appends events, keeps the case’s current state, sessions and codes', async () => {
    await expect(db.transaction((tx) => appendEvent(tx, { reference: 'BSCP-2026-BBBBB1', seq: 1, type: 'stageEntered', at: new Date().toISOString(), stage: 1, detail: {} }))).resolves.toBe(true);
    await db.query(`UPDATE cases SET status = 'resolved', closed_at = now(), current_stage = 1 WHERE reference = 'BSCP-2026-BBBBB1'`);
    await db.query(`INSERT INTO sessions (sid_hash, data, expires_at) VALUES ('h', '{}', now())`);
    await db.query(`UPDATE sessions SET expires_at = now() WHERE sid_hash = 'h'`);
    await db.query(`DELETE FROM sessions WHERE sid_hash = 'h'`);
    expect((await verifyRecord(db, keys)).problems).toEqual([]);
  });
});
