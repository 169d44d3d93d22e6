/**
 * The contract between the API, the worker and the workflow: the task queue, every message the
 * workflow accepts and the shapes that cross the boundary. The API imports this module, never the
 * workflow code. Message names are camelCase verbs or nouns, identical to their constant names.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CaseStatusName, PolicyPack } from './policy/schema';
import type { ActingClient, ClockActorKind, EscalationReason, Proforma, Recipient, StageSummary } from './events';
import type { Side } from './policy/deciding';

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
  /** Where a continued run of the case picks up (continue-as-new); absent when a case opens. */
  resume?: CaseSoFar;
  /**
   * Continue-as-new once the history has this many events, at the next stage boundary; Temporal's
   * own suggestion applies too. Tests set it low; cases leave it unset.
   */
  continueAsNewAfterEvents?: number;
}

/**
 * Where a case stands. Every status but `open` is an end: `resolved` by an agreed outcome,
 * `withdrawn` by the raiser or a partnership admin, `closed` by a partnership admin, `unresolved`
 * when the final stage's time ran out and the pack closes it, `referred` when the pack refers it on.
 */
export type CaseStatus = 'open' | 'resolved' | 'withdrawn' | 'closed' | 'unresolved' | 'referred';
export type ClosedStatus = Exclude<CaseStatus, 'open'>;

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

/**
 * Every Update names the case it is for. Its arguments are sealed (encrypted and authenticated), so
 * a sealed Update copied out of one case's history and sent to another still names the first, and
 * is refused (workflows/interceptors.ts).
 */
export interface BoundToCase {
  /** The case reference (the workflow id) this message is for. */
  reference: string;
}

/** The review reminder a resolved case hands its review date to runs as a workflow of its own. */
export const reviewReminderId = (reference: string) => `${reference}-review`;

/** The workflow id a start naming `reference` may run as: the case itself, or its review reminder. */
export const workflowIdsFor = (reference: string) => [reference, reviewReminderId(reference)];

export interface RecordOutcomeRequest extends BoundToCase {
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
  /** Both-sides stages (issue 11): who on the other side confirmed this resolution. */
  confirmedBy?: Confirmation[];
  /** Both-sides stages: this "not resolved" is a dispute of a proposed resolution. */
  disputed?: boolean;
  /** Returned by recordOutcome when "resolved" is only proposed: the sides whose confirmation it awaits. */
  awaiting?: Side[];
}

export interface StageView {
  number: number;
  id: string;
  name: string;
  isFinal: boolean;
  /** The final stage's chair may convene a panel here. */
  panelAllowed: boolean;
  enteredAt: string;
  /** The due deadline people were given (moved only by a recorded change, never by the final stage's last chance). */
  deadline: string;
  participants: { id: string; name: string; role: string }[];
  /** The final stage, once its deadline passed: when its last chance ends (newer cases). */
  lastChance?: string;
  /** While the stage's clock is paused: since when (newer cases). */
  pausedAt?: string;
  /** The stage's clock can be paused and its deadline changed (stages begun on newer code). */
  clockAdjustable?: boolean;
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
  /** A resolution proposed at the current stage, awaiting the other side (issue 11); newer cases only. */
  proposal?: ProposedResolution | null;
}

export interface DisagreementResult {
  reference: string;
  status: ClosedStatus;
  /** The stage the case ended at (resolved, withdrawn, closed...). */
  endedAtStage: number | null;
  /** The decision that resolved it, when one did. */
  decision?: RecordedDecision;
  /** Kept for histories of cases that finished before withdrawal existed. */
  resolvedAtStage?: number;
}

/** Who ends a case other than by a decision: the raiser (withdraw only) or a partnership admin. */
export type EndedBy = 'raiser' | 'partnershipAdmin';

export interface EndCaseRequest extends BoundToCase {
  by: EndedBy;
  /** Who did it, for the record: a recipient id (`raiser.worker.0`), an admin's id or an API client. Never free text. */
  actor: string;
  /** Why, in the person's own words (kept in PostgreSQL's record, shown on the case page). */
  reason: string;
  /** The API client that asked, named on the record's ending event. */
  endedBy?: ActingClient;
}

export interface CaseEnding {
  reference: string;
  status: ClosedStatus;
  at: string;
  stage: number | null;
}

export const recordOutcome = defineUpdate<RecordedDecision, [RecordOutcomeRequest]>('recordOutcome');
/** The raiser or a partnership admin withdraws the case, with a reason. Refused once the case has ended. */
export const withdrawCase = defineUpdate<CaseEnding, [EndCaseRequest]>('withdrawCase');
/** A partnership admin closes the case, with a reason. Refused once the case has ended. */
export const closeCase = defineUpdate<CaseEnding, [EndCaseRequest]>('closeCase');
export const caseState = defineQuery<CaseState>('caseState');

/** The record's witness outside its database: the seq of the last event this case's workflow saw written. */
export interface RecordHead {
  reference: string;
  lastSeq: number;
}
/** Answered by the workflow (no commands: old histories replay); record:verify compares it with the database. */
export const recordHead = defineQuery<RecordHead>('recordHead');
/**
 * Retired: link openings are recorded by the API (table link_openings), never sent to the
 * workflow. Kept only so cases that received it before still replay; nothing sends it.
 */
export const linkOpened = defineSignal<[{ stage: number; recipientId: string }]>('linkOpened');

/**
 * The stage's clock (issue 11): a participant of the current stage or a partnership admin pauses it
 * with a reason, resumes it, or extends or shortens its deadline with a reason. The API checks who
 * the person is; the workflow checks they may (workflows/rules.ts clockRefusal).
 */
export interface ClockRequest extends BoundToCase {
  /** The stage the person was looking at; a stale stage is refused. */
  stage: number;
  by: ClockActorKind;
  /** A participant's recipient id (`raiser.lineManager.0`), or `partnershipAdmin`. Never free text. */
  actor: string;
  /** Why, in the person's own words (kept in the record, never emailed). Optional only to resume. */
  reason?: string;
}

export interface ChangeDeadlineRequest extends ClockRequest {
  reason: string;
  /** The new due deadline, an ISO instant. */
  deadline: string;
}

/** Pauses the current stage's clock: no reminder and no deadline until it resumes. Answers the stage as it now stands. */
export const pauseClock = defineUpdate<StageView, [ClockRequest]>('pauseClock');
/** Resumes it: the due deadline moves on by the time it was paused. */
export const resumeClock = defineUpdate<StageView, [ClockRequest]>('resumeClock');
/** Extends or shortens the current stage's due deadline (never into the past, at most MAX_DEADLINE_AHEAD_DAYS ahead). */
export const changeDeadline = defineUpdate<StageView, [ChangeDeadlineRequest]>('changeDeadline');

/** How far ahead a deadline may be set: eight weeks from the moment it is changed. */
export const MAX_DEADLINE_AHEAD_DAYS = 56;

/** Names the refusals carry, so the API can tell a stale link from a bad request. */
export const Refusal = {
  staleStage: 'StaleStage',
  alreadyDecided: 'AlreadyDecided',
  notParticipant: 'NotParticipant',
  caseClosed: 'CaseClosed',
  invalidDecision: 'InvalidDecision',
  /** Ending a case: a reason is missing, or this kind of person may not end it this way. */
  notAllowed: 'NotAllowed',
  /** A change to the stage's clock that cannot be made now (already paused, a deadline in the past...). */
  invalidClockChange: 'InvalidClockChange',
  /** A stage the pack has a named role decide (the chair): someone else tried. */
  notDecider: 'NotDecider',
  /** A resolution was proposed at this stage: the other side confirms or disputes it. */
  awaitingConfirmation: 'AwaitingConfirmation',
  /** Confirming or disputing when no resolution awaits confirmation. */
  noProposal: 'NoProposal',
  /** Only someone taking part on the other side may confirm or dispute a proposed resolution. */
  notOtherSide: 'NotOtherSide',
  /** Handing a stage over: nobody to hand it to (no colleague of that name, no fallback role held). */
  nobodyToHandTo: 'NobodyToHandTo',
} as const;

/** The workflow type name, so the API can start it without importing workflow code. */
export const DISAGREEMENT_WORKFLOW = 'disagreement';

/** A duty assigned after an outcome whose due reminder has not gone yet. */
export interface PendingDuty {
  id: string;
  name: string;
  stage: StageSummary;
  due: string;
  owners: Recipient[];
}

/** Everything a case carries from one run of its workflow to the next (continue-as-new). */
export interface CaseSoFar {
  lastSeq: number;
  stageIndex: number;
  reason: EscalationReason;
  decisions: RecordedDecision[];
  involved: Recipient[];
  /** Everyone told of the case for information so far (newer cases only): they hear when it moves on and ends. */
  told?: Recipient[];
  stagesSeen: Proforma['stages'];
  duties: PendingDuty[];
  /** How many times a stage was handed over so far ("I'm not the right person"): numbers the new people's ids. */
  handOvers?: number;
}

/**
 * Agreement means agreement (issue 11). At a stage the pack has both sides decide, "resolved" from
 * one side is a proposed resolution: someone taking part on the other side confirms it (then it is
 * resolved) or disputes it with their reasons (then it is not resolved, and escalates).
 */
export interface Confirmation {
  recipientId: string;
  role: string;
  at: string;
}

export interface ProposedResolution {
  stage: number;
  /** Who proposed it (a recipient id) and their role. */
  recipientId: string;
  recordedBy: string;
  recordedAt: string;
  decision: Extract<Outcome, { outcome: 'resolved' }>;
  /** The sides whose confirmation is still awaited (one, unless the partnership's own people proposed it). */
  awaiting: Side[];
  confirmedBy: Confirmation[];
}

export interface ConfirmOutcomeRequest extends BoundToCase {
  /** Stage number (1-based) of the proposal; a stale stage is refused. */
  stage: number;
  /** Recipient id from the signed link: someone taking part on the other side. */
  recipientId: string;
  /** true confirms the proposed resolution; false disputes it, which needs reasons. */
  confirm: boolean;
  reasons?: string;
}

export type ConfirmOutcomeResult =
  | { result: 'resolved'; decision: RecordedDecision }
  /** At the final stage (nowhere to escalate) the stage goes on to its deadline: `stageContinues`. */
  | { result: 'disputed'; decision: RecordedDecision; stageContinues?: boolean }
  /** Confirmed for this side; the other side's confirmation is still awaited. */
  | { result: 'awaitingOtherSide'; proposal: ProposedResolution };

export const confirmOutcome = defineUpdate<ConfirmOutcomeResult, [ConfirmOutcomeRequest]>('confirmOutcome');

/**
 * "I'm not the right person" (issue 11): someone asked to decide a stage hands it to a colleague
 * from the directory of the same agency (or the partnership's own people), or to the fallback role
 * the stage's policy names. The stage's deadline does not change.
 */
export type HandOverTo = { kind: 'colleague'; email: string } | { kind: 'fallback' };

export interface HandOverRequest extends BoundToCase {
  /** Stage number (1-based) the person's link was issued for. */
  stage: number;
  /** Recipient id from the person's signed link: who is handing the stage over. */
  recipientId: string;
  to: HandOverTo;
  /** Why, in the person's own words (kept in PostgreSQL's record, shown on the case page; never emailed). */
  reason: string;
}

export interface HandedOver {
  stage: number;
  from: { id: string; name: string; role: string };
  to: { id: string; name: string; role: string }[];
  /** Unchanged by the hand-over. */
  deadline: string;
}

export const handOver = defineUpdate<HandedOver, [HandOverRequest]>('handOver');

/**
 * A note to the case the other participants see (issue 11). The API keeps the note's text in
 * PostgreSQL (case_notes) and sends only its id and digest: the text never enters Temporal history,
 * and the record's `noteAdded` event (placed by the workflow, which owns the record's order) anchors
 * the text by its digest.
 */
export interface AddNoteRequest extends BoundToCase {
  /** The case_notes row the API wrote (a UUID). */
  noteId: string;
  /** sha256 (hex) of the note's text as stored. */
  digest: string;
  /** Who wrote it: someone taking part (matched by address among the case's people) or a partnership admin. */
  author: { kind: 'participant' | 'partnershipAdmin'; email: string };
}

export interface NoteAdded {
  noteId: string;
  at: string;
  /** Recipient ids told by email (never the author). */
  told: string[];
}

export const addNote = defineUpdate<NoteAdded, [AddNoteRequest]>('addNote');

/**
 * Who the person with this recipient id may hand the current stage to (shared/handover.ts), from
 * the case's own directory; null when they are not asked to decide it. For the hand-over form.
 */
export const handOverChoices = defineQuery<import('./handover').HandOverOptions | null, [string]>('handOverChoices');
