/** The JSON API: open a disagreement, and read its current state and history. */
import { Router } from 'express';
import type { AppDeps } from '../app';
import { openCase, readCase, validateNewCase } from '../cases';
import { sendProblem, sendValidationProblem } from '../problem';
import { referenceSchema } from '../schemas';

export function disagreementsRouter(deps: AppDeps): Router {
  const router = Router();

  router.post('/api/disagreements', async (req, res) => {
    const checked = validateNewCase(deps, req.body ?? {});
    if (!checked.ok) return sendValidationProblem(res, checked.problems);
    const { body, pack } = checked;
    const opened = await openCase(deps, body, pack);
    res
      .status(201)
      .location(`/api/disagreements/${opened.reference}`)
      .json({
        reference: opened.reference,
        url: `${deps.publicUrl}/cases/${opened.reference}?access=${opened.raiserView}`,
        status: 'open',
        policy: { partnership: pack.id, name: pack.name, title: pack.policy.title, version: pack.policy.version },
      });
  });

  router.get('/api/disagreements/:reference', async (req, res) => {
    const reference = referenceSchema.safeParse(req.params.reference);
    if (!reference.success) return sendValidationProblem(res, [{ path: 'reference', message: 'is not a case reference' }]);
    const view = await readCase(deps, reference.data);
    if (!view) return sendProblem(res, 404, 'No such case', `There is no case ${reference.data}`);
    res.json(view);
  });

  return router;
}

