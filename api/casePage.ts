/** What the case page shows: the record from PostgreSQL, and who holds the stage now from the workflow. */
import type { StageView } from '../shared/contract';
import { linkOpeningsOf } from '../db/linkOpenings';
import type { AppDeps } from './app';
import type { Viewer } from './identity/access';
import { unavailableDependency } from './availability';
import { queryCaseState } from './caseState';
import { readCase } from './cases';
import { referenceSchema } from './schemas';
import { STATUSES } from '../shared/presentation/labels';
import { byRoleAndSide } from '../shared/presentation/timeline';
import { describePerson, loadCaseRecord, type CaseRecord } from '../records/caseRecord';

export async function casePage(deps: AppDeps, rawReference: string, viewer?: Viewer) {
  const reference = referenceSchema.safeParse(rawReference);
  const c = reference.success ? await readCase(deps, reference.data) : undefined;
  if (!c) return undefined;
  // The record gives the agencies, flags, decisions by name and the timeline grouped by stage.
  const record = await loadCaseRecord(deps.db, deps.policies, c.reference);
  if (!record) return undefined;
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
  return {
    c,
    record,
    status: STATUSES[c.status] ?? { label: c.status, tag: 'govuk-tag--grey', nobody: 'Nobody' },
    holdersUnknown,
    timeZone: record.timeZone,
    categoryLabel: record.category.label,
    holders,
    // Who opened their link, and when first (never how often): recorded by the API, not the workflow.
    openings: openings.map((o) => ({ stage: o.stage, who: openedBy(record, o.recipientId), at: o.firstOpenedAt })),
    canWithdraw: c.status === 'open' && viewer?.as === 'raiser',
    /** Every outcome recorded, with who recorded it by name and organisation. */
    decisions: record.decisions.map((d) => ({ ...d, byWords: describePerson(d.by) })),
    // Anyone who may see the case may add a note while it is open (api/routes/notes.ts).
    canAddNote: c.status === 'open' && viewer !== undefined,
    // Notes' text comes with the record (records/caseRecord.ts reads case_notes).
    timeline: record.timelineByStage,
  };
}

/** Whose link it was: a practitioner by name and agency, anyone else by role and side. */
function openedBy(record: CaseRecord, recipientId: string): string {
  const [side, role] = recipientId.split('.');
  if (role === 'worker' && (side === 'raiser' || side === 'other')) return `${record.parties[side].name} (${record.parties[side].agency.name})`;
  // Named where the record knows who held the role at that stage.
  const known = record.stages.flatMap((s) => s.participants).find((p) => p.role === role && p.side === side && p.name);
  return known ? describePerson(known) : byRoleAndSide(recipientId, role ?? recipientId);
}
