/**
 * The workflow's own rules, on the time-skipping test server with in-memory activities: Updates
 * sent straight to Temporal (a stale stage, a second decision, a non-participant), withdrawal and
 * close, the final stage's end, a refused address, a mail server that is down, continue-as-new
 * and an operator's cancel. Every case's record must arrive in order with no gap.
 */
import { type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { Refusal, caseState, closeCase, recordOutcome, withdrawCase, type RecordOutcomeRequest } from '../../../shared/contract';
import type { disagreement } from '../../../workflows/disagreement';
import { noActivityInFlight } from '../../support/waits';
import { Gate, atStage, caseInput, endCase, refusalOf, expectOrderedRecord, fakeWorld, testPack, typesOf, useWorkflowHarness, type FakeWorld } from '../../support/workflowHarness';

const ctx = useWorkflowHarness();

async function start(taskQueue: string, input = caseInput(testPack())): Promise<WorkflowHandleWithFirstExecutionRunId<typeof disagreement>> {
  return ctx.h.env.client.workflow.start<typeof disagreement>('disagreement', { taskQueue, workflowId: input.reference, args: [input] });
}

type Decision = Omit<RecordOutcomeRequest, 'reference'>;
const decide = (handle: WorkflowHandle, request: Decision) => handle.executeUpdate(recordOutcome, { args: [{ ...request, reference: handle.workflowId }] });
const notResolved = (stage: number, recipientId: string): Decision => ({ stage, recipientId, decision: { outcome: 'notResolved', reasons: 'Still apart.' } });

/** Not resolved at stages 1 and 2: the case is at the chair's stage, the line managers' duty pending. */
async function atChairWithDutyPending(taskQueue: string, world: FakeWorld) {
  const handle = await start(taskQueue);
  await atStage(handle, world, 1);
  await decide(handle, notResolved(1, 'raiser.worker.0'));
  await atStage(handle, world, 2);
  await decide(handle, notResolved(2, 'raiser.lineManager.0'));
  await atStage(handle, world, 3);
  return handle;
}

describe('the disagreement workflow, with in-memory activities on the time-skipping server', () => {
  it('refuses an Update for a stage the case has left, sent straight to Temporal', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      await atStage(handle, world, 1);
      await decide(handle, notResolved(1, 'raiser.worker.0'));
      await atStage(handle, world, 2);
      expect(await refusalOf(decide(handle, notResolved(1, 'other.worker.0')))).toBe(Refusal.staleStage);
      expect(typesOf(world, handle.workflowId).filter((t) => t === 'outcomeRecorded')).toHaveLength(1);
      await endCase(handle);
    });
  });

  it('refuses a second decision at the same stage while the first is still being recorded', async () => {
    const world = fakeWorld();
    world.holdRecord = { type: 'outcomeRecorded', gate: new Gate() };
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      await atStage(handle, world, 1);
      const first = decide(handle, notResolved(1, 'raiser.worker.0'));
      // The first is accepted and held at the record; the second must see it.
      for (let i = 0; i < 2400 && !(await handle.query(caseState)).decisions.length; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await refusalOf(decide(handle, notResolved(1, 'other.worker.0')))).toBe(Refusal.alreadyDecided);
      world.holdRecord!.gate.open();
      await expect(first).resolves.toMatchObject({ stage: 1, recipientId: 'raiser.worker.0' });
      await atStage(handle, world, 2);
      expectOrderedRecord(world, handle.workflowId);
      await endCase(handle);
    });
  });

  it('refuses someone who does not take part in the stage, and a resolution without what the policy requires', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, caseInput(testPack((p) => (p.resolution = { ...p.resolution, require: ['agreedPlan'] }))));
      await atStage(handle, world, 1);
      expect(await refusalOf(decide(handle, notResolved(1, 'partnership.partnershipChair.0')))).toBe(Refusal.notParticipant);
      expect(await refusalOf(decide(handle, { stage: 1, recipientId: 'raiser.worker.0', decision: { outcome: 'resolved', agreedOutcome: 'Agreed.' } }))).toBe(Refusal.invalidDecision);
      expect(await refusalOf(decide(handle, { stage: 1, recipientId: 'raiser.worker.0', decision: { outcome: 'panelConvened' } }))).toBe(Refusal.invalidDecision);
      expect(typesOf(world, handle.workflowId)).not.toContain('outcomeRecorded');
      await endCase(handle);
    });
  });

  it('is withdrawn by the raiser with a reason: pending duties end, everyone is told, the record closes', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      // A duty follows the line managers' outcome: assign it, then withdraw before it falls due.
      const handle = await atChairWithDutyPending(taskQueue, world);
      expect(typesOf(world, handle.workflowId)).toContain('dutyAssigned');

      const refusedClose = await refusalOf(handle.executeUpdate(closeCase, { args: [{ reference: handle.workflowId, by: 'raiser', actor: 'raiser.worker.0', reason: 'Sorted.' }] }));
      expect(refusedClose).toBe(Refusal.notAllowed);
      expect(await refusalOf(handle.executeUpdate(withdrawCase, { args: [{ reference: handle.workflowId, by: 'raiser', actor: 'raiser.worker.0', reason: '   ' }] }))).toBe(Refusal.notAllowed);

      const ending = await handle.executeUpdate(withdrawCase, { args: [{ reference: handle.workflowId, by: 'raiser', actor: 'raiser.worker.0', reason: 'Agreed a plan outside the process.' }] });
      expect(ending).toMatchObject({ status: 'withdrawn', stage: 3 });
      await expect(handle.result()).resolves.toMatchObject({ status: 'withdrawn', endedAtStage: 3 });

      const types = typesOf(world, handle.workflowId);
      expect(types).toContain('withdrawn');
      expect(types.at(-1)).toBe('closed');
      expect(types).not.toContain('dutyDue');
      const withdrawn = world.record.find((e) => e.reference === handle.workflowId && e.type === 'withdrawn')!;
      expect(withdrawn).toMatchObject({ actor: 'raiser.worker.0', detail: { by: 'raiser', reason: 'Agreed a plan outside the process.' }, caseUpdate: { status: 'withdrawn' } });
      const told = world.mail.filter((n) => n.reference === handle.workflowId && n.kind === 'caseEnded').map((n) => n.recipient.email);
      expect(told).toEqual(expect.arrayContaining(['sue@quick.example.org', 'pete@quick.example.org', 'deputy@quick.example.org', 'chair@quick.example.org']));
      expectOrderedRecord(world, handle.workflowId);
    });
  });

  it('is closed by a partnership admin', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      await atStage(handle, world, 1);
      await handle.executeUpdate(closeCase, { args: [{ reference: handle.workflowId, by: 'partnershipAdmin', actor: 'admin.api-key', reason: 'Duplicate of another case.' }] });
      await expect(handle.result()).resolves.toMatchObject({ status: 'closed' });
      expect(typesOf(world, handle.workflowId)).toEqual(expect.arrayContaining(['closedByAdmin', 'closed']));
      expectOrderedRecord(world, handle.workflowId);
    });
  });

  it('at the final stage, reminds once when its time runs out and then closes the case unresolved', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      // Deadlines alone: the server skips the clock while the test waits for the result.
      await expect(handle.result()).resolves.toMatchObject({ status: 'unresolved', endedAtStage: 3 });
      const types = typesOf(world, handle.workflowId);
      expect(types.filter((t) => t === 'escalated')).toHaveLength(2);
      expect(types.slice(-3)).toEqual(['closedUnresolved', 'confirmationSent', 'closed']);
      expect(types).toEqual(expect.arrayContaining(['reminderSent', 'closedUnresolved', 'closed']));
      const finalReminders = world.mail.filter((n) => n.reference === handle.workflowId && n.kind === 'overdueReminder');
      expect(finalReminders.map((n) => n.recipient.email)).toEqual(['chair@quick.example.org']);
      expect(finalReminders[0].overdue).toMatchObject({ mode: 'final' });
      // Bounded: the case ended, its history did not grow for ever.
      expect((await handle.fetchHistory()).events!.length).toBeLessThan(400);
      expectOrderedRecord(world, handle.workflowId);
    });
  });

  it('at the final stage, refers the case on where the pack says so', async () => {
    const world = fakeWorld();
    const pack = testPack((p) => (p.finalDeadline = { then: 'referOn', referTo: [{ role: 'partnershipMailbox', of: 'partnership', fallback: [] }] }));
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, caseInput(pack));
      await expect(handle.result()).resolves.toMatchObject({ status: 'referred' });
      const referral = world.record.find((e) => e.reference === handle.workflowId && e.type === 'referred')!;
      expect(referral.detail).toMatchObject({ to: [{ id: 'partnership.partnershipMailbox.0', role: 'partnershipMailbox' }] });
      expect(world.mail.some((n) => n.kind === 'caseEnded' && n.recipient.email === 'unit@quick.example.org' && n.ending?.status === 'referred')).toBe(true);
    });
  });

  it('goes on when the mail server refuses an address for good: recorded, the mailbox told, the deadline still escalates', async () => {
    const world = fakeWorld();
    world.refuse.add('pete@quick.example.org');
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      await atStage(handle, world, 1);
      const failed = world.record.find((e) => e.reference === handle.workflowId && e.type === 'deliveryFailed')!;
      expect(failed).toMatchObject({ stage: 1, detail: { kind: 'stageInvitation', recipient: { id: 'other.worker.0' }, code: 550, told: [{ role: 'partnershipMailbox' }] } });
      expect(world.mail.filter((n) => n.kind === 'deliveryFailedNotice').map((n) => n.recipient.email)).toEqual(['unit@quick.example.org']);
      const notified = world.record.find((e) => e.reference === handle.workflowId && e.type === 'notified' && e.stage === 1)!;
      expect(notified.detail).toMatchObject({ delivered: expect.arrayContaining([expect.objectContaining({ id: 'other.worker.0', delivery: 'refused' })]) });
      await ctx.h.env.sleep('61 minutes');
      await atStage(handle, world, 2);
      expectOrderedRecord(world, handle.workflowId);
      await endCase(handle);
    });
  });

  it('starts a stage\'s clock only when its invitations were handed over: a mail outage moves the deadline', async () => {
    const world = fakeWorld();
    const mailServer = new Gate();
    world.mailDown = mailServer;
    await ctx.h.withWorker(world, async (taskQueue) => {
      // Ten-second stages: a delay over half a second is more than ordinary sending time.
      const handle = await start(taskQueue, caseInput(testPack((p) => p.stages.forEach((s) => (s.timescale = { period: 'PT10S' })))));
      for (let i = 0; i < 2400 && !typesOf(world, handle.workflowId).includes('stageEntered'); i++) await new Promise((r) => setTimeout(r, 25));
      // The mail server is down for longer than the stage lasts: the stage must not escalate.
      await new Promise((r) => setTimeout(r, 3000));
      expect((await handle.query(caseState)).stage?.number).toBe(1);
      expect(typesOf(world, handle.workflowId)).not.toContain('escalated');
      mailServer.open();
      world.mailDown = undefined;
      // The deadline moves once the invitations are out (the event follows the note of them).
      const movedOf = () => world.record.find((e) => e.reference === handle.workflowId && e.type === 'deadlineMoved');
      for (let i = 0; i < 2400 && !movedOf(); i++) await new Promise((r) => setTimeout(r, 25));
      const moved = movedOf();
      expect(moved).toBeDefined();
      const { from, to } = moved!.detail as { from: string; to: string };
      expect(new Date(to).getTime() - new Date(from).getTime()).toBeGreaterThanOrEqual(3000);
      let shown: string | undefined;
      for (let i = 0; i < 2400 && shown !== to; i++) shown = (await handle.query(caseState)).stage?.deadline;
      expect(shown).toBe(to);
      await endCase(handle);
    });
  });

  it('continues as new between stages once its history is long, carrying the case and its record on', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const input = caseInput(testPack(), { continueAsNewAfterEvents: 20 });
      const handle = await start(taskQueue, input);
      await expect(handle.result()).resolves.toMatchObject({ status: 'unresolved', endedAtStage: 3 });
      const first = await ctx.h.env.client.workflow.getHandle(input.reference, handle.firstExecutionRunId).describe();
      expect(first.status.name).toBe('CONTINUED_AS_NEW');
      expect(typesOf(world, input.reference).filter((t) => t === 'stageEntered')).toHaveLength(3);
      expectOrderedRecord(world, input.reference);
    });
  });

  it('when an operator cancels it in Temporal, ends it as closed on the record, pending duty and all', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await atChairWithDutyPending(taskQueue, world);
      // Cancelled between activities: the test server mishandles a cancel racing an activity's completion.
      await noActivityInFlight(handle);
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      const types = typesOf(world, handle.workflowId);
      expect(types).toEqual(expect.arrayContaining(['closedByAdmin', 'closed']));
      expect(world.record.find((e) => e.reference === handle.workflowId && e.type === 'closedByAdmin')!.detail).toMatchObject({ by: 'operator' });
      expectOrderedRecord(world, handle.workflowId);
    });
  });
});
