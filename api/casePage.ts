/** What the case page shows: the record from PostgreSQL, and who holds the stage now from the workflow. */
import type { CaseStatus, StageView } from '../shared/contract';
import { linkOpeningsOf } from '../db/linkOpenings';
import type { AppDeps } from './app';
import type { Viewer } from './identity/access';
import { unavailableDependency } from './availability';
import { queryCaseState } from './caseState';
import { readCase } from './cases';
import { referenceSchema } from './schemas';
import type { StoredCaseEvent } from '../shared/events';
import { describeEvent } from './timeline';
import { notesOf } from './routes/notes';

/** Each status in words, and the GOV.UK tag colour it is shown in. */
export const STATUSES: Record<CaseStatus, { label: string; tag: string; nobody: string }> = {
  open: { label: 'Open', tag: 'govuk-tag--blue', nobody: 'See the timeline' },
  resolved: { label: 'Resolved', tag: 'govuk-tag--green', nobody: 'Nobody: the case is resolved' },
  withdrawn: { label: 'Withdrawn', tag: 'govuk-tag--grey', nobody: 'Nobody: the case was withdrawn' },
  closed: { label: 'Closed', tag: 'govuk-tag--grey', nobody: 'Nobody: the case was closed' },
  unresolved: { label: 'Closed unresolved', tag: 'govuk-tag--red', nobody: 'Nobody: the case was closed unresolved' },
  referred: { label: 'Referred on', tag: 'govuk-tag--purple', nobody: 'Nobody here: the case was referred on' },
};

export const statusLabel = (status: string) => STATUSES[status as CaseStatus]?.label ?? status;

export async function casePage(deps: AppDeps, rawReference: string, viewer?: Viewer) {
  const reference = referenceSchema.safeParse(rawReference);
  const c = reference.success ? await readCase(deps, reference.data) : undefined;
  if (!c) return undefined;
  const pack = deps.policies.get(c.policy.partnership);
  const stageNames = new Map<number, string>();
  for (const e of c.events) if (e.type === 'stageEntered' && e.stage) stageNames.set(e.stage, String((e.detail as { name?: string }).name ?? ''));
  let holders: StageView['participants'] = [];
  // The record is in PostgreSQL; only who holds the stage comes from Temporal, so the page still
  // shows the case while Temporal cannot be reached.
  let holdersUnknown = false;
  if (c.status === 'open') {
    try {
      holders = (await queryCaseState(deps.temporal, c.reference))?.stage?.participants ?? [];
    } catch (error) {
      if (unavailableDependency(error) !== 'temporal') throw error;
      holdersUnknown = true;
    }
  }
  const openings = await linkOpeningsOf(deps.db, c.reference);
  const notes = await notesOf(deps.db, c.reference);
  return {
    c,
    status: STATUSES[c.status] ?? { label: c.status, tag: 'govuk-tag--grey', nobody: 'Nobody' },
    holdersUnknown,
    timeZone: pack?.calendar.timeZone ?? 'Europe/London',
    categoryLabel: pack?.categories.find((x) => x.id === c.category)?.label ?? c.category,
    holders,
    // Who opened their link, and when first (never how often): recorded by the API, not the workflow.
    openings: openings.map((o) => ({ stage: o.stage, role: o.recipientId.split('.')[1] ?? o.recipientId, at: o.firstOpenedAt })),
    canWithdraw: c.status === 'open' && viewer?.as === 'raiser',
    // Anyone who may see the case may add a note while it is open (api/routes/notes.ts).
    canAddNote: c.status === 'open' && viewer !== undefined,
    timeline: (c.events as StoredCaseEvent[]).map((e) => describeEvent(e, (n) => stageNames.get(n) ?? `stage ${n}`, notes)),
  };
}
