/**
 * Starting a case's workflow once its row is committed. The workflow id is the case reference and
 * a closed run is never replaced, so a retried start (a client's replay, the reconciler, two API
 * processes at once) finds the case already started and counts that as success.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DISAGREEMENT_WORKFLOW, TASK_QUEUE, type DisagreementInput } from '../shared/contract';
import type { Database } from '../db/database';
import { log } from '../shared/log';

export interface StartDeps {
  db: Database;
  temporal: Client;
  /** Task queue to start workflows on; tests give each test its own. */
  taskQueue?: string;
}

/** Starts the workflow (or finds it started) and marks the case started. Throws when Temporal refuses. */
export async function startCaseWorkflow(deps: StartDeps, input: DisagreementInput): Promise<void> {
  const { reference } = input;
  try {
    await deps.temporal.workflow.start(DISAGREEMENT_WORKFLOW, {
      taskQueue: deps.taskQueue ?? TASK_QUEUE,
      workflowId: reference,
      // A reference names one case for ever: never start a second run after the first has closed.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [input],
      memo: { reference, partnership: input.policy.id, policyVersion: input.policy.policy.version },
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  await deps.db.query('UPDATE cases SET workflow_started_at = now(), workflow_start_error = NULL WHERE reference = $1 AND workflow_started_at IS NULL', [reference]);
}

/**
 * Starts the workflow, and on failure leaves the case for the reconciler: the row is committed, so
 * the case is not lost. Returns whether it started.
 */
export async function tryStartCase(deps: StartDeps, input: DisagreementInput): Promise<boolean> {
  try {
    await startCaseWorkflow(deps, input);
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.warn({ reference: input.reference, err: error }, 'case recorded but its workflow did not start; the reconciler will start it');
    await deps.db
      .query('UPDATE cases SET workflow_start_error = $2 WHERE reference = $1 AND workflow_started_at IS NULL', [input.reference, message.slice(0, 500)])
      .catch(() => undefined);
    return false;
  }
}

/** For a case that may not have started yet (a replayed request, an ending): start it now if not. */
export async function ensureStarted(deps: StartDeps, reference: string): Promise<boolean> {
  const { rows } = await deps.db.query<{ workflow_input: DisagreementInput | null; workflow_started_at: unknown }>(
    'SELECT workflow_input, workflow_started_at FROM cases WHERE reference = $1',
    [reference],
  );
  const row = rows[0];
  if (!row) return false;
  if (row.workflow_started_at || !row.workflow_input) return true;
  return tryStartCase(deps, row.workflow_input);
}
