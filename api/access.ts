/**
 * Who may read what. A case's pages are for the people the case involves, through the read-only
 * link in their email (kept in a cookie scoped to that case, so it leaves the address bar at once);
 * the JSON API and the partnership's dashboard are for staff and agency systems holding an API key
 * (`Authorization: Bearer <key>`, or a browser's basic-auth prompt with the key as the password).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { LinkError } from '../shared/links';
import type { AppDeps } from './app';
import { logAccess, type AccessResource } from './accessLog';
import { principalOf } from './identity/principal';
import { sendProblem } from './problem';

const VIEW_COOKIE = 'lscp.view';

/** The staff key the request presents, when it is one of ours. */
export function staffKeyOf(deps: Pick<AppDeps, 'apiKeys'>, req: Request): string | undefined {
  const header = req.get('authorization') ?? '';
  const [scheme, value = ''] = header.split(' ');
  let presented = '';
  if (scheme === 'Bearer') presented = value;
  if (scheme === 'Basic') presented = Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':');
  if (!presented) return undefined;
  const given = Buffer.from(presented);
  return deps.apiKeys.find((key) => {
    const expected = Buffer.from(key);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

export function hasStaffKey(deps: Pick<AppDeps, 'apiKeys'>, req: Request): boolean {
  return staffKeyOf(deps, req) !== undefined;
}

/** Whether the request presents any credentials at all (so a refusal can say "wrong" from "none"). */
const presentsCredentials = (req: Request) => Boolean(req.get('authorization'));

/** The kind of thing a staff-only path is, for the access log (never the path: it is the caller's). */
function staffResourceOf(req: Request): AccessResource {
  if (req.originalUrl.startsWith('/api/')) return 'api';
  if (req.originalUrl.startsWith('/codec')) return 'codec';
  return 'dashboard';
}

/** The kind of case page asked for, below `/cases/:reference`. */
function caseResourceOf(req: Request): AccessResource {
  const rest = req.path.replace(/^\/+/, '');
  if (rest.startsWith('record')) return 'record';
  if (rest.startsWith('proforma')) return 'proforma';
  if (rest.startsWith('withdraw')) return 'withdraw';
  return 'case';
}

/** A stable, non-secret name for an API key (its hash), to scope what the key's holder did. */
export const apiKeyFingerprint = (key: string) => `api-key:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;

/** Who is looking at a case page: someone the case involves (their view link's recipient), or staff. */
export type Viewer = { recipientId: string } | { staff: true };

export const viewerOf = (res: Response): Viewer | undefined => res.locals.viewer as Viewer | undefined;

export function staffOnly(deps: AppDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (hasStaffKey(deps, req)) return next();
    logAccess({
      access: 'refused',
      reason: presentsCredentials(req) ? 'unknownKey' : 'noCredentials',
      actor: principalOf(res) ?? (presentsCredentials(req) ? { kind: 'apiKey' } : { kind: 'anonymous' }),
      resource: staffResourceOf(req),
    });
    if (req.originalUrl.startsWith('/api/')) {
      res.set('WWW-Authenticate', 'Bearer');
      return sendProblem(res, 401, 'An API key is needed', 'Send it as Authorization: Bearer <key>.');
    }
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
        if (view.reference !== reference) {
          logAccess({ access: 'refused', reason: 'linkForAnotherCase', actor: { kind: 'link' }, resource: caseResourceOf(req), reference });
          return res.status(403).render('access-needed.njk', {});
        }
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
        logAccess({ access: 'refused', reason: error.reason === 'expired' ? 'linkExpired' : 'linkInvalid', actor: { kind: 'link' }, resource: caseResourceOf(req), reference });
        return res.status(error.reason === 'expired' ? 410 : 404).render('link-problem.njk', { problem: error.reason });
      }
    }
    const cookie = (req.cookies as Record<string, string> | undefined)?.[VIEW_COOKIE];
    let cookieProblem: 'linkInvalid' | 'linkForAnotherCase' | undefined;
    if (cookie) {
      const view = await deps.links.verifyView(cookie).catch(() => undefined);
      if (view?.reference === reference) {
        res.locals.viewer = { recipientId: view.recipientId } satisfies Viewer;
        return next();
      }
      cookieProblem = view ? 'linkForAnotherCase' : 'linkInvalid';
    }
    if (hasStaffKey(deps, req)) {
      res.locals.viewer = { staff: true } satisfies Viewer;
      return next();
    }
    logAccess({
      access: 'refused',
      reason: presentsCredentials(req) ? 'unknownKey' : (cookieProblem ?? 'noLinkForCase'),
      actor: principalOf(res) ?? (presentsCredentials(req) ? { kind: 'apiKey' } : cookieProblem ? { kind: 'link' } : { kind: 'anonymous' }),
      resource: caseResourceOf(req),
      reference,
    });
    res.status(403).render('access-needed.njk', {});
  };
}
