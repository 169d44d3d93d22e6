/**
 * One professional disagreement, run as the partnership's policy says: stage by stage, each with
 * a timescale; a stage that runs out of time escalates by itself; a stage whose people record
 * "not resolved" escalates at once; "resolved" is confirmed in writing to everyone involved.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  Refusal,
  caseState,
  recordOutcome,
  type CaseState,
  type DisagreementInput,
  type DisagreementResult,
  type RecordOutcomeRequest,
  type RecordedDecision,
  type StageView,
} from '../shared/contract';
import type { CaseEvent, EscalationReason, Notification, NotificationKind, Recipient, StageSummary } from '../shared/events';
import type { Stage } from '../shared/policy/schema';
import { AGENCIES, CATEGORY, IMMEDIATE_HARM, PARTNERSHIP, STAGE, STAGE_DEADLINE, STATUS } from '../shared/searchAttributes';
import { computeDeadline, recordEvent, resolveRecipients, sendNotification } from './activityProxies';

export async function disagreement(input: DisagreementInput): Promise<DisagreementResult> {
  const { reference, policy } = input;
  const stages = policy.stages;
  let seq = 0;
  let stageIndex = startingStage(input);
  let current: { view: StageView; participants: Recipient[]; decision?: RecordedDecision } | undefined;
  const decisions: RecordedDecision[] = [];
  const involved = new Map<string, Recipient>();
  let status: CaseState['status'] = 'open';

  const record = (event: Omit<CaseEvent, 'reference' | 'seq' | 'at'>) =>
    recordEvent({ ...event, reference, seq: ++seq, at: new Date().toISOString() });

  setHandler(caseState, () => ({
    reference,
    partnership: policy.id,
    policyVersion: policy.policy.version,
    status,
    stage: current?.view ?? null,
    decisions,
  }));

  setHandler(
    recordOutcome,
    async (request) => {
      const stage = current!;
      const by = stage.participants.find((p) => p.id === request.recipientId)!;
      const decision: RecordedDecision = {
        stage: request.stage,
        recipientId: by.id,
        recordedBy: by.role,
        recordedAt: new Date().toISOString(),
        decision: request.decision,
      };
      // Taken before the first await, so a second submission in the same moment is refused.
      stage.decision = decision;
      decisions.push(decision);
      await record({ type: 'outcomeRecorded', stage: request.stage, actor: by.id, detail: { role: by.role, ...request.decision } });
      return decision;
    },
    { validator: (request) => refuseInvalidOutcome(request) },
  );

  function refuseInvalidOutcome(request: RecordOutcomeRequest): void {
    if (status !== 'open' || !current) refuse(Refusal.caseClosed, 'This disagreement is closed.');
    if (request.stage !== current.view.number) {
      refuse(Refusal.staleStage, `This link is for stage ${request.stage}; the case is now at stage ${current.view.number}.`);
    }
    if (current.decision) refuse(Refusal.alreadyDecided, `An outcome for stage ${request.stage} has already been recorded.`);
    if (!current.participants.some((p) => p.id === request.recipientId)) {
      refuse(Refusal.notParticipant, 'This person does not take part in the current stage.');
    }
    const d = request.decision;
    if (d.outcome === 'notResolved' && stageIndex === stages.length - 1) {
      refuse(Refusal.invalidDecision, 'The final stage ends in a decision: record the resolution.');
    }
    if (d.outcome === 'resolved' ? !d.agreedOutcome?.trim() : !d.reasons?.trim()) {
      refuse(Refusal.invalidDecision, d.outcome === 'resolved' ? 'The agreed outcome is required.' : 'The reasons are required.');
    }
  }

  const summary = (view: StageView): StageSummary => ({
    number: view.number,
    name: view.name,
    guidance: stages[view.number - 1].guidance,
    deadline: view.deadline,
    isFinal: view.number === stages.length,
  });

  const notify = (kind: NotificationKind, recipient: Recipient, stage: StageSummary, extra: Partial<Notification> = {}, round = 0) =>
    sendNotification({
      key: `${reference}/stage-${stage.number}/${recipient.id}/${kind}${round ? `-${round}` : ''}`,
      kind,
      reference,
      partnershipId: policy.id,
      partnershipName: policy.name,
      timeZone: policy.calendar.timeZone,
      recipient,
      stage,
      ...extra,
    });

  const recipientsOf = (refs: Stage['participants']) =>
    refs.length === 0
      ? Promise.resolve([] as Recipient[])
      : resolveRecipients({ directory: policy.directory, refs, raiser: input.raiser, other: input.other, flags: input.flags });

  upsertSearchAttributes([
    { key: PARTNERSHIP, value: policy.id },
    { key: STATUS, value: 'open' },
    { key: CATEGORY, value: input.category },
    { key: AGENCIES, value: [...new Set([input.raiser.agencyId, input.other.agencyId])] },
    { key: IMMEDIATE_HARM, value: input.flags.immediateHarm },
  ]);

  let reason: EscalationReason = { kind: 'opened' };
  if (input.flags.immediateHarm && policy.immediateHarm) {
    reason = { kind: 'immediateHarm' };
    await alertImmediateHarm();
  }

  for (;;) {
    const stage = stages[stageIndex];
    const view = await enterStage(stage, reason);
    await inviteToStage(view, reason, 0);
    let round = 0;
    for (;;) {
      const decided = await condition(() => current?.decision !== undefined, untilInstant(view.deadline));
      if (decided) break;
      await record({ type: 'deadlinePassed', stage: view.number, detail: { deadline: view.deadline } });
      if (stageIndex < stages.length - 1) break;
      // The final stage has nowhere to escalate to: remind its people and give it another timescale.
      round += 1;
      view.deadline = await computeDeadline({ from: new Date().toISOString(), timescale: stage.timescale, calendar: policy.calendar });
      setStageSearchAttributes(view);
      await inviteToStage(view, { kind: 'deadline', fromStage: view.number, deadline: view.deadline }, round);
    }

    const decision = current!.decision;
    if (decision?.decision.outcome === 'resolved') return resolve(decision);
    reason = decision
      ? { kind: 'notResolved', fromStage: view.number, byRole: decision.recordedBy }
      : { kind: 'deadline', fromStage: view.number, deadline: view.deadline };
    stageIndex += 1;
    await record({
      type: 'escalated',
      stage: view.number,
      actor: decision?.recipientId,
      detail: { toStage: stageIndex + 1, reason },
    });
  }

  async function alertImmediateHarm(): Promise<void> {
    const alerted = await recipientsOf(policy.immediateHarm!.notify);
    const firstStage = stages[stageIndex];
    const stage: StageSummary = { number: stageIndex + 1, name: firstStage.name, deadline: new Date().toISOString(), isFinal: false };
    await Promise.all(alerted.map((r) => notify('immediateHarmAlert', r, stage)));
    await record({
      type: 'immediateHarmAlerted',
      detail: { alerted: alerted.map((r) => ({ id: r.id, role: r.role })), startsAtStage: stageIndex + 1 },
    });
  }

  async function enterStage(stage: Stage, why: EscalationReason): Promise<StageView> {
    const enteredAt = new Date().toISOString();
    const deadline = await computeDeadline({ from: enteredAt, timescale: stage.timescale, calendar: policy.calendar });
    const participants = await recipientsOf(stage.participants);
    const view: StageView = {
      number: stageIndex + 1,
      id: stage.id,
      name: stage.name,
      enteredAt,
      deadline,
      participants: participants.map((p) => ({ id: p.id, name: p.name, role: p.role })),
    };
    current = { view, participants };
    participants.forEach((p) => involved.set(p.email, p));
    setStageSearchAttributes(view);
    await record({
      type: 'stageEntered',
      stage: view.number,
      detail: { stageId: stage.id, name: stage.name, deadline, reason: why, participants: view.participants.map(({ id, role }) => ({ id, role })) },
      caseUpdate: { stage: view.number, stageName: stage.name, stageDeadline: deadline },
    });
    return view;
  }

  async function inviteToStage(view: StageView, why: EscalationReason, round: number): Promise<void> {
    const stage = stages[view.number - 1];
    const linkExpiresAt = await computeDeadline({ from: view.deadline, timescale: policy.linkGrace, calendar: policy.calendar });
    const told = round === 0 ? await recipientsOf(stage.notify) : [];
    const kind: NotificationKind = round === 0 ? 'stageInvitation' : 'deadlineReminder';
    await Promise.all([
      ...current!.participants.map((p) => notify(kind, p, summary(view), { reason: why, linkExpiresAt }, round)),
      ...told.map((r) => notify('stageNotice', r, summary(view), { reason: why })),
    ]);
    await record({
      type: 'notified',
      stage: view.number,
      detail: {
        kind,
        participants: current!.participants.map((p) => ({ id: p.id, role: p.role })),
        told: told.map((r) => ({ id: r.id, role: r.role })),
      },
    });
  }

  async function resolve(decision: RecordedDecision): Promise<DisagreementResult> {
    const view = current!.view;
    const byRole = decision.recordedBy;
    status = 'resolved';
    upsertSearchAttributes([
      { key: STATUS, value: 'resolved' },
      { key: STAGE_DEADLINE, value: null },
    ]);
    await record({
      type: 'resolved',
      stage: view.number,
      actor: decision.recipientId,
      detail: { ...decision.decision },
      caseUpdate: { status: 'resolved', stageDeadline: null },
    });
    // Written confirmation to everyone involved, the raiser included, once each.
    const raiser: Recipient = { id: 'raiser.worker.0', role: 'worker', ...input.raiser };
    const other: Recipient = { id: 'other.worker.0', role: 'worker', ...input.other };
    const everyone = new Map([[raiser.email, raiser], [other.email, other], ...involved]);
    const confirmed = [...everyone.values()];
    const resolution = { ...decision.decision, stage: view.number, stageName: view.name, recordedByRole: byRole };
    await Promise.all(confirmed.map((r) => notify('resolutionConfirmation', r, summary(view), { resolution })));
    await record({ type: 'confirmationSent', stage: view.number, detail: { recipients: confirmed.map((r) => ({ id: r.id, role: r.role })) } });
    await condition(allHandlersFinished);
    return { reference, status: 'resolved', resolvedAtStage: view.number, decision };
  }

  function setStageSearchAttributes(view: StageView): void {
    upsertSearchAttributes([
      { key: STAGE, value: view.number },
      { key: STAGE_DEADLINE, value: new Date(view.deadline) },
    ]);
  }
}

function startingStage(input: DisagreementInput): number {
  const start = input.flags.immediateHarm ? input.policy.immediateHarm?.startAtStage : undefined;
  return start ? input.policy.stages.findIndex((s) => s.id === start) : 0;
}

function untilInstant(iso: string): number {
  return Math.max(new Date(iso).getTime() - Date.now(), 1);
}

function refuse(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}
