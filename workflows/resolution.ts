/**
 * A resolved case: written confirmation to everyone involved (the raiser included, once each),
 * the people the pack tells of resolutions, the proforma where it asks, and a review date handed
 * to a reminder of its own so the case itself can close.
 */
import { patched } from '@temporalio/workflow';
import type { Outcome, RecordedDecision } from '../shared/contract';
import type { Notification, Recipient } from '../shared/events';
import { reviewInstant } from './activityProxies';
import { except, type CaseContext, type StageRun } from './case';
import { EVERYONE_INFORMED, deliver, parties, sendProforma } from './notices';
import type { ReviewReminderInput } from './reviewReminder';

export async function resolve(c: CaseContext, run: StageRun, decision: RecordedDecision): Promise<ReviewReminderInput | undefined> {
  const view = c.current!.view;
  c.setStatus('resolved');
  await c.record({
    type: 'resolved',
    stage: view.number,
    actor: decision.recipientId,
    detail: { ...decision.decision },
    caseUpdate: { status: 'resolved', stageDeadline: null },
  });
  const resolution = { ...decision.decision, stage: view.number, stageName: view.name, recordedByRole: decision.recordedBy } as Notification['resolution'];
  // Newer cases: everyone told of the case so far too (a chair told at stage 2 hears it was resolved).
  const informed = patched(EVERYONE_INFORMED);
  const everyone = informed ? c.informed() : c.everyoneInvolved();
  const summary = c.summary(run, view.deadline);
  await deliver(c, 'resolutionConfirmation', everyone, summary, { resolution, suggestDebrief: c.policy.resolution?.suggestDebrief || undefined });
  await c.record({ type: 'confirmationSent', stage: view.number, detail: { recipients: parties(everyone) } });

  const rules = c.plan.packRules('resolved', run.index);
  const resolvedRule = await c.recipientsOf(rules.plain);
  // Newer cases: one confirmation each, so those the pack tells who were confirmed above are not told twice.
  const told = informed ? except(resolvedRule, everyone) : resolvedRule;
  if (informed) c.tell(told);
  if (told.length > 0) {
    await deliver(c, 'resolutionConfirmation', told, summary, { resolution });
    await c.record({ type: 'outcomeNotified', stage: view.number, detail: { outcome: 'resolved', told: parties(told) } });
  }
  await sendProforma(c, run, rules.proforma);
  return scheduleReview(c, run, decision.decision, resolution);
}

/** The review date of an agreed plan wakes a reminder to those who agreed it and the two practitioners. */
async function scheduleReview(c: CaseContext, run: StageRun, outcome: Outcome, resolution: Notification['resolution']): Promise<ReviewReminderInput | undefined> {
  const reviewDate = outcome.outcome === 'resolved' ? outcome.reviewDate : undefined;
  if (!reviewDate || c.policy.resolution?.remindOnReviewDate === false) return undefined;
  const at = await reviewInstant({ date: reviewDate, calendar: c.policy.calendar });
  const byEmail = new Map<string, Recipient>();
  for (const r of [...c.practitioners(), ...run.participants]) if (!byEmail.has(r.email.toLowerCase())) byEmail.set(r.email.toLowerCase(), r);
  const named = [...byEmail.values()];
  await c.record({ type: 'reviewScheduled', stage: run.number, detail: { reviewDate, at, named: parties(named) } });
  return {
    reference: c.reference,
    partnershipId: c.policy.id,
    partnershipName: c.policy.name,
    timeZone: c.policy.calendar.timeZone,
    reviewDate,
    at,
    named,
    stage: c.summary(run, at),
    resolution,
    seq: 0,
  };
}
