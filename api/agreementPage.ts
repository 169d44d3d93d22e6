/**
 * Agreement means agreement (issue 11), on the respond page: when a resolution proposed at this
 * stage awaits the side of the person at the link, they read the proposed agreed outcome and plan
 * and confirm or dispute it (a dispute needs reasons), check their answer, and only then is it sent
 * to the case as the confirmOutcome Update. Refusals come back as GOV.UK messages.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { Refusal, confirmOutcome, type CaseState, type ConfirmOutcomeResult, type ProposedResolution } from '../shared/contract';
import { decidingAt, sideOf, type Deciding } from '../shared/policy/deciding';
import type { PolicyPack } from '../shared/policy/schema';
import { roleLabel } from '../shared/presentation/labels';
import type { AppDeps } from './app';
import type { CaseInFront } from './caseInFront';
import { govukMessage, type FieldWords } from './formWording';
import { zodProblems, type FieldProblem } from './problem';

/** The proposal at the link's stage that awaits this person's side, if any (never their own). */
export function proposalAwaiting(state: CaseState, stage: number, recipientId: string): ProposedResolution | undefined {
  const proposal = state.proposal;
  if (!proposal || proposal.stage !== stage || state.stage?.number !== stage || proposal.recipientId === recipientId) return undefined;
  const side = sideOf(recipientId);
  return side && proposal.awaiting.includes(side) ? proposal : undefined;
}

/** Who decides the stage in front of the person (a panel: any member), for the decision form's wording. */
export function decidingFor(policy: Pick<PolicyPack, 'stages'> | undefined, state: CaseState): Deciding {
  const view = state.stage;
  const stage = view && policy?.stages[view.number - 1];
  if (!view || !stage || stage.id !== view.id) return { rule: 'anyone' };
  return decidingAt(stage, view.participants);
}

/** What the decision form says about who decides, and about a proposal waiting for the other side. */
/** The sentence under "Who is asked to decide at this stage", where the rule is not "anyone". */
export function whoDecides(deciding: Deciding): string | undefined {
  if (deciding.rule === 'bothSides') {
    return 'Both sides decide: when one side records the agreed outcome, someone on the other side confirms or disputes it. Either side can record that it is not resolved. Talk to each other first.';
  }
  if (deciding.rule === 'role') return `The ${roleLabel(deciding.roles[0])} records the outcome; talk to each other first.`;
  return undefined;
}

export function decidingWords(deciding: Deciding, state: CaseState, recipientId: string, page: CaseInFront): { hint?: string; notice?: string } {
  const proposal = state.proposal && state.proposal.stage === state.stage?.number ? state.proposal : undefined;
  if (proposal) {
    return {
      notice: `The ${proposerWords(proposal, page)} has proposed that this stage is resolved, and the other side has been asked to confirm it. You can still record that it is not resolved.`,
    };
  }
  if (deciding.rule === 'bothSides') return { hint: 'Both sides decide this stage: the other side will be asked to confirm or dispute the agreed outcome before it counts as resolved.' };
  if (deciding.rule === 'role') {
    const you = state.stage?.participants.find((p) => p.id === recipientId);
    if (you && !deciding.roles.includes(you.role)) return { notice: `At this stage the outcome is recorded by the ${roleLabel(deciding.roles[0])}.` };
  }
  return {};
}

function proposerWords(proposal: ProposedResolution, page: CaseInFront): string {
  const side = sideOf(proposal.recipientId);
  const organisation = side ? page.sides[side]?.agency : undefined;
  return `${roleLabel(proposal.recordedBy)}${organisation ? ` (${organisation})` : ''}`;
}

const agreementFormSchema = z
  .object({
    answer: z.enum(['confirm', 'dispute'], { error: 'is required' }),
    disputeReasons: z.string().trim().max(2000, 'must be 2000 characters or fewer').optional(),
  })
  .superRefine((form, ctx) => {
    if (form.answer === 'dispute' && !form.disputeReasons) ctx.addIssue({ code: 'custom', path: ['disputeReasons'], message: 'is required' });
  });
type AgreementForm = z.output<typeof agreementFormSchema>;

const WORDS: Record<string, FieldWords> = {
  answer: { name: 'whether you confirm or dispute the proposed outcome', choice: true },
  disputeReasons: { name: 'why you dispute the proposed outcome' },
};

export interface AgreementLink {
  claims: { reference: string; stage: number; recipientId: string; jti: string };
  page: CaseInFront;
}

/** The proposal as the pages show it: who proposed it, and what, with the review date in words. */
function proposalView(proposal: ProposedResolution, page: CaseInFront, dateInWords: (iso: string) => string) {
  const d = proposal.decision;
  return {
    by: proposerWords(proposal, page),
    agreedOutcome: d.agreedOutcome,
    agreedPlan: d.agreedPlan,
    reviewDate: d.reviewDate ? dateInWords(d.reviewDate) : undefined,
    outstandingIssues: d.outstandingIssues,
  };
}

export function showAgreement(
  res: Response,
  link: AgreementLink,
  proposal: ProposedResolution,
  opts: { csrfToken: string; dateInWords: (iso: string) => string; values?: Record<string, unknown>; errors?: FieldProblem[]; status?: number },
): void {
  const errors = (opts.errors ?? []).map((p) => ({ text: agreementMessage(p), href: `#${p.path || 'answer'}`, path: p.path || 'answer' }));
  res.status(opts.status ?? 200).render('respond-agree.njk', {
    ...link.page,
    caseInFront: link.page,
    proposal: proposalView(proposal, link.page, opts.dateInWords),
    csrfToken: opts.csrfToken,
    values: opts.values ?? {},
    errors,
  });
}

function agreementMessage(p: FieldProblem): string {
  if (!p.path) return p.message;
  return govukMessage(p, WORDS[p.path]);
}

/**
 * The confirm-or-dispute form posted: shown again with errors, then the check page, then (with
 * `_confirm=yes`) the Update. Returns true when the link is now used.
 */
export async function postAgreement(
  deps: AppDeps,
  req: Request,
  res: Response,
  link: AgreementLink,
  proposal: ProposedResolution,
  opts: { csrfToken: () => string; dateInWords: (iso: string) => string; refused: (type: string, message: string) => Promise<void> },
): Promise<void> {
  const raw = req.body as Record<string, string | string[] | undefined>;
  const one = (k: string) => {
    const v = raw[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const values = { answer: one('answer'), disputeReasons: one('disputeReasons') };
  const form = agreementFormSchema.safeParse({ answer: values.answer || undefined, disputeReasons: values.disputeReasons || undefined });
  const show = (status: number, errors: FieldProblem[]) => showAgreement(res, link, proposal, { csrfToken: opts.csrfToken(), dateInWords: opts.dateInWords, values, errors, status });
  if (one('_change') === 'yes') return show(200, []);
  if (!form.success) return show(400, zodProblems(form.error));
  if (one('_confirm') !== 'yes') {
    return void res.render('respond-agree-check.njk', {
      ...link.page,
      caseInFront: link.page,
      proposal: proposalView(proposal, link.page, opts.dateInWords),
      answer: form.data,
      csrfToken: opts.csrfToken(),
    });
  }
  const { reference, stage, recipientId, jti } = link.claims;
  let result: ConfirmOutcomeResult;
  try {
    result = await deps.temporal.workflow.getHandle(reference).executeUpdate(confirmOutcome, {
      args: [{ reference, stage, recipientId, confirm: form.data.answer === 'confirm', ...(form.data.answer === 'dispute' ? { reasons: form.data.disputeReasons } : {}) }],
    });
  } catch (error) {
    if (!(error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)) throw error;
    const type = error.cause.type ?? '';
    if (type === Refusal.invalidDecision) return show(400, [{ path: 'answer', message: error.cause.message }]);
    return opts.refused(type, error.cause.message);
  }
  await deps.db.query('INSERT INTO used_links (jti, reference) VALUES ($1, $2) ON CONFLICT DO NOTHING', [jti, reference]);
  res.render('respond-agree-done.njk', { ...link.page, caseInFront: link.page, result: result.result, answer: form.data });
}

export type { AgreementForm };
