/**
 * How a case ends other than by resolution, and how every case finishes: withdrawn by the raiser
 * or an admin, closed by an admin (or an operator cancelling it in Temporal), closed unresolved or
 * referred on when the final stage's time runs out. Then the case's last event, and the review
 * reminder handed over, so nothing of the case is left waiting in its history.
 */
import { allHandlersFinished, condition, patched } from '@temporalio/workflow';
import type { DisagreementResult } from '../shared/contract';
import { except, type CaseContext, type EndingRequest, type StageRun } from './case';
import type { Recipient } from '../shared/events';
import { EVERYONE_INFORMED, deliver, parties } from './notices';
import { scheduleReviewReminder } from './activityProxies';
import type { ReviewReminderInput } from './reviewReminder';

/** Withdrawn or closed early: on the record at once, then everyone involved is told. */
export async function endEarly(c: CaseContext, ending: EndingRequest): Promise<void> {
  const view = c.current?.view;
  c.setStatus(ending.status);
  const detail = { by: ending.by, reason: ending.reason, ...(ending.endedBy ? { endedBy: ending.endedBy } : {}) };
  const written =
    ending.status === 'withdrawn'
      ? c.record({ type: 'withdrawn', stage: view?.number, actor: ending.actor, detail, caseUpdate: { status: 'withdrawn', stageDeadline: null } })
      : c.record({ type: 'closedByAdmin', stage: view?.number, actor: ending.actor, detail, caseUpdate: { status: 'closed', stageDeadline: null } });
  await written;
  c.endingRecorded = { reference: c.reference, status: ending.status, at: c.now(), stage: view?.number ?? null };
  await tellEveryone(c, c.current?.run, ending);
}

/** The final stage's time ran out: the pack closes the case unresolved or refers it on. */
export async function endAtFinalDeadline(c: CaseContext, run: StageRun, deadline: string): Promise<void> {
  const rule = c.policy.finalDeadline ?? { then: 'closeUnresolved' as const };
  let referredTo: Recipient[] = [];
  if (rule.then === 'referOn') {
    c.setStatus('referred');
    const to = await c.recipientsOf(rule.referTo);
    referredTo = to;
    await c.record({ type: 'referred', stage: run.number, detail: { to: parties(to), deadline }, caseUpdate: { status: 'referred', stageDeadline: null } });
    await deliver(c, 'caseEnded', to, c.summary(run, deadline), { ending: { status: 'referred' } }, 'referral');
  } else {
    c.setStatus('unresolved');
    await c.record({ type: 'closedUnresolved', stage: run.number, detail: { deadline }, caseUpdate: { status: 'unresolved', stageDeadline: null } });
  }
  await tellEveryone(c, run, undefined, referredTo);
}

/**
 * Everyone involved is told how the case ended; newer cases also everyone told of it so far, once
 * each, and not those it was just referred to (their referral said so).
 */
async function tellEveryone(c: CaseContext, run: StageRun | undefined, ending?: EndingRequest, referredTo: Recipient[] = []): Promise<void> {
  if (c.status === 'open' || c.status === 'resolved') return;
  const stage = run ? c.summary(run, c.now()) : { number: c.soFar.stageIndex + 1, name: c.policy.stages[c.soFar.stageIndex]?.name ?? '', deadline: c.now(), isFinal: false };
  const everyone = patched(EVERYONE_INFORMED) ? except(c.informed(), referredTo) : c.everyoneInvolved();
  await deliver(c, 'caseEnded', everyone, stage, { ending: { status: c.status, ...(ending ? { by: ending.by } : {}) } });
  await c.record({ type: 'confirmationSent', stage: stage.number, detail: { recipients: parties(everyone) } });
}

/**
 * The case's last steps, whatever ended it: invitations still in flight and duty reminders settle,
 * every message handler finishes, the record gets its last event, and a review date is handed to
 * its own reminder.
 */
export async function finish(c: CaseContext, review?: ReviewReminderInput): Promise<DisagreementResult> {
  await Promise.allSettled([...c.inFlight, ...c.dutyReminders]);
  await condition(allHandlersFinished);
  await c.record({ type: 'closed', stage: c.current?.view.number, detail: { status: c.status } });
  await c.record.drained();
  // The reminder outlives the case on purpose, and is no child of it.
  if (review) await scheduleReviewReminder({ ...review, seq: c.record.lastSeq + 1 });
  const decision = c.status === 'resolved' ? c.soFar.decisions[c.soFar.decisions.length - 1] : undefined;
  const endedAtStage = c.current?.view.number ?? null;
  return {
    reference: c.reference,
    status: c.status === 'open' ? 'closed' : c.status,
    endedAtStage,
    ...(decision ? { decision, resolvedAtStage: endedAtStage ?? undefined } : {}),
  };
}
