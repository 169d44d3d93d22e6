/**
 * The operations view: the state of every case's workflow, with nothing personal (references,
 * partnerships, stages, deadlines, whether the workflow started, refused emails counted). For
 * the operations role; the Temporal Web UI is the rest of their view.
 */
import { overdueSql } from '../../shared/overdue';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppDeps } from '../deps';
import { logAccess, requirePerson } from '../identity/access';
import { isOperations, principalOf } from '../identity/principal';

export interface OperationsRow {
  reference: string;
  partnership_id: string;
  status: string;
  current_stage: number | null;
  stage_deadline: Date | null;
  overdue: boolean;
  workflow_started: boolean;
  workflow_start_error: string | null;
  refused_emails: number;
}

export function operationsRouter(deps: Pick<AppDeps, 'db' | 'uiOrigin'>): Router {
  const router = Router();
  const operationsOnly = (req: Request, res: Response, next: NextFunction) => {
    const principal = principalOf(res);
    if (principal?.kind !== 'person') return requirePerson('operations')(req, res, next);
    const allowed = isOperations(principal);
    logAccess({ allowed, reason: allowed ? 'operations' : 'notOperations', resource: 'operations', principal });
    if (!allowed) return res.status(403).render('forbidden.njk', { what: 'operations', email: principal.email });
    next();
  };

  router.get('/operations', operationsOnly, async (_req, res) => {
    const { rows } = await deps.db.query<OperationsRow>(
      `SELECT c.reference, c.partnership_id, c.status, c.current_stage, c.stage_deadline,
              ${overdueSql('c', 'now()')} AS overdue,
              c.workflow_started_at IS NOT NULL AS workflow_started, c.workflow_start_error,
              (SELECT count(*)::int FROM notifications n WHERE n.reference = c.reference AND n.refused_at IS NOT NULL) AS refused_emails
         FROM cases c
        WHERE c.status = 'open' OR c.workflow_started_at IS NULL
        ORDER BY c.workflow_started_at IS NULL DESC, c.stage_deadline NULLS LAST
        LIMIT 500`,
    );
    res.render('operations.njk', { rows, temporalUi: deps.uiOrigin });
  });
  return router;
}
