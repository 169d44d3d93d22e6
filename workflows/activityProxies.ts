/**
 * The one place workflow code gets its activities: types only, each group with the timeouts and
 * retries chosen for it. No group has an attempt limit: a child's case must never fail because a
 * dependency was down; an activity stuck for long is logged as an error by the worker instead
 * (activities/watch.ts), and business refusals are non-retryable failures or results.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Pure computations over the case's snapshot and the calendar. They finish in milliseconds; a
 * failure is a bug or a bad pack, so retries back off to every five minutes while operators see it.
 */
export const { computeDeadline, reviewInstant, resolveRecipients, selectPanel } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * The record (one database write) and starting a review reminder (one call to Temporal). Retried quickly at first (the case's next event waits for it,
 * in order) and through a database outage for as long as it lasts.
 */
export const { recordEvent, scheduleReviewReminder } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Email. A slow or unreachable mail server is transient: retried for as long as it takes, a minute
 * apart at most. A permanent refusal (SMTP 5xx) is a result, never a failure, so it is not retried.
 */
export const { sendNotification } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // The send heartbeats: a worker that dies mid-send is retried elsewhere within seconds.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
