/**
 * The workflow's view of a case (who holds the stage, what was decided), asked of Temporal.
 * Concurrent asks for the same case share one query, so a flood of GETs of one link costs the
 * workflow's worker one query at a time rather than one per request.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { caseState, type CaseState } from '../shared/contract';

const inFlight = new WeakMap<Client, Map<string, Promise<CaseState | undefined>>>();

/** The case's state, or undefined when it has no workflow (not started yet, or unknown). */
export function queryCaseState(temporal: Client, reference: string): Promise<CaseState | undefined> {
  let pending = inFlight.get(temporal);
  if (!pending) inFlight.set(temporal, (pending = new Map()));
  const shared = pending.get(reference);
  if (shared) return shared;
  const query = (async () => {
    try {
      return await temporal.workflow.getHandle(reference).query(caseState);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  })().finally(() => pending.delete(reference));
  pending.set(reference, query);
  return query;
}
