/**
 * The append-only record: writing an event onto its case's hash chain, and verifying chains.
 * The hash itself is computed by the database (case_event_hash), so writers and the verifier
 * cannot disagree about it.
 */
import type { Database, Queryable } from './database';

export interface NewEvent {
  reference: string;
  seq: number;
  type: string;
  at: string;
  stage?: number | null;
  actor?: string | null;
  detail: Record<string, unknown>;
}

/** An event as read back from case_events. */
export interface StoredEvent {
  seq: number;
  type: string;
  at: string | Date;
  stage: number | null;
  actor: string | null;
  detail: Record<string, unknown>;
}

export class ChainGap extends Error {
  constructor(readonly reference: string, readonly seq: number) {
    super(`Event ${seq} of ${reference} cannot be chained before event ${seq - 1} is written`);
    this.name = 'ChainGap';
  }
}

/** Appends an event; returns false when it was already there (a retry). */
export async function appendEvent(tx: Queryable, e: NewEvent): Promise<boolean> {
  const exists = await tx.query('SELECT 1 FROM case_events WHERE reference = $1 AND seq = $2', [e.reference, e.seq]);
  if (exists.rows.length > 0) return false;
  const inserted = await tx.query(
    `WITH prev AS (
       SELECT CASE WHEN $2::integer = 0 THEN 'genesis:' || $1::text
                   ELSE (SELECT hash FROM case_events WHERE reference = $1 AND seq = $2::integer - 1) END AS hash
     )
     INSERT INTO case_events (reference, seq, type, at, stage, actor, detail, prev_hash, hash)
     SELECT $1, $2, $3, $4::timestamptz, $5, $6, $7::jsonb, prev.hash,
            case_event_hash(prev.hash, $1, $2, $3, $4::timestamptz, $5, $6, $7::jsonb)
       FROM prev WHERE prev.hash IS NOT NULL
     ON CONFLICT (reference, seq) DO NOTHING
     RETURNING seq`,
    [e.reference, e.seq, e.type, e.at, e.stage ?? null, e.actor ?? null, JSON.stringify(e.detail)],
  );
  if (inserted.rows.length === 0) {
    const raced = await tx.query('SELECT 1 FROM case_events WHERE reference = $1 AND seq = $2', [e.reference, e.seq]);
    if (raced.rows.length > 0) return false;
    // The event before it is still being written (a retry will find it).
    throw new ChainGap(e.reference, e.seq);
  }
  return true;
}

export interface ChainProblem {
  reference: string;
  seq: number;
  problem: string;
}

/** Checks every link of one case's chain, or of the whole store when no reference is given. */
export async function verifyChains(db: Database, reference?: string): Promise<{ cases: number; events: number; problems: ChainProblem[] }> {
  const { rows } = await db.query<{
    reference: string;
    seq: number;
    hash_ok: boolean;
    link_ok: boolean;
    seq_ok: boolean;
  }>(
    `SELECT reference, seq,
            hash = case_event_hash(prev_hash, reference, seq, type, at, stage, actor, detail) AS hash_ok,
            prev_hash = coalesce(lag(hash) OVER w, 'genesis:' || reference) AS link_ok,
            seq = coalesce(lag(seq) OVER w + 1, 0) AS seq_ok
       FROM case_events
      WHERE $1::text IS NULL OR reference = $1
     WINDOW w AS (PARTITION BY reference ORDER BY seq)
      ORDER BY reference, seq`,
    [reference ?? null],
  );
  const problems: ChainProblem[] = [];
  for (const r of rows) {
    if (!r.seq_ok) problems.push({ reference: r.reference, seq: r.seq, problem: 'an event is missing before this one' });
    if (!r.link_ok) problems.push({ reference: r.reference, seq: r.seq, problem: 'does not follow the hash of the event before it' });
    if (!r.hash_ok) problems.push({ reference: r.reference, seq: r.seq, problem: 'its content does not match its hash (altered)' });
  }
  return { cases: new Set(rows.map((r) => r.reference)).size, events: rows.length, problems };
}
