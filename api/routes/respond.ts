/**
 * The page behind an email link: the case in front of the person deciding (../caseInFront), and
 * the decision form. GET only shows (mail scanners open links before people do);
 * the decision is a POST with CSRF protection that becomes a Temporal Update, whose validator
 * refuses a stale stage or a second decision. A link works once.
 */
import { verifiedLink } from '../identity/decisionLink';
import { Router, type Response } from 'express';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { formProtection } from '../csrf';
import { Refusal, recordOutcome, type CaseState } from '../../shared/contract';
import { recordLinkOpening } from '../../db/linkOpenings';
import { queryCaseState } from '../caseState';
import { caseInFront, readCaseForDecision } from '../caseInFront';
import type { LinkClaims } from '../../shared/links';
import { roleLabel } from '../../mail/render';
import type { AppDeps } from '../app';
import { decisionFormSchema, toOutcome, type DecisionForm } from '../schemas';
import { zodProblems } from '../problem';
import { recordReadOf } from '../audit';
import { log } from '../../shared/log';
import { redactText } from '../../records/redaction';
import { FREE_TEXT_FIELDS, FREE_TEXT_LABELS, offerTexts, type FreeTextField } from '../../records/proformaStore';
import type { CaseInFront } from '../caseInFront';

/**
 * The proforma part of the decision (issue 10): each free text the person wrote, redacted as the
 * board would see it. The redaction depends on the text; the case's own names and addresses are
 * added as known values, so they go too, never needed for anything else to go.
 */
function redactedForBoard(page: CaseInFront, decision: DecisionForm): { field: FreeTextField; label: string; redacted: string }[] {
  const sides = [page.sides.raiser, page.sides.other];
  const known = [page.reference, page.childReference, ...sides.flatMap((p) => [p.name, p.email, p.phone ?? '']), ...page.invited.flatMap((p) => [p.name, p.email ?? ''])].filter((v) => Boolean(v));
  return FREE_TEXT_FIELDS.flatMap((field) => {
    const value = (decision as Record<string, unknown>)[field];
    return typeof value === 'string' && value.trim() ? [{ field, label: FREE_TEXT_LABELS[field], redacted: redactText(value, known) }] : [];
  });
}

type LinkProblem = 'expired' | 'invalid' | 'used' | 'movedOn' | 'closed';

export function respondRouter(deps: AppDeps): Router {
  const router = Router();
  const { generateCsrfToken, validateRequest } = formProtection({
    secret: deps.csrfSecret,
    secure: deps.publicUrl.startsWith('https:'),
    cookiePath: '/respond',
    // Binds the form token to this link, so a token from one link cannot post to another.
    boundTo: (req) => String(req.params.token ?? ''),
  });

  // Links this API has already recorded: a repeat GET then costs no write at all. Each process has
  // its own; the table's key keeps one row however many processes see the first opening.
  const recorded = new Set<string>();
  const recordOpening = async (claims: LinkClaims) => {
    if (recorded.has(claims.jti)) return;
    await recordLinkOpening(deps.db, claims);
    if (recorded.size >= 10_000) recorded.clear();
    recorded.add(claims.jti);
  };

  router.get('/respond/:token', async (req, res) => {
    const link = await openLink(deps, req.params.token, res, recordOpening);
    if (!link) return;
    await recordReadOf(deps, req, res, { reference: link.claims.reference, partnershipId: link.partnershipId, what: 'respond', via: 'page' });
    res.render('respond.njk', { ...link.page, caseInFront: link.page, csrfToken: generateCsrfToken(req, res), values: {}, lessonsTicked: [], errors: [] });
  });

  router.post('/respond/:token', async (req, res) => {
    const link = await openLink(deps, req.params.token, res);
    if (!link) return;
    if (!validateRequest(req)) {
      return res.status(403).render('link-problem.njk', { problem: 'csrf', reference: link.claims.reference });
    }
    const form = decisionFormSchema.safeParse(req.body);
    const problems = form.success ? missingRequired(form.data, link.page.requires) : zodProblems(form.error);
    const showForm = (status: number, errors: { path: string; message: string }[]) =>
      res.status(status).render('respond.njk', {
        ...link.page,
        caseInFront: link.page,
        csrfToken: generateCsrfToken(req, res),
        values: req.body,
        lessonsTicked: [(req.body as Record<string, unknown>).lessons ?? []].flat(),
        errors: errors.map((p) => ({ text: `${fieldLabel(p.path)} ${p.message}`, href: `#${p.path || 'outcome'}`, path: p.path || 'outcome' })),
      });
    const body = req.body as Record<string, string>;
    if (body._change === 'yes') return showForm(200, []);
    if (!form.success || problems.length > 0) return showForm(400, problems);
    // Nothing is recorded until the person has checked their answers: a scanner that submits
    // the form once does not decide a child's case.
    if (body._confirm !== 'yes') {
      return res.render('respond-check.njk', {
        ...link.page,
        caseInFront: link.page,
        csrfToken: generateCsrfToken(req, res),
        decision: form.data,
        fields: Object.entries(form.data).filter(([, v]) => v !== undefined),
        forBoard: redactedForBoard(link.page, form.data),
      });
    }
    const { reference, stage, recipientId, jti } = link.claims;
    try {
      const recorded = await deps.temporal.workflow.getHandle(reference).executeUpdate(recordOutcome, {
        args: [{ reference, stage, recipientId, decision: toOutcome(form.data) }],
      });
      await deps.db.query('INSERT INTO used_links (jti, reference) VALUES ($1, $2) ON CONFLICT DO NOTHING', [jti, reference]);
      // Offered for the partnership's learning: only the fields ticked, as the redacted text shown.
      const ticked = new Set([body._offer ?? []].flat());
      const offers = redactedForBoard(link.page, form.data).filter((t) => ticked.has(t.field));
      if (offers.length > 0) {
        const you = link.page.invited.find((p) => p.you);
        // The decision is recorded by now: an offer that cannot be kept must not turn that into an error page.
        await offerTexts(
          deps.db,
          { reference, partnershipId: link.partnershipId, byId: recipientId, byRole: you?.role ?? recorded.recordedBy ?? 'person deciding' },
          offers.map((o) => ({ stage, field: o.field, text: o.redacted })),
        ).catch((error: unknown) => log.error({ reference, stage, fields: offers.map((o) => o.field), err: (error as Error).name }, 'an offer of text for the proforma could not be kept'));
      }
      res.render('respond-done.njk', { ...link.page, caseInFront: link.page, recorded, roleLabel });
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      if (refusal === Refusal.invalidDecision) return showForm(400, [{ path: 'outcome', message: (error as WorkflowUpdateFailedError).cause?.message ?? 'was refused' }]);
      const state = await currentState(deps, reference);
      const problem: LinkProblem = refusal === Refusal.caseClosed ? 'closed' : refusal === Refusal.staleStage || refusal === Refusal.alreadyDecided ? 'movedOn' : 'invalid';
      res.status(409).render('link-problem.njk', { problem, reference, state, detail: (error as WorkflowUpdateFailedError).cause?.message, roleLabel, decision: lastDecisionFor(state, stage) });
    }
  });

  return router;
}

/**
 * Verifies the link and the case's state; renders the right problem page and returns undefined when
 * unusable. Opening a link is kept on the record once (the first time) by the API; nothing about
 * it reaches the workflow.
 */
async function openLink(deps: AppDeps, token: string, res: Response, recordOpening?: (claims: LinkClaims) => Promise<void>) {
  const claims = await verifiedLink(deps.links, token, res);
  if (!claims) return undefined;
  if (recordOpening) await recordOpening(claims);
  // One query for the record and the page (links are opened in floods), then the workflow's view.
  const found = await readCaseForDecision(deps, claims);
  const state = found ? await currentState(deps, claims.reference) : undefined;
  if (!found || !state) {
    res.status(404).render('link-problem.njk', { problem: 'invalid' });
    return undefined;
  }
  const problem: LinkProblem | undefined =
    found.used ? 'used' : state.status !== 'open' ? 'closed' : state.stage?.number !== claims.stage || lastDecisionFor(state, claims.stage) ? 'movedOn' : undefined;
  if (problem || !state.stage) {
    res.status(problem === 'used' ? 409 : 410).render('link-problem.njk', {
      problem,
      reference: claims.reference,
      state,
      roleLabel,
      decision: lastDecisionFor(state, claims.stage),
    });
    return undefined;
  }
  // The link is good: the case as the person deciding needs to see it.
  const { record, policy, invitations } = found;
  const page = caseInFront({ record, policy, invitations, state: { ...state, stage: state.stage }, recipientId: claims.recipientId, now: new Date() });
  return { claims, page, partnershipId: state.partnership };
}

function currentState(deps: AppDeps, reference: string): Promise<CaseState | undefined> {
  return queryCaseState(deps.temporal, reference);
}

function lastDecisionFor(state: CaseState | undefined, stage: number) {
  return state?.decisions.find((d) => d.stage === stage);
}

function refusalOf(error: unknown): string | undefined {
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) return error.cause.type ?? undefined;
  return undefined;
}

/** The partnership's own rules for a resolution (Hull: an agreed plan with a review date). */
function missingRequired(decision: DecisionForm, requires: string[]): { path: string; message: string }[] {
  if (decision.outcome !== 'resolved') return [];
  return requires
    .filter((field) => !(decision as Record<string, unknown>)[field])
    .map((field) => ({ path: field, message: 'is required by this policy' }));
}

function fieldLabel(path: string): string {
  const labels: Record<string, string> = {
    outcome: 'Outcome:',
    '': 'Outcome:',
    agreedOutcome: 'The agreed outcome',
    outstandingIssues: 'How outstanding issues will be pursued',
    agreedPlan: 'The agreed plan',
    reviewDate: 'The review date',
    reasons: 'The reasons',
  };
  return labels[path] ?? path;
}
