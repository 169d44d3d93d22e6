/**
 * The JSON API and the partnership's dashboard are for staff and agency systems holding an API key
 * (`Authorization: Bearer <key>`, or a browser's basic-auth prompt with the key as the password).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppDeps } from './app';
import { logAccess, type AccessResource } from './accessLog';
import { principalOf } from './identity/principal';
import { sendProblem } from './problem';

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

/** A stable, non-secret name for an API key (its hash), to scope what the key's holder did. */
export const apiKeyFingerprint = (key: string) => `api-key:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;

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

