/**
 * Hands an agreed plan's review date to a reminder workflow of its own, started by the client
 * rather than as a child, so the case closes at once and nothing ties the two together. The
 * reminder's id is derived from the case's, so a retried start finds the one already waiting.
 */
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ReviewReminderInput } from '../workflows/reviewReminder';

export const REVIEW_REMINDER_WORKFLOW = 'reviewReminder';
import { reviewReminderId } from '../shared/contract';

export { reviewReminderId };

export async function scheduleReviewReminder(temporal: Client | undefined, input: ReviewReminderInput): Promise<void> {
  if (!temporal) throw ApplicationFailure.nonRetryable('This worker has no Temporal client to schedule review reminders with', 'NoTemporalClient');
  try {
    await temporal.workflow.start(REVIEW_REMINDER_WORKFLOW, {
      workflowId: reviewReminderId(input.reference),
      taskQueue: Context.current().info.taskQueue,
      args: [input],
      memo: { reference: input.reference, partnership: input.partnershipId },
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
