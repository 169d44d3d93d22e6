/**
 * Activities retry without limit (a child's case must never fail for an outage), so something
 * stuck must be seen: an attempt that starts long after the activity was first scheduled is
 * logged as an error for operators, with the case reference and the attempt, nothing personal.
 */
import { Context } from '@temporalio/activity';
import { log } from '../shared/log';

/** Default: an activity still retrying ten minutes after it was first scheduled is stuck. */
export const STUCK_AFTER_MS = 10 * 60_000;

/**
 * Heartbeats while `work` runs, so a worker that dies mid-send is noticed in seconds (the
 * activity's heartbeat timeout) rather than after its whole start-to-close timeout.
 */
export async function heartbeating<T>(work: () => Promise<T>, everyMs = 2_000): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function watched<A extends unknown[], R>(name: string, stuckAfterMs: number, run: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const info = Context.current().info;
    const waiting = Date.now() - info.scheduledTimestampMs;
    if (info.attempt > 1 && waiting > stuckAfterMs) {
      log.error(
        { activity: name, reference: info.workflowExecution?.workflowId, attempt: info.attempt, stuckForSeconds: Math.round(waiting / 1000) },
        'activity stuck: still retrying',
      );
    }
    return run(...args);
  };
}
