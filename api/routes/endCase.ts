/**
 * Ending a case other than by a decision: the intake key that opened a case withdraws or closes it
 * through the JSON API; the raiser withdraws it from a page reached through their own view link.
 * Both become Temporal Updates, whose validator refuses a case that has already ended.
 */
import { Router, type Request, type Response } from 'express';
import { govukMessage, type FieldWords } from '../formWording';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { Refusal, closeCase, withdrawCase, type CaseEnding, type EndCaseRequest } from '../../shared/contract';
import type { AppDeps } from '../app';
import { viewerOf } from '../identity/access';
import { actingClient, apiRule, caseIsClients, clientOf } from '../apiClients';
import { ensureStarted } from '../caseStart';
import { RAISER, readCase } from '../cases';
import { formProtection } from '../csrf';
import { sendProblem, sendValidationProblem, zodProblems, type FieldProblem } from '../problem';
import { referenceSchema } from '../schemas';
import { RETRY_AFTER_SECONDS } from '../availability';

export const REASON_MAX = 2_000;

/** The withdraw form's reason in GOV.UK error wording: "Enter why you are withdrawing the disagreement". */
const WITHDRAW_REASON: FieldWords = { name: 'why you are withdrawing the disagreement' };

export const endCaseSchema = z
  .object({
    reason: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })
      .trim()
      .min(1, 'is required')
      .max(REASON_MAX, `must be ${REASON_MAX} characters or fewer`),
  })
  .strict();

type Ending = 'withdraw' | 'close';

type EndResult =
  | { ok: true; ending: CaseEnding }
  | { ok: false; status: number; title: string; detail: string; problem: 'notFound' | 'ended' | 'notAllowed' | 'refused' | 'retryLater'; endedAs?: string };

const UPDATES = { withdraw: withdrawCase, close: closeCase } as const;
const VERB = { withdraw: 'withdrawn', close: 'closed' } as const;

/** Sends the ending to the workflow and says, in plain words, why it was refused if it was. */
async function endCase(deps: AppDeps, reference: string, ending: Ending, ask: Omit<EndCaseRequest, 'reference'>): Promise<EndResult> {
  const request: EndCaseRequest = { ...ask, reference };
  const c = await readCase(deps, reference);
  if (!c) return { ok: false, status: 404, title: 'No such case', detail: `There is no case ${reference}`, problem: 'notFound' };
  if (c.status !== 'open') {
    return { ok: false, status: 409, title: 'The case has already ended', detail: `Case ${reference} is ${c.status}; it cannot be ${VERB[ending]}.`, problem: 'ended', endedAs: c.status };
  }
  // A case whose start was lost is started first (the reconciler would have), then ended.
  if (!c.started) await ensureStarted(deps, reference);
  try {
    const result = await deps.temporal.workflow.getHandle(reference).executeUpdate(UPDATES[ending], { args: [request] });
    return { ok: true, ending: result };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      // No running workflow: it has finished (ended a moment ago), or it is still to be started.
      return c.started
        ? { ok: false, status: 409, title: 'The case has already ended', detail: `Case ${reference} has ended; it cannot be ${VERB[ending]}.`, problem: 'ended' }
        : { ok: false, status: 503, title: 'The case is still starting', detail: `Case ${reference} is being started; try again in a few seconds.`, problem: 'retryLater' };
    }
    if (!(error instanceof WorkflowUpdateFailedError)) throw error;
    const cause = error.cause;
    const refusal = cause instanceof ApplicationFailure ? cause.type : undefined;
    const detail = cause?.message || `The case could not be ${VERB[ending]}.`;
    if (refusal === Refusal.caseClosed) return { ok: false, status: 409, title: 'The case has already ended', detail, problem: 'ended' };
    if (refusal === Refusal.notAllowed) return { ok: false, status: 403, title: `This case cannot be ${VERB[ending]} by you`, detail, problem: 'notAllowed' };
    // Workers still on code from before case endings (a rolling deploy): retrying later will work.
    if (/No registered handler for update/.test(cause?.message ?? '')) {
      return { ok: false, status: 503, title: `Cases cannot be ${VERB[ending]} just now`, detail: 'The workers running this case do not handle endings yet; try again after they are updated.', problem: 'retryLater' };
    }
    return { ok: false, status: 409, title: `The case could not be ${VERB[ending]}`, detail, problem: 'refused' };
  }
}

export function endCaseRouter(deps: AppDeps): Router {
  const router = Router();

  // The agency system that opened the case, through the JSON API with its intake key. It acts with
  // the partnership's authority (the workflow lets only an admin close); the record names the client.
  for (const ending of ['withdraw', 'close'] as const) {
    router.post(`/api/disagreements/:reference/${ending}`, apiRule(deps, { scope: 'intake', partnership: 'openedCase' }), async (req, res) => {
      const reference = referenceSchema.safeParse(req.params.reference);
      const body = endCaseSchema.safeParse(req.body ?? {});
      const problems: FieldProblem[] = [...(reference.success ? [] : [{ path: 'reference', message: 'is not a case reference' }]), ...(body.success ? [] : zodProblems(body.error))];
      if (!reference.success || !body.success) return sendValidationProblem(res, problems);
      const client = clientOf(res);
      // Another client's case, another partnership's, or none at all: the same answer.
      if (!(await caseIsClients(deps.db, client, reference.data))) return sendProblem(res, 404, 'No such case', `There is no case ${reference.data}`);
      const result = await endCase(deps, reference.data, ending, { by: 'partnershipAdmin', actor: client.clientId, reason: body.data.reason, endedBy: actingClient(client) });
      if (result.ok) return res.json(result.ending);
      if (result.status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      sendProblem(res, result.status, result.title, result.detail);
    });
  }

  // The raiser, through the pages; caseAccess has checked their view link for this case.
  const { generateCsrfToken, validateRequest } = formProtection({
    secret: deps.csrfSecret,
    secure: deps.publicUrl.startsWith('https:'),
    cookiePath: '/cases',
    boundTo: (req) => `withdraw:${String(req.params.reference ?? '')}`,
  });

  /** The case, when the viewer is its raiser; otherwise the right page has been sent. */
  const raisersCase = async (req: Request, res: Response) => {
    const viewer = viewerOf(res);
    if (viewer?.as !== 'raiser') {
      res.status(403).render('forbidden.njk', { what: 'raiser' });
      return undefined;
    }
    const reference = referenceSchema.safeParse(req.params.reference);
    const c = reference.success ? await readCase(deps, reference.data) : undefined;
    if (!c) res.status(404).render('not-found.njk');
    return c;
  };

  router.get('/cases/:reference/withdraw', async (req, res) => {
    const c = await raisersCase(req, res);
    if (!c) return;
    if (c.status !== 'open') return res.status(409).render('withdraw-ended.njk', { reference: c.reference, status: c.status });
    res.render('withdraw.njk', { reference: c.reference, csrfToken: generateCsrfToken(req, res), values: {}, errors: [], reasonMax: REASON_MAX });
  });

  router.post('/cases/:reference/withdraw', async (req, res) => {
    const c = await raisersCase(req, res);
    if (!c) return;
    const values = (req.body ?? {}) as Record<string, unknown>;
    const showForm = (status: number, errors: FieldProblem[]) =>
      res.status(status).render('withdraw.njk', {
        reference: c.reference,
        csrfToken: generateCsrfToken(req, res),
        values,
        reasonMax: REASON_MAX,
        errors: errors.map((p) => ({ text: p.path ? govukMessage(p, p.path === 'reason' ? WITHDRAW_REASON : undefined) : p.message, href: '#reason', path: p.path })),
      });
    if (!validateRequest(req)) return showForm(403, [{ path: '', message: 'Your form had expired. Check your reason and send it again.' }]);
    const form = endCaseSchema.safeParse({ reason: values.reason });
    if (!form.success) return showForm(400, zodProblems(form.error));
    const result = await endCase(deps, c.reference, 'withdraw', { by: 'raiser', actor: RAISER, reason: form.data.reason });
    if (result.ok) return res.render('withdrawn.njk', { reference: c.reference, ending: result.ending });
    if (result.problem === 'ended') return res.status(409).render('withdraw-ended.njk', { reference: c.reference, status: result.endedAs ?? 'closed' });
    if (result.status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    showForm(result.status, [{ path: '', message: result.detail }]);
  });

  return router;
}
