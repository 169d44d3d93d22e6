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
import { roleLabel } from '../../shared/presentation/labels';
import type { AppDeps } from '../app';
import { decisionFormSchema, toOutcome, type DecisionForm } from '../schemas';
import { zodProblems, type FieldProblem } from '../problem';
import { govukMessage, type FieldWords } from '../formWording';
import { recordReadOf } from '../audit';
import { log } from '../../shared/log';
import { redactText } from '../../records/redaction';
import { FREE_TEXT_FIELDS, FREE_TEXT_LABELS, offerTexts, type FreeTextField } from '../../records/proformaStore';
import type { CaseInFront } from '../caseInFront';
import { decidingFor, decidingWords, postAgreement, proposalAwaiting, showAgreement, whoDecides } from '../agreementPage';

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

type LinkProblem = 'expired' | 'invalid' | 'used' | 'movedOn' | 'closed' | 'handedOver';

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
    // Agreement means agreement: a resolution proposed by the other side awaits this person.
    const proposal = proposalAwaiting(link.state, link.claims.stage, link.claims.recipientId);
    if (proposal) return showAgreement(res, link, proposal, { csrfToken: generateCsrfToken(req, res), dateInWords });
    res.render('respond.njk', {
      ...link.page,
      caseInFront: link.page,
      deciding: link.deciding,
      handOverPath: `/respond/${encodeURIComponent(req.params.token)}/hand-over`,
      csrfToken: generateCsrfToken(req, res),
      values: {},
      lessonsTicked: [],
      lessonLabels: LESSON_LABELS,
      exampleYear: new Date().getFullYear() + 1,
      errors: [],
    });
  });

  router.post('/respond/:token', async (req, res) => {
    const link = await openLink(deps, req.params.token, res);
    if (!link) return;
    if (!validateRequest(req)) {
      return res.status(403).render('link-problem.njk', { problem: 'csrf', reference: link.claims.reference });
    }
    const proposal = proposalAwaiting(link.state, link.claims.stage, link.claims.recipientId);
    if (proposal) {
      return postAgreement(deps, req, res, link, proposal, {
        csrfToken: () => generateCsrfToken(req, res),
        dateInWords,
        refused: async (refusal) => {
          const state = await currentState(deps, link.claims.reference);
          const problem: LinkProblem = refusal === Refusal.caseClosed ? 'closed' : refusal === Refusal.staleStage || refusal === Refusal.alreadyDecided || refusal === Refusal.noProposal ? 'movedOn' : 'invalid';
          res.status(409).render('link-problem.njk', { problem, reference: link.claims.reference, state, roleLabel, decision: lastDecisionFor(state, link.claims.stage) });
        },
      });
    }
    const body = decisionBody(req.body as Record<string, string | string[]>);
    const form = decisionFormSchema.safeParse(body.fields);
    const problems = [...body.problems, ...(form.success ? missingRequired(form.data, link.page.requires) : zodProblems(form.error))].filter(
      (p, i, all) => all.findIndex((q) => q.path === p.path) === i,
    );
    const showForm = (status: number, errors: { path: string; message: string }[]) =>
      res.status(status).render('respond.njk', {
        ...link.page,
        caseInFront: link.page,
        deciding: link.deciding,
        handOverPath: `/respond/${encodeURIComponent(req.params.token)}/hand-over`,
        csrfToken: generateCsrfToken(req, res),
        values: body.values,
        lessonsTicked: [body.fields.lessons ?? []].flat(),
        lessonLabels: LESSON_LABELS,
        exampleYear: new Date().getFullYear() + 1,
        errors: errors.map((p) => ({ text: decisionMessage(p), href: `#${errorAnchor(p.path)}`, path: p.path || 'outcome' })),
      });
    if (body.fields._change === 'yes') return showForm(200, []);
    if (!form.success || problems.length > 0) return showForm(400, problems);
    // Nothing is recorded until the person has checked their answers: a scanner that submits
    // the form once does not decide a child's case.
    if (body.fields._confirm !== 'yes') {
      return res.render('respond-check.njk', {
        ...link.page,
        caseInFront: link.page,
        csrfToken: generateCsrfToken(req, res),
        decision: form.data,
        lessonLabels: LESSON_LABELS,
        reviewDateWords: form.data.outcome === 'resolved' && form.data.reviewDate ? dateInWords(form.data.reviewDate) : undefined,
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
      const ticked = new Set([body.fields._offer ?? []].flat());
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
      // Who decides this stage (a named role, or a proposal already waiting): said on the form.
      if (refusal === Refusal.notDecider || refusal === Refusal.awaitingConfirmation) return showForm(400, [{ path: 'outcome', message: (error as WorkflowUpdateFailedError).cause?.message ?? 'was refused' }]);
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
  // "I'm not the right person": the stage was handed to someone else, so this link no longer decides.
  const handedOver = !problem && state.stage && !state.stage.participants.some((p) => p.id === claims.recipientId);
  if (problem || handedOver || !state.stage) {
    res.status(problem === 'used' ? 409 : 410).render('link-problem.njk', {
      problem: handedOver ? 'handedOver' : problem,
      reference: claims.reference,
      state,
      roleLabel,
      decision: lastDecisionFor(state, claims.stage),
      holders: (state.stage?.participants ?? []).map((p) => `${p.name} (${roleLabel(p.role)})`),
    });
    return undefined;
  }
  // The link is good: the case as the person deciding needs to see it.
  const { record, policy, invitations } = found;
  const page = caseInFront({ record, policy, invitations, state: { ...state, stage: state.stage }, recipientId: claims.recipientId, now: new Date() });
  const rule = decidingFor(policy, state);
  const deciding = decidingWords(rule, state, claims.recipientId, page);
  const who = whoDecides(rule);
  if (who) page.whoDecides = who;
  return { claims, page, partnershipId: state.partnership, state, deciding };
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

/** The lessons learned as the form and the check page say them. */
export const LESSON_LABELS: Record<string, string> = {
  trainingNeed: 'A training need',
  commissioningNeed: 'A commissioning need',
  agencyGuidance: 'New agency practice guidance',
  partnershipGuidance: 'New partnership practice guidance',
};

/** How each field is named in the GOV.UK error messages ("Enter the agreed outcome"). */
const WORDS: Record<string, FieldWords> = {
  outcome: { name: 'what the outcome was', choice: true, rules: { choose: 'Select what the outcome was' } },
  agreedOutcome: { name: 'the agreed outcome' },
  agreedPlan: { name: 'the agreed plan' },
  reviewDate: { name: 'the review date' },
  outstandingIssues: { name: 'how outstanding issues will be pursued' },
  reasons: { name: 'why it is not resolved' },
};

function decisionMessage(p: FieldProblem): string {
  if (p.path === 'reviewDate' && !/^is required|^Invalid input/.test(p.message)) return p.message;
  if ((!p.path || p.path === 'outcome') && /choose whether|^Invalid input/.test(p.message)) return 'Select what the outcome was';
  // A refusal from the workflow is already a sentence.
  if (!p.path || p.path === 'outcome') return p.message.charAt(0).toUpperCase() + p.message.slice(1);
  return govukMessage({ ...p, message: p.message.replace(/^is required by this policy$/, 'is required') }, WORDS[p.path || 'outcome']);
}

const errorAnchor = (path: string) => (path === 'reviewDate' ? 'reviewDate-day' : path || 'outcome');

/** Today's date in England, as YYYY-MM-DD. */
const todayInLondon = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

export function dateInWords(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(Date.UTC(y, m - 1, d)));
}

/**
 * The decision form's body as the schema takes it: the GOV.UK date input's day, month and year
 * made one date (or refused in plain words), the panel's reasons under `reasons`; and the values
 * to show the form again with (the date back in its three boxes).
 */
export function decisionBody(raw: Record<string, string | string[]>, today = todayInLondon()) {
  const one = (k: string) => {
    const v = raw[k];
    return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
  };
  const fields: Record<string, string | string[] | undefined> = { ...raw };
  const values: Record<string, string | string[] | undefined> = { ...raw };
  const problems: FieldProblem[] = [];
  if (one('outcome') === 'panelConvened' && raw.panelReasons !== undefined) fields.reasons = raw.panelReasons;
  delete fields.panelReasons;
  const [day, month, year] = [one('reviewDate-day'), one('reviewDate-month'), one('reviewDate-year')];
  for (const k of ['reviewDate-day', 'reviewDate-month', 'reviewDate-year']) delete fields[k];
  if (day || month || year) {
    const missing = [!day && 'a day', !month && 'a month', !year && 'a year'].filter(Boolean);
    const [d, m, y] = [Number(day), Number(month), Number(year)];
    const real = [day, month, year].every((v) => /^\d+$/.test(v)) && y >= 1000 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
    fields.reviewDate = undefined;
    if (missing.length) problems.push({ path: 'reviewDate', message: `The review date must include ${missing.join(' and ')}` });
    else if (!real) problems.push({ path: 'reviewDate', message: 'The review date must be a real date, for example 15 1 2027' });
    else fields.reviewDate = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  } else if (typeof raw.reviewDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(raw.reviewDate)) {
    // The check page sends the date back whole; shown again, it goes back into its boxes.
    const [y, m, d] = raw.reviewDate.split('-');
    Object.assign(values, { 'reviewDate-day': String(Number(d)), 'reviewDate-month': String(Number(m)), 'reviewDate-year': y });
  }
  if (one('outcome') === 'resolved' && typeof fields.reviewDate === 'string' && fields.reviewDate && fields.reviewDate <= today) {
    problems.push({ path: 'reviewDate', message: 'The review date must be in the future' });
  }
  if (one('outcome') === 'panelConvened') values.panelReasons = fields.reasons;
  return { fields: fields as Record<string, string>, values, problems };
}
