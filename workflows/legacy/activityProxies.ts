/** FROZEN with disagreementV2: the activity options those cases were scheduled with. */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';

export const { computeDeadline, reviewInstant, resolveRecipients, selectPanel, recordEvent, sendNotification } =
  proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
