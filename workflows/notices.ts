/**
 * Telling people: every email the case sends goes through `deliver`, which never lets a refused
 * address stop the case. A permanent refusal is recorded, the partnership mailbox is told, and the
 * case goes on (decision 11). Also the notices the policy names around stages and outcomes.
 */
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { DeliveredTo, Notification, NotificationKind, Party, Recipient, StageSummary } from '../shared/events';
import type { RoleRef, Stage } from '../shared/policy/schema';
import { DELIVERY_FAILED } from '../shared/searchAttributes';
import { sendNotification } from './activityProxies';
import type { CaseContext, StageRun } from './case';
import { categoryLabel } from './plan';

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
  const index = c.soFar.stageIndex;
  const stage: StageSummary = { number: index + 1, name: c.policy.stages[index].name, deadline: c.now(), isFinal: false };
  await deliver(c, 'immediateHarmAlert', alerted, stage);
  await c.record({ type: 'immediateHarmAlerted', detail: { alerted: parties(alerted), startsAtStage: index + 1 } });
}

/** Hull: every organisation's DSL is told before the case reaches the senior managers. */
export async function tellBeforeEntry(c: CaseContext, stage: Stage): Promise<void> {
  if (!stage.notifyBefore?.length) return;
  const index = c.soFar.stageIndex;
  const told = await c.recipientsOf(stage.notifyBefore);
  const upcoming: StageSummary = { number: index + 1, name: stage.name, deadline: c.now(), isFinal: c.plan.isFinal(index) };
  await deliver(c, 'escalationNotice', told, upcoming);
  await c.record({ type: 'notified', stage: index + 1, detail: { kind: 'beforeEntry', told: parties(told) } });
}

/** After an outcome: the people the pack tells of outcomes at this stage, with the proforma where it asks. */
export async function tellOutcome(c: CaseContext, run: StageRun): Promise<void> {
  const decision = c.current!.decision!;
  const rules = c.plan.packRules('outcomeRecorded', run.index);
  const told = await c.recipientsOf(rules.plain);
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
