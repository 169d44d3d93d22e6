/**
 * "I'm not the right person to decide this" (issue 11): from the decision page, the person whose
 * link it is hands their stage to a colleague from the directory of the same agency, or to the
 * fallback role the policy names. A GOV.UK form (who, and why), check your answers, then the
 * Temporal Update `handOver`, whose validator (workflows/rules.ts) has the last word. Behind the same
 * gate as the decision page (api/identity/decisionLink.ts): only the link's recipient, signed in.
 */
import { Router, type Request, type Response } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, QueryNotRegisteredError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { Refusal, handOver, handOverChoices, type CaseState, type HandedOver } from '../../shared/contract';
import type { HandOverOptions, HandOverPerson } from '../../shared/handover';
import { verifiedLink } from '../identity/decisionLink';
import { formProtection } from '../csrf';
import { queryCaseState } from '../caseState';
import { roleLabel } from '../../mail/render';
import { describeDeadline } from '../../shared/calendar/workingTime';
import type { AppDeps } from '../app';
import type { LinkClaims } from '../../shared/links';

export const HANDOVER_REASON_MAX = 1000;

/** The form as posted: who (a colleague by address, or the fallback role) and why. */
export const handOverFormSchema = z.discriminatedUnion(
  'to',
  [
    z.object({ to: z.literal('colleague'), colleague: z.string({ error: 'Select the colleague' }).trim().min(1, 'Select the colleague'), reason: reasonSchema() }),
    z.object({ to: z.literal('fallback'), reason: reasonSchema() }),
  ],
  { error: 'Select who should decide this instead' },
);
export type HandOverForm = z.infer<typeof handOverFormSchema>;

function reasonSchema() {
  return z
    .string({ error: 'Enter why you are not the right person to decide this' })
    .trim()
    .min(1, 'Enter why you are not the right person to decide this')
    .max(HANDOVER_REASON_MAX, `Why you are not the right person must be ${HANDOVER_REASON_MAX} characters or fewer`);
}

/** GOV.UK error messages for the form, each with the field it belongs to: every question answered wrongly, at once. */
export function handOverProblems(raw: Record<string, unknown>): { form?: HandOverForm; errors: { path: string; text: string }[] } {
  const reason = typeof raw.reason === 'string' ? raw.reason : '';
  const parsed = handOverFormSchema.safeParse({ to: raw.to, colleague: raw.colleague, reason });
  if (parsed.success) return { form: parsed.data, errors: [] };
  const errors: { path: string; text: string }[] = [];
  if (raw.to !== 'colleague' && raw.to !== 'fallback') errors.push({ path: 'to', text: 'Select who should decide this instead' });
  else for (const i of parsed.error.issues) if (i.path[0] === 'colleague') errors.push({ path: 'colleague', text: i.message });
  const why = reasonSchema().safeParse(reason);
  if (!why.success) errors.push({ path: 'reason', text: why.error.issues[0].message });
  return { errors };
}

type Ready = { claims: LinkClaims; state: CaseState & { stage: NonNullable<CaseState['stage']> }; options: HandOverOptions; you: { name: string; role: string } };

export function handOverRouter(deps: AppDeps): Router {
  const router = Router();
  const { generateCsrfToken, validateRequest } = formProtection({
    secret: deps.csrfSecret,
    secure: deps.publicUrl.startsWith('https:'),
    // A cookie of its own (not the decision form's), bound to this link.
    cookiePath: '/respond/',
    boundTo: (req) => `hand-over:${String(req.params.token ?? '')}`,
  });

  /** The link, the case and the choices, or the page that says why the stage cannot be handed over. */
  const ready = async (req: Request, res: Response): Promise<Ready | undefined> => {
    const claims = await verifiedLink(deps.links, String(req.params.token ?? ''), res);
    if (!claims) return undefined;
    const used = await deps.db.query('SELECT 1 FROM used_links WHERE jti = $1', [claims.jti]);
    const state = await queryCaseState(deps.temporal, claims.reference);
    if (!state) {
      res.status(404).render('link-problem.njk', { problem: 'invalid' });
      return undefined;
    }
    const decided = state.decisions.some((d) => d.stage === claims.stage);
    const me = state.stage?.participants.find((p) => p.id === claims.recipientId);
    if (used.rows.length > 0 || state.status !== 'open' || !state.stage || state.stage.number !== claims.stage || decided || !me) {
      const problem = used.rows.length > 0 ? 'used' : state.status !== 'open' ? 'closed' : !me && state.stage?.number === claims.stage && !decided ? 'handedOver' : 'movedOn';
      res.status(problem === 'used' ? 409 : 410).render('link-problem.njk', { problem, reference: claims.reference, state, roleLabel, holders: holdersOf(state) });
      return undefined;
    }
    let options: HandOverOptions | null = null;
    try {
      options = await deps.temporal.workflow.getHandle(claims.reference).query(handOverChoices, claims.recipientId);
    } catch (error) {
      // A case running on code from before hand-overs (or already gone): nothing to offer.
      if (!(error instanceof QueryNotRegisteredError) && !(error instanceof WorkflowNotFoundError) && !/handOverChoices/.test(String((error as Error)?.message))) throw error;
    }
    const choices = options ?? { colleagues: [] };
    return { claims, state: state as Ready['state'], options: choices, you: { name: me.name, role: me.role } };
  };

  const pageData = (r: Ready, req: Request, res: Response) => ({
    reference: r.claims.reference,
    token: String(req.params.token),
    stage: r.state.stage,
    deadlineInWords: describeDeadline(new Date(r.state.stage.deadline), zoneOf(deps, r.state.partnership), new Date()),
    options: r.options,
    colleagueItems: r.options.colleagues.map((p) => ({ value: p.email, text: personWords(p) })),
    fallbackWords: r.options.fallback ? fallbackWords(r.options.fallback) : undefined,
    you: r.you,
    csrfToken: generateCsrfToken(req, res),
    reasonMax: HANDOVER_REASON_MAX,
    roleLabel,
  });

  router.get('/respond/:token/hand-over', async (req, res) => {
    const r = await ready(req, res);
    if (!r) return;
    res.render('hand-over.njk', { ...pageData(r, req, res), values: {}, errors: [] });
  });

  router.post('/respond/:token/hand-over', async (req, res) => {
    const r = await ready(req, res);
    if (!r) return;
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const showForm = (status: number, errors: { path: string; text: string }[]) =>
      res.status(status).render('hand-over.njk', {
        ...pageData(r, req, res),
        values: raw,
        errors: errors.map((e) => ({ ...e, href: `#${e.path === 'to' ? 'to' : e.path}` })),
      });
    if (!validateRequest(req)) return showForm(403, [{ path: 'to', text: 'Your form had expired. Check your answers and send them again.' }]);
    if (raw._change === 'yes') return showForm(200, []);
    const { form, errors } = handOverProblems(raw);
    if (!form) return showForm(400, errors);
    const colleague = form.to === 'colleague' ? r.options.colleagues.find((p) => p.email.toLowerCase() === form.colleague.toLowerCase()) : undefined;
    if (form.to === 'colleague' && !colleague) return showForm(400, [{ path: 'colleague', text: 'Select a colleague from the list' }]);
    if (form.to === 'fallback' && !r.options.fallback) return showForm(400, [{ path: 'to', text: 'Nobody holds the role the policy names next: select a colleague instead' }]);
    const toWords = colleague ? personWords(colleague) : fallbackWords(r.options.fallback!);
    if (raw._confirm !== 'yes') {
      return res.render('hand-over-check.njk', { ...pageData(r, req, res), form, toWords });
    }
    const { reference, stage, recipientId } = r.claims;
    try {
      const handed: HandedOver = await deps.temporal.workflow.getHandle(reference).executeUpdate(handOver, {
        args: [{ reference, stage, recipientId, to: form.to === 'colleague' ? { kind: 'colleague', email: colleague!.email } : { kind: 'fallback' }, reason: form.reason }],
      });
      res.render('hand-over-done.njk', {
        reference,
        stage: r.state.stage,
        toWords: handed.to.map((p) => `${p.name} (${roleLabel(p.role)})`).join(', '),
        deadlineInWords: describeDeadline(new Date(handed.deadline), zoneOf(deps, r.state.partnership), new Date()),
      });
    } catch (error) {
      const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
      const type = cause instanceof ApplicationFailure ? cause.type : undefined;
      if (type === Refusal.nobodyToHandTo || type === Refusal.notAllowed) return showForm(400, [{ path: form.to === 'colleague' ? 'colleague' : 'to', text: cause!.message }]);
      if (type) {
        const state = await queryCaseState(deps.temporal, reference);
        return res.status(409).render('link-problem.njk', { problem: type === Refusal.caseClosed ? 'closed' : type === Refusal.notParticipant ? 'handedOver' : 'movedOn', reference, state, roleLabel, holders: state ? holdersOf(state) : [] });
      }
      throw error;
    }
  });

  return router;
}

const personWords = (p: HandOverPerson) => `${p.name} (${roleLabel(p.role)})`;
const fallbackWords = (f: NonNullable<HandOverOptions['fallback']>) => `The ${roleLabel(f.role)}: ${f.people.map((p) => p.name).join(', ')}`;
const holdersOf = (state: CaseState) => (state.stage?.participants ?? []).map((p) => `${p.name} (${roleLabel(p.role)})`);
const zoneOf = (deps: AppDeps, partnership: string) => deps.policies.get(partnership)?.calendar.timeZone ?? 'Europe/London';
