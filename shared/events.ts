/** Shapes shared by the workflow and its activities: recipients, notifications and the case record. */
import type { Contact, PolicyPack, RoleRef, Timescale } from './policy/schema';
import type { CaseFlags, Outcome, Practitioner } from './contract';

/** A person resolved from the directory, with a stable id that carries no personal data. */
export interface Recipient extends Contact {
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
}

export interface DeadlineRequest {
  from: string;
  timescale: Timescale;
  calendar: PolicyPack['calendar'];
}

export type EscalationReason =
  | { kind: 'opened' }
  | { kind: 'immediateHarm' }
  | { kind: 'notResolved'; fromStage: number; byRole: string }
  | { kind: 'deadline'; fromStage: number; deadline: string };

export type NotificationKind =
  | 'stageInvitation'
  | 'stageNotice'
  | 'deadlineReminder'
  | 'immediateHarmAlert'
  | 'resolutionConfirmation';

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
}

export type CaseEventType =
  | 'opened'
  | 'immediateHarmAlerted'
  | 'stageEntered'
  | 'notified'
  | 'outcomeRecorded'
  | 'deadlinePassed'
  | 'escalated'
  | 'resolved'
  | 'confirmationSent';

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
