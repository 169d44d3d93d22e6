/**
 * The record of a disagreement for the child's file: who disagreed and about what, each stage it
 * went through, who took part, what was decided and why, every escalation, how it ended, and the
 * full timeline. Built from PostgreSQL alone (Temporal's history expires; the child's file must
 * not), with agency and stage names from the partnership's policy pack.
 *
 * This is the identifying record (names, emails, the child's reference, the description). The
 * anonymised proforma is derived from it in ./proforma.
 */
import type { CaseContent } from '../db/recordSigning';
import { z } from 'zod';
import type { Database } from '../db/database';
import type { StoredEvent } from '../db/record';
import { describeEvent, type EventRecord, type NoteText, type TimelineEntry } from '../shared/presentation/timeline';
import { groupTimeline, type TimelineGroup } from '../shared/presentation/timelineGroups';
import { flagLabels, outcomeLabel, roleLabel, sideWords, statusTitle } from '../shared/presentation/labels';
import { indexPeople, readAddresses, snapshotDirectory, type PeopleIndex } from './people';
import type { PolicyPack } from '../shared/policy/schema';

export interface Agency {
  id: string;
  /** From the pack's directory; the id when the pack no longer lists the agency. */
  name: string;
  /** police, school, health, ...; absent when the pack does not list the agency. */
  type?: string;
}

/** One of the two practitioners who disagree. */
export interface Party {
  name: string;
  email: string;
  /** A work telephone number, where the raiser gave one. */
  phone?: string;
  agency: Agency;
  /** The practitioner's own role, where the policy asks for it (Hull's counterparts). */
  role?: string;
  roleLabel?: string;
}

/** Someone who took part: by role, and by name where the record can tell (never in the proforma). */
export interface Participant {
  role: string;
  roleLabel: string;
  /** Their name, from the case (the practitioners) or the directory holding the address they were emailed at. */
  name?: string;
  /** Whose side they act for; panel members sit for their own agency. */
  side?: 'raiser' | 'other' | 'partnership' | 'panel';
  /** The agency (or the partnership) they belong to, by name. */
  organisation?: string;
}

export interface Lessons {
  trainingNeed: boolean;
  commissioningNeed: boolean;
  agencyGuidance: boolean;
  partnershipGuidance: boolean;
  notes?: string;
}

/** An outcome recorded at a stage, with the free text that explains it. */
export interface Decision {
  stage: number;
  stageName: string;
  outcome: string;
  outcomeLabel: string;
  by: Participant;
  at: string;
  reasons?: string;
  agreedOutcome?: string;
  agreedPlan?: string;
  /** yyyy-mm-dd, as recorded. */
  reviewDate?: string;
  outstandingIssues?: string;
  lessons?: Lessons;
}

export interface StageVisit {
  number: number;
  name: string;
  enteredAt: string;
  deadline?: string;
  /** When the case moved on (escalated, panel convened, resolved); absent while it is here. */
  leftAt?: string;
  /** Why the case came to this stage, in words; absent for the first stage of an ordinary case. */
  enteredBecause?: string;
  deadlinePassed: boolean;
  /** The people asked to meet and record the outcome. */
  participants: Participant[];
  /** The people told for information. */
  informed: Participant[];
  decision?: Decision;
}

export interface Escalation {
  fromStage: number;
  toStage: number;
  at: string;
  /** deadline, notResolved or panelConvened (the escalation reasons the workflow records). */
  kind: string;
  /** The reason in words, as the timeline gives it. */
  because: string;
  /** The free-text reasons recorded with the decision that escalated it, if any. */
  reasons?: string;
}

export interface CaseRecord {
  reference: string;
  partnership: { id: string; name: string };
  policy: { name?: string; title?: string; version: string };
  /** The partnership's time zone, for showing the record's instants. */
  timeZone: string;
  status: string;
  statusLabel: string;
  openedAt: string;
  closedAt?: string;
  childReference: string;
  category: { id: string; label: string };
  description: string;
  flags: { childProtectionPlan: boolean; lookedAfter: boolean; immediateHarm: boolean };
  /** The flags that are set, in words, for pages and the PDF. */
  flagLabels: string[];
  parties: { raiser: Party; other: Party };
  stages: StageVisit[];
  escalations: Escalation[];
  /** The decision that resolved the case: the agreed outcome, plan and review date. */
  resolution?: Decision;
  /** Every recorded outcome in order, with who recorded it, by name where known. */
  decisions: Decision[];
  timeline: TimelineEntry[];
  /** The timeline grouped by stage, repeats collapsed: what pages and the PDF show. */
  timelineByStage: TimelineGroup[];
}

/** The `cases` columns the record is built from: the opening details (as sealed) and where the case stands. */
export interface CaseRecordRow extends Omit<CaseContent, 'workflow_input' | 'opened_by_client'> {
  status: string;
  closed_at: string | Date | null;
}


// The jsonb columns are written by our own code, but old rows outlive code changes: read them
// through schemas that tolerate missing fields rather than trusting a cast.
const practitionerSchema = z.object({ name: z.string(), email: z.string(), agencyId: z.string(), role: z.string().optional(), phone: z.string().optional().catch(undefined) });
const flagsSchema = z
  .object({ childProtectionPlan: z.boolean().default(false), lookedAfter: z.boolean().default(false), immediateHarm: z.boolean().default(false) })
  .catch({ childProtectionPlan: false, lookedAfter: false, immediateHarm: false });
const personSchema = z.object({ id: z.string().optional(), role: z.string(), agencyId: z.string().optional() });
const optionalText = z.string().optional().catch(undefined);
const lessonsSchema = z
  .object({
    trainingNeed: z.boolean().default(false),
    commissioningNeed: z.boolean().default(false),
    agencyGuidance: z.boolean().default(false),
    partnershipGuidance: z.boolean().default(false),
    notes: optionalText,
  })
  .optional()
  .catch(undefined);
const detailSchema = z
  .object({
    name: optionalText,
    deadline: optionalText,
    toStage: z.number().optional().catch(undefined),
    role: optionalText,
    outcome: optionalText,
    reasons: optionalText,
    agreedOutcome: optionalText,
    agreedPlan: optionalText,
    reviewDate: optionalText,
    outstandingIssues: optionalText,
    lessons: lessonsSchema,
    reason: z.object({ kind: z.string() }).loose().optional().catch(undefined),
    participants: z.array(personSchema).default([]).catch([]),
    told: z.array(personSchema).default([]).catch([]),
  })
  .catch({ participants: [], told: [] });

/**
 * Looks the case up and builds its record with `pack` for names; undefined when there is no such
 * case. A pack for another partnership is ignored (names then fall back to ids) rather than lending
 * the record the wrong agencies.
 */
export async function buildCaseRecord(db: Database, pack: PolicyPack | undefined, reference: string): Promise<CaseRecord | undefined> {
  const { rows } = await db.query<CaseRecordRow>('SELECT * FROM cases WHERE reference = $1', [reference]);
  const row = rows[0];
  if (!row) return undefined;
  const { rows: eventRows } = await db.query<StoredEvent>(
    'SELECT seq, type, at, stage, actor, detail FROM case_events WHERE reference = $1 ORDER BY seq',
    [reference],
  );
  const ownPack = pack?.id === row.partnership_id ? pack : undefined;
  const people = indexPeople(await readAddresses(db, reference), [snapshotDirectory((row as { workflow_input?: unknown }).workflow_input), ownPack?.directory]);
  // Notes' text is kept apart from the events (case_notes); the timeline shows it where it matches the record's digest.
  const { rows: noteRows } = await db.query<{ id: string; author_name: string; author_as: string; body: string; digest: string }>(
    'SELECT id, author_name, author_as, body, digest FROM case_notes WHERE reference = $1',
    [reference],
  );
  const notes = new Map<string, NoteText>(noteRows.map((n) => [n.id, { authorName: n.author_name, authorAs: n.author_as, body: n.body, digest: n.digest }]));
  return assembleCaseRecord(row, eventRows, pack, notes, people);
}

/** The record of a case with its own partnership's pack from the registry. */
export async function loadCaseRecord(db: Database, policies: Map<string, PolicyPack>, reference: string): Promise<CaseRecord | undefined> {
  const { rows } = await db.query<{ partnership_id: string }>('SELECT partnership_id FROM cases WHERE reference = $1', [reference]);
  if (!rows[0]) return undefined;
  return buildCaseRecord(db, policies.get(rows[0].partnership_id), reference);
}

/**
 * The record from rows already read (the case's row and its events in order), for callers that
 * read them with other things in one query. `pack` is ignored unless it is the case's own partnership's.
 */
export function assembleCaseRecord(
  row: CaseRecordRow,
  eventRows: StoredEvent[],
  anyPack: PolicyPack | undefined,
  notes?: Map<string, NoteText>,
  people: PeopleIndex = new Map(),
): CaseRecord {
  const pack = anyPack?.id === row.partnership_id ? anyPack : undefined;
  const agency = (id: string): Agency => {
    const found = pack?.directory.agencies.find((a) => a.id === id);
    return found ? { id, name: found.name, type: found.type } : { id, name: id };
  };
  const party = (value: unknown): Party => {
    const p = practitionerSchema.parse(value);
    return { name: p.name, email: p.email, ...(p.phone ? { phone: p.phone } : {}), agency: agency(p.agencyId), ...(p.role ? { role: p.role, roleLabel: roleLabel(p.role) } : {}) };
  };
  const parties = { raiser: party(row.raiser), other: party(row.other_party) };
  const partnershipName = pack?.name ?? row.partnership_id;

  // Recipient ids say whose side someone is on: raiser.lineManager.0, partnership.cpChair.0,
  // panel.bromley-csc.0. That is enough to name their organisation without naming them.
  const nameOf = (id: string | null | undefined, stage?: number | null): string | undefined => {
    if (!id) return undefined;
    if (id === 'raiser.worker.0') return parties.raiser.name;
    if (id === 'other.worker.0') return parties.other.name;
    return people.get(`${stage ?? ''}|${id}`)?.name ?? people.get(id)?.name;
  };
  const participant = (id: string | null | undefined, role: string, stage?: number | null): Participant => {
    const [side, second] = (id ?? '').split('.');
    const name = nameOf(id, stage);
    const base = { role, roleLabel: roleLabel(role), ...(name ? { name } : {}) };
    if (side === 'raiser' || side === 'other') return { ...base, side, organisation: parties[side].agency.name };
    if (side === 'partnership') return { ...base, side, organisation: partnershipName };
    if (side === 'panel' && second) return { ...base, side, organisation: agency(second).name };
    return base;
  };
  const peopleOf = (list: z.infer<typeof personSchema>[], stage: number | null) => {
    const seen = new Map<string, Participant>();
    for (const p of list) {
      const who = participant(p.id, p.role, stage);
      seen.set(`${who.role}|${who.organisation ?? ''}|${who.name ?? ''}`, who);
    }
    return [...seen.values()];
  };

  const events = eventRows.map(
    (e) => ({ seq: e.seq, type: e.type, at: new Date(e.at).toISOString(), stage: e.stage, actor: e.actor, detail: e.detail ?? {} }) as EventRecord,
  );
  const details = events.map((e) => detailSchema.parse(e.detail));

  // Stage names as the case met them (a pack may have been revised since), then the pack's.
  const stageNames = new Map<number, string>();
  pack?.stages.forEach((s, i) => stageNames.set(i + 1, s.name));
  events.forEach((e, i) => {
    if (e.type === 'stageEntered' && e.stage && details[i].name) stageNames.set(e.stage, details[i].name!);
  });
  const stageName = (n: number) => stageNames.get(n) ?? `stage ${n}`;
  // The timeline names people: "Bob Social-Worker (practitioner, Bromley Children's Social Care)".
  const timeline = events.map((e) => describeEvent(e, stageName, (id, role) => describePerson(participant(id, role, e.stage)), notes));
  const timelineByStage = groupTimeline(
    timeline.map((t, i) => ({ ...t, stage: events[i].stage ?? null, type: events[i].type })),
    stageName,
  );

  const stages: StageVisit[] = [];
  const escalations: Escalation[] = [];
  const decisions: Decision[] = [];
  const current = (n: number | null) => [...stages].reverse().find((s) => s.number === n);
  const leave = (n: number | null, at: string) => {
    const visit = current(n);
    if (visit && !visit.leftAt) visit.leftAt = at;
  };

  // Both-sides stages (issue 11): a proposed resolution becomes the stage's decision once confirmed.
  const proposals = new Map<number, { e: EventRecord; d: (typeof details)[number] }>();
  events.forEach((e, i) => {
    const d = details[i];
    switch (e.type) {
      case 'outcomeProposed':
        proposals.set(e.stage ?? 0, { e, d });
        break;
      case 'outcomeConfirmed': {
        const proposed = proposals.get(e.stage ?? 0);
        const visit = current(e.stage);
        if (visit && proposed) visit.decision = toDecision(proposed.e, proposed.d, participant(proposed.e.actor, proposed.d.role ?? 'unknown'), stageName);
        break;
      }
      case 'outcomeDisputed': {
        const visit = current(e.stage);
        if (visit) visit.decision = toDecision(e, { ...d, outcome: 'notResolved' }, participant(e.actor, d.role ?? 'unknown'), stageName);
        break;
      }
      case 'stageEntered': {
        // Stages run one at a time: entering one means the last was left, whatever was recorded.
        const last = stages[stages.length - 1];
        if (last && !last.leftAt) last.leftAt = e.at;
        stages.push({
          number: e.stage ?? stages.length + 1,
          name: stageName(e.stage ?? stages.length + 1),
          enteredAt: e.at,
          ...(d.deadline ? { deadline: d.deadline } : {}),
          // The timeline's sentence for a stage is "Taking part: ..." and then the reason, if any.
          ...(timeline[i].lines[1] ? { enteredBecause: timeline[i].lines[1] } : {}),
          deadlinePassed: false,
          participants: peopleOf(d.participants, e.stage),
          informed: [],
        });
        break;
      }
      case 'notified': {
        const visit = current(e.stage);
        if (!visit) break;
        const known = new Set(visit.informed.map((p) => `${p.role}|${p.organisation ?? ''}`));
        for (const p of peopleOf(d.told, e.stage)) if (!known.has(`${p.role}|${p.organisation ?? ''}`)) visit.informed.push(p);
        break;
      }
      case 'deadlinePassed': {
        const visit = current(e.stage);
        if (visit) visit.deadlinePassed = true;
        break;
      }
      case 'outcomeRecorded': {
        const visit = current(e.stage);
        const decision = toDecision(e, d, participant(e.actor, d.role ?? 'unknown', e.stage), stageName);
        if (visit) visit.decision = decision;
        decisions.push(decision);
        break;
      }
      case 'escalated':
      case 'panelConvened': {
        const from = e.stage ?? 0;
        const decision = current(e.stage)?.decision;
        const reasonKind = e.type === 'panelConvened' ? 'panelConvened' : (d.reason?.kind ?? 'unknown');
        escalations.push({
          fromStage: from,
          toStage: e.type === 'panelConvened' ? from + 1 : (d.toStage ?? from + 1),
          at: e.at,
          kind: reasonKind,
          because:
            e.type === 'panelConvened'
              ? // By role and organisation only: the anonymised proforma takes this sentence as it is.
                `The ${decision?.by.roleLabel ?? 'chair'} convened a resolution panel.`
              : (timeline[i].lines[0] ?? 'No reason was recorded.'),
          // A deadline escalation has no decision behind it; its reasons would belong to another stage.
          ...(decision?.reasons && reasonKind !== 'deadline' ? { reasons: decision.reasons } : {}),
        });
        leave(e.stage, e.at);
        break;
      }
      case 'resolved':
      case 'withdrawn':
      case 'closedByAdmin':
      case 'closedUnresolved':
      case 'referred':
        leave(e.stage, e.at);
        break;
    }
  });

  const flags = flagsSchema.parse(row.flags);
  const resolution = [...stages].reverse().find((s) => s.decision?.outcome === 'resolved')?.decision;
  return {
    reference: row.reference,
    partnership: { id: row.partnership_id, name: partnershipName },
    policy: { name: pack?.name, title: pack?.policy.title, version: row.policy_version },
    timeZone: pack?.calendar.timeZone ?? 'Europe/London',
    status: row.status,
    statusLabel: statusTitle(row.status),
    openedAt: new Date(row.opened_at).toISOString(),
    ...(row.closed_at ? { closedAt: new Date(row.closed_at).toISOString() } : {}),
    childReference: row.child_reference,
    category: { id: row.category, label: pack?.categories.find((c) => c.id === row.category)?.label ?? row.category },
    description: row.description,
    flags,
    flagLabels: flagLabels(flags),
    parties,
    stages,
    escalations,
    ...(resolution ? { resolution } : {}),
    decisions,
    timeline,
    timelineByStage,
  };
}

function toDecision(e: EventRecord, d: z.infer<typeof detailSchema>, by: Participant, stageName: (n: number) => string): Decision {
  const stage = e.stage ?? 0;
  const outcome = d.outcome ?? 'unknown';
  const text = { reasons: d.reasons, agreedOutcome: d.agreedOutcome, agreedPlan: d.agreedPlan, reviewDate: d.reviewDate, outstandingIssues: d.outstandingIssues };
  return {
    stage,
    stageName: stageName(stage),
    outcome,
    outcomeLabel: outcomeLabel(outcome),
    by,
    at: e.at,
    // Only the fields that were filled in, so pages and PDFs can list what is there.
    ...Object.fromEntries(Object.entries(text).filter(([, v]) => v !== undefined && v.trim() !== '')),
    ...(d.lessons ? { lessons: d.lessons } : {}),
  };
}

/** Who, in words: "line manager, Hillside Primary School". */
export function describeParticipant(p: Participant): string {
  return p.organisation ? `${p.roleLabel}, ${p.organisation}` : p.roleLabel;
}

/**
 * Who, by name where known, for the child's file: "Tara Team-Manager (line manager, Bromley
 * Children's Social Care)"; without a name, "the line manager, Bromley Children's Social Care", or
 * the side when even the organisation is unknown. Never for the proforma, which names nobody.
 */
export function describePerson(p: Participant & { id?: string }): string {
  const role = describeParticipant(p);
  if (p.name) return `${p.name} (${role})`;
  return p.organisation ? `the ${role}` : `the ${p.roleLabel}${sideWords(p.side ? `${p.side}.` : undefined) ? ` for ${sideWords(`${p.side}.`)}` : ''}`;
}
