/**
 * The resolution panel the final stage's chair may convene (Chew Stoke, Bromley): members from the
 * agencies concerned first, then others holding the panel role; the chair sits with them and any
 * of them can record the panel's decision.
 */
import type { RecordedDecision } from '../shared/contract';
import { selectPanel } from './activityProxies';
import type { CaseContext, StageRun } from './case';
import { parties } from './notices';
import { openRun } from './stage';

export async function convenePanel(c: CaseContext, run: StageRun, decision: RecordedDecision): Promise<StageRun> {
  const panel = c.policy.stages[run.index].panel!;
  const members = await selectPanel({
    directory: c.policy.directory,
    role: panel.role,
    size: panel.size,
    includeAgenciesConcerned: panel.includeAgenciesConcerned,
    agenciesConcerned: [c.input.raiser.agencyId, c.input.other.agencyId],
  });
  await c.record({ type: 'panelConvened', stage: run.number, actor: decision.recipientId, detail: { members: parties(members) } });
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
    toldBefore: [],
  };
  return openRun(c, panelRun, [...run.participants, ...members], { kind: 'panelConvened', fromStage: run.number, byRole: decision.recordedBy });
}
