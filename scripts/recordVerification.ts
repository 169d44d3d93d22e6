/**
 * What `npm run record:verify` checks, as a function the tests call too:
 *
 * 1. in the database, computed here from the rows as read (never by the database, whose functions
 *    its owner can redefine): every chain's order and links, every event's signature over the digest
 *    of its content (a rewritten and recomputed chain no longer verifies) and every case row's seal
 *    over the digest of its opening details (an edited case row);
 * 2. against Temporal, the witness outside the database: each case's workflow answers the seq of
 *    the last event it saw written (the `recordHead` query), so a record that ends earlier lost its
 *    last events; and a case Temporal runs that the database no longer has was removed (TRUNCATE).
 *
 * A case Temporal no longer holds (past the namespace's retention) or cannot answer for (no worker,
 * a case running older workflow code) is listed as not witnessed: for it, only the signatures vouch,
 * and a dropped last event cannot be seen. Verification is then incomplete, never silently passed.
 */
import { QueryNotRegisteredError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Database } from '../db/database';
import { verifyRecord, type CaseHead, type ChainProblem } from '../db/record';
import type { RecordVerifyKeys } from '../db/recordSigning';
import { DISAGREEMENT_WORKFLOW, TASK_QUEUE, recordHead } from '../shared/contract';

export interface WitnessOptions {
  temporal: Client;
  /** The task queue cases run on (tests give each suite its own). */
  taskQueue?: string;
  /** How long one case's workflow may take to answer. */
  queryTimeoutMs?: number;
}

export interface Unwitnessed {
  reference: string;
  why: string;
}

export interface RecordReport {
  cases: number;
  events: number;
  /** Something was changed or removed. */
  problems: ChainProblem[];
  /** Cases Temporal could not vouch for: checked by their signatures only. */
  unwitnessed: Unwitnessed[];
  /** Cases whose workflow answered and agreed with the database. */
  witnessed: number;
  /**
   * Workflows Temporal holds that never were cases: a start the workflow refused (unsealed, or a
   * sealed start copied under another id) wrote no record, so its missing row is not a removal.
   * Anyone who reaches Temporal can make these; they are listed, not counted as problems.
   */
  refusedStarts: string[];
}

export async function verifyWholeRecord(db: Database, keys: RecordVerifyKeys, witness: WitnessOptions | undefined, reference?: string): Promise<RecordReport> {
  const record = await verifyRecord(db, keys, reference);
  const problems = [...record.problems];
  const unwitnessed: Unwitnessed[] = [];
  let witnessed = 0;
  if (!witness) {
    for (const head of record.heads) unwitnessed.push({ reference: head.reference, why: 'Temporal was not consulted' });
    return { cases: record.cases, events: record.events, problems, unwitnessed, witnessed, refusedStarts: [] };
  }
  const refusedStarts: string[] = [];
  const heads = new Map(record.heads.map((h) => [h.reference, h]));
  const compare = async (id: string, head: CaseHead) => {
    const answer = await askWorkflow(witness, id);
    if ('why' in answer) return void unwitnessed.push({ reference: id, why: answer.why });
    if (head.lastSeq >= answer.lastSeq) return void witnessed++;
    // The case went on between reading the database and asking its workflow: read its end again
    // (a workflow counts an event only once it is committed, so the database can only be ahead).
    const now = await db.query<{ last: number | null }>('SELECT max(seq) AS last FROM case_events WHERE reference = $1', [id]);
    const lastNow = now.rows[0]?.last ?? -1;
    if (lastNow >= answer.lastSeq) return void witnessed++;
    const kept = lastNow < 0 ? 'has no events' : `ends at event ${lastNow}`;
    problems.push({ reference: id, seq: lastNow + 1, problem: `the record ${kept} but the case's workflow saw event ${answer.lastSeq} written: the events after it were removed` });
  };
  const inTemporal = reference ? [reference] : await casesInTemporal(witness);
  for (const id of inTemporal) {
    const head = heads.get(id);
    heads.delete(id);
    if (head) await compare(id, head);
    // Asked about one reference: Temporal may not know it either.
    else if (!reference || (await exists(witness.temporal, id))) {
      if (await refusedAtStart(witness.temporal, id)) refusedStarts.push(id);
      else problems.push({ reference: id, seq: -1, problem: 'Temporal runs this case but the database has no row for it: its record was removed (TRUNCATE or DELETE)' });
    }
  }
  // In the database, not among the cases Temporal listed: not started yet, a lagging list, or past retention.
  for (const head of heads.values()) {
    if (!head.startedAt) unwitnessed.push({ reference: head.reference, why: 'its workflow has not started yet (the reconciler starts it)' });
    else if (await exists(witness.temporal, head.reference)) await compare(head.reference, head);
    else unwitnessed.push({ reference: head.reference, why: PAST_RETENTION });
  }
  unwitnessed.sort((a, b) => a.reference.localeCompare(b.reference));
  problems.sort((a, b) => a.reference.localeCompare(b.reference) || a.seq - b.seq);
  return { cases: record.cases, events: record.events, problems, unwitnessed, witnessed, refusedStarts };
}

/**
 * A workflow that failed without ever writing to the record: its start was refused (a case never
 * fails otherwise: it ends resolved, withdrawn, closed, unresolved or referred). Told by Temporal's
 * history, not by anything the caller could put in the workflow's input.
 */
async function refusedAtStart(temporal: Client, id: string): Promise<boolean> {
  const handle = temporal.workflow.getHandle(id);
  const { status } = await handle.describe();
  if (status.name !== 'FAILED') return false;
  const { events } = await handle.fetchHistory();
  return !(events ?? []).some((e) => e.activityTaskScheduledEventAttributes);
}

const PAST_RETENTION = 'Temporal no longer holds its history (past the namespace’s retention, or removed): only its signatures vouch for it, and a dropped last event cannot be seen';

/** Every case workflow Temporal holds on the task queue, open or closed (one id per case). */
async function casesInTemporal(witness: WitnessOptions): Promise<string[]> {
  const ids = new Set<string>();
  const query = `WorkflowType = '${DISAGREEMENT_WORKFLOW}' AND TaskQueue = '${(witness.taskQueue ?? TASK_QUEUE).replace(/'/g, '')}'`;
  for await (const wf of witness.temporal.workflow.list({ query })) ids.add(wf.workflowId);
  return [...ids].sort();
}

async function exists(temporal: Client, id: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(id).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

async function askWorkflow(witness: WitnessOptions, id: string): Promise<{ lastSeq: number } | { why: string }> {
  const timeout = witness.queryTimeoutMs ?? 10_000;
  try {
    const answer = await witness.temporal.withDeadline(Date.now() + timeout, () => witness.temporal.workflow.getHandle(id).query(recordHead));
    if (typeof answer?.lastSeq !== 'number' || !Number.isInteger(answer.lastSeq)) return { why: 'its workflow gave an answer that is not a record head' };
    return { lastSeq: answer.lastSeq };
  } catch (error) {
    if (error instanceof QueryNotRegisteredError) return { why: 'its workflow runs code from before the record witness (it cannot say how far its record goes)' };
    if (error instanceof WorkflowNotFoundError) return { why: PAST_RETENTION };
    const message = error instanceof Error ? error.message : String(error);
    if (/deadline|timed? ?out|cancel/i.test(message)) return { why: `no worker answered within ${Math.round(timeout / 1000)} s (is a worker running on its task queue?)` };
    return { why: `Temporal could not answer: ${message.slice(0, 200)}` };
  }
}
