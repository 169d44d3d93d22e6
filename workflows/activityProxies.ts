/** The one place workflow code gets its activities: types only, with timeouts and retries. */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

export const { computeDeadline, reviewInstant, resolveRecipients, selectPanel, recordEvent, sendNotification } =
  proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    // No attempt limit: a notification or a record must never be lost to an outage; the activities
    // refuse bad input with non-retryable failures instead.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
