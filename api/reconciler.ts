/**
 * Starts every case whose row is committed but whose workflow start was lost (the API crashed
 * between the two, or Temporal was down). Idempotent: a case already started counts as started,
 * so several API processes may run it at once. It also forgets idempotency keys past their time.
 */
import type { DisagreementInput } from '../shared/contract';
import { startCaseWorkflow, type StartDeps } from './caseStart';
import { unavailableDependency } from './availability';
import { log as processLog } from '../shared/log';

/** How long a replay of the same Idempotency-Key returns the first response (as payment APIs do). */
export const IDEMPOTENCY_KEY_HOURS = 24;
const BATCH = 50;

export interface ReconcileOptions {
  /** Only cases opened at least this long ago: younger ones are still being started by their request. */
  afterSeconds: number;
}

export interface ReconcileReport {
  started: string[];
  failed: { reference: string; error: string }[];
}

export async function reconcileOnce(deps: StartDeps, { afterSeconds }: ReconcileOptions): Promise<ReconcileReport> {
  const report: ReconcileReport = { started: [], failed: [] };
  const { rows } = await deps.db.query<{ reference: string; workflow_input: DisagreementInput }>(
    `SELECT reference, workflow_input FROM cases
      WHERE workflow_started_at IS NULL AND workflow_input IS NOT NULL
        AND opened_at < now() - make_interval(secs => $1::double precision)
      ORDER BY opened_at LIMIT ${BATCH}`,
    [afterSeconds],
  );
  for (const row of rows) {
    try {
      await startCaseWorkflow(deps, row.workflow_input);
      report.started.push(row.reference);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      report.failed.push({ reference: row.reference, error: message });
      await deps.db
        .query('UPDATE cases SET workflow_start_error = $2 WHERE reference = $1 AND workflow_started_at IS NULL', [row.reference, message.slice(0, 500)])
        .catch(() => undefined);
      // Temporal is down: the rest would fail the same way; the next round tries again.
      if (unavailableDependency(error)) break;
    }
  }
  await deps.db.query(`DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1::integer)`, [IDEMPOTENCY_KEY_HOURS]);
  return report;
}

export interface Reconciler {
  /** Stops the rounds and waits for the one under way, if any. */
  stop(): Promise<void>;
}

/** Runs reconcileOnce every `intervalMs` (a round never overlaps the next) until stopped. */
export function startReconciler(deps: StartDeps, options: ReconcileOptions & { intervalMs: number; log?: (line: string) => void }): Reconciler {
  const log = options.log ?? ((line: string) => processLog.info(line));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  const run = async () => {
    try {
      const { started, failed } = await reconcileOnce(deps, options);
      if (started.length) log(`reconciler: started ${started.length} case(s) whose start was lost: ${started.join(', ')}`);
      for (const f of failed) log(`reconciler: case ${f.reference} still not started: ${f.error}`);
    } catch (error) {
      const dependency = unavailableDependency(error);
      log(`reconciler: round skipped (${dependency ? `${dependency} unavailable` : error instanceof Error ? error.message : String(error)})`);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = run().finally(schedule);
    }, options.intervalMs);
    // Never the reason the process stays up.
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
