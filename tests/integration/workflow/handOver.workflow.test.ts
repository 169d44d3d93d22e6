/**
 * "I'm not the right person" and notes, on the time-skipping server with in-memory activities: a
 * stage handed to a colleague or to the fallback role (the old link refused, the new person decides,
 * the deadline unchanged), nobody to hand to refused, and a note recorded and told to the others once
 * each, never to its author.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { addNote, caseState, confirmOutcome, handOver, recordOutcome, Refusal, type HandOverRequest, type RecordOutcomeRequest } from '../../../shared/contract';
import type { PolicyPack } from '../../../shared/policy/schema';
import type { disagreement } from '../../../workflows/disagreement';
import { caseInput, expectOrderedRecord, fakeWorld, testPack, useWorkflowHarness, type FakeWorld } from '../../support/workflowHarness';

const ctx = useWorkflowHarness();

/** The quick pack, with more people at the school: a safeguarding lead (a colleague) and a senior manager (the fallback). */
const pack = () =>
  testPack((p: PolicyPack) => {
    const school = p.directory.agencies.find((a) => a.id === 'school')!;
    school.roles.designatedSafeguardingLead = [{ name: 'Sam Lead', email: 'lead@quick.example.org' }];
    school.roles.seniorManager = [{ name: 'Hal Head', email: 'head@quick.example.org' }];
  });

function start(taskQueue: string, input: ReturnType<typeof caseInput>) {
  return ctx.h.env.client.workflow.start<typeof disagreement>('disagreement', { taskQueue, workflowId: input.reference, args: [input] });
}

async function until(handle: WorkflowHandle, world: FakeWorld, stage: number, done: () => boolean): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    if ((await handle.query(caseState)).stage?.number === stage && done()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`case never reached stage ${stage} as expected`);
}

/** At stage 2 (the line managers), invitations out. */
async function atLineManagers(handle: WorkflowHandle, world: FakeWorld) {
  const ref = handle.workflowId;
  await ctx.h.env.sleep('61 minutes');
  await until(handle, world, 2, () => world.record.some((e) => e.reference === ref && e.type === 'notified' && e.stage === 2 && e.detail.kind === 'stageInvitation'));
}

const hand = (handle: WorkflowHandle, request: Omit<HandOverRequest, 'reference'>) => handle.executeUpdate(handOver, { args: [{ ...request, reference: handle.workflowId }] });
const decide = (handle: WorkflowHandle, request: Omit<RecordOutcomeRequest, 'reference'>) =>
  handle.executeUpdate(recordOutcome, { args: [{ ...request, reference: handle.workflowId }] });
/** Both sides decide the line managers' stage (issue 11): the other side confirms a proposed resolution. */
const confirm = (handle: WorkflowHandle, stage: number, recipientId: string) =>
  handle.executeUpdate(confirmOutcome, { args: [{ reference: handle.workflowId, stage, recipientId, confirm: true }] });

/** The refusal's type, when the Update was refused. */
async function refusalOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) return (error.cause as { type?: string } | undefined)?.type;
    throw error;
  }
}

const invitationsTo = (world: FakeWorld, reference: string, email: string) => world.mail.filter((n) => n.reference === reference && n.kind === 'stageInvitation' && n.recipient.email === email);

describe('"I\'m not the right person", with in-memory activities on the time-skipping server', () => {
  it('hands the stage to a colleague: the old link is refused, the new person is invited and decides, the deadline unchanged', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, caseInput(pack()));
      const ref = handle.workflowId;
      await atLineManagers(handle, world);
      const before = (await handle.query(caseState)).stage!;

      const handed = await hand(handle, { stage: 2, recipientId: 'raiser.lineManager.0', to: { kind: 'colleague', email: 'lead@quick.example.org' }, reason: 'Sam leads on safeguarding here.' });
      expect(handed).toMatchObject({ stage: 2, from: { id: 'raiser.lineManager.0' }, to: [{ id: 'raiser.designatedSafeguardingLead.0.h1', name: 'Sam Lead' }], deadline: before.deadline });

      // The workflow's view: Sam instead of Dee, the same deadline.
      const after = (await handle.query(caseState)).stage!;
      expect(after.deadline).toBe(before.deadline);
      expect(after.participants.map((p) => p.id).sort()).toEqual(['other.seniorManager.0', 'raiser.designatedSafeguardingLead.0.h1']);

      // Sam is invited once, with a link, told who passed it on; Dee's link no longer decides or hands over.
      const invitation = invitationsTo(world, ref, 'lead@quick.example.org');
      expect(invitation).toHaveLength(1);
      expect(invitation[0]).toMatchObject({ linkExpiresAt: expect.any(String), handedOverBy: { name: 'Dee Deputy', role: 'lineManager', agency: 'Quick School', to: 'colleague' } });
      expect(await refusalOf(decide(handle, { stage: 2, recipientId: 'raiser.lineManager.0', decision: { outcome: 'notResolved', reasons: 'Old link.' } }))).toBe(Refusal.notParticipant);
      expect(await refusalOf(hand(handle, { stage: 2, recipientId: 'raiser.lineManager.0', to: { kind: 'fallback' }, reason: 'Again.' }))).toBe(Refusal.notParticipant);

      // On the record: from, to, why, the deadline kept.
      const event = world.record.find((e) => e.reference === ref && e.type === 'handedOver');
      expect(event).toMatchObject({ stage: 2, actor: 'raiser.lineManager.0', detail: { kind: 'colleague', reason: 'Sam leads on safeguarding here.', deadline: before.deadline, from: { id: 'raiser.lineManager.0' }, to: [{ id: 'raiser.designatedSafeguardingLead.0.h1' }] } });

      // Sam decides.
      await decide(handle, { stage: 2, recipientId: 'raiser.designatedSafeguardingLead.0.h1', decision: { outcome: 'resolved', agreedOutcome: 'Agreed with Sam.' } });
      await confirm(handle, 2, 'other.seniorManager.0');
      await expect(handle.result()).resolves.toMatchObject({ status: 'resolved', decision: { recipientId: 'raiser.designatedSafeguardingLead.0.h1' } });
      // Sam, who took part, is told of the resolution once like everyone else.
      expect(world.mail.filter((n) => n.reference === ref && n.kind === 'resolutionConfirmation' && n.recipient.email === 'lead@quick.example.org')).toHaveLength(1);
      expectOrderedRecord(world, ref);
    });
  });

  it('hands the stage to the fallback role the policy names after the person\u2019s own', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, caseInput(pack()));
      const ref = handle.workflowId;
      await atLineManagers(handle, world);
      const handed = await hand(handle, { stage: 2, recipientId: 'raiser.lineManager.0', to: { kind: 'fallback' }, reason: 'The head decides these.' });
      expect(handed.to).toEqual([{ id: 'raiser.seniorManager.0.h1', name: 'Hal Head', role: 'seniorManager' }]);
      expect(invitationsTo(world, ref, 'head@quick.example.org')[0]).toMatchObject({ handedOverBy: { to: 'fallback' } });
      await decide(handle, { stage: 2, recipientId: 'raiser.seniorManager.0.h1', decision: { outcome: 'notResolved', reasons: 'Still apart.' } });
      await until(handle, world, 3, () => world.record.some((e) => e.reference === ref && e.type === 'notified' && e.stage === 3 && e.detail.kind === 'stageInvitation'));
      expect(world.record.find((e) => e.reference === ref && e.type === 'escalated' && e.stage === 2)).toMatchObject({ actor: 'raiser.seniorManager.0.h1' });
      // Ended by a decision (not a cancel racing activities, which the test server can lose).
      await decide(handle, { stage: 3, recipientId: 'partnership.partnershipChair.0', decision: { outcome: 'resolved', agreedOutcome: 'Agreed.' } });
      await expect(handle.result()).resolves.toMatchObject({ status: 'resolved' });
    });
  });

  it('refuses clearly when there is nobody to hand to, and changes nothing', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, caseInput(pack()));
      const ref = handle.workflowId;
      await atLineManagers(handle, world);
      // The police inspector is already the fallback, and the police have nobody else in the directory.
      const noFallback = hand(handle, { stage: 2, recipientId: 'other.seniorManager.0', to: { kind: 'fallback' }, reason: 'Not me.' });
      await expect(noFallback).rejects.toThrow(WorkflowUpdateFailedError);
      expect(await refusalOf(hand(handle, { stage: 2, recipientId: 'other.seniorManager.0', to: { kind: 'fallback' }, reason: 'Not me.' }))).toBe(Refusal.nobodyToHandTo);
      // Someone outside the directory, or at another agency, is not a colleague.
      expect(await refusalOf(hand(handle, { stage: 2, recipientId: 'other.seniorManager.0', to: { kind: 'colleague', email: 'lead@quick.example.org' }, reason: 'Not me.' }))).toBe(Refusal.nobodyToHandTo);
      expect(await refusalOf(hand(handle, { stage: 2, recipientId: 'raiser.lineManager.0', to: { kind: 'colleague', email: 'someone@elsewhere.example.org' }, reason: 'Not me.' }))).toBe(Refusal.nobodyToHandTo);
      // No reason, or a stage the link is not for.
      expect(await refusalOf(hand(handle, { stage: 2, recipientId: 'raiser.lineManager.0', to: { kind: 'fallback' }, reason: ' ' }))).toBe(Refusal.notAllowed);
      expect(await refusalOf(hand(handle, { stage: 1, recipientId: 'raiser.lineManager.0', to: { kind: 'fallback' }, reason: 'Not me.' }))).toBe(Refusal.staleStage);
      expect(world.record.some((e) => e.reference === ref && e.type === 'handedOver')).toBe(false);
      expect((await handle.query(caseState)).stage!.participants.map((p) => p.id).sort()).toEqual(['other.seniorManager.0', 'raiser.lineManager.0']);
      await decide(handle, { stage: 2, recipientId: 'other.seniorManager.0', decision: { outcome: 'resolved', agreedOutcome: 'Agreed.' } });
      await confirm(handle, 2, 'raiser.lineManager.0');
      await expect(handle.result()).resolves.toMatchObject({ status: 'resolved' });
    });
  });
});

describe('notes to the case, with in-memory activities on the time-skipping server', () => {
  const NOTE = '0b7e5f4c-3f2a-4d61-9a8b-2c1d0e9f8a7b';
  it('records a note by its id and digest and tells everyone else taking part once each, never its author; refuses someone taking no part', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue, caseInput(pack()));
      const ref = handle.workflowId;
      await atLineManagers(handle, world);
      const note = (noteId: string, email: string, kind: 'participant' | 'partnershipAdmin' = 'participant') =>
        handle.executeUpdate(addNote, { args: [{ reference: ref, noteId, digest: 'c'.repeat(64), author: { kind, email } }] });

      const added = await note(NOTE, 'Sue@Quick.example.org');
      expect(added.told.sort()).toEqual(['other.seniorManager.0', 'other.worker.0', 'raiser.lineManager.0']);
      const noticed = world.mail.filter((n) => n.reference === ref && n.kind === 'noteAdded');
      expect(noticed.map((n) => n.recipient.email).sort()).toEqual(['deputy@quick.example.org', 'inspector@quick.example.org', 'pete@quick.example.org']);
      expect(noticed[0].noteBy).toEqual({ role: 'worker', agency: 'Quick School' });
      expect(world.record.find((e) => e.reference === ref && e.type === 'noteAdded')).toMatchObject({
        stage: 2,
        actor: 'raiser.worker.0',
        detail: { noteId: NOTE, digest: 'c'.repeat(64), by: { id: 'raiser.worker.0', role: 'worker' } },
      });

      // Someone who takes no part, even with the right shape of request, is refused; an admin is not.
      expect(await refusalOf(note('1b7e5f4c-3f2a-4d61-9a8b-2c1d0e9f8a7b', 'stranger@example.org'))).toBe(Refusal.notParticipant);
      await expect(note('2b7e5f4c-3f2a-4d61-9a8b-2c1d0e9f8a7b', 'bu@example.org', 'partnershipAdmin')).resolves.toMatchObject({ told: expect.arrayContaining(['raiser.worker.0']) });
      expect(world.mail.filter((n) => n.reference === ref && n.kind === 'noteAdded' && n.recipient.email === 'sue@quick.example.org')).toHaveLength(1);

      await decide(handle, { stage: 2, recipientId: 'raiser.lineManager.0', decision: { outcome: 'resolved', agreedOutcome: 'Agreed.' } });
      await handle.result();
      expectOrderedRecord(world, ref);
    });
  });
});
