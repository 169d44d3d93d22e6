/**
 * One professional disagreement, run as the partnership's policy says: enter a stage, invite its
 * people, wait for their outcome or the deadline; "not resolved" or a passed deadline escalates to
 * the next stage; "resolved" is confirmed in writing to everyone; the final stage's chair may
 * convene a panel, and when the final stage's time runs out the pack closes or refers the case.
 * The raiser or an admin may withdraw it, and an admin may close it, at any point.
 */
import { allHandlersFinished, CancellationScope, condition, continueAsNew, isCancellation, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { DisagreementInput, DisagreementResult } from '../shared/contract';
import type { EscalationReason } from '../shared/events';
import { AGENCIES, CATEGORY, IMMEDIATE_HARM, PARTNERSHIP, STATUS } from '../shared/searchAttributes';
import { CaseContext, type StageRun } from './case';
import { answerAgreement, lapseProposal } from './agreement';
import { assignDuties, remindWhenDue } from './duties';
import { answerHandOversAndNotes } from './handover';
import { endAtFinalDeadline, endEarly, finish } from './ending';
import { disagreementV2 } from './legacy/disagreementV2';
import { alertImmediateHarm, tellOutcome } from './notices';
import { convenePanel } from './panel';
import { resolve } from './resolution';
import type { ReviewReminderInput } from './reviewReminder';
import { enterStage, runStage, type StageEnd } from './stage';

/** Cases opened before this core was rebuilt run to their end on the code they started with. */
export const CORE_V3 = 'core-v3';

export async function disagreement(input: DisagreementInput): Promise<DisagreementResult> {
  if (!input.resume && !patched(CORE_V3)) return disagreementV2(input);
  const c = new CaseContext(input);
  c.answerMessages();
  answerAgreement(c);
  answerHandOversAndNotes(c);
  if (input.resume) input.resume.duties.forEach((duty) => remindWhenDue(c, duty));

  let review: ReviewReminderInput | undefined;
  try {
    review = await c.policyScope.run(async () => {
      if (!input.resume) await open(c);
      let reason = c.soFar.reason;
      for (;;) {
        const stage = await enterStage(c, reason);
        const end = await runStage(c, stage, reason);
        await lapseProposal(c, stage, end.kind === 'decided' ? 'notResolved' : 'deadline');
        if (end.kind === 'decided') await afterOutcome(c, stage);
        if (end.kind === 'finalDeadline') return void (await endAtFinalDeadline(c, stage, end.deadline));
        if (end.kind === 'decided' && end.decision.decision.outcome === 'resolved') return resolve(c, stage, end.decision);
        if (end.kind === 'decided' && end.decision.decision.outcome === 'panelConvened') return hearByPanel(c, stage, end);
        reason = await escalate(c, stage, end);
        await continueAsNewIfDue(c, reason);
      }
    });
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Withdrawn or closed through an Update; or cancelled in Temporal by an operator, which ends
    // the case as closed on the record before the workflow itself ends as cancelled.
    const ending = c.ending ?? { status: 'closed' as const, by: 'operator' as const, actor: 'operator', reason: 'Cancelled in Temporal by an operator.' };
    const result = await CancellationScope.nonCancellable(async () => {
      await endEarly(c, ending);
      return finish(c);
    });
    if (!c.ending) throw error;
    return result;
  }
  return finish(c, review);
}

/** The case as operators see it, and the immediate-harm alert before anything else. */
async function open(c: CaseContext): Promise<void> {
  const { input, policy } = c;
  upsertSearchAttributes([
    { key: PARTNERSHIP, value: policy.id },
    { key: STATUS, value: 'open' },
    { key: CATEGORY, value: input.category },
    { key: AGENCIES, value: [...new Set([input.raiser.agencyId, input.other.agencyId])] },
    { key: IMMEDIATE_HARM, value: input.flags.immediateHarm },
  ]);
  await alertImmediateHarm(c);
}

async function afterOutcome(c: CaseContext, stage: StageRun): Promise<void> {
  const seen = c.soFar.stagesSeen[c.soFar.stagesSeen.length - 1];
  const decision = c.current!.decision!;
  seen.outcome = decision.decision.outcome;
  seen.byRole = decision.recordedBy;
  await tellOutcome(c, stage);
  await assignDuties(c, stage);
}

/** The chair convened a panel: it hears the case as the last stage, and ends it either way. */
async function hearByPanel(c: CaseContext, chairStage: StageRun, convened: Extract<StageEnd, { kind: 'decided' }>) {
  const panel = await convenePanel(c, chairStage, convened.decision);
  const end = await runStage(c, panel, { kind: 'panelConvened', fromStage: chairStage.number, byRole: convened.decision.recordedBy });
  if (end.kind !== 'decided') return void (await endAtFinalDeadline(c, panel, end.deadline));
  await afterOutcome(c, panel);
  return resolve(c, panel, end.decision);
}

/** Up to the next stage that applies to this case, with the reason on the record. */
async function escalate(c: CaseContext, stage: StageRun, end: StageEnd): Promise<EscalationReason> {
  const reason: EscalationReason =
    end.kind === 'decided'
      ? { kind: 'notResolved', fromStage: stage.number, byRole: end.decision.recordedBy, ...(end.decision.disputed ? { disputed: true } : {}) }
      : { kind: 'deadline', fromStage: stage.number, deadline: end.deadline };
  c.soFar.stageIndex = c.plan.nextApplicable(stage.index + 1);
  c.soFar.reason = reason;
  await c.record({
    type: 'escalated',
    stage: stage.number,
    actor: end.kind === 'decided' ? end.decision.recipientId : undefined,
    detail: { toStage: c.soFar.stageIndex + 1, reason },
  });
  return reason;
}

/**
 * Long cases continue as new between stages when Temporal suggests it (or past the input's
 * limit), carrying only what the case knows so far; duty reminders carry over.
 */
async function continueAsNewIfDue(c: CaseContext, reason: EscalationReason): Promise<void> {
  const info = workflowInfo();
  const limit = c.input.continueAsNewAfterEvents;
  if (!info.continueAsNewSuggested && !(limit && info.historyLength >= limit)) return;
  // A hand-over or a note still being carried out finishes in this run (no command: replay-safe).
  await condition(allHandlersFinished);
  await Promise.allSettled(c.inFlight);
  await c.record.drained();
  c.dutyScope.cancel();
  await Promise.allSettled(c.dutyReminders);
  await continueAsNew<typeof disagreement>({ ...c.input, resume: { ...c.soFar, reason, lastSeq: c.record.lastSeq } });
}
