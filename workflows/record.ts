/**
 * The case's record, written in the order the workflow decides. Each event gets its place (seq)
 * when it is recorded and is written only after the one before it, so concurrent parts of the
 * case (a decision, a duty falling due, invitations) never race on the hash chain. Writes are not
 * cancellable: an event given its place is always written, even as the case is withdrawn.
 */
import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { CaseEvent, NewCaseEvent } from '../shared/events';
import { recordEvent } from './activityProxies';

export interface Recorder {
  (event: NewCaseEvent): Promise<void>;
  /** The seq of the last event given a place. */
  readonly lastSeq: number;
  /** The seq of the last event known to be written (the record's witness, for record:verify). */
  readonly lastWritten: number;
  /** Resolves when every event recorded so far is written. */
  drained(): Promise<void>;
}

export function createRecorder(reference: string, lastSeq: number): Recorder {
  let seq = lastSeq;
  let written = lastSeq;
  let tail: Promise<void> = Promise.resolve();
  const record = ((event: NewCaseEvent) => {
    const placed = { ...event, reference, seq: ++seq, at: new Date().toISOString() } as CaseEvent;
    const write = tail.then(() => CancellationScope.nonCancellable(() => recordEvent(placed))).then(() => {
      written = placed.seq;
    });
    // The chain goes on whatever became of this write; its own caller sees any failure.
    tail = write.catch(() => undefined);
    return write;
  }) as Recorder;
  Object.defineProperty(record, 'lastSeq', { get: () => seq });
  Object.defineProperty(record, 'lastWritten', { get: () => written });
  record.drained = () => tail;
  return record;
}

/** For log lines and ids: the case reference is the workflow id. */
export const caseReference = () => workflowInfo().workflowId;
