/**
 * Running one stage: enter it (its people, its deadline, the record), invite its people alongside
 * the clock, remind before the deadline, and on the deadline escalate, prompt, or at the final
 * stage remind once more before the pack's final rule applies.
 */
import { condition, patched } from '@temporalio/workflow';
import type { RecordedDecision, StageView } from '../shared/contract';
import type { EscalationReason, NotificationKind, Recipient } from '../shared/events';
import type { RoleRef, Stage, Timescale } from '../shared/policy/schema';
import { computeDeadline } from './activityProxies';
import { ignoreCancellation, type CaseContext, type StageRun } from './case';
import { STAGE_CLOCK, untilOnClock } from './clock';
import { EVERYONE_INFORMED, deliver, parties, sendProforma, teamOf, tellBeforeEntry, tellMoved } from './notices';

/** How a stage ended: an outcome, its deadline, or (final stage) its last deadline. */
export type StageEnd =
  | { kind: 'decided'; decision: RecordedDecision }
  | { kind: 'deadline'; deadline: string }
  | { kind: 'finalDeadline'; deadline: string };

/** Enters the policy's stage at the case's current index, telling first whoever the policy says. */
export async function enterStage(c: CaseContext, why: EscalationReason): Promise<StageRun> {
  const index = c.soFar.stageIndex;
  const stage = c.policy.stages[index];
  const toldBefore = await tellBeforeEntry(c, stage);
  const run: StageRun = {
    index,
    number: index + 1,
    id: stage.id,
    name: stage.name,
    guidance: [stage.guidance, stage.expectedOutcome && `Expected outcome: ${stage.expectedOutcome}`].filter(Boolean).join(' ') || undefined,
    timescale: stage.timescale,
    participants: [],
    notify: stage.notify ?? [],
    reminders: stage.reminders ?? [],
    onDeadline: stage.onDeadline ?? 'escalate',
    isFinal: c.plan.isFinal(index),
    panelAllowed: Boolean(stage.panel) && c.plan.isFinal(index),
    toldBefore,
  };
  return openRun(c, run, stage.participants, why);
}

/** Starts a stage (or a panel): its people, a first deadline, the record. Invitations follow in runStage. */
export async function openRun(c: CaseContext, run: StageRun, people: RoleRef[] | Recipient[], why: EscalationReason): Promise<StageRun> {
  // Stages begun from here on have a clock that can be paused and changed (workflows/clock.ts).
  run.clocked = patched(STAGE_CLOCK);
  const enteredAt = c.now();
  const deadline = await computeDeadline({ from: enteredAt, timescale: run.timescale, calendar: c.policy.calendar });
  run.participants = isRecipients(people) ? people : await c.recipientsOf(people);
  const view: StageView = {
    number: run.number,
    id: run.id,
    name: run.name,
    isFinal: run.isFinal,
    panelAllowed: run.panelAllowed,
    enteredAt,
    deadline,
    participants: run.participants.map((p) => ({ id: p.id, name: p.name, role: p.role })),
    ...(run.clocked ? { clockAdjustable: true } : {}),
  };
  c.current = { run, view, ...(run.clocked ? { clock: { changes: 0, passed: false } } : {}) };
  c.soFar.stagesSeen.push({ number: run.number, name: run.name, enteredAt });
  c.involve(run.participants);
  c.showStage(view);
  await c.record({
    type: 'stageEntered',
    stage: view.number,
    detail: { stageId: run.id, name: run.name, deadline, reason: why, participants: parties(run.participants) },
    caseUpdate: { stage: view.number, stageName: run.name, stageDeadline: deadline, ...(run.clocked ? { stageLastChance: null, clockPausedAt: null } : {}) },
  });
  return run;
}

/** Invites the stage's people and waits for an outcome or the deadline. */
export async function runStage(c: CaseContext, run: StageRun, why: EscalationReason): Promise<StageEnd> {
  const view = c.current!.view;
  const decided = (): StageEnd => ({ kind: 'decided', decision: c.current!.decision! });

  // The invitations go out alongside the clock, which starts when they were accepted for delivery:
  // a slow or unreachable mail server never eats into the people's time (decision 11).
  let acceptedAt: string | undefined;
  const invited = invite(c, run, why).then((at) => (acceptedAt = at));
  c.inFlight.push(invited.catch(ignoreCancellation));
  await condition(() => acceptedAt !== undefined || c.decided());
  if (acceptedAt) {
    const moved = clockStartDelay(view.enteredAt, view.deadline, acceptedAt);
    if (moved > 0) {
      const to = new Date(new Date(view.deadline).getTime() + moved).toISOString();
      await c.record({ type: 'deadlineMoved', stage: run.number, detail: { from: view.deadline, to, because: 'deliveryDelayed' }, caseUpdate: { stageDeadline: to } });
      view.deadline = to;
      c.showStage(view);
    }
  }
  if (c.decided()) return decided();
  if (run.clocked) return runOnClock(c, run);

  for (const [i, reminder] of run.reminders.entries()) {
    const at = await computeDeadline({ from: view.deadline, timescale: { period: reminder.before }, calendar: c.policy.calendar, backwards: true });
    if (at <= c.now()) continue;
    if (await condition(c.decided, untilInstant(at))) return decided();
    const linkExpiresAt = await linkExpiry(c, view.deadline);
    await deliver(c, 'deadlineReminder', run.participants, c.summary(run, view.deadline), { linkExpiresAt }, i + 1);
    await c.record({ type: 'reminderSent', stage: run.number, detail: { kind: 'beforeDeadline', before: reminder.before } });
  }
  if (await condition(c.decided, untilInstant(view.deadline))) return decided();
  await c.record({ type: 'deadlinePassed', stage: run.number, detail: { deadline: view.deadline } });

  if (!run.isFinal) return escalateOrPrompt(c, run, view.deadline);

  // The final stage has nowhere to escalate to: its people are reminded once and given one more
  // timescale (or the prompt's grace); then the pack's final rule closes or refers the case.
  const extra: Timescale = run.onDeadline === 'escalate' ? run.timescale : run.onDeadline.prompt.grace;
  const lastDeadline = await computeDeadline({ from: c.now(), timescale: extra, calendar: c.policy.calendar });
  view.deadline = lastDeadline;
  c.showStage(view);
  await remindOverdue(c, run, 'final', lastDeadline);
  if (await condition(c.decided, untilInstant(lastDeadline))) return decided();
  return { kind: 'finalDeadline', deadline: lastDeadline };
}

/**
 * The stage's time on its clock (workflows/clock.ts): reminders and the deadline wait while the
 * clock is paused and follow a changed deadline. The due deadline is kept when the final stage is
 * given its last chance, so the case still shows as overdue (shared/overdue.ts).
 */
async function runOnClock(c: CaseContext, run: StageRun): Promise<StageEnd> {
  const { view, clock } = c.current as Required<Pick<NonNullable<CaseContext['current']>, 'view' | 'clock'>>;
  const decided = (): StageEnd => ({ kind: 'decided', decision: c.current!.decision! });
  for (const [i, reminder] of run.reminders.entries()) {
    const at = () => computeDeadline({ from: view.deadline, timescale: { period: reminder.before }, calendar: c.policy.calendar, backwards: true });
    const waited = await untilOnClock(c, clock, at, true);
    if (waited === 'decided') return decided();
    if (waited === 'past') continue;
    const linkExpiresAt = await linkExpiry(c, view.deadline);
    await deliver(c, 'deadlineReminder', run.participants, c.summary(run, view.deadline), { linkExpiresAt }, i + 1);
    await c.record({ type: 'reminderSent', stage: run.number, detail: { kind: 'beforeDeadline', before: reminder.before } });
  }
  if ((await untilOnClock(c, clock, async () => view.deadline)) === 'decided') return decided();
  // Taken before the first await: from here the clock cannot be paused or changed.
  clock.passed = true;
  await c.record({ type: 'deadlinePassed', stage: run.number, detail: { deadline: view.deadline } });

  if (!run.isFinal) return escalateOrPrompt(c, run, view.deadline);

  // The final stage: one more timescale as its last chance, kept apart from its due deadline.
  const extra: Timescale = run.onDeadline === 'escalate' ? run.timescale : run.onDeadline.prompt.grace;
  const lastChance = await computeDeadline({ from: c.now(), timescale: extra, calendar: c.policy.calendar });
  view.lastChance = lastChance;
  c.showStage(view);
  await remindOverdue(c, run, 'final', lastChance, { stageLastChance: lastChance });
  if (await condition(c.decided, untilInstant(lastChance))) return decided();
  return { kind: 'finalDeadline', deadline: lastChance };
}

/** A stage that is not the last, past its deadline: escalate, or prompt its people and escalate only if the grace period passes too. */
async function escalateOrPrompt(c: CaseContext, run: StageRun, deadline: string): Promise<StageEnd> {
  if (run.onDeadline === 'escalate') return { kind: 'deadline', deadline };
  const escalatesAt = await computeDeadline({ from: c.now(), timescale: run.onDeadline.prompt.grace, calendar: c.policy.calendar });
  await remindOverdue(c, run, 'prompt', escalatesAt);
  if (await condition(c.decided, untilInstant(escalatesAt))) return { kind: 'decided', decision: c.current!.decision! };
  return { kind: 'deadline', deadline };
}

/** Invitations to the stage's people and notices to those told of it; resolves when all were handed over. */
async function invite(c: CaseContext, run: StageRun, why: EscalationReason): Promise<string> {
  const view = c.current!.view;
  const linkExpiresAt = await linkExpiry(c, view.deadline);
  const rules = c.plan.packRules('stageEntered', run.index);
  const told = await c.recipientsOf([...run.notify, ...rules.plain]);
  c.tell(told);
  const summary = c.summary(run, view.deadline);
  const [delivered, noticed] = await Promise.all([
    deliver(c, 'stageInvitation', run.participants, summary, { reason: why, linkExpiresAt }),
    deliver(c, 'stageNotice', told, summary, { reason: why, team: teamOf(c, run.participants) }),
  ]);
  const acceptedAt = c.now();
  await c.record({
    type: 'notified',
    stage: run.number,
    detail: { kind: 'stageInvitation', participants: parties(run.participants), told: parties(told), delivered: [...delivered, ...noticed] },
  });
  if (patched(EVERYONE_INFORMED)) await tellMoved(c, run, why, [...run.participants, ...told, ...(run.toldBefore ?? [])]);
  await sendProforma(c, run, rules.proforma);
  return acceptedAt;
}

async function remindOverdue(c: CaseContext, run: StageRun, mode: 'prompt' | 'final', until: string, caseUpdate?: { stageLastChance: string }): Promise<void> {
  const view = c.current!.view;
  const linkExpiresAt = await linkExpiry(c, until);
  const kind: NotificationKind = 'overdueReminder';
  await deliver(c, kind, run.participants, c.summary(run, view.deadline), { linkExpiresAt, overdue: { mode, escalatesAt: until } }, 1);
  await c.record({ type: 'reminderSent', stage: run.number, detail: { kind: 'overdue', mode, escalatesAt: until }, ...(caseUpdate ? { caseUpdate } : {}) });
}

const linkExpiry = (c: CaseContext, deadline: string) => computeDeadline({ from: deadline, timescale: c.policy.linkGrace, calendar: c.policy.calendar });

/**
 * How far a stage's deadline moves because its invitations were handed over late: the whole
 * delay, unless it is ordinary sending time (under a minute, and under a twentieth of the stage).
 */
export function clockStartDelay(enteredAt: string, deadline: string, acceptedAt: string): number {
  const delay = new Date(acceptedAt).getTime() - new Date(enteredAt).getTime();
  const length = new Date(deadline).getTime() - new Date(enteredAt).getTime();
  const ordinary = Math.min(60_000, Math.max(length, 0) / 20);
  return delay > ordinary ? delay : 0;
}

export function untilInstant(iso: string): number {
  return Math.max(new Date(iso).getTime() - Date.now(), 1);
}

function isRecipients(refs: RoleRef[] | Recipient[]): refs is Recipient[] {
  return refs.length > 0 && 'email' in refs[0];
}

export type { Stage };
