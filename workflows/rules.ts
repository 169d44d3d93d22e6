/**
 * The rules that decide whether a message to a case is accepted. Pure functions of the case's
 * state and the request, so they are unit-tested on their own (tests/unit/caseRules.test.ts) and
 * the workflow's Update validators only call them.
 */
import { Refusal, type CaseStatus, type ConfirmOutcomeRequest, type EndCaseRequest, type Outcome, type RecordOutcomeRequest } from '../shared/contract';
import { sideOf, type Deciding, type Side } from '../shared/policy/deciding';
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

/** May this person record this outcome now? Undefined when yes; otherwise why not. */
export function outcomeRefusal(c: DecidingStage, request: RecordOutcomeRequest): Refused | undefined {
  if (c.status !== 'open' || !c.stage) return { type: Refusal.caseClosed, message: 'This disagreement is closed.' };
  const stage = c.stage;
  if (request.stage !== stage.number) {
    return { type: Refusal.staleStage, message: `This link is for stage ${request.stage}; the case is now at stage ${stage.number}.` };
  }
  if (stage.decided) return { type: Refusal.alreadyDecided, message: `An outcome for stage ${request.stage} has already been recorded.` };
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
  if (c.status !== 'open' || !c.stage) return { type: Refusal.caseClosed, message: 'This disagreement is closed.' };
  const stage = c.stage;
  if (request.stage !== stage.number) {
    return { type: Refusal.staleStage, message: `This link is for stage ${request.stage}; the case is now at stage ${stage.number}.` };
  }
  if (stage.decided) return { type: Refusal.alreadyDecided, message: `An outcome for stage ${request.stage} has already been recorded.` };
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
