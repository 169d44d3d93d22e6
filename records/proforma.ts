/**
 * The anonymised proforma (Hull's "resolving inter-agency disagreements proforma"): what the
 * partnership board learns from a disagreement without learning who the child is. The one builder
 * for the page, the PDF, the JSON and the email's link.
 *
 * Built field by field from the record's structured fields: agencies by name and type, the
 * category by its label, people by role, outcomes as labels, escalations and why, the flags and
 * the lessons-learned boxes, dates only as month and year. No case reference: the proforma has an
 * id of its own (random, kept in the database). Free text (reasons, agreed outcome and plan,
 * outstanding issues, lessons notes) is left out, except where its author offered the redacted
 * version and a partnership admin approved it (./proformaStore): then the approved text, as approved.
 */
import { describeParticipant, type CaseRecord, type Decision } from './caseRecord';
import type { Database } from '../db/database';
import type { PolicyPack } from '../shared/policy/schema';
import { loadCaseRecord } from './caseRecord';
import { approvedKey, approvedTexts, proformaIdFor, type FreeTextField } from './proformaStore';

export const PROFORMA_TITLE = 'Resolving inter-agency disagreements proforma';

export interface ProformaAgency {
  name: string;
  type?: string;
}

export interface ProformaOutcome {
  outcome: string;
  outcomeLabel: string;
  /** "line manager, Hillside Primary School": a role and an agency, never a person. */
  by: string;
  reasons?: string;
  agreedOutcome?: string;
  agreedPlan?: string;
  outstandingIssues?: string;
}

export interface ProformaStage {
  number: number;
  name: string;
  /** Month and year, "March 2026". */
  entered: string;
  deadlinePassed: boolean;
  takingPart: string[];
  outcome?: ProformaOutcome;
}

export interface Proforma {
  title: typeof PROFORMA_TITLE;
  /** The proforma's own id: not the case reference, and not derivable from it. */
  proformaId: string;
  partnership: string;
  policy: { title?: string; version: string };
  agencies: { raiser: ProformaAgency; other: ProformaAgency };
  category: string;
  flags: { childProtectionPlan: boolean; lookedAfter: boolean; immediateHarm: boolean };
  flagLabels: string[];
  /** Month and year the disagreement was raised and (when resolved) closed. */
  raised: string;
  closed?: string;
  status: string;
  statusLabel: string;
  /** The highest stage the disagreement reached. */
  reached: { number: number; name: string } | null;
  stages: ProformaStage[];
  escalations: { fromStage: number; toStage: number; month: string; because: string; reasons?: string }[];
  resolution?: ProformaOutcome & { stage: number; stageName: string; month: string; reviewMonth?: string };
  lessons?: { trainingNeed: boolean; commissioningNeed: boolean; agencyGuidance: boolean; partnershipGuidance: boolean; notes?: string };
}

/** What the builder needs besides the record: the proforma's id and the approved free text (stage/field → text). */
export interface ProformaExtras {
  proformaId: string;
  approved?: ReadonlyMap<string, string>;
}

export function buildProforma(record: CaseRecord, extras: ProformaExtras): Proforma {
  const approved = extras.approved ?? new Map<string, string>();
  const text = (stage: number, field: FreeTextField) => approved.get(approvedKey(stage, field));
  const month = (iso: string) => monthYear(iso, record.timeZone);
  const agency = (side: 'raiser' | 'other'): ProformaAgency => {
    const { name, type } = record.parties[side].agency;
    return type ? { name, type } : { name };
  };
  const outcome = (d: Decision): ProformaOutcome =>
    withoutUndefined({
      outcome: d.outcome,
      outcomeLabel: d.outcomeLabel,
      by: describeParticipant(d.by),
      reasons: text(d.stage, 'reasons'),
      agreedOutcome: text(d.stage, 'agreedOutcome'),
      agreedPlan: text(d.stage, 'agreedPlan'),
      outstandingIssues: text(d.stage, 'outstandingIssues'),
    });

  const highest = record.stages.reduce<(typeof record.stages)[number] | undefined>((top, s) => (!top || s.number > top.number ? s : top), undefined);
  const resolution = record.resolution;
  const lessons = resolution?.lessons;
  return withoutUndefined({
    title: PROFORMA_TITLE,
    proformaId: extras.proformaId,
    partnership: record.partnership.name,
    policy: withoutUndefined({ title: record.policy.title, version: record.policy.version }),
    agencies: { raiser: agency('raiser'), other: agency('other') },
    category: record.category.label,
    flags: { ...record.flags },
    flagLabels: [...record.flagLabels],
    raised: month(record.openedAt),
    closed: record.closedAt ? month(record.closedAt) : undefined,
    status: record.status,
    statusLabel: record.statusLabel,
    reached: highest ? { number: highest.number, name: highest.name } : null,
    stages: record.stages.map((s) =>
      withoutUndefined({
        number: s.number,
        name: s.name,
        entered: month(s.enteredAt),
        deadlinePassed: s.deadlinePassed,
        takingPart: s.participants.map(describeParticipant),
        outcome: s.decision ? outcome(s.decision) : undefined,
      }),
    ),
    escalations: record.escalations.map((e) =>
      withoutUndefined({ fromStage: e.fromStage, toStage: e.toStage, month: month(e.at), because: e.because, reasons: e.reasons ? text(e.fromStage, 'reasons') : undefined }),
    ),
    resolution: resolution
      ? withoutUndefined({
          ...outcome(resolution),
          stage: resolution.stage,
          stageName: resolution.stageName,
          month: month(resolution.at),
          reviewMonth: resolution.reviewDate ? monthYear(`${resolution.reviewDate.slice(0, 10)}T12:00:00Z`, 'UTC') : undefined,
        })
      : undefined,
    lessons: lessons
      ? withoutUndefined({
          trainingNeed: lessons.trainingNeed,
          commissioningNeed: lessons.commissioningNeed,
          agencyGuidance: lessons.agencyGuidance,
          partnershipGuidance: lessons.partnershipGuidance,
          notes: text(resolution.stage, 'lessonsNotes'),
        })
      : undefined,
  });
}

/** The case's proforma as the board sees it, or undefined for an unknown case. */
export async function loadProforma(db: Database, policies: Map<string, PolicyPack>, reference: string): Promise<{ record: CaseRecord; proforma: Proforma } | undefined> {
  const record = await loadCaseRecord(db, policies, reference);
  if (!record) return undefined;
  const [proformaId, approved] = await Promise.all([proformaIdFor(db, reference), approvedTexts(db, reference)]);
  return { record, proforma: buildProforma(record, { proformaId, approved }) };
}

/** "March 2026": as precise as the proforma gets about when. */
export function monthYear(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, month: 'long', year: 'numeric' }).format(new Date(iso));
}

/** Drops absent optional fields so the JSON holds only what is there. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
