/**
 * Who may read what. A case's pages are for the people the case involves, through the read-only
 * link in their email (kept in a cookie scoped to that case, so it leaves the address bar at once).
 * The JSON API is for agency systems and staff tools, each with a key of its own (api/apiClients.ts).
 * Until staff sign in with sessions, the partnership's dashboard and its case pages also open for a
 * read key of that partnership (`interimReadKey`, below).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { LinkError } from '../shared/links';
import type { AppDeps } from './app';
import { presentedKey, verifyApiKey } from './apiClients';

const VIEW_COOKIE = 'lscp.view';

/** Who is looking at a case page: someone the case involves (their view link's recipient), or staff. */
export type Viewer = { recipientId: string } | { staff: true };

export const viewerOf = (res: Response): Viewer | undefined => res.locals.viewer as Viewer | undefined;

/**
 * INTERIM, until staff sign in with sessions (then delete this function and its two callers'
 * branches): a read key of the partnership opens its dashboard and its cases' pages, sent by the
 * browser's sign-in prompt (the key as the password) or as `Authorization: Bearer <key>`.
 * `partnershipOf` is asked only once a valid key is presented.
 */
export async function interimReadKey(
  deps: Pick<AppDeps, 'db'>,
  req: Request,
  partnershipOf: () => Promise<string | undefined>,
): Promise<'none' | 'invalid' | 'notThisPartnership' | 'allowed'> {
  const presented = presentedKey(req);
  if (!presented) return 'none';
  const client = await verifyApiKey(deps.db, presented);
  if (!client) return 'invalid';
  const partnershipId = await partnershipOf();
  return client.scope === 'read' && partnershipId !== undefined && client.partnershipId === partnershipId ? 'allowed' : 'notThisPartnership';
}

/** `/partnerships/:id/...`: the partnership's staff (for now, a read key of the partnership). */
export function partnershipStaffOnly(deps: Pick<AppDeps, 'db'>): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const verdict = await interimReadKey(deps, req, async () => String(req.params.id ?? ''));
    if (verdict === 'allowed') return next();
    if (verdict === 'notThisPartnership') return res.status(403).render('access-needed.njk', { staff: true });
    res.set('WWW-Authenticate', 'Basic realm="Partnership staff", charset="UTF-8"');
    res.status(401).render('access-needed.njk', { staff: true });
  };
}

export function caseAccess(deps: AppDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const reference = String(req.params.reference ?? '');
    const access = typeof req.query.access === 'string' ? req.query.access : undefined;
    if (access) {
      try {
        const view = await deps.links.verifyView(access);
        if (view.reference !== reference) return res.status(403).render('access-needed.njk', {});
        res.cookie(VIEW_COOKIE, access, {
          httpOnly: true,
          sameSite: 'lax',
          secure: deps.publicUrl.startsWith('https:'),
          path: `/cases/${reference}`,
        });
        // Straight back without the token in the address, the history or a referrer.
        return res.redirect(303, req.originalUrl.split('?')[0]);
      } catch (error) {
        if (!(error instanceof LinkError)) throw error;
        return res.status(error.reason === 'expired' ? 410 : 404).render('link-problem.njk', { problem: error.reason });
      }
    }
    const cookie = (req.cookies as Record<string, string> | undefined)?.[VIEW_COOKIE];
    if (cookie) {
      const view = await deps.links.verifyView(cookie).catch(() => undefined);
      if (view?.reference === reference) {
        res.locals.viewer = { recipientId: view.recipientId } satisfies Viewer;
        return next();
      }
    }
    const staff = await interimReadKey(deps, req, async () => {
      const { rows } = await deps.db.query<{ partnership_id: string }>('SELECT partnership_id FROM cases WHERE reference = $1', [reference]);
      return rows[0]?.partnership_id;
    });
    if (staff === 'allowed') {
      res.locals.viewer = { staff: true } satisfies Viewer;
      return next();
    }
    res.status(403).render('access-needed.njk', {});
  };
}
