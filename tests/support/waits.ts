/** Waiting on conditions, never on the clock: a workflow that has settled, a port nobody listens on. */
import { createServer } from 'node:net';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';

/** The history's length once the workflow has settled (waiting on a timer): unchanged over a few looks. */
export async function settledHistoryLength(handle: WorkflowHandle, looks = 3): Promise<number> {
  let last = -1;
  let same = 0;
  for (let i = 0; i < 300; i++) {
    const length = (await handle.fetchHistory()).events?.length ?? 0;
    same = length === last ? same + 1 : 0;
    if (same >= looks) return length;
    last = length;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`Workflow ${handle.workflowId} never settled`);
}

/** A local port that was free a moment ago and has nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

/**
 * Waits until the workflow is between steps: no activity in flight and no workflow task pending, on
 * three looks in a row (one empty look can fall between one activity's end and the next's start).
 * Up to about 60 s; false when it is not running.
 */
export async function noActivityInFlight(handle: WorkflowHandle): Promise<boolean> {
  const until = Date.now() + 60_000;
  let quiet = 0;
  while (Date.now() < until && quiet < 3) {
    const description = await handle.describe().catch((error: Error) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    });
    if (!description || description.status.name !== 'RUNNING') return false;
    const busy = (description.raw.pendingActivities ?? []).length > 0 || Boolean(description.raw.pendingWorkflowTask);
    quiet = busy ? 0 : quiet + 1;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
