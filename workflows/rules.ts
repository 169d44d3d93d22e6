/**
 * The rules that decide whether a message to a case is accepted. Pure functions of the case's
 * state and the request, so they are unit-tested on their own (tests/unit/caseRules.test.ts) and
 * the workflow's Update validators only call them.
 */
import { MAX_DEADLINE_AHEAD_DAYS, Refusal, type AddNoteRequest, type CaseStatus, type ChangeDeadlineRequest, type ClockRequest, type ConfirmOutcomeRequest, type EndCaseRequest, type HandOverRequest, type Outcome, type RecordOutcomeRequest } from '../shared/contract';
import { sideOf, type Deciding, type Side } from '../shared/policy/deciding';
import type { HandOverOptions, HandOverPerson } from '../shared/handover';
import type { ResolutionField } from '../shared/policy/schema';

export interface Refused {
  type: (typeof Refusal)[keyof typeof Refusal];
  message: string;
}

/** What the outcome rules need to know about the case at the moment a decision arrives. */
export interface DecidingStage {
  status: CaseStatus;
  stage?: {
    number: number;
    participants: { id: string; role?: string }[];
    isFinal: boolean;
    panelAllowed: boolean;
    /** An outcome has already been recorded at this stage. */
    decided: boolean;
    /** Who may decide it (issue 11); anyone when absent. */
    deciding?: Deciding;
    /** A resolution proposed here awaiting the other side: who proposed it, and the sides still awaited. */
    proposal?: { recipientId: string; awaiting: Side[] };
  };
  /** Fields every resolution must carry under this policy. */
  required: ResolutionField[];
}

/** The case is open, still at the stage the request is for, and no outcome is recorded there yet; otherwise why not. */
export function stageStillOpen(c: { status: CaseStatus; stage?: { number: number; decided: boolean } }, requestStage: number): Refused | undefined {
  if (c.status !== 'open' || !c.stage) return { type: Refusal.caseClosed, message: 'This disagreement is closed.' };
  if (requestStage !== c.stage.number) {
    return { type: Refusal.staleStage, message: `This link is for stage ${requestStage}; the case is now at stage ${c.stage.number}.` };
  }
  if (c.stage.decided) return { type: Refusal.alreadyDecided, message: `An outcome for stage ${requestStage} has already been recorded.` };
  return undefined;
}

/** May this person record this outcome now? Undefined when yes; otherwise why not. */
export function outcomeRefusal(c: DecidingStage, request: RecordOutcomeRequest): Refused | undefined {
  const open = stageStillOpen(c, request.stage);
  if (open) return open;
  const stage = c.stage!;
  if (!stage.participants.some((p) => p.id === request.recipientId)) {
    return { type: Refusal.notParticipant, message: 'This person does not take part in the current stage.' };
  }
  const decider = deciderRefusal(stage, request.recipientId);
  if (decider) return decider;
  if (stage.proposal && request.decision?.outcome === 'resolved') {
    return {
      type: Refusal.awaitingConfirmation,
      message: `A resolution has already been proposed at stage ${stage.number}: the other side confirms or disputes it. You can still record that it is not resolved.`,
    };
  }
  const d = request.decision;
  const invalid = (message: string): Refused => ({ type: Refusal.invalidDecision, message });
  switch (d.outcome) {
    case 'notResolved':
      if (stage.isFinal) return invalid('The final stage ends in a decision: record the resolution.');
      if (!d.reasons?.trim()) return invalid('The reasons are required.');
      return undefined;
    case 'panelConvened':
      return stage.panelAllowed ? undefined : invalid('A resolution panel can only be convened by the final stage.');
    case 'resolved':
      if (!d.agreedOutcome?.trim()) return invalid('The agreed outcome is required.');
      for (const field of c.required) {
        if (!d[field]?.trim()) return invalid(`This policy requires ${FIELD_LABELS[field]} with every resolution.`);
      }
      return undefined;
    default:
      return invalid('The outcome must be resolved, not resolved or a panel convened.');
  }
}

export const MAX_REASON_LENGTH = 2000;

/**
 * May this case be ended this way? The raiser may withdraw their own case; a partnership admin may
 * withdraw or close any case of the partnership (who is who is the API's to check). Only an open
 * case can end, and always with a reason.
 */
export function endingRefusal(how: 'withdraw' | 'close', status: CaseStatus, request: EndCaseRequest): Refused | undefined {
  if (status !== 'open') return { type: Refusal.caseClosed, message: `This disagreement has already ended (${status}).` };
  if (request.by !== 'raiser' && request.by !== 'partnershipAdmin') {
    return { type: Refusal.notAllowed, message: 'Only the raiser or a partnership admin can end a case.' };
  }
  if (how === 'close' && request.by !== 'partnershipAdmin') {
    return { type: Refusal.notAllowed, message: 'Only a partnership admin can close a case; the raiser can withdraw it.' };
  }
  const reason = typeof request.reason === 'string' ? request.reason.trim() : '';
  if (!reason) return { type: Refusal.notAllowed, message: 'A reason is required.' };
  if (reason.length > MAX_REASON_LENGTH) return { type: Refusal.notAllowed, message: `The reason must be ${MAX_REASON_LENGTH} characters or fewer.` };
  if (typeof request.actor !== 'string' || !request.actor.trim()) return { type: Refusal.notAllowed, message: 'Who ended the case must be given.' };
  return undefined;
}

/** What the clock rules need to know about the case at the moment a change arrives. */
export interface ClockedStage {
  status: CaseStatus;
  /** The workflow's time. */
  now: string;
  stage?: {
    number: number;
    participants: { id: string }[];
    /** The stage began on code that runs its clock (older stages cannot be paused). */
    adjustable: boolean;
    deadline: string;
    pausedAt?: string;
    /** Its due deadline has passed (it is escalating, or at the final stage in its last chance). */
    passed: boolean;
    /** An outcome was recorded at this stage. */
    decided: boolean;
  };
}

export type ClockAction = 'pause' | 'resume' | 'change';

const DAY_MS = 86_400_000;

/**
 * May this person pause, resume or change the deadline of the current stage now? Its participants
 * and the partnership's admins may (who is who is the API's to check: it names a participant by the
 * recipient id it was invited under). Pausing and changing need a reason. A stage whose deadline
 * has passed, or that is decided, keeps its clock. A new deadline is in the future and no more
 * than MAX_DEADLINE_AHEAD_DAYS ahead; the clock is resumed before the deadline is changed.
 */
export function clockRefusal(action: ClockAction, c: ClockedStage, request: ClockRequest | ChangeDeadlineRequest): Refused | undefined {
  if (c.status !== 'open' || !c.stage) return { type: Refusal.caseClosed, message: 'This disagreement is closed.' };
  const stage = c.stage;
  if (request.stage !== stage.number) {
    return { type: Refusal.staleStage, message: `This was for stage ${request.stage}; the case is now at stage ${stage.number}.` };
  }
  if (request.by !== 'participant' && request.by !== 'partnershipAdmin') {
    return { type: Refusal.notAllowed, message: 'Only the people taking part in the stage or a partnership admin can change its clock.' };
  }
  if (typeof request.actor !== 'string' || !request.actor.trim()) return { type: Refusal.notAllowed, message: 'Who made the change must be given.' };
  if (request.by === 'participant' && !stage.participants.some((p) => p.id === request.actor)) {
    return { type: Refusal.notParticipant, message: 'This person does not take part in the current stage.' };
  }
  const reason = typeof request.reason === 'string' ? request.reason.trim() : '';
  if (action !== 'resume' && !reason) return { type: Refusal.notAllowed, message: 'A reason is required.' };
  if (reason.length > MAX_REASON_LENGTH) return { type: Refusal.notAllowed, message: `The reason must be ${MAX_REASON_LENGTH} characters or fewer.` };
  const invalid = (message: string): Refused => ({ type: Refusal.invalidClockChange, message });
  if (!stage.adjustable) return invalid('This stage began before its clock could be paused or its deadline changed.');
  if (stage.decided) return invalid(`An outcome for stage ${stage.number} has already been recorded.`);
  if (action === 'resume') return stage.pausedAt ? undefined : invalid('The clock is not paused.');
  if (stage.pausedAt) return invalid(action === 'pause' ? 'The clock is already paused.' : 'Resume the clock before changing the deadline.');
  if (stage.passed) return invalid(`The deadline of stage ${stage.number} has already passed.`);
  if (action === 'pause') return undefined;
  const to = Date.parse((request as ChangeDeadlineRequest).deadline ?? '');
  if (Number.isNaN(to)) return invalid('The new deadline must be a real date and time.');
  const now = Date.parse(c.now);
  if (to <= now) return invalid('The new deadline must be in the future.');
  if (to > now + MAX_DEADLINE_AHEAD_DAYS * DAY_MS) return invalid(`The new deadline must be within ${MAX_DEADLINE_AHEAD_DAYS / 7} weeks from now.`);
  if (to === Date.parse(stage.deadline)) return invalid('The new deadline is the same as the current one.');
  return undefined;
}

const FIELD_LABELS: Record<ResolutionField, string> = {
  agreedPlan: 'an agreed plan',
  reviewDate: 'a review date',
  outstandingIssues: 'how outstanding issues will be pursued',
};

/** A stage a named role decides (the chair): only those holding it record the outcome. */
function deciderRefusal(stage: NonNullable<DecidingStage['stage']>, recipientId: string): Refused | undefined {
  const deciding = stage.deciding;
  if (deciding?.rule !== 'role') return undefined;
  const role = stage.participants.find((p) => p.id === recipientId)?.role;
  if (role && deciding.roles.includes(role)) return undefined;
  return { type: Refusal.notDecider, message: `At stage ${stage.number} the outcome is recorded by the ${wordsOf(deciding.roles[0])}.` };
}

/** "partnershipChair" as "partnership chair" (the API words roles properly; this is for refusals). */
const wordsOf = (role: string) => role.replace(/([A-Z])/g, ' $1').toLowerCase();

/**
 * Is this outcome a proposal rather than a decision? At a both-sides stage "resolved" awaits the
 * sides other than the proposer's (both, when the partnership's own people propose it); every other
 * outcome, and every outcome under another rule, ends the stage at once. Undefined: not a proposal.
 */
export function sidesToConfirm(deciding: Deciding | undefined, recipientId: string, outcome: Outcome['outcome']): Side[] | undefined {
  if (deciding?.rule !== 'bothSides' || outcome !== 'resolved') return undefined;
  const own = sideOf(recipientId);
  const awaiting = deciding.sides.filter((side) => side !== own);
  return awaiting.length > 0 ? awaiting : undefined;
}

/**
 * May this person confirm or dispute the proposed resolution now? Only someone taking part on a
 * side whose confirmation is awaited, never the proposer; a dispute needs reasons.
 */
export function confirmRefusal(c: DecidingStage, request: ConfirmOutcomeRequest): Refused | undefined {
  const open = stageStillOpen(c, request.stage);
  if (open) return open;
  const stage = c.stage!;
  if (!stage.proposal) return { type: Refusal.noProposal, message: `No resolution awaits confirmation at stage ${request.stage}.` };
  if (!stage.participants.some((p) => p.id === request.recipientId)) {
    return { type: Refusal.notParticipant, message: 'This person does not take part in the current stage.' };
  }
  const side = sideOf(request.recipientId);
  if (request.recipientId === stage.proposal.recipientId || !side || !stage.proposal.awaiting.includes(side)) {
    return { type: Refusal.notOtherSide, message: 'Only someone taking part for the other side can confirm or dispute the proposed resolution.' };
  }
  if (typeof request.confirm !== 'boolean') return { type: Refusal.invalidDecision, message: 'Say whether you confirm or dispute the proposed resolution.' };
  if (!request.confirm) {
    const reasons = typeof request.reasons === 'string' ? request.reasons.trim() : '';
    if (!reasons) return { type: Refusal.invalidDecision, message: 'The reasons for disputing the proposed resolution are required.' };
    if (reasons.length > MAX_REASON_LENGTH) return { type: Refusal.invalidDecision, message: `The reasons must be ${MAX_REASON_LENGTH} characters or fewer.` };
  }
  return undefined;
}

export const MAX_HANDOVER_REASON_LENGTH = 1000;

/** What the hand-over rules need to know about the case when a hand-over arrives. */
export interface HandingOverStage {
  status: CaseStatus;
  stage?: { number: number; participants: { id: string }[]; decided: boolean };
  /** Who the person may hand to (shared/handover.ts), when they take part in the stage. */
  options?: HandOverOptions;
}

/**
 * May this person hand the stage over to this colleague or the fallback role? Undefined when yes;
 * otherwise why not. Only someone asked to decide the current, undecided stage of an open case,
 * with a reason, to someone the directory holds who is not already asked.
 */
export function handOverRefusal(c: HandingOverStage, request: HandOverRequest): Refused | undefined {
  const open = stageStillOpen(c, request.stage);
  if (open) return open;
  if (!c.stage!.participants.some((p) => p.id === request.recipientId)) {
    return { type: Refusal.notParticipant, message: 'This person is not asked to decide the current stage, so cannot hand it over.' };
  }
  const reason = typeof request.reason === 'string' ? request.reason.trim() : '';
  if (!reason) return { type: Refusal.notAllowed, message: 'Enter why you are not the right person to decide this.' };
  if (reason.length > MAX_HANDOVER_REASON_LENGTH) return { type: Refusal.notAllowed, message: `The reason must be ${MAX_HANDOVER_REASON_LENGTH} characters or fewer.` };
  const to = handOverTargets(c.options, request);
  if ('refused' in to) return to.refused;
  return undefined;
}

/** Who the stage goes to, or why nobody can take it. */
export function handOverTargets(options: HandOverOptions | undefined, request: Pick<HandOverRequest, 'to'>): { people: HandOverPerson[] } | { refused: Refused } {
  const nobody = (message: string) => ({ refused: { type: Refusal.nobodyToHandTo, message } });
  const to = request.to as Partial<HandOverRequest['to']> | undefined;
  if (to?.kind === 'colleague') {
    const email = typeof to.email === 'string' ? to.email.trim().toLowerCase() : '';
    const colleague = options?.colleagues.find((p) => p.email.toLowerCase() === email);
    if (!colleague) return nobody('That colleague is not in the directory of your organisation, or is already asked to decide this stage.');
    return { people: [colleague] };
  }
  if (to?.kind === 'fallback') {
    if (!options?.fallback) return nobody('The policy names no other role for this stage that anyone in your organisation holds: name a colleague instead.');
    return { people: options.fallback.people };
  }
  return { refused: { type: Refusal.notAllowed, message: 'Choose a colleague or the fallback role.' } };
}

/** What the note rules need to know: whether the case is open, and whether the author takes part. */
export interface NotingCase {
  status: CaseStatus;
  /** The author's address is among the case's people (the practitioners, anyone asked or told). */
  authorTakesPart: boolean;
}

/**
 * May this note be added? Only to an open case, by someone taking part or a partnership admin (who
 * is an admin is the API's to check), naming the note the API kept and its digest.
 */
export function noteRefusal(c: NotingCase, request: AddNoteRequest): Refused | undefined {
  if (c.status !== 'open') return { type: Refusal.caseClosed, message: 'This disagreement has ended: notes can no longer be added.' };
  if (typeof request.noteId !== 'string' || !/^[0-9a-f-]{36}$/.test(request.noteId)) return { type: Refusal.notAllowed, message: 'The note is not one the service kept.' };
  if (typeof request.digest !== 'string' || !/^[0-9a-f]{64}$/.test(request.digest)) return { type: Refusal.notAllowed, message: 'The note has no digest.' };
  const kind = request.author?.kind;
  if (kind !== 'participant' && kind !== 'partnershipAdmin') return { type: Refusal.notAllowed, message: 'Only someone taking part or a partnership admin can add a note.' };
  if (kind === 'participant' && !c.authorTakesPart) return { type: Refusal.notParticipant, message: 'This person does not take part in this case.' };
  return undefined;
}
