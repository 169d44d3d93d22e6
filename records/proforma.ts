/**
 * The anonymised proforma (Hull's "resolving inter-agency disagreements proforma"): what the
 * partnership board learns from a disagreement without learning who the child is.
 *
 * Built field by field from the record rather than by deleting fields from it, so nothing new in
 * the record can leak here by default. Agencies appear by name and type, people only by role;
 * dates only as month and year (an exact date can pick out a child); the description and the
 * references not at all. The free text that has to be shared (reasons, agreed outcome and plan,
 * outstanding issues, lessons notes) goes through redactText with every identifying value the
 * record holds.
 */
import { describeParticipant, type CaseRecord, type Decision } from './caseRecord';
import { findNames, redactText } from './redact';

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

export function buildProforma(record: CaseRecord): Proforma {
  const known = identifyingValues(record);
  const redact = (text: string | undefined) => (text === undefined ? undefined : redactText(text, known));
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
      reasons: redact(d.reasons),
      agreedOutcome: redact(d.agreedOutcome),
      agreedPlan: redact(d.agreedPlan),
      outstandingIssues: redact(d.outstandingIssues),
    });

  const highest = record.stages.reduce<(typeof record.stages)[number] | undefined>((top, s) => (!top || s.number > top.number ? s : top), undefined);
  const resolution = record.resolution;
  const lessons = resolution?.lessons;
  return withoutUndefined({
    title: PROFORMA_TITLE,
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
      withoutUndefined({ fromStage: e.fromStage, toStage: e.toStage, month: month(e.at), because: e.because, reasons: redact(e.reasons) }),
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
          notes: redact(lessons.notes),
        })
      : undefined,
  });
}

/**
 * Everything in the record that identifies the child, the family or the practitioners: the
 * references, the parties' names and emails, and the names the case's own text mentions (the
 * description is where a child's full name usually is, so a later "Jayden" alone is caught too).
 */
export function identifyingValues(record: CaseRecord): string[] {
  const { raiser, other } = record.parties;
  const freeText = [
    record.description,
    ...record.stages.flatMap((s) => (s.decision ? decisionText(s.decision) : [])),
  ].join('\n');
  // Words that are capitalised in the case's text without being anyone's name.
  const vocabulary = [
    record.partnership.name,
    raiser.agency.name,
    other.agency.name,
    record.category.label,
    record.policy.title ?? '',
    ...record.stages.map((s) => s.name),
  ];
  return [
    record.reference,
    record.childReference,
    ...[raiser, other].flatMap((p) => [p.name, p.email, p.email.split('@')[0]]),
    ...findNames(freeText, vocabulary),
  ].filter((v) => v.trim().length > 0);
}

function decisionText(d: Decision): string[] {
  return [d.reasons, d.agreedOutcome, d.agreedPlan, d.outstandingIssues, d.lessons?.notes].filter((t): t is string => Boolean(t));
}

/** "March 2026": as precise as the proforma gets about when. */
export function monthYear(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, month: 'long', year: 'numeric' }).format(new Date(iso));
}

/** Drops absent optional fields so the JSON holds only what is there. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
