/**
 * The contract between the API, the worker and the workflow: the task queue, every message the
 * workflow accepts and the shapes that cross the boundary. The API imports this module, never the
 * workflow code. Message names are camelCase verbs or nouns, identical to their constant names.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CaseStatusName, PolicyPack } from './policy/schema';

export const TASK_QUEUE = 'lscp-disagreements';

export type AgencyRef = string;

/** A practitioner taking part; professional contact details only, never the child's. */
export interface Practitioner {
  name: string;
  email: string;
  agencyId: AgencyRef;
  /** The practitioner's own role (socialWorker, gp, schoolStaff...), for counterpart tables. */
  role?: string;
}

export interface CaseFlags {
  childProtectionPlan: boolean;
  lookedAfter: boolean;
  immediateHarm: boolean;
}

/**
 * What the workflow is started with. Deliberately excludes the child's reference and the
 * description of the disagreement: those stay in PostgreSQL, never in Temporal history.
 */
export interface DisagreementInput {
  reference: string;
  policy: PolicyPack;
  raiser: Practitioner;
  other: Practitioner;
  category: string;
  flags: CaseFlags;
  /** Open case or new referral, where a pack's ladders depend on it; `open` when not given. */
  caseStatus?: CaseStatusName;
  /** With immediate harm, a later stage the raiser chose from those the policy allows. */
  startAtStage?: string;
}

export type CaseStatus = 'open' | 'resolved';

export type Outcome =
  | {
      outcome: 'resolved';
      agreedOutcome: string;
      agreedPlan?: string;
      reviewDate?: string;
      outstandingIssues?: string;
      /** Lessons learned for the partnership (Hull's proforma). */
      lessons?: { trainingNeed: boolean; commissioningNeed: boolean; agencyGuidance: boolean; partnershipGuidance: boolean; notes?: string };
    }
  | { outcome: 'notResolved'; reasons: string }
  /** Final stage only, where the policy allows it: the chair convenes a resolution panel. */
  | { outcome: 'panelConvened'; reasons?: string };

export interface RecordOutcomeRequest {
  /** Stage number (1-based) the link was issued for; a stale stage is refused. */
  stage: number;
  /** Recipient id from the signed link, for example `raiser.lineManager.0`. */
  recipientId: string;
  decision: Outcome;
}

export interface RecordedDecision {
  stage: number;
  recipientId: string;
  recordedBy: string;
  recordedAt: string;
  decision: Outcome;
}

export interface StageView {
  number: number;
  id: string;
  name: string;
  isFinal: boolean;
  /** The final stage's chair may convene a panel here. */
  panelAllowed: boolean;
  enteredAt: string;
  deadline: string;
  participants: { id: string; name: string; role: string }[];
}

export interface CaseState {
  reference: string;
  partnership: string;
  policyVersion: string;
  status: CaseStatus;
  stage: StageView | null;
  decisions: RecordedDecision[];
  /** Fields a resolution must carry under this policy. */
  resolutionRequires: string[];
}

export interface DisagreementResult {
  reference: string;
  status: 'resolved';
  resolvedAtStage: number;
  decision: RecordedDecision;
}

export const recordOutcome = defineUpdate<RecordedDecision, [RecordOutcomeRequest]>('recordOutcome');
export const caseState = defineQuery<CaseState>('caseState');
/** Someone opened the page behind their link: kept on the record, changes nothing about the case. */
export const linkOpened = defineSignal<[{ stage: number; recipientId: string }]>('linkOpened');

/** Names the refusals carry, so the API can tell a stale link from a bad request. */
export const Refusal = {
  staleStage: 'StaleStage',
  alreadyDecided: 'AlreadyDecided',
  notParticipant: 'NotParticipant',
  caseClosed: 'CaseClosed',
  invalidDecision: 'InvalidDecision',
} as const;

/** The workflow type name, so the API can start it without importing workflow code. */
export const DISAGREEMENT_WORKFLOW = 'disagreement';
