/**
 * The stage's clock (issue 11), on the time-skipping server with in-memory activities: a pause
 * stops escalation and a resume moves the deadline on by the paused time; a shortened deadline
 * escalates earlier and an extended one later; the final stage's last chance keeps its due
 * deadline (still overdue, and found by LscpStageDueAt). Each change is on the record and told to
 * the stage's people and the practitioners.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type WorkflowHandle } from '@temporalio/client';
import { Refusal, caseState, changeDeadline, pauseClock, resumeClock, type ChangeDeadlineRequest, type ClockRequest } from '../../../shared/contract';
import { overdueSince } from '../../../shared/overdue';
import { STAGE_DUE_AT } from '../../../shared/searchAttributes';
import type { disagreement } from '../../../workflows/disagreement';
import { atStage, caseInput, endCase, expectOrderedRecord, refusalOf, fakeWorld, testPack, typesOf, useWorkflowHarness, type FakeWorld } from '../../support/workflowHarness';

const ctx = useWorkflowHarness();
const MINUTE = 60_000;

function start(taskQueue: string, input = caseInput(testPack())) {
  return ctx.h.env.client.workflow.start<typeof disagreement>('disagreement', { taskQueue, workflowId: input.reference, args: [input] });
}

async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never: ${what}`);
}

const byPete = (stage: number, over: Partial<ClockRequest> = {}): ClockRequest => ({ reference: '', stage, by: 'participant', actor: 'other.worker.0', reason: 'Waiting for the strategy meeting.', ...over });
const pause = (h: WorkflowHandle, r: ClockRequest) => h.executeUpdate(pauseClock, { args: [{ ...r, reference: h.workflowId }] });
const resume = (h: WorkflowHandle, r: ClockRequest) => h.executeUpdate(resumeClock, { args: [{ ...r, reference: h.workflowId }] });
const change = (h: WorkflowHandle, r: ChangeDeadlineRequest) => h.executeUpdate(changeDeadline, { args: [{ ...r, reference: h.workflowId }] });
const of = (world: FakeWorld, h: WorkflowHandle, type: string) => world.record.filter((e) => e.reference === h.workflowId && e.type === type);
/**
 * The case's LscpStageDueAt, or undefined when it has none. Removing a Datetime attribute (null) reads
 * back from the Java time-skipping server as the epoch; the dev server removes it (operations test).
 */
async function dueAt(h: WorkflowHandle): Promise<Date | undefined> {
  const value = (await h.describe()).searchAttributes[STAGE_DUE_AT.name] as Date[] | undefined;
  return value?.[0] && value[0].getTime() > 0 ? value[0] : undefined;
}
const stageNow = async (h: WorkflowHandle) => (await h.query(caseState)).stage!;

describe('the stage clock, with in-memory activities on the time-skipping server', () => {
  it('a pause stops escalation; resuming moves the deadline on by the paused time, then it escalates', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      await atStage(handle, world, 1);
      const due = (await stageNow(handle)).deadline;

      const paused = await pause(handle, byPete(1));
      expect(paused.pausedAt).toBeDefined();
      expect(of(world, handle, 'clockPaused')[0]).toMatchObject({
        stage: 1,
        actor: 'other.worker.0',
        detail: { by: 'participant', role: 'worker', reason: 'Waiting for the strategy meeting.', deadline: due },
        caseUpdate: { clockPausedAt: paused.pausedAt },
      });
      // Paused: not in the overdue query, not overdue by the one definition.
      expect(await dueAt(handle)).toBeUndefined();

      // Three hours pass, far beyond the hour the stage had: nothing escalates, nobody is reminded.
      await ctx.h.env.sleep('3 hours');
      const waiting = await stageNow(handle);
      expect(waiting.number).toBe(1);
      expect(overdueSince({ status: 'open', deadline: waiting.deadline, pausedAt: waiting.pausedAt }, new Date(await ctx.h.env.currentTimeMs()))).toBeNull();
      expect(typesOf(world, handle.workflowId)).not.toContain('deadlinePassed');
      // Pausing twice is refused; so is anyone not taking part in the stage.
      expect(await refusalOf(pause(handle, byPete(1)))).toBe(Refusal.invalidClockChange);
      expect(await refusalOf(resume(handle, byPete(1, { actor: 'raiser.lineManager.0' })))).toBe(Refusal.notParticipant);

      const resumed = await resume(handle, byPete(1, { by: 'partnershipAdmin', actor: 'partnershipAdmin', reason: undefined }));
      const event = of(world, handle, 'clockResumed')[0];
      const pausedFor = Date.parse(event.at) - Date.parse(paused.pausedAt!);
      expect(pausedFor).toBeGreaterThanOrEqual(3 * 60 * MINUTE);
      expect(Date.parse(resumed.deadline)).toBe(Date.parse(due) + pausedFor);
      expect(event).toMatchObject({ actor: 'partnershipAdmin', detail: { by: 'partnershipAdmin', from: due, to: resumed.deadline }, caseUpdate: { stageDeadline: resumed.deadline, clockPausedAt: null } });
      expect(await dueAt(handle)).toEqual(new Date(resumed.deadline));

      // The stage's people and the practitioners heard of both changes (not whoever made the change).
      const told = (change: string) => world.mail.filter((n) => n.reference === handle.workflowId && n.kind === 'clockChanged' && n.clock?.change === change).map((n) => n.recipient.email).sort();
      // The emails go out alongside the case: wait for them, not for a time.
      await until(() => told('paused').length === 1 && told('resumed').length === 2, 'the clock emails');
      expect(told('paused')).toEqual(['sue@quick.example.org']);
      expect(told('resumed')).toEqual(['pete@quick.example.org', 'sue@quick.example.org']);
      // With the new deadline, the stage's people get a fresh link valid past it; a pause carries none.
      const mailOf = (change: string) => world.mail.find((n) => n.reference === handle.workflowId && n.kind === 'clockChanged' && n.clock?.change === change && n.recipient.email === 'sue@quick.example.org')!;
      expect(mailOf('paused').linkExpiresAt).toBeUndefined();
      expect(Date.parse(mailOf('resumed').linkExpiresAt!)).toBeGreaterThan(Date.parse(resumed.deadline));

      // The rest of the hour passes: it escalates.
      await ctx.h.env.sleep('61 minutes');
      await atStage(handle, world, 2);
      expect(of(world, handle, 'deadlinePassed')[0].detail).toEqual({ deadline: resumed.deadline });
      expectOrderedRecord(world, handle.workflowId);
      await endCase(handle);
    });
  });

  it('a shortened deadline escalates earlier; an extended one later', async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const shortened = await start(taskQueue);
      const extended = await start(taskQueue, caseInput(testPack()));
      await atStage(shortened, world, 1);
      await atStage(extended, world, 1);
      const now = await ctx.h.env.currentTimeMs();

      const soon = new Date(now + 10 * MINUTE).toISOString();
      const was = (await stageNow(shortened)).deadline;
      const view = await change(shortened, { ...byPete(1), reason: 'The child needs an answer today.', deadline: soon });
      expect(view.deadline).toBe(soon);
      expect(of(world, shortened, 'deadlineChanged')[0]).toMatchObject({ detail: { change: 'shortened', from: was, to: soon, reason: 'The child needs an answer today.' }, caseUpdate: { stageDeadline: soon } });

      const later = new Date(now + 3 * 60 * MINUTE).toISOString();
      await change(extended, { ...byPete(1, { actor: 'raiser.worker.0' }), reason: 'The meeting is on Thursday.', deadline: later });
      expect(of(world, extended, 'deadlineChanged')[0].detail).toMatchObject({ change: 'extended', to: later });
      // Never into the past, and not beyond eight weeks.
      expect(await refusalOf(change(extended, { ...byPete(1), reason: 'x', deadline: new Date(now - MINUTE).toISOString() }))).toBe(Refusal.invalidClockChange);
      expect(await refusalOf(change(extended, { ...byPete(1), reason: 'x', deadline: new Date(now + 57 * 24 * 60 * MINUTE).toISOString() }))).toBe(Refusal.invalidClockChange);

      // Eleven minutes: the shortened case has escalated, the extended one has not.
      await ctx.h.env.sleep('11 minutes');
      await atStage(shortened, world, 2);
      await ctx.h.env.sleep('60 minutes');
      expect((await stageNow(extended)).number).toBe(1);
      expect(of(world, extended, 'deadlinePassed')).toHaveLength(0);
      await ctx.h.env.sleep('2 hours');
      await atStage(extended, world, 2);
      expect(of(world, extended, 'deadlinePassed')[0].detail).toEqual({ deadline: later });
      expectOrderedRecord(world, shortened.workflowId);
      expectOrderedRecord(world, extended.workflowId);
      await endCase(shortened);
      await endCase(extended);
    });
  });

  it("keeps the final stage's due deadline when it is given its last chance: still overdue, and found by LscpStageDueAt", async () => {
    const world = fakeWorld();
    await ctx.h.withWorker(world, async (taskQueue) => {
      const handle = await start(taskQueue);
      await atStage(handle, world, 1);
      // A pause and a resume at stage 1, a shortened deadline at stage 2 (the replay fixture has them all).
      await pause(handle, byPete(1));
      await ctx.h.env.sleep('10 minutes');
      await resume(handle, byPete(1));
      await ctx.h.env.sleep('71 minutes');
      await atStage(handle, world, 2);
      const soon = new Date((await ctx.h.env.currentTimeMs()) + 30 * MINUTE).toISOString();
      await change(handle, { ...byPete(2, { actor: 'raiser.lineManager.0' }), reason: 'Needed sooner.', deadline: soon });
      await ctx.h.env.sleep('31 minutes');
      await atStage(handle, world, 3);
      const due = (await stageNow(handle)).deadline;
      await ctx.h.env.sleep('61 minutes');
      await until(() => world.record.some((e) => e.reference === handle.workflowId && e.type === 'reminderSent' && e.stage === 3), 'the final reminder');

      const view = await stageNow(handle);
      expect(view.deadline).toBe(due);
      expect(Date.parse(view.lastChance!)).toBeGreaterThan(Date.parse(due));
      const now = new Date(await ctx.h.env.currentTimeMs());
      expect(overdueSince({ status: 'open', deadline: view.deadline, pausedAt: view.pausedAt }, now)).toEqual(new Date(due));
      const reminder = world.record.find((e) => e.reference === handle.workflowId && e.type === 'reminderSent' && e.stage === 3)!;
      expect(reminder.caseUpdate).toEqual({ stageLastChance: view.lastChance });
      expect(await dueAt(handle)).toEqual(new Date(due));
      // The final reminder says the due deadline passed, and gives the last chance.
      const email = world.mail.find((n) => n.reference === handle.workflowId && n.kind === 'overdueReminder')!;
      expect(email.stage.deadline).toBe(due);
      expect(email.overdue).toEqual({ mode: 'final', escalatesAt: view.lastChance });
      // In its last chance the clock is kept: no pause, no change.
      expect(await refusalOf(pause(handle, byPete(3, { by: 'partnershipAdmin', actor: 'partnershipAdmin' })))).toBe(Refusal.invalidClockChange);

      await expect(handle.result()).resolves.toMatchObject({ status: 'unresolved' });
      expect(await dueAt(handle)).toBeUndefined();
      expect(typesOf(world, handle.workflowId)).toEqual(expect.arrayContaining(['clockPaused', 'clockResumed', 'deadlineChanged', 'closedUnresolved']));
      expectOrderedRecord(world, handle.workflowId);
      // With RECORD_HISTORIES=1, kept as the replay fixture of the stage-clock path.
      if (process.env.RECORD_HISTORIES === '1') {
        writeFileSync(join(__dirname, '..', '..', 'fixtures', 'histories', 'v3-quick-stage-clock-final-overdue.json'), JSON.stringify(await handle.fetchHistory()));
      }
    });
  });
});
