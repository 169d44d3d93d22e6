/**
 * Everyone kept informed (issue 11), on the time-skipping server with in-memory activities: when
 * the case moves on, the practitioners and everyone told of it so far hear why, who has it now and
 * by when, once each; when it ends, all of them hear that, once each. Nobody gets a second email
 * about the same move, and the person whose own "not resolved" moved it is not told of it.
 */
import { noActivityInFlight } from '../../support/waits';
import type { WorkflowHandle } from '@temporalio/client';
import { caseState, recordOutcome, type RecordOutcomeRequest } from '../../../shared/contract';
import type { NotificationKind } from '../../../shared/events';
import type { PolicyPack } from '../../../shared/policy/schema';
import type { disagreement } from '../../../workflows/disagreement';
import { caseInput, expectOrderedRecord, fakeWorld, testPack, useWorkflowHarness, type FakeWorld } from '../../support/workflowHarness';

const ctx = useWorkflowHarness();

const MAILBOX = [{ role: 'partnershipMailbox', of: 'partnership' as const, fallback: [] }];

function start(taskQueue: string, input: ReturnType<typeof caseInput>) {
  return ctx.h.env.client.workflow.start<typeof disagreement>('disagreement', { taskQueue, workflowId: input.reference, args: [input] });
}

/** Waits (in real time, the clock held) until the case is at `stage` and `done` holds of its record. */
async function until(handle: WorkflowHandle, world: FakeWorld, stage: number, done: () => boolean): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    if ((await handle.query(caseState)).stage?.number === stage && done()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`case never reached stage ${stage} as expected`);
}

/** The addresses sent one kind of email about the case (at one stage, if given), sorted, with repeats. */
const sentTo = (world: FakeWorld, reference: string, kind: NotificationKind, stage?: number) =>
  world.mail
    .filter((n) => n.reference === reference && n.kind === kind && (stage === undefined || n.stage.number === stage))
    .map((n) => n.recipient.email)
    .sort();

const movedNoticed = (world: FakeWorld, reference: string, stage: number) =>
  world.record.find((e) => e.reference === reference && e.type === 'notified' && e.stage === stage && e.detail.kind === 'caseMoved');

const decide = (handle: WorkflowHandle, request: Omit<RecordOutcomeRequest, 'reference'>) =>
  handle.executeUpdate(recordOutcome, { args: [{ ...request, reference: handle.workflowId }] });

describe('everyone kept informed, with in-memory activities on the time-skipping server', () => {
  it('tells the practitioners and everyone told so far of each move (why, to whom, by when) and of the resolution, once each', async () => {
    const world = fakeWorld();
    // The business unit is told at stage 2 only (as a CP chair told at stage 2), and of outcomes from then on.
    const pack = testPack((p: PolicyPack) => {
      p.stages[1].notify = MAILBOX;
      p.stages[2].notify = [];
      p.notify = [{ to: MAILBOX, on: ['outcomeRecorded'], proforma: false }];
    });
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, caseInput(pack));
      const ref = handle.workflowId;
      await until(handle, world, 1, () => world.record.some((e) => e.reference === ref && e.type === 'notified' && e.stage === 1));
      // Nobody is told the case started at stage 1: the practitioners are its people.
      expect(sentTo(world, ref, 'caseMoved')).toEqual([]);

      // Stage 1 runs out of time: the practitioners hear it moved to the line managers, and why.
      await ctx.h.env.sleep('61 minutes');
      await until(handle, world, 2, () => movedNoticed(world, ref, 2) !== undefined);
      expect(sentTo(world, ref, 'caseMoved', 2)).toEqual(['pete@quick.example.org', 'sue@quick.example.org']);
      expect(sentTo(world, ref, 'stageInvitation', 2)).toEqual(['deputy@quick.example.org', 'inspector@quick.example.org']);
      expect(sentTo(world, ref, 'stageNotice', 2)).toEqual(['unit@quick.example.org']);
      const toPete = world.mail.find((n) => n.reference === ref && n.kind === 'caseMoved' && n.recipient.email === 'pete@quick.example.org')!;
      expect(toPete.reason).toMatchObject({ kind: 'deadline', fromStage: 1 });
      expect(toPete.team).toEqual([
        { role: 'lineManager', agency: 'Quick School' },
        { role: 'seniorManager', agency: 'Quick Police' },
      ]);
      expect(movedNoticed(world, ref, 2)!.detail).toMatchObject({ told: [{ id: 'raiser.worker.0' }, { id: 'other.worker.0' }] });

      // The school's line manager records "not resolved": everyone else hears it moved to the chair, and who moved it.
      await decide(handle, { stage: 2, recipientId: 'raiser.lineManager.0', decision: { outcome: 'notResolved', reasons: 'Still apart.' } });
      await until(handle, world, 3, () => movedNoticed(world, ref, 3) !== undefined);
      expect(sentTo(world, ref, 'caseMoved', 3)).toEqual(['inspector@quick.example.org', 'pete@quick.example.org', 'sue@quick.example.org', 'unit@quick.example.org']);
      expect(world.mail.find((n) => n.reference === ref && n.kind === 'caseMoved' && n.stage.number === 3)!.reason).toMatchObject({ kind: 'notResolved', fromStage: 2, byRole: 'lineManager' });
      // The outcome itself is told in that one email, not in an outcome notice of its own.
      expect(sentTo(world, ref, 'outcomeNotice')).toEqual([]);

      // The chair resolves it: everyone involved or told hears, once each.
      await decide(handle, { stage: 3, recipientId: 'partnership.partnershipChair.0', decision: { outcome: 'resolved', agreedOutcome: 'Agreed.' } });
      await expect(handle.result()).resolves.toMatchObject({ status: 'resolved' });
      expect(sentTo(world, ref, 'resolutionConfirmation')).toEqual(
        ['chair@quick.example.org', 'deputy@quick.example.org', 'inspector@quick.example.org', 'pete@quick.example.org', 'sue@quick.example.org', 'unit@quick.example.org'],
      );
      expect(sentTo(world, ref, 'caseMoved')).toHaveLength(6);
      expectOrderedRecord(world, ref);
    });
  });

  it('refers the case on by deadlines alone: each move told once to those not already emailed about it, and the ending once each', async () => {
    const world = fakeWorld();
    const pack = testPack((p: PolicyPack) => (p.finalDeadline = { then: 'referOn', referTo: MAILBOX }));
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, caseInput(pack));
      const ref = handle.workflowId;
      await expect(handle.result()).resolves.toMatchObject({ status: 'referred' });
      expect(sentTo(world, ref, 'caseMoved', 2)).toEqual(['pete@quick.example.org', 'sue@quick.example.org']);
      // Stage 3: the chair is invited and the unit told by the stage itself; neither gets a second email about it.
      expect(sentTo(world, ref, 'caseMoved', 3)).toEqual(['deputy@quick.example.org', 'inspector@quick.example.org', 'pete@quick.example.org', 'sue@quick.example.org']);
      // The unit is referred the case (one email), everyone else is told it ended (one each).
      expect(sentTo(world, ref, 'caseEnded')).toEqual(
        ['chair@quick.example.org', 'deputy@quick.example.org', 'inspector@quick.example.org', 'pete@quick.example.org', 'sue@quick.example.org', 'unit@quick.example.org'],
      );
      expectOrderedRecord(world, ref);
    });
  });

  it('with immediate harm, tells the other practitioner where the case starts, but not the raiser or those alerted a moment before', async () => {
    const world = fakeWorld();
    const pack = testPack((p: PolicyPack) => (p.immediateHarm = { startAtStage: 'line-managers', mayStartAt: [], notify: MAILBOX }));
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, caseInput(pack, { flags: { childProtectionPlan: false, lookedAfter: false, immediateHarm: true } }));
      const ref = handle.workflowId;
      await until(handle, world, 2, () => movedNoticed(world, ref, 2) !== undefined);
      expect(sentTo(world, ref, 'immediateHarmAlert')).toEqual(['unit@quick.example.org']);
      expect(sentTo(world, ref, 'caseMoved')).toEqual(['pete@quick.example.org']);
      expect(world.mail.find((n) => n.reference === ref && n.kind === 'caseMoved')!.reason).toEqual({ kind: 'immediateHarm' });
      // Those alerted hear when it moves on from here.
      await ctx.h.env.sleep('61 minutes');
      await until(handle, world, 3, () => movedNoticed(world, ref, 3) !== undefined);
      expect(sentTo(world, ref, 'caseMoved', 3)).toEqual(['deputy@quick.example.org', 'inspector@quick.example.org', 'pete@quick.example.org', 'sue@quick.example.org']);
      await noActivityInFlight(handle); // the test server mishandles a cancel racing an activity
      await handle.cancel();
      await handle.result().catch(() => undefined);
      // Closed by the operator: the unit, alerted at the start, hears it ended too.
      expect(sentTo(world, ref, 'caseEnded')).toContain('unit@quick.example.org');
    });
  });
});
