/** What the case page shows: the record from PostgreSQL, and who holds the stage now from the workflow. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { caseState, type StageView } from '../shared/contract';
import type { AppDeps } from './app';
import { readCase } from './cases';
import { referenceSchema } from './schemas';
import type { StoredCaseEvent } from '../shared/events';
import { describeEvent } from './timeline';

export async function casePage(deps: AppDeps, rawReference: string) {
  const reference = referenceSchema.safeParse(rawReference);
  const c = reference.success ? await readCase(deps, reference.data) : undefined;
  if (!c) return undefined;
  const pack = deps.policies.get(c.policy.partnership);
  const stageNames = new Map<number, string>();
  for (const e of c.events) if (e.type === 'stageEntered' && e.stage) stageNames.set(e.stage, String((e.detail as { name?: string }).name ?? ''));
  let holders: StageView['participants'] = [];
  if (c.status === 'open') {
    try {
      holders = (await deps.temporal.workflow.getHandle(c.reference).query(caseState)).stage?.participants ?? [];
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
  return {
    c,
    timeZone: pack?.calendar.timeZone ?? 'Europe/London',
    categoryLabel: pack?.categories.find((x) => x.id === c.category)?.label ?? c.category,
    holders,
    timeline: (c.events as StoredCaseEvent[]).map((e) => describeEvent(e, (n) => stageNames.get(n) ?? `stage ${n}`)),
  };
}
