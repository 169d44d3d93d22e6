/**
 * Telling people: every email the case sends goes through `deliver`, which never lets a refused
 * address stop the case. A permanent refusal is recorded, the partnership mailbox is told, and the
 * case goes on (decision 11). Also the notices the policy names around stages and outcomes.
 */
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { DeliveredTo, EscalationReason, Notification, NotificationKind, Party, Recipient, StageSummary } from '../shared/events';
import type { RoleRef, Stage } from '../shared/policy/schema';
import { DELIVERY_FAILED } from '../shared/searchAttributes';
import { sendNotification } from './activityProxies';
import { except, type CaseContext, type StageRun } from './case';
import { categoryLabel } from './plan';

/**
 * Everyone kept informed (issue 11): from here on the practitioners and everyone told of the case
 * so far hear when it moves on (why, to whom, by when) and when it ends, once each by address.
 * Cases that were running before keep the old notices on replay.
 */
export const EVERYONE_INFORMED = 'everyone-informed';

export const party = (r: Recipient): Party => ({ id: r.id, role: r.role, ...(r.agencyId ? { agencyId: r.agencyId } : {}) });
export const parties = (rs: Recipient[]): Party[] => rs.map(party);

/**
 * Emails one kind of notification to each recipient, at most once each (the key), and reports
 * what became of each. `round` tells repeated notices of the same kind apart.
 */
export async function deliver(
  c: CaseContext,
  kind: NotificationKind,
  recipients: Recipient[],
  stage: StageSummary,
  extra: Partial<Notification> = {},
  round: number | string = 0,
): Promise<DeliveredTo[]> {
  return Promise.all(
    recipients.map(async (recipient) => {
      const delivery = await sendNotification({
        key: `${c.reference}/stage-${stage.number}/${recipient.id}/${kind}${round ? `-${round}` : ''}`,
        kind,
        reference: c.reference,
        partnershipId: c.policy.id,
        partnershipName: c.policy.name,
        timeZone: c.policy.calendar.timeZone,
        recipient,
        stage,
        requestedAt: c.now(),
        ...extra,
      });
      if (delivery.status === 'refused' && kind !== 'deliveryFailedNotice') await reportRefusal(c, kind, recipient, stage, delivery.code, delivery.response);
      return { ...party(recipient), delivery: delivery.status, at: delivery.at };
    }),
  );
}

/** A refused address: on the record, visible to operators, and the partnership mailbox told. */
async function reportRefusal(c: CaseContext, kind: NotificationKind, recipient: Recipient, stage: StageSummary, code: number, response: string) {
  upsertSearchAttributes([{ key: DELIVERY_FAILED, value: true }]);
  const told = await c.recipientsOf(c.policy.deliveryProblems ?? []);
  const refused = { kind, recipientRole: recipient.role, code };
  await deliver(c, 'deliveryFailedNotice', told, stage, { refused }, `${recipient.id}-${kind}`);
  await c.record({ type: 'deliveryFailed', stage: stage.number, detail: { kind, recipient: party(recipient), code, response, told: parties(told) } });
}

/** Bromley: a MASH referral and the raiser's DSL told at once; the case may start at a later stage. */
export async function alertImmediateHarm(c: CaseContext): Promise<void> {
  const harm = c.policy.immediateHarm;
  if (!c.input.flags.immediateHarm || !harm) return;
  c.soFar.reason = { kind: 'immediateHarm' };
  const alerted = await c.recipientsOf(harm.notify);
  c.tell(alerted);
  const index = c.soFar.stageIndex;
  const stage: StageSummary = { number: index + 1, name: c.policy.stages[index].name, deadline: c.now(), isFinal: false };
  await deliver(c, 'immediateHarmAlert', alerted, stage);
  await c.record({ type: 'immediateHarmAlerted', detail: { alerted: parties(alerted), startsAtStage: index + 1 } });
}

/** Hull: every organisation's DSL is told before the case reaches the senior managers. Returns who was told. */
export async function tellBeforeEntry(c: CaseContext, stage: Stage): Promise<Recipient[]> {
  if (!stage.notifyBefore?.length) return [];
  const index = c.soFar.stageIndex;
  const told = await c.recipientsOf(stage.notifyBefore);
  c.tell(told);
  const upcoming: StageSummary = { number: index + 1, name: stage.name, deadline: c.now(), isFinal: c.plan.isFinal(index) };
  await deliver(c, 'escalationNotice', told, upcoming);
  await c.record({ type: 'notified', stage: index + 1, detail: { kind: 'beforeEntry', told: parties(told) } });
  return told;
}

/**
 * The case moved to this stage (newer cases): the practitioners and everyone told of it so far
 * hear why, who has it now and by when, in one email each. Not those who already have an email
 * about this move (the stage's people, those the policy tells of it), nor the person whose own
 * "not resolved" moved it, nor the raiser of an immediate-harm case: the product confirms their
 * action to them on the page where they took it.
 */
export async function tellMoved(c: CaseContext, run: StageRun, why: EscalationReason, alreadyTold: Recipient[]): Promise<void> {
  if (why.kind === 'opened') return;
  const byId = (id: string | undefined) => [...c.practitioners(), ...c.soFar.involved].filter((r) => r.id === id);
  const actor =
    why.kind === 'immediateHarm' ? c.practitioners().slice(0, 1) : why.kind === 'notResolved' || why.kind === 'panelConvened' ? byId(c.soFar.decisions.at(-1)?.recipientId) : [];
  // An immediate-harm case starts now: those alerted were told of it a moment ago; the other practitioner hears where it starts.
  const everyone = why.kind === 'immediateHarm' ? c.practitioners() : c.informed();
  const told = except(everyone, [...alreadyTold, ...actor]);
  if (told.length === 0) return;
  const view = c.current!.view;
  const delivered = await deliver(c, 'caseMoved', told, c.summary(run, view.deadline), { reason: why, team: teamOf(c, run.participants) });
  await c.record({ type: 'notified', stage: run.number, detail: { kind: 'caseMoved', told: parties(told), delivered } });
}

/** Who has the case at a stage, by role and agency name, once each. */
export function teamOf(c: CaseContext, people: Recipient[]): NonNullable<Notification['team']> {
  const seen = new Set<string>();
  const team: NonNullable<Notification['team']> = [];
  for (const p of people) {
    const agency = p.agencyId ? (c.policy.directory.agencies.find((a) => a.id === p.agencyId)?.name ?? p.agencyId) : undefined;
    const key = `${p.role}|${agency ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    team.push({ role: p.role, ...(agency ? { agency } : {}) });
  }
  return team;
}

/** After an outcome: the people the pack tells of outcomes at this stage, with the proforma where it asks. */
export async function tellOutcome(c: CaseContext, run: StageRun): Promise<void> {
  const decision = c.current!.decision!;
  const rules = c.plan.packRules('outcomeRecorded', run.index);
  const told = await c.recipientsOf(rules.plain);
  if (patched(EVERYONE_INFORMED)) {
    // Every outcome is followed at once by a move to another stage or the resolution, and both are
    // told to everyone informed: these people join them, and hear it once, in that email.
    c.tell(told);
    await sendProforma(c, run, rules.proforma);
    return;
  }
  if (told.length > 0) {
    const outcome = { outcome: decision.decision.outcome, byRole: decision.recordedBy };
    await deliver(c, 'outcomeNotice', told, c.summary(run, c.current!.view.deadline), { outcome });
    await c.record({ type: 'outcomeNotified', stage: run.number, detail: { outcome, told: parties(told) } });
  }
  await sendProforma(c, run, rules.proforma);
}

/**
 * Cases that reach a proforma from here on email only a link to it (issue 10): the proforma is
 * built from the record by records/proforma.ts when read, with no case reference and months, not
 * dates. Cases that sent theirs before keep the old shape on replay.
 */
export const PROFORMA_BY_LINK = 'proforma-by-link';

/** Hull's anonymised proforma: the partnership is told it is ready, with a link for its signed-in staff. */
export async function sendProforma(c: CaseContext, run: StageRun, refs: RoleRef[]): Promise<void> {
  if (refs.length === 0) return;
  const to = await c.recipientsOf(refs);
  if (patched(PROFORMA_BY_LINK)) {
    await deliver(c, 'proforma', to, c.summary(run, c.current!.view.deadline));
    await c.record({ type: 'proformaSent', stage: run.number, detail: { recipients: parties(to) } });
    return;
  }
  // Before PROFORMA_BY_LINK: the workflow assembled a proforma of its own (replay only; the email
  // activity no longer puts it in any email).
  const { policy, input } = c;
  const agencyName = (id: string) => policy.directory.agencies.find((a) => a.id === id)?.name ?? id;
  const proforma = {
    partnership: policy.name,
    policyVersion: policy.policy.version,
    category: categoryLabel(policy, input.category),
    agencies: { raiser: agencyName(input.raiser.agencyId), other: agencyName(input.other.agencyId) },
    flags: { ...input.flags },
    stages: c.soFar.stagesSeen.map((s) => ({ ...s })),
    status: c.status,
  };
  await deliver(c, 'proforma', to, c.summary(run, c.current!.view.deadline), { proforma });
  await c.record({ type: 'proformaSent', stage: run.number, detail: { recipients: parties(to), proforma } });
}
