/**
 * The append-only record: writing an event onto its case's hash chain, and verifying chains.
 * The hash itself is computed by the database (case_event_hash), so writers and the verifier
 * cannot disagree about it. Every event's hash is signed by the writer (db/recordSigning.ts), so
 * a chain recomputed by someone with database access no longer verifies.
 */
import type { Database, Queryable } from './database';
import { checkSignature, eventMessage, sealMessage, type RecordSigner, type RecordVerifyKeys } from './recordSigning';

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

/** The record cannot be written by a process that does not hold the signing key. */
export class UnsignedWrite extends Error {
  constructor() {
    super('The record can only be written by a process holding the record signing key (RECORD_SIGNING_KEY): the event was not written');
    this.name = 'UnsignedWrite';
  }
}

/**
 * Appends an event; returns false when it was already there (a retry). The database computes its
 * hash; the writer signs that hash (the chain's head at this event) with a key the database never
 * holds. The opening event (seq 0) also seals the case row's immutable fields, in the same
 * transaction as the row.
 */
export async function appendEvent(tx: Queryable, e: NewEvent): Promise<boolean> {
  const signer = tx.recordSigner;
  if (!signer) throw new UnsignedWrite();
  const exists = await tx.query('SELECT 1 FROM case_events WHERE reference = $1 AND seq = $2', [e.reference, e.seq]);
  if (exists.rows.length > 0) return false;
  // Written events never change (append-only), so the one before, once read, stays as read.
  const prev =
    e.seq === 0
      ? `genesis:${e.reference}`
      : (await tx.query<{ hash: string }>('SELECT hash FROM case_events WHERE reference = $1 AND seq = $2', [e.reference, e.seq - 1])).rows[0]?.hash;
  // The event before it is still being written (a retry will find it).
  if (!prev) throw new ChainGap(e.reference, e.seq);
  const params = [prev, e.reference, e.seq, e.type, e.at, e.stage ?? null, e.actor ?? null, JSON.stringify(e.detail)];
  const { rows } = await tx.query<{ hash: string }>(
    'SELECT case_event_hash($1, $2, $3::integer, $4, $5::timestamptz, $6::integer, $7, $8::jsonb) AS hash',
    params,
  );
  const hash = rows[0].hash;
  const inserted = await tx.query(
    `INSERT INTO case_events (reference, seq, type, at, stage, actor, detail, prev_hash, hash, signature, key_id)
     VALUES ($2, $3, $4, $5::timestamptz, $6, $7, $8::jsonb, $1, $9, $10, $11)
     ON CONFLICT (reference, seq) DO NOTHING
     RETURNING seq`,
    [...params, hash, signer.sign(eventMessage(e.reference, e.seq, hash)), signer.keyId],
  );
  // Written meanwhile by another attempt (a retry that overlapped).
  if (inserted.rows.length === 0) return false;
  if (e.seq === 0) await sealCase(tx, e.reference);
  return true;
}

/** Signs the case row's immutable fields as they are now (when the case opens). */
async function sealCase(tx: Queryable, reference: string): Promise<void> {
  const signer = tx.recordSigner!;
  const { rows } = await tx.query<{ digest: string }>('SELECT case_row_digest(c) AS digest FROM cases c WHERE reference = $1', [reference]);
  if (!rows[0]) return;
  await tx.query('INSERT INTO case_seals (reference, digest, signature, key_id) VALUES ($1, $2, $3, $4) ON CONFLICT (reference) DO NOTHING', [
    reference,
    rows[0].digest,
    signer.sign(sealMessage(reference, rows[0].digest)),
    signer.keyId,
  ]);
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

const signatureProblem = {
  unsigned: 'is not signed (written before the record was signed, or by something other than the application)',
  invalid: 'its signature does not match (the chain was rewritten)',
  'unknown key': 'is signed with a key record:verify does not know (add its public key to RECORD_VERIFY_KEYS)',
} as const;

const sealProblem = {
  unsigned: 'the case row’s seal is not signed',
  invalid: 'the case row’s seal does not match its signature (it was forged)',
  'unknown key': 'the case row’s seal is signed with a key record:verify does not know (add its public key to RECORD_VERIFY_KEYS)',
} as const;

/** The last event of each case in the database, for comparing with what Temporal witnessed. */
export interface CaseHead {
  reference: string;
  /** -1 when the case row has no events at all. */
  lastSeq: number;
  status: string;
  startedAt: Date | string | null;
}

export interface RecordVerification {
  cases: number;
  events: number;
  problems: ChainProblem[];
  heads: CaseHead[];
}

/**
 * Everything the database alone can show: each chain's links and hashes (verifyChains), every
 * event's signature of its hash, and every case row's seal over its opening details. Problems
 * about a case as a whole (its row, its seal) carry seq -1.
 */
export async function verifyRecord(db: Database, keys: RecordVerifyKeys, reference?: string): Promise<RecordVerification> {
  const chains = await verifyChains(db, reference);
  const problems = [...chains.problems];
  const { rows: events } = await db.query<{ reference: string; seq: number; hash: string; signature: string | null; key_id: string | null }>(
    'SELECT reference, seq, hash, signature, key_id FROM case_events WHERE $1::text IS NULL OR reference = $1 ORDER BY reference, seq',
    [reference ?? null],
  );
  for (const e of events) {
    const check = checkSignature(keys, e.key_id, eventMessage(e.reference, e.seq, e.hash), e.signature);
    if (check !== 'valid') problems.push({ reference: e.reference, seq: e.seq, problem: signatureProblem[check] });
  }
  const { rows: cases } = await db.query<{
    reference: string;
    digest_now: string;
    digest: string | null;
    signature: string | null;
    key_id: string | null;
    status: string;
    started_at: Date | string | null;
    last_seq: number | null;
  }>(
    `SELECT c.reference, case_row_digest(c) AS digest_now, s.digest, s.signature, s.key_id, c.status,
            c.workflow_started_at AS started_at,
            (SELECT max(seq) FROM case_events e WHERE e.reference = c.reference) AS last_seq
       FROM cases c LEFT JOIN case_seals s ON s.reference = c.reference
      WHERE $1::text IS NULL OR c.reference = $1
      ORDER BY c.reference`,
    [reference ?? null],
  );
  for (const c of cases) {
    if (c.digest === null) {
      problems.push({ reference: c.reference, seq: -1, problem: 'the case row has no seal (opened before the record was signed, or written behind the application’s back)' });
      continue;
    }
    const check = checkSignature(keys, c.key_id, sealMessage(c.reference, c.digest), c.signature);
    if (check !== 'valid') problems.push({ reference: c.reference, seq: -1, problem: sealProblem[check] });
    else if (c.digest !== c.digest_now) problems.push({ reference: c.reference, seq: -1, problem: 'the case row’s opening details (description, child reference, parties, policy) were changed after it opened' });
    if (c.last_seq === null) problems.push({ reference: c.reference, seq: -1, problem: 'the case has no events: its record was removed' });
  }
  const known = new Set(cases.map((c) => c.reference));
  for (const ref of new Set(events.map((e) => e.reference))) if (!known.has(ref)) problems.push({ reference: ref, seq: -1, problem: 'events without a case row' });
  problems.sort((a, b) => a.reference.localeCompare(b.reference) || a.seq - b.seq);
  return {
    cases: chains.cases,
    events: chains.events,
    problems,
    heads: cases.map((c) => ({ reference: c.reference, lastSeq: c.last_seq ?? -1, status: c.status, startedAt: c.started_at })),
  };
}

/**
 * Once, when a deployment upgrades to the signed record (`npm run record:adopt`, as the owner with
 * the signing key): signs every event and seals every case row written before signing existed.
 * Refused while any chain is broken, so a rewrite is never signed into good standing.
 */
export async function adoptUnsignedRecord(owner: Database, signer: RecordSigner): Promise<{ events: number; cases: number }> {
  const broken = await verifyChains(owner);
  if (broken.problems.length > 0) {
    throw new Error(`${broken.problems.length} link(s) of the record are broken (run npm run record:verify): nothing was signed`);
  }
  return owner.transaction(async (tx) => {
    await tx.query('ALTER TABLE case_events DISABLE TRIGGER case_events_append_only');
    const { rows: events } = await tx.query<{ reference: string; seq: number; hash: string }>('SELECT reference, seq, hash FROM case_events WHERE signature IS NULL ORDER BY reference, seq');
    for (const e of events) {
      await tx.query('UPDATE case_events SET signature = $3, key_id = $4 WHERE reference = $1 AND seq = $2', [e.reference, e.seq, signer.sign(eventMessage(e.reference, e.seq, e.hash)), signer.keyId]);
    }
    await tx.query('ALTER TABLE case_events ENABLE TRIGGER case_events_append_only');
    const { rows: cases } = await tx.query<{ reference: string; digest: string }>(
      'SELECT c.reference, case_row_digest(c) AS digest FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_seals s WHERE s.reference = c.reference)',
    );
    for (const c of cases) {
      await tx.query('INSERT INTO case_seals (reference, digest, signature, key_id) VALUES ($1, $2, $3, $4)', [c.reference, c.digest, signer.sign(sealMessage(c.reference, c.digest)), signer.keyId]);
    }
    return { events: events.length, cases: cases.length };
  });
}
