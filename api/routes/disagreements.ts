/**
 * The JSON API: open a disagreement (exactly once per Idempotency-Key) with an intake key, and read
 * its current state and history with a read key of its partnership.
 */
import { Router } from 'express';
import type { AppDeps } from '../app';
import { recordReadOf } from '../audit';
import { actingClient, apiRule, clientOf, refusedOtherPartnership } from '../apiClients';
import { DependencyUnavailable, checkTemporal } from '../availability';
import { caseUrl, openCase, readCase, validateNewCase } from '../cases';
import { IDEMPOTENCY_HEADER, readIdempotencyKey, requestHash } from '../idempotency';
import { sendProblem, sendValidationProblem } from '../problem';
import { referenceSchema } from '../schemas';

export function disagreementsRouter(deps: AppDeps): Router {
  const router = Router();

  router.post('/api/disagreements', apiRule(deps, { scope: 'intake', partnership: 'body' }), async (req, res) => {
    const key = readIdempotencyKey(req);
    if (!key.ok) return sendProblem(res, 400, `The ${IDEMPOTENCY_HEADER} header is not valid`, `${IDEMPOTENCY_HEADER} ${key.problem.message}.`, [key.problem]);
    const checked = validateNewCase(deps, req.body ?? {});
    if (!checked.ok) return sendValidationProblem(res, checked.problems);
    const { body, pack } = checked;
    const client = clientOf(res);
    // The rule checked the body as sent; this is the partnership the case would be written under.
    if (refusedOtherPartnership(deps, res, client, pack.id)) return;
    // Nothing is written while Temporal cannot be reached: the client is told to try again.
    if (!(await checkTemporal(deps.temporal))) throw new DependencyUnavailable('temporal');
    // Idempotency keys are the client's own: two clients never clash, whatever keys they choose.
    const opened = await openCase(deps, body, pack, {
      openedBy: actingClient(client),
      ...(key.key ? { idempotency: { caller: client.clientId, key: key.key, requestHash: requestHash(req.body) } } : {}),
    });
    if (opened.kind === 'keyReused') {
      return sendProblem(res, 422, `${IDEMPOTENCY_HEADER} already used for a different request`, `This ${IDEMPOTENCY_HEADER} was first sent with another body. Send a new key for a new disagreement.`, [
        { path: IDEMPOTENCY_HEADER, message: 'was already used with a different request body' },
      ]);
    }
    if (opened.kind === 'replayed') res.set('Idempotent-Replayed', 'true');
    res
      .status(201)
      .location(`/api/disagreements/${opened.reference}`)
      // A plain pointer to the case's page, with no token in it: reading the page is checked there.
      .json({ ...opened.summary, url: caseUrl(deps.publicUrl, opened.reference) });
  });

  router.get('/api/disagreements/:reference', apiRule(deps, { scope: 'read', partnership: 'case' }), async (req, res) => {
    const reference = referenceSchema.safeParse(req.params.reference);
    if (!reference.success) return sendValidationProblem(res, [{ path: 'reference', message: 'is not a case reference' }]);
    const view = await readCase(deps, reference.data);
    if (!view) return sendProblem(res, 404, 'No such case', `There is no case ${reference.data}`);
    await recordReadOf(deps, req, res, { reference: view.reference, partnershipId: view.policy.partnership, what: 'case.json', via: 'api' });
    res.json(view);
  });

  return router;
}
