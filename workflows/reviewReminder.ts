/**
 * The review date of an agreed plan, kept apart from the case: the case closes when it is
 * resolved, and this small workflow waits for the date, reminds the people named and writes the
 * one event it owns onto the record (after the case's last).
 */
import { sleep } from '@temporalio/workflow';
import type { Notification, Recipient, StageSummary } from '../shared/events';
import { recordEvent, sendNotification } from './activityProxies';

export interface ReviewReminderInput {
  reference: string;
  partnershipId: string;
  partnershipName: string;
  timeZone: string;
  reviewDate: string;
  /** The start of the working day on the review date. */
  at: string;
  named: Recipient[];
  stage: StageSummary;
  resolution: Notification['resolution'];
  /** The record position of the reminder's event: after the case's own last event. */
  seq: number;
}

export async function reviewReminder(input: ReviewReminderInput): Promise<void> {
  await sleep(Math.max(new Date(input.at).getTime() - Date.now(), 1));
  await Promise.all(
    input.named.map((recipient) =>
      sendNotification({
        key: `${input.reference}/stage-${input.stage.number}/${recipient.id}/reviewDue`,
        kind: 'reviewDue',
        reference: input.reference,
        partnershipId: input.partnershipId,
        partnershipName: input.partnershipName,
        timeZone: input.timeZone,
        recipient,
        stage: input.stage,
        resolution: input.resolution,
        requestedAt: new Date().toISOString(),
      }),
    ),
  );
  await recordEvent({
    reference: input.reference,
    seq: input.seq,
    at: new Date().toISOString(),
    type: 'reviewDateReached',
    stage: input.stage.number,
    detail: { reviewDate: input.reviewDate, told: input.named.map((r) => ({ id: r.id, role: r.role })) },
  });
}
