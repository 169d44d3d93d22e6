/**
 * The append-only record: writing an event onto its case's hash chain, and verifying the record.
 * The database keeps its own chain (case_event_hash) for its own consistency, but nothing it
 * computes is trusted: the writer signs a digest it computes in Node from the event's content
 * (db/recordSigning.ts), and the verifier recomputes that digest, the chain's links and every case
 * row's seal digest in Node from the rows it reads. Someone who owns the database can rewrite rows
 * and redefine its functions; they cannot make a rewritten row match its signature.
 */
import type { Database, Queryable } from './database';
import {
  CASE_CONTENT_COLUMNS,
  RecordContentError,
  caseDigest,
  checkSignature,
  eventDigest,
  eventMessage,
  isoInstant,
  sealMessage,
  type CaseContent,
  type RecordSigner,
  type RecordVerifyKeys,
} from './recordSigning';

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

/** Text with any lone UTF-16 surrogate replaced by U+FFFD (String.prototype.toWellFormed, Node 20; not in the ES2022 typings). */
const wellFormed = (text: string): string => (text as string & { toWellFormed(): string }).toWellFormed();

/**
 * Appends an event; returns false when it was already there (a retry). The writer signs the digest
 * of the event's content, computed here (eventDigest), with a key the database never holds. The
 * opening event (seq 0) also seals the case row's immutable fields, in the same transaction as the
 * row.
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
  // What is written is what is signed: the instant in milliseconds (as it reads back), the detail as
  // JSON carries it, text as UTF-8 can carry it (a lone surrogate becomes U+FFFD, as on its way in).
  const at = isoInstant(e.at);
  const detail = JSON.parse(JSON.stringify(e.detail), (_key, value: unknown) => (typeof value === 'string' ? wellFormed(value) : value)) as Record<string, unknown>;
  const type = wellFormed(e.type);
  const actor = e.actor == null ? null : wellFormed(e.actor);
  const params = [prev, e.reference, e.seq, type, at, e.stage ?? null, actor, JSON.stringify(detail)];
  // The database's own chain hash, and each value as the database will store it: a value that would
  // come back different (a lost character, a finer instant) is refused here, not found by record:verify.
  const { rows } = await tx.query<{ hash: string; reference: string; seq: number; type: string; at: Date | string; stage: number | null; actor: string | null; detail: unknown }>(
    `SELECT case_event_hash($1, $2, $3::integer, $4, $5::timestamptz, $6::integer, $7, $8::jsonb) AS hash,
            $2::text AS reference, $3::integer AS seq, $4::text AS type, $5::timestamptz AS at, $6::integer AS stage, $7::text AS actor, $8::jsonb AS detail`,
    params,
  );
  const hash = rows[0].hash;
  const digest = eventDigest({ ...e, type, at, actor, detail, prevHash: prev, hash });
  if (eventDigest({ ...rows[0], prevHash: prev, hash }) !== digest) {
    throw new RecordContentError(`Event ${e.seq} of ${e.reference} would not read back from the database as it was given (its text, time or detail changes on the way in): it was not written`);
  }
  const inserted = await tx.query(
    `INSERT INTO case_events (reference, seq, type, at, stage, actor, detail, prev_hash, hash, signature, key_id)
     VALUES ($2, $3, $4, $5::timestamptz, $6, $7, $8::jsonb, $1, $9, $10, $11)
     ON CONFLICT (reference, seq) DO NOTHING
     RETURNING seq`,
    [...params, hash, signer.sign(eventMessage(e.reference, e.seq, digest)), signer.keyId],
  );
  // Written meanwhile by another attempt (a retry that overlapped).
  if (inserted.rows.length === 0) return false;
  if (e.seq === 0) await sealCase(tx, e.reference);
  return true;
}

/** Signs the digest of the case row's immutable fields (computed here) as the row was written, in the same transaction. */
async function sealCase(tx: Queryable, reference: string): Promise<void> {
  const signer = tx.recordSigner!;
  const { rows } = await tx.query<CaseContent>(`SELECT ${CASE_CONTENT_COLUMNS} FROM cases c WHERE c.reference = $1`, [reference]);
  if (!rows[0]) return;
  const digest = caseDigest(rows[0]);
  await tx.query('INSERT INTO case_seals (reference, digest, signature, key_id) VALUES ($1, $2, $3, $4) ON CONFLICT (reference) DO NOTHING', [
    reference,
    digest,
    signer.sign(sealMessage(reference, digest)),
    signer.keyId,
  ]);
}

export interface ChainProblem {
  reference: string;
  seq: number;
  problem: string;
}

/**
 * The database's own chain, checked by the database (case_event_hash): of one case, or of the whole
 * store. A consistency check for those who trust the database (record:adopt, the fault harness);
 * record:verify does not rely on it, since whoever owns the database can redefine the function.
 */
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
  invalid: 'its content does not match what was signed when it was written (altered, or its chain rewritten)',
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

interface EventRow {
  reference: string;
  seq: number;
  type: string;
  at: Date | string;
  stage: number | null;
  actor: string | null;
  detail: unknown;
  prev_hash: string;
  hash: string;
  signature: string | null;
  key_id: string | null;
}

const EVENT_COLUMNS = 'reference, seq, type, at, stage, actor, detail, prev_hash, hash, signature, key_id';
/** Events are read in pages (in chain order) so a large record is never held in memory at once. */
const EVENT_PAGE = 2_000;

async function* eventsOf(db: Database, reference: string | undefined, pageSize = EVENT_PAGE): AsyncGenerator<EventRow> {
  const scope = reference === undefined ? 'TRUE' : 'reference = $1';
  const params = reference === undefined ? [] : [reference];
  const page = (where: string) => `SELECT ${EVENT_COLUMNS} FROM case_events WHERE ${scope} AND ${where} ORDER BY reference, seq LIMIT ${Math.max(1, Math.floor(pageSize))}`;
  let rows = (await db.query<EventRow>(page('TRUE'), params)).rows;
  for (;;) {
    yield* rows;
    if (rows.length < pageSize) return;
    // The next page starts after the last row read (the primary key's order, so the index serves it).
    const last = rows[rows.length - 1];
    const n = params.length;
    rows = (await db.query<EventRow>(page(`(reference, seq) > ($${n + 1}::text, $${n + 2}::integer)`), [...params, last.reference, last.seq])).rows;
  }
}

/**
 * Everything the database alone can show, all of it computed here from the rows as read (nothing
 * the database computes is trusted): each chain's order and links (every event names the hash of
 * the one before it), every event's signature over the digest of its content, and every case row's
 * seal over the digest of its opening details. Problems about a case as a whole (its row, its
 * seal) carry seq -1.
 */
export async function verifyRecord(db: Database, keys: RecordVerifyKeys, reference?: string, options: { pageSize?: number } = {}): Promise<RecordVerification> {
  const problems: ChainProblem[] = [];
  const lastSeq = new Map<string, number>();
  let events = 0;
  let before: EventRow | undefined;
  for await (const e of eventsOf(db, reference, options.pageSize)) {
    events++;
    const first = before?.reference !== e.reference;
    if (e.seq !== (first ? 0 : before!.seq + 1)) problems.push({ reference: e.reference, seq: e.seq, problem: 'an event is missing before this one' });
    if (e.prev_hash !== (first ? `genesis:${e.reference}` : before!.hash)) problems.push({ reference: e.reference, seq: e.seq, problem: 'does not follow the hash of the event before it' });
    let digest: string | undefined;
    try {
      digest = eventDigest({ ...e, prevHash: e.prev_hash });
    } catch (error) {
      problems.push({ reference: e.reference, seq: e.seq, problem: `its content cannot be read as written (${error instanceof Error ? error.message : String(error)})` });
    }
    if (digest !== undefined) {
      const check = checkSignature(keys, e.key_id, eventMessage(e.reference, e.seq, digest), e.signature);
      if (check !== 'valid') problems.push({ reference: e.reference, seq: e.seq, problem: signatureProblem[check] });
    }
    lastSeq.set(e.reference, e.seq);
    before = e;
  }
  const { rows: cases } = await db.query<
    CaseContent & { digest: string | null; signature: string | null; key_id: string | null; status: string; started_at: Date | string | null }
  >(
    `SELECT ${CASE_CONTENT_COLUMNS}, s.digest, s.signature, s.key_id, c.status, c.workflow_started_at AS started_at
       FROM cases c LEFT JOIN case_seals s ON s.reference = c.reference
      WHERE $1::text IS NULL OR c.reference = $1
      ORDER BY c.reference`,
    [reference ?? null],
  );
  for (const c of cases) {
    if (!lastSeq.has(c.reference)) problems.push({ reference: c.reference, seq: -1, problem: 'the case has no events: its record was removed' });
    if (c.digest === null) {
      problems.push({ reference: c.reference, seq: -1, problem: 'the case row has no seal (opened before the record was signed, or written behind the application’s back)' });
      continue;
    }
    const check = checkSignature(keys, c.key_id, sealMessage(c.reference, c.digest), c.signature);
    if (check !== 'valid') {
      problems.push({ reference: c.reference, seq: -1, problem: sealProblem[check] });
      continue;
    }
    // The seal's digest is the signer's; the row's is computed here from the row as it is now.
    let now: string;
    try {
      now = caseDigest(c);
    } catch (error) {
      problems.push({ reference: c.reference, seq: -1, problem: `the case row cannot be read as written (${error instanceof Error ? error.message : String(error)})` });
      continue;
    }
    if (now !== c.digest) problems.push({ reference: c.reference, seq: -1, problem: 'the case row’s opening details (description, child reference, parties, policy) were changed after it opened' });
  }
  const known = new Set(cases.map((c) => c.reference));
  for (const ref of lastSeq.keys()) if (!known.has(ref)) problems.push({ reference: ref, seq: -1, problem: 'events without a case row' });
  problems.sort((a, b) => a.reference.localeCompare(b.reference) || a.seq - b.seq);
  return {
    cases: lastSeq.size,
    events,
    problems,
    heads: cases.map((c) => ({ reference: c.reference, lastSeq: lastSeq.get(c.reference) ?? -1, status: c.status, startedAt: c.started_at })),
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
    // Signed as verifyRecord will read them: the digest of each event's content, computed here.
    const { rows: events } = await tx.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM case_events WHERE signature IS NULL ORDER BY reference, seq`);
    for (const e of events) {
      const digest = eventDigest({ ...e, prevHash: e.prev_hash });
      await tx.query('UPDATE case_events SET signature = $3, key_id = $4 WHERE reference = $1 AND seq = $2', [e.reference, e.seq, signer.sign(eventMessage(e.reference, e.seq, digest)), signer.keyId]);
    }
    await tx.query('ALTER TABLE case_events ENABLE TRIGGER case_events_append_only');
    const { rows: cases } = await tx.query<CaseContent>(
      `SELECT ${CASE_CONTENT_COLUMNS} FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_seals s WHERE s.reference = c.reference)`,
    );
    for (const c of cases) {
      const digest = caseDigest(c);
      await tx.query('INSERT INTO case_seals (reference, digest, signature, key_id) VALUES ($1, $2, $3, $4)', [c.reference, digest, signer.sign(sealMessage(c.reference, digest)), signer.keyId]);
    }
    return { events: events.length, cases: cases.length };
  });
}
