/** The child's-file record is append-only and its hash chain shows any tampering. */
import { appendEvent, verifyChains } from '../../db/record';
import { databaseKinds, freshDatabase } from '../support/databases';
import type { Database } from '../../db/database';

describe.each(databaseKinds)('the append-only record (%s)', (kind) => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await freshDatabase(kind));
  });
  afterAll(async () => {
    await drop?.();
  });

  const openCase = async (reference: string, events: number) => {
    await db.query(
      `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags, opened_at)
       VALUES ($1, 'bromley', '1.5', 'levels-of-need', '{}', '{}', 'X', 'Y', '{}', now())`,
      [reference],
    );
    for (let seq = 0; seq < events; seq++) {
      await db.transaction((tx) => appendEvent(tx, { reference, seq, type: seq === 0 ? 'opened' : 'stageEntered', at: new Date(Date.UTC(2026, 10, 23, 10, seq)).toISOString(), stage: seq || null, detail: { n: seq, text: 'é ünïcödé' } }));
    }
  };

  it('chains every event to the one before and verifies a case and the whole store', async () => {
    await openCase('BSCP-2026-AAAAA1', 4);
    await openCase('BSCP-2026-AAAAA2', 2);
    expect(await verifyChains(db, 'BSCP-2026-AAAAA1')).toEqual({ cases: 1, events: 4, problems: [] });
    expect(await verifyChains(db)).toMatchObject({ cases: 2, events: 6, problems: [] });
    const { rows } = await db.query<{ seq: number; prev_hash: string; hash: string }>('SELECT seq, prev_hash, hash FROM case_events WHERE reference = $1 ORDER BY seq', ['BSCP-2026-AAAAA1']);
    expect(rows[0].prev_hash).toBe('genesis:BSCP-2026-AAAAA1');
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
  });

  it('refuses to update or delete an event', async () => {
    await expect(db.query(`UPDATE case_events SET detail = '{"n": 99}' WHERE reference = 'BSCP-2026-AAAAA1' AND seq = 1`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM case_events WHERE reference = 'BSCP-2026-AAAAA1'`)).rejects.toThrow(/append-only/);
  });

  it('will not write an event before the one it follows, and treats a repeat as done', async () => {
    await expect(db.transaction((tx) => appendEvent(tx, { reference: 'BSCP-2026-AAAAA2', seq: 5, type: 'x', at: new Date().toISOString(), detail: {} }))).rejects.toThrow(/cannot be chained/);
    await expect(db.transaction((tx) => appendEvent(tx, { reference: 'BSCP-2026-AAAAA2', seq: 1, type: 'other', at: new Date().toISOString(), detail: {} }))).resolves.toBe(false);
  });

  it('finds an event altered behind the application’s back', async () => {
    // Someone with the database owner's rights switches the guard off and edits history.
    await db.query('ALTER TABLE case_events DISABLE TRIGGER case_events_append_only');
    await db.query(`UPDATE case_events SET detail = '{"n": 2, "text": "changed"}' WHERE reference = 'BSCP-2026-AAAAA1' AND seq = 2`);
    await db.query(`DELETE FROM case_events WHERE reference = 'BSCP-2026-AAAAA2' AND seq = 0`);
    await db.query('ALTER TABLE case_events ENABLE TRIGGER case_events_append_only');
    const result = await verifyChains(db);
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { reference: 'BSCP-2026-AAAAA1', seq: 2, problem: 'its content does not match its hash (altered)' },
        { reference: 'BSCP-2026-AAAAA2', seq: 1, problem: 'an event is missing before this one' },
      ]),
    );
    expect((await verifyChains(db, 'BSCP-2026-AAAAA1')).problems).toHaveLength(1);
  });
});
