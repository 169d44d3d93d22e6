/** Shapes shared by the workflow and its activities: recipients, notifications and the case record. */
import type { CaseStatusName, PolicyPack, RoleRef, Timescale } from './policy/schema';
import type { CaseFlags, Outcome, Practitioner } from './contract';

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
  | { kind: 'notResolved'; fromStage: number; byRole: string }
  | { kind: 'deadline'; fromStage: number; deadline: string }
  | { kind: 'panelConvened'; fromStage: number; byRole: string };

export type NotificationKind =
  | 'stageInvitation'
  | 'stageNotice'
  /** Before the case enters a stage, to those the policy tells first. */
  | 'escalationNotice'
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
  | 'dutyDue';

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
}

export type CaseEventType =
  | 'opened'
  | 'immediateHarmAlerted'
  | 'stageEntered'
  | 'notified'
  | 'outcomeRecorded'
  | 'deadlinePassed'
  | 'escalated'
  | 'reminderSent'
  | 'panelConvened'
  | 'outcomeNotified'
  | 'proformaSent'
  | 'resolved'
  | 'confirmationSent'
  | 'dutyAssigned'
  | 'dutyDue'
  | 'reviewDateReached'
  | 'linkOpened'
  | 'closed';

export interface CaseEvent {
  reference: string;
  /** Position in the case's history; 0 is written by the API when the case is opened. */
  seq: number;
  type: CaseEventType;
  at: string;
  stage?: number;
  /** Recipient id or role of whoever acted, never a free-text name. */
  actor?: string;
  detail: Record<string, unknown>;
  /** Updates to the case's current-state row, applied in the same transaction. */
  caseUpdate?: { status?: 'open' | 'resolved'; stage?: number; stageName?: string; stageDeadline?: string | null };
}
