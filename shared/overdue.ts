/**
 * Overdue, one definition everywhere (issue 11): the dashboard, the case lists, the case page, the
 * emails and the operations query in Temporal all ask this.
 *
 * A case is overdue when it is open, its clock is running (not paused), and its stage's due
 * deadline has passed. The due deadline is the one people were given: it moves only by a recorded
 * change (a delivery delay, a resumed pause, an extension or a shortening). The final stage's
 * "last chance" (one more timescale after its deadline before the pack closes or refers the case)
 * does not move it, so a final stage in its last chance is still overdue, and says how late.
 *
 * In Temporal the same facts are the search attribute `LscpStageDueAt` (the due deadline, empty
 * while the clock is paused and once the case ends), so
 * `LscpStageDueAt < "<now>" AND ExecutionStatus = "Running"` finds the same cases.
 */

/** What the definition needs of a case: its row in PostgreSQL or the workflow's view. */
export interface OverdueFacts {
  status: string;
  /** The stage's due deadline (cases.stage_deadline, StageView.deadline). */
  deadline: Date | string | null | undefined;
  /** When the clock was paused; a paused case is not overdue while it is paused. */
  pausedAt?: Date | string | null;
}

const instant = (value: Date | string) => (value instanceof Date ? value : new Date(value));

/** The due deadline that has passed, when the case is overdue at `now`; otherwise null. */
export function overdueSince(facts: OverdueFacts, now: Date): Date | null {
  if (facts.status !== 'open' || !facts.deadline || facts.pausedAt) return null;
  const due = instant(facts.deadline);
  if (Number.isNaN(due.getTime())) return null;
  return due.getTime() < now.getTime() ? due : null;
}

/** How late, in whole days or hours: "3 days late", "5 hours late", "less than an hour late". */
export function lateBy(since: Date, now: Date): string {
  const hours = Math.floor((now.getTime() - since.getTime()) / 3_600_000);
  if (hours >= 24) {
    const days = Math.floor(hours / 24);
    return `${days} ${days === 1 ? 'day' : 'days'} late`;
  }
  if (hours >= 1) return `${hours} ${hours === 1 ? 'hour' : 'hours'} late`;
  return 'less than an hour late';
}

/** "3 days late" when the case is overdue at `now`, otherwise null. */
export function overdueWords(facts: OverdueFacts, now: Date): string | null {
  const since = overdueSince(facts, now);
  return since ? lateBy(since, now) : null;
}

/**
 * The same definition in SQL, for a `cases` row under `alias`, judged at `now` (a parameter such
 * as `$6`): open, the clock running, and the due deadline passed.
 */
export function overdueSql(alias: string, now: string): string {
  const col = (name: string) => (alias ? `${alias}.${name}` : name);
  return `(${col('status')} = 'open' AND ${col('clock_paused_at')} IS NULL AND ${col('stage_deadline')} < ${now}::timestamptz)`;
}
