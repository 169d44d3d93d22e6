/** Shapes shared by the workflow and its activities: recipients, notifications and the case record. */
import type { CaseStatusName, PolicyPack, RoleRef, Timescale } from './policy/schema';
import type { CaseFlags, CaseStatus, ClosedStatus, Outcome, Practitioner } from './contract';
import type { Side } from './policy/deciding';

/** A person resolved from the directory, with a stable id that carries no personal data. */
export interface Recipient {
  name: string;
  email: string;
  /** For example `raiser.lineManager.0`, `partnership.cpChair.0`, `other.worker.0`. */
  id: string;
  role: string;
  agencyId?: string;
}

export interface ResolveRecipientsRequest {
  directory: PolicyPack['directory'];
  refs: RoleRef[];
  raiser: Practitioner;
  other: Practitioner;
  flags: CaseFlags;
  category?: string;
  caseStatus?: CaseStatusName;
  counterparts?: PolicyPack['counterparts'];
  /** The moment the roles are looked up, for roles that change with the clock; workflow time. */
  at?: string;
  calendar?: PolicyPack['calendar'];
}

export interface SelectPanelRequest {
  directory: PolicyPack['directory'];
  role: string;
  size: number;
  includeAgenciesConcerned: boolean;
  agenciesConcerned: string[];
}

export interface DeadlineRequest {
  from: string;
  timescale: Timescale;
  calendar: PolicyPack['calendar'];
  /** Count back from `from` (a plain period only): reminders before a deadline. */
  backwards?: boolean;
}

export interface ReviewInstantRequest {
  /** yyyy-MM-dd in the pack's zone. */
  date: string;
  calendar: PolicyPack['calendar'];
}

export type EscalationReason =
  | { kind: 'opened' }
  | { kind: 'immediateHarm' }
  | { kind: 'notResolved'; fromStage: number; byRole: string; /** The other side disputed a proposed resolution (issue 11). */ disputed?: boolean }
  | { kind: 'deadline'; fromStage: number; deadline: string }
  | { kind: 'panelConvened'; fromStage: number; byRole: string };

export type NotificationKind =
  | 'stageInvitation'
  | 'stageNotice'
  /** Before the case enters a stage, to those the policy tells first. */
  | 'escalationNotice'
  /** To the practitioners and everyone told so far: the case moved to another stage (why, to whom, by when). */
  | 'caseMoved'
  /** Before the deadline, to the stage's people. */
  | 'deadlineReminder'
  /** After the deadline: the final stage (nowhere to escalate) or a prompt before escalating. */
  | 'overdueReminder'
  | 'immediateHarmAlert'
  | 'outcomeNotice'
  | 'proforma'
  | 'resolutionConfirmation'
  | 'reviewDue'
  | 'dutyAssigned'
  | 'dutyDue'
  /** To the partnership mailbox: an address was refused for good. */
  | 'deliveryFailedNotice'
  /** To everyone involved: the case was withdrawn or closed before a resolution. */
  | 'caseEnded'
  /** To the stage's people and the practitioners: its clock was paused or resumed, or its deadline changed. */
  | 'clockChanged'
  /** To the other side of a both-sides stage: a resolution was proposed; confirm or dispute it. */
  | 'confirmationRequest'
  /** To the other participants: someone added a note to the case (no note text in the email). */
  | 'noteAdded';

/** The anonymised proforma: nothing that identifies the child, the family or the people. */
export interface Proforma {
  partnership: string;
  policyVersion: string;
  category: string;
  agencies: { raiser: string; other: string };
  flags: { childProtectionPlan: boolean; lookedAfter: boolean; immediateHarm: boolean };
  stages: { number: number; name: string; enteredAt: string; outcome?: string; byRole?: string }[];
  status: string;
}

export interface StageSummary {
  number: number;
  name: string;
  guidance?: string;
  deadline: string;
  isFinal: boolean;
}

export interface Notification {
  /** Deterministic: case, stage, recipient, kind (and round). Sent at most once per key. */
  key: string;
  kind: NotificationKind;
  reference: string;
  partnershipId: string;
  partnershipName: string;
  timeZone: string;
  recipient: Recipient;
  stage: StageSummary;
  reason?: EscalationReason;
  /** When set, the email carries a signed link to record the outcome, valid until then. */
  linkExpiresAt?: string;
  resolution?: Outcome & { stage: number; stageName: string; recordedByRole: string };
  /** For outcome notices: what was recorded, without free text. */
  outcome?: { outcome: Outcome['outcome']; byRole: string };
  proforma?: Proforma;
  duty?: { name: string; due: string };
  /** After resolution, suggest the people involved debrief (Chew Stoke). */
  suggestDebrief?: boolean;
  /** Overdue reminders: 'prompt' escalates after a grace period; 'final' has nowhere to escalate. */
  overdue?: { mode: 'prompt' | 'final'; escalatesAt?: string };
  /** When the workflow asked for it: a send delayed by an outage extends its link by the delay. */
  requestedAt?: string;
  /** For `caseEnded`: how the case ended (the reason stays in the record, not in email). */
  ending?: { status: ClosedStatus; by?: EndedByKind };
  /** For `caseMoved` and `stageNotice`: who has the case now, by role and agency name. */
  team?: { role: string; agency?: string }[];
  /** For `confirmationRequest`: who proposed the resolution, by role and agency name (the outcome itself stays on the page). */
  proposal?: { byRole: string; agency?: string };
  /** For a `stageInvitation` after a hand-over: who passed the stage on (their reason stays in the record, not in email). */
  handedOverBy?: { name: string; role: string; agency?: string; to: 'colleague' | 'fallback' };
  /** For `noteAdded`: who wrote the note, by role (the text stays in the record, not in email). */
  noteBy?: { role: string; agency?: string };
  /** For `deliveryFailedNotice`: which email was refused, by role (no address). */
  refused?: { kind: NotificationKind; recipientRole: string; code: number };
  /** For `clockChanged`: what changed and who by (by role; the reason stays in the record, not in email). */
  clock?: ClockChange;
}

/** Who may pause, resume or change a stage's deadline: one of its participants, or a partnership admin. */
export type ClockActorKind = 'participant' | 'partnershipAdmin';

/** A change to a stage's clock, as an email tells it: no free text. */
export interface ClockChange {
  change: 'paused' | 'resumed' | 'extended' | 'shortened';
  by: ClockActorKind;
  byRole: string;
  /** The due deadline before and after (a pause keeps it: it moves on when the clock resumes). */
  from: string;
  to: string;
}

/** A person as the record names them: a recipient id and role, never a name or an address. */
export interface Party {
  id: string;
  role: string;
  agencyId?: string;
}

/** What happened to one email: accepted by the mail server, or refused for good (SMTP 5xx). */
export type Delivery =
  | { status: 'accepted'; at: string }
  | { status: 'refused'; at: string; code: number; response: string };

/** One invitation's fate, as the record keeps it: who, and when their email was accepted or refused. */
export interface DeliveredTo extends Party {
  delivery: Delivery['status'];
  at: string;
}

export type EndedByKind = 'raiser' | 'partnershipAdmin' | 'operator';

/** An agency system that acted through the JSON API, as the record names it: its public id and name, never its key. */
export interface ActingClient {
  kind: 'apiClient';
  id: string;
  name: string;
}

/**
 * The record's events: one `detail` type per event type. The workflow writes them, the timeline,
 * the child's-file record and the dashboard read them. Old cases' events keep their shapes, so
 * fields added later are optional.
 */
export interface CaseEventDetails {
  /** Written by the API when the case is opened (seq 0). */
  opened: {
    partnership: string;
    policyVersion: string;
    category: string;
    flags: CaseFlags;
    caseStatus?: CaseStatusName;
    startAtStage?: string;
    /** The API client that opened it; absent for the raise form and for cases opened before clients had keys of their own. */
    openedBy?: ActingClient;
  };
  immediateHarmAlerted: { alerted: Party[]; startsAtStage: number };
  stageEntered: { stageId: string; name: string; deadline: string; reason: EscalationReason; participants: Party[] };
  notified: {
    kind: 'beforeEntry' | NotificationKind;
    participants?: Party[];
    told?: Party[];
    /** When each invitation was accepted for delivery (or refused), newer cases only. */
    delivered?: DeliveredTo[];
  };
  /** Invitations reached the mail server later than the stage began: its clock starts then. */
  deadlineMoved: { from: string; to: string; because: 'deliveryDelayed' };
  /** The mail server refused an address for good: not retried, the case goes on. */
  deliveryFailed: { kind: NotificationKind; recipient: Party; code: number; response: string; told: Party[] };
  outcomeRecorded: { role: string } & Outcome;
  deadlinePassed: { deadline: string };
  escalated: { toStage: number; reason: EscalationReason };
  reminderSent: { kind: 'beforeDeadline'; before: string } | { kind: 'overdue'; mode: 'prompt' | 'final'; escalatesAt?: string };
  panelConvened: { members: Party[] };
  outcomeNotified: { outcome: { outcome: Outcome['outcome']; byRole: string } | 'resolved'; told: Party[] };
  /** `proforma` only in cases that sent theirs before issue 10: newer ones email a link, and the proforma is built from the record. */
  proformaSent: { recipients: Party[]; proforma?: Proforma };
  resolved: Outcome;
  confirmationSent: { recipients: Party[] };
  dutyAssigned: { duty: string; name: string; due: string; owners: Party[] };
  dutyDue: { duty: string; due: string };
  /** A review date was set: a reminder waits for it apart from the case. */
  reviewScheduled: { reviewDate: string; at: string; named: Party[] };
  reviewDateReached: { reviewDate: string; told: Party[] };
  /** Older cases only: link openings are now kept by the API in link_openings. */
  linkOpened: Record<string, never>;
  /** `endedBy` names the API client that ended it, when one did (newer cases only). */
  withdrawn: { by: EndedByKind; reason: string; endedBy?: ActingClient };
  /** Closed by a partnership admin (or by an operator cancelling the workflow, or an API client). */
  closedByAdmin: { by: EndedByKind; reason: string; endedBy?: ActingClient };
  /** The final stage's time ran out, reminders included, and the pack closes the case unresolved. */
  closedUnresolved: { deadline: string };
  /** The final stage's time ran out and the pack refers the case on to these people. */
  referred: { to: Party[]; deadline: string };
  /** Both-sides stages (issue 11): one side recorded the agreed outcome; the other side is asked to confirm it. */
  outcomeProposed: { role: string; awaiting: Side[] } & Extract<Outcome, { outcome: 'resolved' }>;
  /** Someone on the other side confirmed the proposed resolution; `awaiting` is who else still must (usually nobody). */
  outcomeConfirmed: { role: string; proposedBy: string; proposedByRole: string; awaiting: Side[] };
  /** Someone on the other side disputed the proposed resolution: it counts as not resolved, with their reasons. */
  outcomeDisputed: { role: string; reasons: string; proposedBy: string; proposedByRole: string };
  /** The stage ended with the proposed resolution still unconfirmed: its deadline passed, or someone recorded "not resolved". */
  outcomeProposalLapsed: { role: string; awaiting: Side[]; because: 'deadline' | 'notResolved' };
  /**
   * "I'm not the right person": the stage's person handed it to a colleague or the fallback role.
   * The deadline is unchanged (kept here to say so); the reason is the person's own words.
   */
  handedOver: { from: Party; to: Party[]; kind: 'colleague' | 'fallback'; reason: string; deadline: string };
  /** A note was added; its text is kept in case_notes, anchored here by its sha256 digest. */
  noteAdded: { noteId: string; digest: string; by: Party; told: Party[] };
  /** The workflow's last event: the case has ended. */
  closed: { status: string };
  /** A participant or an admin paused the stage's clock, with a reason: no reminder, no deadline while paused. */
  clockPaused: { by: ClockActorKind; role: string; reason: string; deadline: string };
  /** The clock runs again: the due deadline moved on by the time it was paused. */
  clockResumed: { by: ClockActorKind; role: string; pausedAt: string; from: string; to: string; reason?: string };
  /** A participant or an admin extended or shortened the stage's due deadline, with a reason. */
  deadlineChanged: { by: ClockActorKind; role: string; change: 'extended' | 'shortened'; from: string; to: string; reason: string };
}

export type CaseEventType = keyof CaseEventDetails;

interface EventBase {
  reference: string;
  /** Position in the case's history; 0 is written by the API when the case is opened. */
  seq: number;
  at: string;
  stage?: number;
  /** Recipient id or role of whoever acted, never a free-text name. */
  actor?: string;
  /** Updates to the case's current-state row, applied in the same transaction. */
  caseUpdate?: CaseRowUpdate;
}

export interface CaseRowUpdate {
  status?: CaseStatus;
  stage?: number;
  stageName?: string;
  stageDeadline?: string | null;
  /** The final stage's last chance, after its due deadline (newer cases). */
  stageLastChance?: string | null;
  /** When the stage's clock was paused; null when it runs (newer cases). */
  clockPausedAt?: string | null;
}

/** An event as the workflow writes it: its type decides its detail. */
export type CaseEvent = { [T in CaseEventType]: EventBase & { type: T; detail: CaseEventDetails[T] } }[CaseEventType];

/** An event before the recorder gives it its place (reference, seq) and time. */
export type NewCaseEvent = { [T in CaseEventType]: Omit<EventBase, 'reference' | 'seq' | 'at'> & { type: T; detail: CaseEventDetails[T] } }[CaseEventType];

/** An event read back from the record, for the timeline, the record and the dashboard. */
export type StoredCaseEvent = { [T in CaseEventType]: { seq: number; type: T; at: string; stage: number | null; actor: string | null; detail: CaseEventDetails[T] } }[CaseEventType];
