/**
 * Agreement means agreement (issue 11), on the time-skipping server with in-memory activities: at a
 * stage where both sides meet, "resolved" from one side is a proposal; someone on the other side
 * confirms it (resolved) or disputes it (not resolved, escalating with their reasons). The proposer
 * cannot confirm their own; a stage whose time runs out with a proposal unconfirmed escalates as a
 * deadline. A stage decided by "anyone" resolves with one decision; a named role refuses others.
 */
import { type WorkflowHandle } from '@temporalio/client';
import { Refusal, caseState, confirmOutcome, recordOutcome, type ConfirmOutcomeRequest, type RecordOutcomeRequest } from '../../../shared/contract';
import type { PolicyPack } from '../../../shared/policy/schema';
import type { disagreement } from '../../../workflows/disagreement';
import { caseInput, endCase, expectOrderedRecord, refusalOf, fakeWorld, testPack, typesOf, useWorkflowHarness, type FakeWorld } from '../../support/workflowHarness';

const ctx = useWorkflowHarness();

function start(taskQueue: string, pack: PolicyPack = testPack()) {
  const input = caseInput(pack);
  return ctx.h.env.client.workflow.start<typeof disagreement>('disagreement', { taskQueue, workflowId: input.reference, args: [input] });
}

/** Waits (in real time, the clock held) until `done` holds of the case. */
async function until(handle: WorkflowHandle, done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${handle.workflowId}: never ${what}`);
}

const atStage = (handle: WorkflowHandle, world: FakeWorld, stage: number) =>
  until(
    handle,
    async () => (await handle.query(caseState)).stage?.number === stage && world.record.some((e) => e.reference === handle.workflowId && e.type === 'notified' && e.stage === stage),
    `reached stage ${stage} with its invitations out`,
  );

const decide = (handle: WorkflowHandle, request: Omit<RecordOutcomeRequest, 'reference'>) => handle.executeUpdate(recordOutcome, { args: [{ ...request, reference: handle.workflowId }] });
const answer = (handle: WorkflowHandle, request: Omit<ConfirmOutcomeRequest, 'reference'>) => handle.executeUpdate(confirmOutcome, { args: [{ ...request, reference: handle.workflowId }] });
const agreed = { outcome: 'resolved' as const, agreedOutcome: 'Joint visit on Monday.', agreedPlan: 'Police attend the strategy meeting.' };
const eventsOf = (world: FakeWorld, reference: string, type: string) => world.record.filter((e) => e.reference === reference && e.type === type);

describe('agreement means agreement, with in-memory activities on the time-skipping server', () => {
  it('a resolution one side proposes is resolved only once the other side confirms it', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      const ref = handle.workflowId;
      await atStage(handle, world, 1);
      const proposed = await decide(handle, { stage: 1, recipientId: 'raiser.worker.0', decision: agreed });
      expect(proposed).toMatchObject({ recipientId: 'raiser.worker.0', awaiting: ['other'], decision: agreed });

      // Still open: the other practitioner is asked, by email with a link, to confirm or dispute it.
      await until(handle, () => eventsOf(world, ref, 'notified').some((e) => e.type === 'notified' && e.detail.kind === 'confirmationRequest'), 'asked the other side');
      const state = await handle.query(caseState);
      expect(state).toMatchObject({ status: 'open', decisions: [], proposal: { recipientId: 'raiser.worker.0', awaiting: ['other'], decision: agreed } });
      const asked = world.mail.filter((n) => n.reference === ref && n.kind === 'confirmationRequest');
      expect(asked.map((n) => n.recipient.id)).toEqual(['other.worker.0']);
      expect(asked[0]).toMatchObject({ proposal: { byRole: 'worker', agency: 'Quick School' } });
      expect(asked[0].linkExpiresAt).toBeDefined();
      // No free text of the proposal travels by email.
      expect(JSON.stringify(asked[0])).not.toContain('Joint visit');

      const confirmed = await answer(handle, { stage: 1, recipientId: 'other.worker.0', confirm: true });
      expect(confirmed).toMatchObject({ result: 'resolved', decision: { recipientId: 'raiser.worker.0', confirmedBy: [{ recipientId: 'other.worker.0', role: 'worker' }] } });
      await expect(handle.result()).resolves.toMatchObject({ status: 'resolved', endedAtStage: 1, decision: { decision: agreed } });

      const types = typesOf(world, ref);
      expect(types).toEqual(expect.arrayContaining(['outcomeProposed', 'outcomeConfirmed', 'resolved']));
      expect(types.indexOf('outcomeProposed')).toBeLessThan(types.indexOf('outcomeConfirmed'));
      expect(types.indexOf('outcomeConfirmed')).toBeLessThan(types.indexOf('resolved'));
      expect(types).not.toContain('outcomeRecorded');
      expect(eventsOf(world, ref, 'outcomeProposed')[0]).toMatchObject({ actor: 'raiser.worker.0', detail: { role: 'worker', awaiting: ['other'], ...agreed } });
      expect(eventsOf(world, ref, 'outcomeConfirmed')[0]).toMatchObject({ actor: 'other.worker.0', detail: { role: 'worker', proposedBy: 'raiser.worker.0', awaiting: [] } });
      expectOrderedRecord(world, ref);
    });
  });

  it('a dispute counts as not resolved: the case escalates with the disputer’s reasons', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      const ref = handle.workflowId;
      await atStage(handle, world, 1);
      await decide(handle, { stage: 1, recipientId: 'other.worker.0', decision: agreed });
      // A dispute without reasons is refused.
      expect(await refusalOf(answer(handle, { stage: 1, recipientId: 'raiser.worker.0', confirm: false, reasons: ' ' }))).toBe(Refusal.invalidDecision);
      const disputed = await answer(handle, { stage: 1, recipientId: 'raiser.worker.0', confirm: false, reasons: 'The plan leaves the child at home alone.' });
      expect(disputed).toMatchObject({ result: 'disputed', decision: { recipientId: 'raiser.worker.0', disputed: true, decision: { outcome: 'notResolved', reasons: 'The plan leaves the child at home alone.' } } });

      await atStage(handle, world, 2);
      expect(eventsOf(world, ref, 'outcomeDisputed')[0]).toMatchObject({
        actor: 'raiser.worker.0',
        detail: { role: 'worker', reasons: 'The plan leaves the child at home alone.', proposedBy: 'other.worker.0', proposedByRole: 'worker' },
      });
      expect(eventsOf(world, ref, 'escalated')[0]).toMatchObject({ stage: 1, actor: 'raiser.worker.0', detail: { toStage: 2, reason: { kind: 'notResolved', fromStage: 1, byRole: 'worker', disputed: true } } });
      const state = await handle.query(caseState);
      expect(state.proposal).toBeNull();
      expect(state.decisions).toEqual([expect.objectContaining({ stage: 1, disputed: true, decision: { outcome: 'notResolved', reasons: 'The plan leaves the child at home alone.' } })]);
      // The proposal's stage is over: answering it again is refused as a stale stage.
      expect(await refusalOf(answer(handle, { stage: 1, recipientId: 'raiser.worker.0', confirm: true }))).toBe(Refusal.staleStage);
      await endCase(handle);
      expectOrderedRecord(world, ref);
    });
  });

  it('the proposer cannot confirm their own proposal, nor can it be proposed twice; "not resolved" still ends the stage at once', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      const ref = handle.workflowId;
      await atStage(handle, world, 1);
      await decide(handle, { stage: 1, recipientId: 'raiser.worker.0', decision: agreed });
      expect(await refusalOf(answer(handle, { stage: 1, recipientId: 'raiser.worker.0', confirm: true }))).toBe(Refusal.notOtherSide);
      expect(await refusalOf(decide(handle, { stage: 1, recipientId: 'other.worker.0', decision: agreed }))).toBe(Refusal.awaitingConfirmation);
      expect(await refusalOf(answer(handle, { stage: 1, recipientId: 'other.lineManager.0', confirm: true }))).toBe(Refusal.notParticipant);
      expect((await handle.query(caseState)).proposal).toMatchObject({ awaiting: ['other'] });

      // The proposer's own side records "not resolved": the stage ends, the proposal lapses on the record.
      await decide(handle, { stage: 1, recipientId: 'raiser.worker.0', decision: { outcome: 'notResolved', reasons: 'On reflection, no.' } });
      await atStage(handle, world, 2);
      expect(eventsOf(world, ref, 'outcomeProposalLapsed')[0]).toMatchObject({ stage: 1, actor: 'raiser.worker.0', detail: { because: 'notResolved', awaiting: ['other'] } });
      expect(await refusalOf(answer(handle, { stage: 1, recipientId: 'other.worker.0', confirm: true }))).toBe(Refusal.staleStage);
      await endCase(handle);
      expectOrderedRecord(world, ref);
    });
  });

  it('a stage that runs out of time with a proposal unconfirmed escalates as a deadline, the record saying so', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      const ref = handle.workflowId;
      await atStage(handle, world, 1);
      await decide(handle, { stage: 1, recipientId: 'other.worker.0', decision: agreed });
      await until(handle, () => eventsOf(world, ref, 'notified').some((e) => e.type === 'notified' && e.detail.kind === 'confirmationRequest'), 'asked the other side');
      await ctx.h.env.sleep('61 minutes');
      await atStage(handle, world, 2);
      const types = typesOf(world, ref);
      expect(types.indexOf('deadlinePassed')).toBeLessThan(types.indexOf('outcomeProposalLapsed'));
      expect(types.indexOf('outcomeProposalLapsed')).toBeLessThan(types.indexOf('escalated'));
      expect(eventsOf(world, ref, 'outcomeProposalLapsed')[0]).toMatchObject({ actor: 'other.worker.0', detail: { role: 'worker', because: 'deadline', awaiting: ['raiser'] } });
      expect(eventsOf(world, ref, 'escalated')[0]).toMatchObject({ detail: { reason: { kind: 'deadline', fromStage: 1 } } });
      expect((await handle.query(caseState)).proposal).toBeNull();
      await endCase(handle);
      expectOrderedRecord(world, ref);
    });
  });

  it('at the final stage a dispute has nowhere to escalate: the stage goes on, and a new agreed outcome can still be confirmed', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, testPack((p) => (p.stages = p.stages.slice(0, 1))));
      const ref = handle.workflowId;
      await atStage(handle, world, 1);
      await decide(handle, { stage: 1, recipientId: 'raiser.worker.0', decision: agreed });
      const disputed = await answer(handle, { stage: 1, recipientId: 'other.worker.0', confirm: false, reasons: 'Not this plan.' });
      expect(disputed).toMatchObject({ result: 'disputed', stageContinues: true });
      expect(await handle.query(caseState)).toMatchObject({ status: 'open', stage: { number: 1 }, decisions: [], proposal: null });
      await decide(handle, { stage: 1, recipientId: 'other.worker.0', decision: { ...agreed, agreedOutcome: 'Joint visit on Tuesday.' } });
      await answer(handle, { stage: 1, recipientId: 'raiser.worker.0', confirm: true });
      await expect(handle.result()).resolves.toMatchObject({ status: 'resolved', endedAtStage: 1, decision: { recipientId: 'other.worker.0', decision: { agreedOutcome: 'Joint visit on Tuesday.' } } });
      expect(typesOf(world, ref).filter((t) => t.startsWith('outcome'))).toEqual(['outcomeProposed', 'outcomeDisputed', 'outcomeProposed', 'outcomeConfirmed']);
      expectOrderedRecord(world, ref);
    });
  });

  it('a stage the pack leaves to anyone resolves with one decision', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, testPack((p) => (p.stages[0].decidedBy = 'anyone')));
      const ref = handle.workflowId;
      await atStage(handle, world, 1);
      const recorded = await decide(handle, { stage: 1, recipientId: 'raiser.worker.0', decision: agreed });
      expect(recorded.awaiting).toBeUndefined();
      await expect(handle.result()).resolves.toMatchObject({ status: 'resolved', endedAtStage: 1 });
      expect(typesOf(world, ref)).toEqual(expect.arrayContaining(['outcomeRecorded', 'resolved']));
      expect(typesOf(world, ref)).not.toContain('outcomeProposed');
      expect(world.mail.some((n) => n.reference === ref && n.kind === 'confirmationRequest')).toBe(false);
      expectOrderedRecord(world, ref);
    });
  });

  it('a stage a named role decides refuses everyone else taking part; the role holder decides alone', async () => {
    const world = fakeWorld();
    const pack = testPack((p) => {
      p.stages[0].participants = [...p.stages[0].participants, { role: 'partnershipChair', of: 'partnership', fallback: [] }];
      p.stages[0].decidedBy = { role: 'partnershipChair' };
    });
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, pack);
      const ref = handle.workflowId;
      await atStage(handle, world, 1);
      expect(await refusalOf(decide(handle, { stage: 1, recipientId: 'raiser.worker.0', decision: agreed }))).toBe(Refusal.notDecider);
      expect(await refusalOf(decide(handle, { stage: 1, recipientId: 'other.worker.0', decision: { outcome: 'notResolved', reasons: 'No.' } }))).toBe(Refusal.notDecider);
      await decide(handle, { stage: 1, recipientId: 'partnership.partnershipChair.0', decision: agreed });
      await expect(handle.result()).resolves.toMatchObject({ status: 'resolved', endedAtStage: 1, decision: { recipientId: 'partnership.partnershipChair.0' } });
      expect(typesOf(world, ref)).not.toContain('outcomeProposed');
      expectOrderedRecord(world, ref);
    });
  });
});
