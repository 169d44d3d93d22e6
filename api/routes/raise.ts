/**
 * The pages a practitioner uses to raise a disagreement: choose the partnership, fill in the
 * form (GOV.UK error summary and inline errors), see the confirmation with the reference.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { PolicyPack } from '../../shared/policy/schema';
import type { OpenDisagreement } from '../schemas';
import { roleLabel } from '../../shared/presentation/labels';
import type { AppDeps } from '../app';
import { DependencyUnavailable, checkTemporal } from '../availability';
import { openCase, validateNewCase } from '../cases';
import { casePage } from '../casePage';
import { referenceSchema } from '../schemas';
import { formProtection } from '../csrf';
import { requestHash } from '../idempotency';
import type { FieldProblem } from '../problem';
import { principalOf } from '../identity/principal';
import { govukMessage, type FieldWords } from '../formWording';

/** The cookie that lets the browser which raised a case see its confirmation, for a short while. */
const RAISED_COOKIE = 'lscp.raised';
const RAISED_COOKIE_MS = 60 * 60_000;
/** Bound to the case and to the person signed in: after sign-out, or for someone else, it proves nothing. */
const raisedProof = (secret: string, reference: string, email: string) =>
  `${reference}.${createHmac('sha256', secret).update(`raised:${reference}:${email}`).digest('base64url')}`;
const sameProof = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Each rendered form carries a one-time submission id: sending the same form twice opens one case. */
const submissionId = z.uuid();
const FORM_CALLER = 'raise-form';

/** How each field is named in the GOV.UK error messages ("Enter your name"). */
const EMAIL_LIKE = 'name@example.org';
const PHONE_LIKE = '020 7946 0123';
const WORDS: Record<string, FieldWords> = {
  'raiser.name': { name: 'your name' },
  'raiser.email': { name: 'your work email address', like: EMAIL_LIKE },
  'raiser.agency': { name: 'your agency', choice: true },
  'raiser.role': { name: 'your role', choice: true },
  'raiser.phone': { name: 'your work telephone number', like: PHONE_LIKE },
  'other.name': { name: "the other practitioner's name" },
  'other.email': {
    name: "the other practitioner's work email address",
    like: EMAIL_LIKE,
    rules: { 'must be a different person': "Enter the work email address of the practitioner you disagree with, not your own" },
  },
  'other.agency': { name: "the other practitioner's agency", choice: true },
  'other.role': { name: "the other practitioner's role", choice: true },
  'other.phone': { name: "the other practitioner's work telephone number", like: PHONE_LIKE },
  childReference: { name: "the child's reference in your agency's system" },
  category: { name: 'what the disagreement is about', choice: true },
  description: { name: 'a description of the disagreement' },
  startAtStage: {
    name: 'the stage to start at',
    choice: true,
    rules: {
      'only a case with immediate harm': 'Start at a later stage only when the child is at risk of immediate harm',
      'this policy does not let': "This partnership's policy does not let a case start at a later stage",
    },
  },
  caseStatus: { name: "whether the child's case is open to the other agency", choice: true },
};


export function raiseRouter(deps: AppDeps): Router {
  const router = Router();
  const { generateCsrfToken, validateRequest } = formProtection({
    secret: deps.csrfSecret,
    secure: deps.publicUrl.startsWith('https:'),
    cookiePath: '/raise',
    boundTo: (req) => `raise:${req.params.partnership ?? ''}`,
  });

  router.get('/raise', (_req, res) => res.render('raise-start.njk', { policies: [...deps.policies.values()] }));
  router.post('/raise', (req, res) => {
    const id = String((req.body as Record<string, string>).partnership ?? '');
    if (!deps.policies.has(id)) {
      return res.status(400).render('raise-start.njk', {
        policies: [...deps.policies.values()],
        errors: [{ text: 'Select the partnership whose policy applies', href: '#partnership' }],
      });
    }
    res.redirect(303, `/raise/${id}`);
  });

  router.get('/raise/:partnership', (req, res) => {
    const pack = deps.policies.get(req.params.partnership);
    if (!pack) return res.status(404).render('not-found.njk');
    renderForm(req, res, pack, {}, []);
  });

  router.post('/raise/:partnership', async (req, res) => {
    const pack = deps.policies.get(req.params.partnership);
    if (!pack) return res.status(404).render('not-found.njk');
    const values = req.body as Record<string, string>;
    const expired = [{ path: '', message: 'Your form had expired. Check your answers and send it again.' }];
    if (!validateRequest(req)) return renderForm(req, res.status(403), pack, values, expired);
    const submission = submissionId.safeParse(values._submission);
    if (!submission.success) return renderForm(req, res.status(400), pack, { ...values, _submission: '' }, expired);
    // The raiser is whoever signed in: their verified address, whatever the form says.
    const form = { ...fromForm(pack.id, values), raiser: { ...fromForm(pack.id, values).raiser, email: signedInEmail(res) } };
    if (values._change === 'yes') return renderForm(req, res, pack, values, []);
    const checked = validateNewCase(deps, form);
    if (!checked.ok) return renderForm(req, res.status(400), pack, values, checked.problems);
    // Nothing is raised until the raiser has checked their answers.
    if (values._confirm !== 'yes') return renderCheck(req, res, pack, values, checked.body);
    if (!(await checkTemporal(deps.temporal))) throw new DependencyUnavailable('temporal');
    const opened = await openCase(deps, checked.body, checked.pack, {
      idempotency: { caller: FORM_CALLER, key: submission.data, requestHash: requestHash(form) },
    });
    if (opened.kind === 'keyReused') {
      // The same form sent again with other answers (back, edit, send): not silently dropped.
      return renderForm(req, res.status(409), pack, { ...values, _submission: '' }, [
        { path: '', message: 'This form was already sent with different answers. Check your answers and send it again to raise another disagreement.' },
      ]);
    }
    // A second send of the same form lands on the case the first one opened. The confirmation is
    // shown to this browser only (a short-lived cookie), never through a token in the address.
    res.cookie(RAISED_COOKIE, raisedProof(deps.csrfSecret, opened.reference, signedInEmail(res)), {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.publicUrl.startsWith('https:'),
      path: '/raise/raised',
      maxAge: RAISED_COOKIE_MS,
    });
    res.redirect(303, `/raise/raised/${opened.reference}`);
  });

  // The confirmation: the reference and what happens next, for the browser that raised it.
  router.get('/raise/raised/:reference', async (req, res) => {
    const reference = referenceSchema.safeParse(req.params.reference);
    const proof = (req.cookies as Record<string, string> | undefined)?.[RAISED_COOKIE];
    if (!reference.success || !proof || !sameProof(proof, raisedProof(deps.csrfSecret, reference.data, signedInEmail(res)))) return res.status(404).render('not-found.njk');
    const page = await casePage(deps, reference.data);
    if (!page) return res.status(404).render('not-found.njk');
    res.render('opened.njk', page);
  });

  function renderForm(req: Request, res: Response, pack: PolicyPack, values: Record<string, string>, problems: FieldProblem[]) {
    const errors = problems.map((p) => ({ text: p.path ? govukMessage(p, WORDS[p.path]) : p.message, href: `#${fieldId(p.path || 'raiser.name')}`, path: p.path }));
    res.render('raise.njk', {
      pack,
      values: { ...values, flags: [values.flags ?? []].flat() },
      errors,
      errorFor: Object.fromEntries(errors.filter((e) => e.path).map((e) => [e.path, e.text])),
      practitionerRoles: Object.keys(pack.counterparts),
      csrfToken: generateCsrfToken(req, res),
      // Kept across re-renders of the same form (errors to fix), new for a new form.
      submissionId: submissionId.safeParse(values._submission).success ? values._submission : randomUUID(),
    });
  }

  function renderCheck(req: Request, res: Response, pack: PolicyPack, values: Record<string, string | string[]>, body: OpenDisagreement) {
    const agency = (id: string) => pack.directory.agencies.find((a) => a.id === id)?.name ?? id;
    const stage = body.startAtStage ? pack.stages.find((st) => st.id === body.startAtStage) : undefined;
    const flags = [
      body.flags.childProtectionPlan ? 'Has a child protection plan' : '',
      body.flags.lookedAfter ? 'Is looked after' : '',
      body.flags.immediateHarm ? 'Is thought to be at risk of immediate harm' : '',
    ].filter(Boolean);
    const person = (p: OpenDisagreement['raiser']) =>
      [p.name, p.email, agency(p.agency), p.role ? capitalised(roleLabel(p.role)) : '', p.phone ?? ''].filter(Boolean);
    const rows = [
      { key: 'About you', lines: person(body.raiser), change: 'raiser-name', what: 'your details' },
      { key: 'The practitioner you disagree with', lines: person(body.other), change: 'other-name', what: "the other practitioner's details" },
      { key: "The child's reference", lines: [body.childReference], change: 'childReference', what: "the child's reference" },
      { key: 'What the disagreement is about', lines: [pack.categories.find((c) => c.id === body.category)?.label ?? body.category], change: 'category', what: 'what the disagreement is about' },
      { key: 'The disagreement', lines: [body.description], change: 'description', what: 'the description', preLine: true },
      { key: "Is the child's case open to the other agency?", lines: [body.caseStatus === 'newReferral' ? 'New referral' : 'Open case'], change: 'caseStatus', what: "whether the child's case is open" },
      { key: 'About the child', lines: flags.length ? flags : ['None of these'], change: 'flags', what: 'about the child' },
      ...(body.flags.immediateHarm && pack.immediateHarm?.mayStartAt.length
        ? [{ key: 'With immediate harm, start at', lines: [stage ? stage.name : 'Where the policy says'], change: 'startAtStage', what: 'the stage to start at' }]
        : []),
    ];
    const hidden = Object.entries(values)
      .filter(([k]) => !['_csrf', '_confirm', '_change'].includes(k))
      .flatMap(([k, v]) => [v].flat().map((value) => ({ name: k, value: String(value) })));
    res.render('raise-check.njk', { pack, rows, hidden, csrfToken: generateCsrfToken(req, res) });
  }

  return router;
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The signed-in person's address (the raise pages are behind sign-in). */
const signedInEmail = (res: Response) => {
  const principal = principalOf(res);
  if (principal?.kind !== 'person') throw new Error('The raise pages need a signed-in person');
  return principal.email;
};

export const fieldId = (path: string) => path.replace(/\./g, '-');

/** The form's flat fields (`raiser.email`, `flags.lookedAfter`) as the API's body. */
function fromForm(partnership: string, f: Record<string, string | string[]>) {
  const one = (key: string) => {
    const v = f[key];
    const s = Array.isArray(v) ? v[0] : v;
    return s === undefined || s === '' ? undefined : s;
  };
  const flag = (name: string) => [f.flags].flat().includes(name);
  const person = (side: string) => ({
    name: one(`${side}.name`) ?? '',
    email: one(`${side}.email`) ?? '',
    agency: one(`${side}.agency`) ?? '',
    ...(one(`${side}.role`) ? { role: one(`${side}.role`) } : {}),
    ...(one(`${side}.phone`) ? { phone: one(`${side}.phone`) } : {}),
  });
  return {
    partnership,
    raiser: person('raiser'),
    other: person('other'),
    childReference: one('childReference') ?? '',
    category: one('category') ?? '',
    description: one('description') ?? '',
    flags: { childProtectionPlan: flag('childProtectionPlan'), lookedAfter: flag('lookedAfter'), immediateHarm: flag('immediateHarm') },
    caseStatus: one('caseStatus') ?? 'open',
    // The stage choice is revealed by immediate harm only: without it, whatever the form sent is dropped.
    ...(one('startAtStage') && flag('immediateHarm') ? { startAtStage: one('startAtStage') } : {}),
  };
}
