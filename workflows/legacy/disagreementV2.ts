/**
 * FROZEN: the workflow as it ran before the core was rebuilt (core-v3). Cases opened before then
 * run to their end on this code, unchanged, so their histories replay; do not edit it. New cases
 * never come here (see ../disagreement.ts).
 *
 * One professional disagreement, run as the partnership's policy says: stage by stage, each with
 * a timescale; a stage that runs out of time escalates by itself; a stage whose people record
 * "not resolved" escalates at once; "resolved" is confirmed in writing to everyone involved, and
 * an agreed plan's review date wakes the case again.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  Refusal,
  caseState,
  recordHead,
  linkOpened,
  recordOutcome,
  type CaseState,
  type DisagreementInput,
  type DisagreementResult,
  type RecordOutcomeRequest,
  type RecordedDecision,
  type StageView,
} from '../../shared/contract';
import type { EscalationReason, Notification, NotificationKind, Proforma, Recipient, StageSummary } from '../../shared/events';
import type { RoleRef, Stage, Timescale } from '../../shared/policy/schema';
import { AGENCIES, CATEGORY, FINAL_STAGE, IMMEDIATE_HARM, PARTNERSHIP, STAGE, STAGE_DEADLINE, STATUS } from '../../shared/searchAttributes';
import { computeDeadline, recordEvent, resolveRecipients, reviewInstant, selectPanel, sendNotification } from './activityProxies';
import { StagePlan, categoryLabel } from '../plan';
import { PROFORMA_BY_LINK } from '../notices';

/** Wakes the case on an agreed plan's review date; cases opened before it never wake. */
const REVIEW_DATE_WAKE = 'review-date-wake';
/** Records that the case closed; cases that finished before it end without the event. */
const CLOSED_EVENT = 'closed-event';

/** What the stage loop runs: a stage of the policy, or the resolution panel its chair convened. */
interface StageRun {
  index: number;
  number: number;
  id: string;
  name: string;
  guidance?: string;
  timescale: Timescale;
  participants: Recipient[];
  notify: RoleRef[];
  reminders: { before: string }[];
  onDeadline: Stage['onDeadline'];
  isFinal: boolean;
  panelAllowed: boolean;
}

export async function disagreementV2(input: DisagreementInput): Promise<DisagreementResult> {
  const { reference, policy } = input;
  const stages = policy.stages;
  const plan = new StagePlan(input);
  const required = policy.resolution?.require ?? [];
  let seq = 0;
  let stageIndex = plan.startingStage();
  let current: { run: StageRun; view: StageView; decision?: RecordedDecision } | undefined;
  const decisions: RecordedDecision[] = [];
  const involved = new Map<string, Recipient>();
  const stagesSeen: Proforma['stages'] = [];
  const background: Promise<void>[] = [];
  let status: CaseState['status'] = 'open';

  const now = () => new Date().toISOString();
  // The record's witness for record:verify: the highest seq written (the chain writes in order).
  let written = 0;
  const record = (event: { type: string; stage?: number; actor?: string; detail: object; caseUpdate?: object }) => {
    const placed = ++seq;
    return recordEvent({ ...event, reference, seq: placed, at: now() } as never).then(() => {
      written = Math.max(written, placed);
    });
  };
  setHandler(recordHead, () => ({ reference, lastSeq: written }));

  setHandler(caseState, () => ({
    reference,
    partnership: policy.id,
    policyVersion: policy.policy.version,
    status,
    stage: current?.view ?? null,
    decisions,
    resolutionRequires: required,
  }));

  setHandler(linkOpened, async ({ stage, recipientId }) => {
    await record({ type: 'linkOpened', stage, actor: recipientId, detail: {} });
  });

  setHandler(
    recordOutcome,
    async (request) => {
      const stage = current!;
      const by = stage.run.participants.find((p) => p.id === request.recipientId)!;
      const decision: RecordedDecision = {
        stage: request.stage,
        recipientId: by.id,
        recordedBy: by.role,
        recordedAt: now(),
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
    const run = current.run;
    if (request.stage !== run.number) {
      refuse(Refusal.staleStage, `This link is for stage ${request.stage}; the case is now at stage ${run.number}.`);
    }
    if (current.decision) refuse(Refusal.alreadyDecided, `An outcome for stage ${request.stage} has already been recorded.`);
    if (!run.participants.some((p) => p.id === request.recipientId)) {
      refuse(Refusal.notParticipant, 'This person does not take part in the current stage.');
    }
    const d = request.decision;
    if (d.outcome === 'notResolved') {
      if (run.isFinal) refuse(Refusal.invalidDecision, 'The final stage ends in a decision: record the resolution.');
      if (!d.reasons?.trim()) refuse(Refusal.invalidDecision, 'The reasons are required.');
    } else if (d.outcome === 'panelConvened') {
      if (!run.panelAllowed) refuse(Refusal.invalidDecision, 'A resolution panel can only be convened by the final stage.');
    } else {
      if (!d.agreedOutcome?.trim()) refuse(Refusal.invalidDecision, 'The agreed outcome is required.');
      for (const field of required) {
        if (!d[field]?.trim()) refuse(Refusal.invalidDecision, `This policy requires ${fieldLabel(field)} with every resolution.`);
      }
    }
  }

  const summary = (run: StageRun, deadline: string): StageSummary => ({
    number: run.number,
    name: run.name,
    guidance: run.guidance,
    deadline,
    isFinal: run.isFinal,
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

  const recipientsOf = (refs: RoleRef[]) =>
    refs.length === 0
      ? Promise.resolve([] as Recipient[])
      : resolveRecipients({
          directory: policy.directory,
          refs,
          raiser: input.raiser,
          other: input.other,
          flags: input.flags,
          category: input.category,
          caseStatus: input.caseStatus,
          counterparts: policy.counterparts,
          at: now(),
          calendar: policy.calendar,
        });

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
    if (stage.notifyBefore?.length) await tellBeforeEntry(stage);
    const run = await enterStage(stage, reason);
    const decision = await runStage(run, reason);
    await afterOutcome(run, decision);
    if (decision?.decision.outcome === 'resolved') return resolve(decision);
    if (decision?.decision.outcome === 'panelConvened') {
      const panelRun = await convenePanel(run, decision);
      const panelDecision = await runStage(panelRun, { kind: 'panelConvened', fromStage: run.number, byRole: decision.recordedBy });
      await afterOutcome(panelRun, panelDecision);
      return resolve(panelDecision!);
    }
    reason = decision
      ? { kind: 'notResolved', fromStage: run.number, byRole: decision.recordedBy }
      : { kind: 'deadline', fromStage: run.number, deadline: current!.view.deadline };
    stageIndex = plan.nextApplicable(stageIndex + 1);
    await record({
      type: 'escalated',
      stage: run.number,
      actor: decision?.recipientId,
      detail: { toStage: stageIndex + 1, reason },
    });
  }

  async function alertImmediateHarm(): Promise<void> {
    const alerted = await recipientsOf(policy.immediateHarm!.notify);
    const firstStage = stages[stageIndex];
    const stage: StageSummary = { number: stageIndex + 1, name: firstStage.name, deadline: now(), isFinal: false };
    await Promise.all(alerted.map((r) => notify('immediateHarmAlert', r, stage)));
    await record({
      type: 'immediateHarmAlerted',
      detail: { alerted: alerted.map((r) => ({ id: r.id, role: r.role })), startsAtStage: stageIndex + 1 },
    });
  }

  async function tellBeforeEntry(stage: Stage): Promise<void> {
    const told = await recipientsOf(stage.notifyBefore);
    const upcoming: StageSummary = { number: stageIndex + 1, name: stage.name, deadline: now(), isFinal: plan.isFinal(stageIndex) };
    await Promise.all(told.map((r) => notify('escalationNotice', r, upcoming)));
    await record({ type: 'notified', stage: stageIndex + 1, detail: { kind: 'beforeEntry', told: told.map((r) => ({ id: r.id, role: r.role })) } });
  }

  async function enterStage(stage: Stage, why: EscalationReason): Promise<StageRun> {
    const run: StageRun = {
      index: stageIndex,
      number: stageIndex + 1,
      id: stage.id,
      name: stage.name,
      guidance: [stage.guidance, stage.expectedOutcome && `Expected outcome: ${stage.expectedOutcome}`].filter(Boolean).join(' ') || undefined,
      timescale: stage.timescale,
      participants: [],
      notify: stage.notify ?? [],
      reminders: stage.reminders ?? [],
      onDeadline: stage.onDeadline ?? 'escalate',
      isFinal: plan.isFinal(stageIndex),
      panelAllowed: Boolean(stage.panel) && plan.isFinal(stageIndex),
    };
    return openRun(run, stage.participants, why);
  }

  /** Starts a stage: its deadline, its people, the record. Invitations follow in runStage. */
  async function openRun(run: StageRun, participantRefs: RoleRef[] | Recipient[], why: EscalationReason): Promise<StageRun> {
    const enteredAt = now();
    const deadline = await computeDeadline({ from: enteredAt, timescale: run.timescale, calendar: policy.calendar });
    run.participants = isRecipients(participantRefs) ? participantRefs : await recipientsOf(participantRefs);
    const view: StageView = {
      number: run.number,
      id: run.id,
      name: run.name,
      isFinal: run.isFinal,
      panelAllowed: run.panelAllowed,
      enteredAt,
      deadline,
      participants: run.participants.map((p) => ({ id: p.id, name: p.name, role: p.role })),
    };
    current = { run, view };
    stagesSeen.push({ number: run.number, name: run.name, enteredAt });
    run.participants.forEach((p) => involved.set(p.email, p));
    setStageSearchAttributes(view);
    await record({
      type: 'stageEntered',
      stage: view.number,
      detail: { stageId: run.id, name: run.name, deadline, reason: why, participants: view.participants.map(({ id, role }) => ({ id, role })) },
      caseUpdate: { stage: view.number, stageName: run.name, stageDeadline: deadline },
    });
    return run;
  }

  /** Invites the stage's people and waits for an outcome: reminders, the deadline, prompts. */
  async function runStage(run: StageRun, why: EscalationReason): Promise<RecordedDecision | undefined> {
    const view = current!.view;
    await inviteToStage(run, why, 0);
    const decided = () => current?.decision !== undefined;
    let round = 0;
    for (;;) {
      for (const [i, reminder] of (round === 0 ? run.reminders : []).entries()) {
        const at = await computeDeadline({ from: view.deadline, timescale: { period: reminder.before }, calendar: policy.calendar, backwards: true });
        if (at <= now()) continue;
        if (await condition(decided, untilInstant(at))) break;
        const linkExpiresAt = await computeDeadline({ from: view.deadline, timescale: policy.linkGrace, calendar: policy.calendar });
        await Promise.all(run.participants.map((p) => notify('deadlineReminder', p, summary(run, view.deadline), { linkExpiresAt }, i + 1)));
        await record({ type: 'reminderSent', stage: run.number, detail: { kind: 'beforeDeadline', before: reminder.before } });
      }
      if (await condition(decided, untilInstant(view.deadline))) break;
      await record({ type: 'deadlinePassed', stage: run.number, detail: { deadline: view.deadline } });
      const onDeadline = run.onDeadline;
      if (onDeadline !== 'escalate') {
        // Prompt the stage's people, then escalate only if the grace period passes too.
        const escalatesAt = await computeDeadline({ from: now(), timescale: onDeadline.prompt.grace, calendar: policy.calendar });
        round += 1;
        await sendOverdue(run, view, 'prompt', round, escalatesAt);
        if (await condition(decided, untilInstant(escalatesAt))) break;
        if (!run.isFinal) break;
      } else if (!run.isFinal) {
        break;
      }
      // The final stage has nowhere to escalate to: remind its people and give it another timescale.
      round += 1;
      view.deadline = await computeDeadline({ from: now(), timescale: run.timescale, calendar: policy.calendar });
      setStageSearchAttributes(view);
      await inviteToStage(run, { kind: 'deadline', fromStage: run.number, deadline: view.deadline }, round);
    }
    return current!.decision;
  }

  async function sendOverdue(run: StageRun, view: StageView, mode: 'prompt' | 'final', round: number, escalatesAt?: string) {
    const linkExpiresAt = await computeDeadline({ from: escalatesAt ?? view.deadline, timescale: policy.linkGrace, calendar: policy.calendar });
    await Promise.all(
      run.participants.map((p) => notify('overdueReminder', p, summary(run, view.deadline), { linkExpiresAt, overdue: { mode, escalatesAt } }, round)),
    );
    await record({ type: 'reminderSent', stage: run.number, detail: { kind: 'overdue', mode, escalatesAt } });
  }

  async function inviteToStage(run: StageRun, why: EscalationReason, round: number): Promise<void> {
    const view = current!.view;
    const linkExpiresAt = await computeDeadline({ from: view.deadline, timescale: policy.linkGrace, calendar: policy.calendar });
    const rules = round === 0 ? plan.packRules('stageEntered', run.index) : { plain: [], proforma: [] };
    const told = round === 0 ? await recipientsOf([...run.notify, ...rules.plain]) : [];
    const kind: NotificationKind = round === 0 ? 'stageInvitation' : 'overdueReminder';
    const extra = round === 0 ? {} : { overdue: { mode: 'final' as const } };
    await Promise.all([
      ...run.participants.map((p) => notify(kind, p, summary(run, view.deadline), { reason: why, linkExpiresAt, ...extra }, round)),
      ...told.map((r) => notify('stageNotice', r, summary(run, view.deadline), { reason: why })),
    ]);
    await record({
      type: 'notified',
      stage: run.number,
      detail: {
        kind,
        participants: run.participants.map((p) => ({ id: p.id, role: p.role })),
        told: told.map((r) => ({ id: r.id, role: r.role })),
      },
    });
    if (rules.proforma.length > 0) await sendProforma(run, rules.proforma);
  }

  async function sendProforma(run: StageRun, refs: RoleRef[]): Promise<void> {
    const to = await recipientsOf(refs);
    // Issue 10: from here on, only a link (the email activity builds nothing from the workflow's copy).
    if (patched(PROFORMA_BY_LINK)) {
      await Promise.all(to.map((r) => notify('proforma', r, summary(run, current!.view.deadline))));
      await record({ type: 'proformaSent', stage: run.number, detail: { recipients: to.map((r) => ({ id: r.id, role: r.role })) } });
      return;
    }
    const proforma = proformaNow();
    await Promise.all(to.map((r) => notify('proforma', r, summary(run, current!.view.deadline), { proforma })));
    await record({ type: 'proformaSent', stage: run.number, detail: { recipients: to.map((r) => ({ id: r.id, role: r.role })), proforma } });
  }

  /** After an outcome at a stage: the people the policy tells of outcomes, and the stage's duties. */
  async function afterOutcome(run: StageRun, decision: RecordedDecision | undefined): Promise<void> {
    if (!decision) return;
    const seen = stagesSeen[stagesSeen.length - 1];
    seen.outcome = decision.decision.outcome;
    seen.byRole = decision.recordedBy;
    const rules = plan.packRules('outcomeRecorded', run.index);
    const told = await recipientsOf(rules.plain);
    if (told.length > 0) {
      const outcome = { outcome: decision.decision.outcome, byRole: decision.recordedBy };
      await Promise.all(told.map((r) => notify('outcomeNotice', r, summary(run, current!.view.deadline), { outcome })));
      await record({ type: 'outcomeNotified', stage: run.number, detail: { outcome, told: told.map((r) => ({ id: r.id, role: r.role })) } });
    }
    if (rules.proforma.length > 0) await sendProforma(run, rules.proforma);
    const duties = run.index < stages.length && run.number === run.index + 1 ? (stages[run.index].duties ?? []) : [];
    for (const duty of duties) {
      const owners = await recipientsOf(duty.owner);
      const due = await computeDeadline({ from: now(), timescale: duty.due, calendar: policy.calendar });
      const stageSummary = summary(run, due);
      await Promise.all(owners.map((o) => notify('dutyAssigned', o, stageSummary, { duty: { name: duty.name, due } })));
      await record({ type: 'dutyAssigned', stage: run.number, detail: { duty: duty.id, name: duty.name, due, owners: owners.map((o) => ({ id: o.id, role: o.role })) } });
      background.push(
        (async () => {
          await sleep(Math.max(new Date(due).getTime() - Date.now(), 1));
          await Promise.all(owners.map((o) => notify('dutyDue', o, stageSummary, { duty: { name: duty.name, due } })));
          await record({ type: 'dutyDue', stage: run.number, detail: { duty: duty.id, due } });
        })(),
      );
    }
  }

  async function convenePanel(run: StageRun, decision: RecordedDecision): Promise<StageRun> {
    const panel = stages[run.index].panel!;
    const members = await selectPanel({
      directory: policy.directory,
      role: panel.role,
      size: panel.size,
      includeAgenciesConcerned: panel.includeAgenciesConcerned,
      agenciesConcerned: [input.raiser.agencyId, input.other.agencyId],
    });
    await record({
      type: 'panelConvened',
      stage: run.number,
      actor: decision.recipientId,
      detail: { members: members.map((m) => ({ id: m.id, role: m.role, agencyId: m.agencyId })) },
    });
    const panelRun: StageRun = {
      ...run,
      number: run.number + 1,
      id: `${run.id}-panel`,
      name: panel.name,
      guidance: panel.guidance,
      timescale: panel.timescale,
      notify: [],
      reminders: [],
      onDeadline: 'escalate',
      isFinal: true,
      panelAllowed: false,
    };
    // The chair sits with the panel and any of them can record its decision.
    return openRun(panelRun, [...run.participants, ...members], { kind: 'panelConvened', fromStage: run.number, byRole: decision.recordedBy });
  }

  async function resolve(decision: RecordedDecision): Promise<DisagreementResult> {
    const { run, view } = current!;
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
    const raiser: Recipient = { id: 'raiser.worker.0', role: 'worker', name: input.raiser.name, email: input.raiser.email, agencyId: input.raiser.agencyId };
    const other: Recipient = { id: 'other.worker.0', role: 'worker', name: input.other.name, email: input.other.email, agencyId: input.other.agencyId };
    const everyone = new Map([[raiser.email, raiser], [other.email, other], ...involved]);
    const confirmed = [...everyone.values()];
    const resolution = { ...decision.decision, stage: view.number, stageName: view.name, recordedByRole: byRole } as Notification['resolution'];
    const suggestDebrief = policy.resolution?.suggestDebrief || undefined;
    await Promise.all(confirmed.map((r) => notify('resolutionConfirmation', r, summary(run, view.deadline), { resolution, suggestDebrief })));
    await record({ type: 'confirmationSent', stage: view.number, detail: { recipients: confirmed.map((r) => ({ id: r.id, role: r.role })) } });

    const rules = plan.packRules('resolved', run.index);
    const told = await recipientsOf(rules.plain);
    if (told.length > 0) {
      await Promise.all(told.map((r) => notify('resolutionConfirmation', r, summary(run, view.deadline), { resolution })));
      await record({ type: 'outcomeNotified', stage: view.number, detail: { outcome: 'resolved', told: told.map((r) => ({ id: r.id, role: r.role })) } });
    }
    if (rules.proforma.length > 0) await sendProforma(run, rules.proforma);

    const reviewDate = decision.decision.outcome === 'resolved' ? decision.decision.reviewDate : undefined;
    if (reviewDate && policy.resolution?.remindOnReviewDate !== false && patched(REVIEW_DATE_WAKE)) {
      const at = await reviewInstant({ date: reviewDate, calendar: policy.calendar });
      await sleep(Math.max(new Date(at).getTime() - Date.now(), 1));
      // The people named in the plan: those who agreed it, and the two practitioners.
      const named = new Map([[raiser.email, raiser], [other.email, other], ...run.participants.map((p) => [p.email, p] as const)]);
      await Promise.all([...named.values()].map((r) => notify('reviewDue', r, summary(run, at), { resolution })));
      await record({ type: 'reviewDateReached', stage: view.number, detail: { reviewDate, told: [...named.values()].map((r) => ({ id: r.id, role: r.role })) } });
    }
    await Promise.all(background);
    await condition(allHandlersFinished);
    if (patched(CLOSED_EVENT)) await record({ type: 'closed', stage: view.number, detail: { status } });
    return { reference, status: 'resolved', endedAtStage: view.number, resolvedAtStage: view.number, decision };
  }

  function proformaNow(): Proforma {
    const agencyName = (id: string) => policy.directory.agencies.find((a) => a.id === id)?.name ?? id;
    return {
      partnership: policy.name,
      policyVersion: policy.policy.version,
      category: categoryLabel(policy, input.category),
      agencies: { raiser: agencyName(input.raiser.agencyId), other: agencyName(input.other.agencyId) },
      flags: { ...input.flags },
      stages: stagesSeen.map((s) => ({ ...s })),
      status,
    };
  }

  function setStageSearchAttributes(view: StageView): void {
    upsertSearchAttributes([
      { key: STAGE, value: view.number },
      { key: STAGE_DEADLINE, value: new Date(view.deadline) },
      { key: FINAL_STAGE, value: view.isFinal },
    ]);
  }
}

function isRecipients(refs: RoleRef[] | Recipient[]): refs is Recipient[] {
  return refs.length > 0 && 'email' in refs[0];
}

function untilInstant(iso: string): number {
  return Math.max(new Date(iso).getTime() - Date.now(), 1);
}

function fieldLabel(field: string): string {
  return { agreedPlan: 'an agreed plan', reviewDate: 'a review date', outstandingIssues: 'how outstanding issues will be pursued' }[field] ?? field;
}

function refuse(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}
