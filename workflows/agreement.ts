/**
 * Agreement means agreement (issue 11). At a stage the pack has both sides decide, "resolved" from
 * one side is a proposed resolution: the other side is emailed to confirm or dispute it. A
 * confirmation resolves the stage (the main flow then resolves the case as ever); a dispute counts
 * as "not resolved" with the disputer's reasons, and escalates. "Not resolved" from anyone still
 * ends the stage at once.
 *
 * The stage's deadline still applies while a proposal waits: if the stage runs out of time with
 * the proposal unconfirmed, it escalates (or, at the final stage, ends) as a deadline does, and the
 * record says a resolution was proposed but not confirmed.
 */
import { patched, setHandler } from '@temporalio/workflow';
import { confirmOutcome, type ConfirmOutcomeResult, type ProposedResolution, type RecordOutcomeRequest, type RecordedDecision } from '../shared/contract';
import type { Recipient } from '../shared/events';
import { decidingAt, sideOf, type Deciding } from '../shared/policy/deciding';
import { computeDeadline } from './activityProxies';
import { ignoreCancellation, refuse, type CaseContext, type StageRun } from './case';
import { deliver, parties } from './notices';
import { confirmRefusal, sidesToConfirm } from './rules';

/** Cases that reach a both-sides "resolved" from here on ask the other side to confirm it; older ones replay as they ran. */
export const AGREEMENT_BOTH_SIDES = 'agreement-both-sides';

/** Who may decide the current stage. A panel (not a stage of the policy) is decided by any of its members. */
export function decidingOf(c: CaseContext): Deciding {
  const run = c.current?.run;
  const stage = run && c.policy.stages[run.index];
  if (!run || !stage || stage.id !== run.id) return { rule: 'anyone' };
  return decidingAt(stage, run.participants);
}

/**
 * In the recordOutcome handler: when this outcome is only a proposal (newer cases), records it,
 * asks the other side and returns the answer; otherwise undefined and the outcome is decided.
 * Runs its state changes before its first await, as the handler does.
 */
export function proposeIfNeeded(c: CaseContext, request: RecordOutcomeRequest, by: Recipient): Promise<RecordedDecision> | undefined {
  const awaiting = sidesToConfirm(decidingOf(c), by.id, request.decision.outcome);
  if (!awaiting || request.decision.outcome !== 'resolved' || !patched(AGREEMENT_BOTH_SIDES)) return undefined;
  const current = c.current!;
  const proposal: ProposedResolution = {
    stage: request.stage,
    recipientId: by.id,
    recordedBy: by.role,
    recordedAt: c.now(),
    decision: request.decision,
    awaiting,
    confirmedBy: [],
  };
  current.proposal = proposal;
  const written = c.record({ type: 'outcomeProposed', stage: request.stage, actor: by.id, detail: { role: by.role, awaiting, ...request.decision } });
  // The emails go alongside: the person proposing is answered once it is on the record.
  c.inFlight.push(written.then(() => askToConfirm(c, current.run, proposal)).catch(ignoreCancellation));
  return written.then(() => ({ stage: proposal.stage, recipientId: by.id, recordedBy: by.role, recordedAt: proposal.recordedAt, decision: proposal.decision, awaiting }));
}

/** The people taking part for the sides awaited get an email with a link to confirm or dispute. */
async function askToConfirm(c: CaseContext, run: StageRun, proposal: ProposedResolution): Promise<void> {
  const asked = run.participants.filter((p) => p.id !== proposal.recipientId && proposal.awaiting.some((side) => sideOf(p.id) === side));
  if (asked.length === 0) return;
  const view = c.current!.view;
  const linkExpiresAt = await computeDeadline({ from: view.deadline, timescale: c.policy.linkGrace, calendar: c.policy.calendar });
  const proposer = run.participants.find((p) => p.id === proposal.recipientId);
  const agency = proposer?.agencyId ? (c.policy.directory.agencies.find((a) => a.id === proposer.agencyId)?.name ?? proposer.agencyId) : undefined;
  const delivered = await deliver(c, 'confirmationRequest', asked, c.summary(run, view.deadline), { linkExpiresAt, proposal: { byRole: proposal.recordedBy, ...(agency ? { agency } : {}) } });
  await c.record({ type: 'notified', stage: run.number, detail: { kind: 'confirmationRequest', participants: parties(asked), delivered } });
}

/** The confirmOutcome Update: the other side confirms or disputes the proposed resolution. */
export function answerAgreement(c: CaseContext): void {
  setHandler(
    confirmOutcome,
    async (request): Promise<ConfirmOutcomeResult> => {
      const current = c.current!;
      const proposal = current.proposal!;
      const by = current.run.participants.find((p) => p.id === request.recipientId)!;
      const at = c.now();
      const proposedBy = { proposedBy: proposal.recipientId, proposedByRole: proposal.recordedBy };
      if (!request.confirm) {
        const reasons = request.reasons!.trim();
        const decision: RecordedDecision = { stage: request.stage, recipientId: by.id, recordedBy: by.role, recordedAt: at, decision: { outcome: 'notResolved', reasons }, disputed: true };
        // Taken before the first await, so a second answer in the same moment is refused.
        current.proposal = undefined;
        // The final stage has nowhere to escalate to: it goes on to its deadline (and the pack's final
        // rule), and a new agreed outcome may still be recorded there.
        const stageContinues = current.run.isFinal;
        if (!stageContinues) {
          current.decision = decision;
          c.soFar.decisions.push(decision);
        }
        await c.record({ type: 'outcomeDisputed', stage: request.stage, actor: by.id, detail: { role: by.role, reasons, ...proposedBy } });
        return { result: 'disputed', decision, ...(stageContinues ? { stageContinues } : {}) };
      }
      const side = sideOf(by.id);
      proposal.awaiting = proposal.awaiting.filter((s) => s !== side);
      proposal.confirmedBy.push({ recipientId: by.id, role: by.role, at });
      const written = c.record({ type: 'outcomeConfirmed', stage: request.stage, actor: by.id, detail: { role: by.role, awaiting: [...proposal.awaiting], ...proposedBy } });
      if (proposal.awaiting.length > 0) {
        await written;
        return { result: 'awaitingOtherSide', proposal };
      }
      const decision: RecordedDecision = {
        stage: proposal.stage,
        recipientId: proposal.recipientId,
        recordedBy: proposal.recordedBy,
        recordedAt: proposal.recordedAt,
        decision: proposal.decision,
        confirmedBy: proposal.confirmedBy,
      };
      current.proposal = undefined;
      current.decision = decision;
      c.soFar.decisions.push(decision);
      await written;
      return { result: 'resolved', decision };
    },
    {
      validator: (request) => {
        const current = c.current;
        refuse(
          confirmRefusal(
            {
              status: c.ending ? 'closed' : c.status,
              required: [],
              stage: current && {
                number: current.run.number,
                participants: current.run.participants,
                isFinal: current.run.isFinal,
                panelAllowed: current.run.panelAllowed,
                decided: current.decision !== undefined,
                proposal: current.proposal,
              },
            },
            request,
          ),
        );
      },
    },
  );
}

/**
 * The stage ended with a proposed resolution still unconfirmed (its deadline passed, or someone
 * recorded "not resolved"): the record says so before the case moves on.
 */
export async function lapseProposal(c: CaseContext, run: StageRun, because: 'deadline' | 'notResolved'): Promise<void> {
  const proposal = c.current?.proposal;
  if (!proposal) return;
  c.current!.proposal = undefined;
  await c.record({ type: 'outcomeProposalLapsed', stage: run.number, actor: proposal.recipientId, detail: { role: proposal.recordedBy, awaiting: proposal.awaiting, because } });
}
