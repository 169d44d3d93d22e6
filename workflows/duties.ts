/**
 * Duties that follow an outcome (minutes within two working days of a managers' meeting): each
 * owner is told at once and reminded when it falls due. Reminders wait in a scope of their own,
 * so they outlive a resolution but end with a withdrawal, and carry over a continue-as-new.
 */
import { sleep } from '@temporalio/workflow';
import { ignoreCancellation } from './case';
import type { PendingDuty } from '../shared/contract';
import { computeDeadline } from './activityProxies';
import type { CaseContext, StageRun } from './case';
import { deliver, parties } from './notices';

export async function assignDuties(c: CaseContext, run: StageRun): Promise<void> {
  // A panel has no duties of its own: only the policy's stages list them.
  const isPolicyStage = run.number === run.index + 1;
  const duties = isPolicyStage ? (c.policy.stages[run.index].duties ?? []) : [];
  for (const duty of duties) {
    const owners = await c.recipientsOf(duty.owner);
    const due = await computeDeadline({ from: c.now(), timescale: duty.due, calendar: c.policy.calendar });
    const pending: PendingDuty = { id: duty.id, name: duty.name, stage: c.summary(run, due), due, owners };
    await deliver(c, 'dutyAssigned', owners, pending.stage, { duty: { name: duty.name, due } });
    await c.record({ type: 'dutyAssigned', stage: run.number, detail: { duty: duty.id, name: duty.name, due, owners: parties(owners) } });
    c.soFar.duties.push(pending);
    remindWhenDue(c, pending);
  }
}

/** Starts the due reminder of a pending duty (also for duties carried over a continue-as-new). */
export function remindWhenDue(c: CaseContext, duty: PendingDuty): void {
  const reminder = c.dutyScope.run(async () => {
    await sleep(Math.max(new Date(duty.due).getTime() - Date.now(), 1));
    await deliver(c, 'dutyDue', duty.owners, duty.stage, { duty: { name: duty.name, due: duty.due } });
    await c.record({ type: 'dutyDue', stage: duty.stage.number, detail: { duty: duty.id, due: duty.due } });
    c.soFar.duties = c.soFar.duties.filter((d) => d !== duty);
  });
  c.dutyReminders.push(reminder.catch(ignoreCancellation));
}
