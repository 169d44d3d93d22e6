/**
 * The case in front of the person deciding a stage: what the disagreement is, about which child,
 * who disagrees and how to reach them, what this stage asks and by when, who else is asked, and
 * what every earlier stage decided and why. One shape for the decision page, its check-your-answers
 * page and its done page.
 *
 * `caseInFront` is pure (the record, the workflow's view of the stage, the policy and the
 * invitations in; the page's data out); `readCaseForDecision` reads those from PostgreSQL.
 *
 * This is identifying data (the child's reference, the description, names, addresses): it is for
 * the page only, never for an email, a log line or a URL.
 */
import type { CaseState, StageView } from '../shared/contract';
import type { PolicyPack, Stage } from '../shared/policy/schema';
import { overdueWords } from '../shared/overdue';
import { describeDeadline } from '../shared/calendar/workingTime';
import { capitalise, roleLabel } from '../shared/presentation/labels';
import { formatDate, formatDateTime } from '../shared/presentation/dates';
import type { Queryable } from '../db/database';
import type { StoredEvent } from '../db/record';
import { assembleCaseRecord, type CaseRecord, type CaseRecordRow, type Decision, type Party, type StageVisit } from '../records/caseRecord';

/** A stage's invitation as the notifications table keeps it: who was emailed, at which address. */
export interface Invitation {
  recipientId: string;
  role: string;
  email: string;
  /** The mail server refused the address for good. */
  refused: boolean;
}

/** One of the two practitioners who disagree, with what is held to reach them. */
export interface SideInFront {
  side: 'raiser' | 'other';
  name: string;
  role?: string;
  agency: string;
  email: string;
  phone?: string;
}

/** Someone asked to decide this stage. */
export interface PersonInFront {
  name: string;
  /** Their role in words, with their organisation: "Line manager, Hillside Primary School". */
  role: string;
  /** Whose side they act for, in words; absent for the partnership's own people. */
  actsFor?: string;
  email?: string;
  phone?: string;
  you: boolean;
  /** Their invitation was refused by the mail server: the address held is wrong. */
  undelivered: boolean;
}

/** A stage the case has been through, with its outcome and why it moved on. */
export interface EarlierStage {
  number: number;
  name: string;
  /** "3 March 2026, 10:15 to 10 March 2026, 17:00" in the partnership's zone. */
  when: string;
  /** The people who were asked, by role and organisation. */
  takingPart: string[];
  outcome?: {
    label: string;
    by: string;
    at: string;
    reasons?: string;
    agreedOutcome?: string;
    agreedPlan?: string;
    reviewDate?: string;
    outstandingIssues?: string;
  };
  /** How it moved on, in words: the escalation's reason, or that the deadline passed. */
  movedOn?: string;
}

export interface CaseInFront {
  reference: string;
  partnershipName: string;
  policy: { title?: string; version: string };
  childReference: string;
  description: string;
  category: string;
  flagLabels: string[];
  immediateHarm: boolean;
  openedAt: string;
  stage: {
    number: number;
    name: string;
    /** "2 of 5"; absent for a panel, which sits after the final stage. */
    of?: string;
    guidance?: string;
    expectedOutcome?: string;
    deadline: string;
    /** "by 5pm on Friday 4 December", for sentences. */
    deadlineInWords: string;
    /** "5pm on Friday 4 December", for a summary row. */
    due: string;
    isFinal: boolean;
    panelAllowed: boolean;
  };
  /** Fields a resolution must carry under this policy (the form marks them required). */
  requires: string[];
  /** Who decides the stage, where the pack says other than anyone (set by the respond route: api/agreementPage.ts). */
  whoDecides?: string;
  /** The person at the page, as the link names them: "Tara Team-Manager, line manager". */
  you?: string;
  sides: { raiser: SideInFront; other: SideInFront };
  invited: PersonInFront[];
  earlier: EarlierStage[];
}

export interface CaseInFrontSources {
  record: CaseRecord;
  /** The workflow's view of the case; its stage is the one being decided. */
  state: CaseState & { stage: StageView };
  /** The policy the case runs under (its own snapshot where kept), for guidance and telephone numbers. */
  policy?: Pick<PolicyPack, 'stages' | 'directory'>;
  invitations: Invitation[];
  /** The recipient the decision link names. */
  recipientId: string;
  now: Date;
}

export function caseInFront(src: CaseInFrontSources): CaseInFront {
  const { record, state, policy, invitations, recipientId, now } = src;
  const view = state.stage;
  const tz = record.timeZone;
  const when = (iso: string) => formatDateTime(iso, tz);
  const { raiser, other } = record.parties;
  const policyStage = stageOfPolicy(policy, view);
  // The final stage past its deadline is decided by its last chance; the due deadline says how late (shared/overdue.ts).
  const deadlineInWords = describeDeadline(new Date(view.lastChance ?? view.deadline), tz, now);
  const late = overdueWords({ status: state.status, deadline: view.deadline, pausedAt: view.pausedAt }, now);
  const dueInWords = late ? `${deadlineInWords.replace(/^by /, '')} (overdue: it was due ${describeDeadline(new Date(view.deadline), tz, now).replace(/^by /, '')}, ${late})` : deadlineInWords.replace(/^by /, '');

  const sideOf = (id: string) => id.split('.')[0];
  const organisationOf = (id: string): string | undefined => {
    const [side, second] = id.split('.');
    if (side === 'raiser' || side === 'other') return record.parties[side].agency.name;
    if (side === 'partnership') return record.partnership.name;
    if (side === 'panel' && second) return policy?.directory.agencies.find((a) => a.id === second)?.name ?? second;
    return undefined;
  };
  const invitationOf = new Map(invitations.map((i) => [i.recipientId, i]));

  const invited: PersonInFront[] = view.participants.map((p) => {
    const invitation = invitationOf.get(p.id);
    const side = sideOf(p.id);
    // The practitioners themselves: their own details from the case; everyone else from the
    // address their invitation went to and the directory.
    const party = p.role === 'worker' && (side === 'raiser' || side === 'other') ? record.parties[side] : undefined;
    const email = invitation?.email ?? party?.email;
    const organisation = organisationOf(p.id);
    return {
      name: p.name,
      role: capitalise([roleLabel(p.role), organisation].filter(Boolean).join(', ')),
      ...(side === 'raiser' ? { actsFor: `The side that raised it (${raiser.agency.name})` } : side === 'other' ? { actsFor: `The other side (${other.agency.name})` } : {}),
      ...(email ? { email } : {}),
      ...optional('phone', party?.phone ?? (email ? phoneInDirectory(policy, email) : undefined)),
      you: p.id === recipientId,
      undelivered: invitation?.refused ?? false,
    };
  });

  // Every visit before the one being decided (a stage is visited once; a panel follows its stage).
  const currentIndex = lastIndexOf(record.stages, (s) => s.number === view.number);
  const visits = currentIndex >= 0 ? record.stages.slice(0, currentIndex) : record.stages.filter((s) => s.number < view.number);
  const earlier = visits.map((visit) => earlierStage(visit, record, when));

  const me = view.participants.find((p) => p.id === recipientId);
  return {
    reference: record.reference,
    partnershipName: record.partnership.name,
    policy: { ...optional('title', record.policy.title), version: record.policy.version },
    childReference: record.childReference,
    description: record.description,
    category: record.category.label,
    flagLabels: record.flagLabels,
    immediateHarm: record.flags.immediateHarm,
    openedAt: when(record.openedAt),
    stage: {
      number: view.number,
      name: view.name,
      ...(policy && !policyStage.panel ? { of: `${view.number} of ${policy.stages.length}` } : {}),
      ...optional('guidance', policyStage.guidance),
      ...optional('expectedOutcome', policyStage.expectedOutcome),
      deadline: view.deadline,
      deadlineInWords,
      due: dueInWords,
      isFinal: view.isFinal,
      panelAllowed: view.panelAllowed,
    },
    requires: state.resolutionRequires ?? [],
    ...(me ? { you: `${me.name}, ${[roleLabel(me.role), organisationOf(me.id)].filter(Boolean).join(', ')}` } : {}),
    sides: { raiser: sideInFront('raiser', raiser), other: sideInFront('other', other) },
    invited,
    earlier,
  };
}

function sideInFront(side: 'raiser' | 'other', p: Party): SideInFront {
  return { side, name: p.name, ...optional('role', p.roleLabel && capitalise(p.roleLabel)), agency: p.agency.name, email: p.email, ...optional('phone', p.phone) };
}

function earlierStage(visit: StageVisit, record: CaseRecord, when: (iso: string) => string): EarlierStage {
  const escalation = record.escalations.find((e) => e.fromStage === visit.number);
  const d: Decision | undefined = visit.decision;
  const movedOn = escalation ? escalation.because : visit.deadlinePassed ? 'The deadline passed with no outcome recorded.' : undefined;
  return {
    number: visit.number,
    name: visit.name,
    when: visit.leftAt ? `${when(visit.enteredAt)} to ${when(visit.leftAt)}` : `From ${when(visit.enteredAt)}`,
    takingPart: visit.participants.map((p) => capitalise(p.organisation ? `${p.roleLabel}, ${p.organisation}` : p.roleLabel)),
    ...(d
      ? {
          outcome: {
            label: capitalise(d.outcomeLabel),
            by: d.by.organisation ? `The ${d.by.roleLabel}, ${d.by.organisation}` : `The ${d.by.roleLabel}`,
            at: when(d.at),
            ...optional('reasons', d.reasons),
            ...optional('agreedOutcome', d.agreedOutcome),
            ...optional('agreedPlan', d.agreedPlan),
            ...optional('reviewDate', d.reviewDate && formatDate(d.reviewDate)),
            ...optional('outstandingIssues', d.outstandingIssues),
          },
        }
      : {}),
    ...optional('movedOn', movedOn),
  };
}

/** The policy's own words for the stage: found by id (a panel is `<stage>-panel`), else by place. */
function stageOfPolicy(policy: CaseInFrontSources['policy'], view: StageView): { guidance?: string; expectedOutcome?: string; panel?: boolean } {
  const stages: Stage[] = policy?.stages ?? [];
  const own = stages.find((s) => s.id === view.id);
  if (own) return { guidance: own.guidance, expectedOutcome: own.expectedOutcome };
  const convening = stages.find((s) => s.panel && `${s.id}-panel` === view.id);
  if (convening) return { guidance: convening.panel?.guidance, panel: true };
  const byPlace = stages[view.number - 1];
  return byPlace ? { guidance: byPlace.guidance, expectedOutcome: byPlace.expectedOutcome } : {};
}

/** A telephone number the directory holds for this address, if any. */
function phoneInDirectory(policy: CaseInFrontSources['policy'], email: string): string | undefined {
  if (!policy) return undefined;
  const holders = [policy.directory.partnership.roles, ...policy.directory.agencies.map((a) => a.roles)].flatMap((roles) => Object.values(roles).flat());
  return holders.find((c) => c.email.toLowerCase() === email.toLowerCase() && c.phone)?.phone;
}

/** What a decision link's case holds, read in one query (links are opened in floods). */
export interface CaseForDecision {
  /** The link has been used to record a decision already. */
  used: boolean;
  record: CaseRecord;
  /** The policy the case runs under: its snapshot from when it opened, else the registry's pack. */
  policy?: Pick<PolicyPack, 'stages' | 'directory'>;
  /** The invitations to the link's stage. */
  invitations: Invitation[];
}

/**
 * Reads, in one query, whether the link was used and everything its page shows: the case's row,
 * its events, the policy snapshot and the addresses the stage's invitations went to. Undefined
 * when there is no such case.
 */
export async function readCaseForDecision(
  deps: { db: Queryable; policies: Map<string, PolicyPack> },
  link: { reference: string; stage: number; jti: string },
): Promise<CaseForDecision | undefined> {
  const { rows } = await deps.db.query<CaseRecordRow & { policy: unknown; used: boolean; events: StoredEvent[] | null; invitations: Invitation[] | null }>(
    `SELECT c.reference, c.partnership_id, c.policy_version, c.category, c.raiser, c.other_party, c.child_reference, c.description,
            c.flags, c.status, c.opened_at, c.closed_at,
            c.workflow_input->'policy' AS policy,
            EXISTS (SELECT 1 FROM used_links u WHERE u.jti = $3) AS used,
            (SELECT json_agg(json_build_object('seq', e.seq, 'type', e.type, 'at', e.at, 'stage', e.stage, 'actor', e.actor, 'detail', e.detail) ORDER BY e.seq)
               FROM case_events e WHERE e.reference = c.reference) AS events,
            (SELECT json_agg(json_build_object('recipientId', n.recipient_id, 'role', n.recipient_role, 'email', n.email, 'refused', n.refused_at IS NOT NULL) ORDER BY n.created_at)
               FROM notifications n WHERE n.reference = c.reference AND n.stage = $2 AND n.kind = 'stageInvitation') AS invitations
       FROM cases c WHERE c.reference = $1`,
    [link.reference, link.stage, link.jti],
  );
  const row = rows[0];
  if (!row) return undefined;
  const registryPack = deps.policies.get(row.partnership_id);
  return {
    used: row.used,
    record: assembleCaseRecord(row, row.events ?? [], registryPack),
    policy: isPolicyLike(row.policy) ? row.policy : registryPack,
    invitations: row.invitations ?? [],
  };
}

/** The snapshot was a validated pack when written; an old or odd row falls back to the registry's. */
function isPolicyLike(value: unknown): value is Pick<PolicyPack, 'stages' | 'directory'> {
  const v = value as Partial<PolicyPack> | null;
  return Boolean(v && Array.isArray(v.stages) && v.directory && Array.isArray(v.directory.agencies) && v.directory.partnership?.roles);
}

function lastIndexOf<T>(list: T[], match: (item: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (match(list[i])) return i;
  return -1;
}

/** `{ key: value }` when there is a value, `{}` otherwise: the page shows only what is held. */
function optional<K extends string>(key: K, value: string | undefined | false | null): { [P in K]?: string } {
  return (value ? { [key]: value } : {}) as { [P in K]?: string };
}

