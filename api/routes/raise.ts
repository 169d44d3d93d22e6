/**
 * The pages a practitioner uses to raise a disagreement: choose the partnership, fill in the
 * form (GOV.UK error summary and inline errors), see the confirmation with the reference.
 */
import { Router, type Request, type Response } from 'express';
import type { PolicyPack } from '../../shared/policy/schema';
import type { AppDeps } from '../app';
import { openCase, validateNewCase } from '../cases';
import { formProtection } from '../csrf';
import type { FieldProblem } from '../problem';

const LABELS: Record<string, string> = {
  'raiser.name': 'Your name',
  'raiser.email': 'Your email address',
  'raiser.agency': 'Your agency',
  'raiser.role': 'Your role',
  'other.name': 'Their name',
  'other.email': 'Their email address',
  'other.agency': 'Their agency',
  'other.role': 'Their role',
  childReference: "The child's reference in your agency's system",
  category: 'What the disagreement is about',
  description: 'The disagreement',
  startAtStage: 'The stage to start at',
  caseStatus: 'The case',
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
    if (!validateRequest(req)) return renderForm(req, res.status(403), pack, values, [{ path: '', message: 'Your form had expired. Check your answers and send it again.' }]);
    const checked = validateNewCase(deps, fromForm(pack.id, values));
    if (!checked.ok) return renderForm(req, res.status(400), pack, values, checked.problems);
    const { reference, raiserView } = await openCase(deps, checked.body, checked.pack);
    res.redirect(303, `/cases/${reference}/opened?access=${raiserView}`);
  });

  function renderForm(req: Request, res: Response, pack: PolicyPack, values: Record<string, string>, problems: FieldProblem[]) {
    const errors = problems.map((p) => ({ text: p.path ? `${LABELS[p.path] ?? p.path}: ${p.message}` : p.message, href: `#${fieldId(p.path || 'raiser.name')}`, path: p.path }));
    res.render('raise.njk', {
      pack,
      values: { ...values, flags: [values.flags ?? []].flat() },
      errors,
      errorFor: Object.fromEntries(errors.filter((e) => e.path).map((e) => [e.path, e.text])),
      practitionerRoles: Object.keys(pack.counterparts),
      csrfToken: generateCsrfToken(req, res),
    });
  }

  return router;
}

export const fieldId = (path: string) => path.replace(/\./g, '-');

/** The form's flat fields (`raiser.email`, `flags.lookedAfter`) as the API's body. */
function fromForm(partnership: string, f: Record<string, string | string[]>) {
  const one = (key: string) => {
    const v = f[key];
    const s = Array.isArray(v) ? v[0] : v;
    return s === undefined || s === '' ? undefined : s;
  };
  const flag = (name: string) => [f.flags].flat().includes(name);
  const person = (side: string) => ({ name: one(`${side}.name`) ?? '', email: one(`${side}.email`) ?? '', agency: one(`${side}.agency`) ?? '', ...(one(`${side}.role`) ? { role: one(`${side}.role`) } : {}) });
  return {
    partnership,
    raiser: person('raiser'),
    other: person('other'),
    childReference: one('childReference') ?? '',
    category: one('category') ?? '',
    description: one('description') ?? '',
    flags: { childProtectionPlan: flag('childProtectionPlan'), lookedAfter: flag('lookedAfter'), immediateHarm: flag('immediateHarm') },
    caseStatus: one('caseStatus') ?? 'open',
    ...(one('startAtStage') ? { startAtStage: one('startAtStage') } : {}),
  };
}
