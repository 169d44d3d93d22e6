/**
 * Who may see what, for the pages. A person is signed in (a session) or is sent to sign in. A case
 * is for the people taking part in it, from the moment they take part (a party from the start,
 * anyone else from their first notification about it), and for its partnership's admins. Every
 * refusal is a page that says what to do; every decision is logged without personal data.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Database } from '../../db/database';
import { logAccess as writeAccessLog, type AccessReason, type AccessResource } from '../accessLog';
import { isPartnershipAdmin, principalOf, type PersonPrincipal, type Principal } from './principal';
import { safeReturnTo } from './sessions';

/** What the access rule needs to know about one case and one address. */
export interface CaseFacts {
  partnershipId: string;
  /** The address is the raiser's. */
  raiser: boolean;
  /** When the address first took part in the case; undefined when it never has. */
  participantSince?: Date;
}

export type CaseAccess = { allowed: true; as: 'raiser' | 'participant' | 'partnershipAdmin' } | { allowed: false; reason: 'signedOut' | 'notTakingPart' | 'notAPerson' };

/** The rule, pure: unit-tested in tests/unit/access.test.ts. */
export function caseAccessFor(principal: Principal | undefined, facts: CaseFacts, now = new Date()): CaseAccess {
  if (!principal) return { allowed: false, reason: 'signedOut' };
  if (principal.kind !== 'person') return { allowed: false, reason: 'notAPerson' };
  if (facts.raiser) return { allowed: true, as: 'raiser' };
  if (facts.participantSince && facts.participantSince <= now) return { allowed: true, as: 'participant' };
  if (isPartnershipAdmin(principal, facts.partnershipId)) return { allowed: true, as: 'partnershipAdmin' };
  return { allowed: false, reason: 'notTakingPart' };
}

/** The facts for one case and address, or undefined when there is no such case. */
export async function caseFactsFor(db: Database, reference: string, email: string): Promise<CaseFacts | undefined> {
  const address = email.toLowerCase();
  const { rows } = await db.query<{ partnership_id: string; opened_at: Date; raiser: boolean; other: boolean; notified_at: Date | null }>(
    `SELECT c.partnership_id, c.opened_at,
            lower(c.raiser->>'email') = $2 AS raiser,
            lower(c.other_party->>'email') = $2 AS other,
            (SELECT min(n.created_at) FROM notifications n WHERE n.reference = c.reference AND lower(n.email) = $2) AS notified_at
       FROM cases c WHERE c.reference = $1`,
    [reference, address],
  );
  const row = rows[0];
  if (!row) return undefined;
  const since = row.raiser || row.other ? new Date(row.opened_at) : row.notified_at ? new Date(row.notified_at) : undefined;
  return { partnershipId: row.partnership_id, raiser: row.raiser, participantSince: since };
}

/** Who is looking at a case page, and as what. */
export interface Viewer {
  person: PersonPrincipal;
  as: 'raiser' | 'participant' | 'partnershipAdmin';
}

export const viewerOf = (res: Response): Viewer | undefined => res.locals.viewer as Viewer | undefined;

/** Logs an access decision through the one access log (api/accessLog.ts): codes and kinds, never who by name. */
export function logAccess(decision: { allowed: boolean; reason: AccessReason; resource: AccessResource; reference?: string; principal?: Principal }) {
  writeAccessLog({ access: decision.allowed ? 'allowed' : 'refused', reason: decision.reason, resource: decision.resource, reference: decision.reference, actor: decision.principal });
}

/** Where to sign in, and come back to after; an address too long to come back to (safeReturnTo's limit) comes back home, so the redirect's header stays small. */
export const signInPath = (returnTo: string) => `/sign-in?returnTo=${encodeURIComponent(safeReturnTo(returnTo))}`;

/** Pages for signed-in people only: anyone else is sent to sign in and brought back. */
export function requirePerson(resource: AccessResource): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const principal = principalOf(res);
    if (principal?.kind === 'person') return next();
    logAccess({ allowed: false, reason: 'signedOut', resource });
    if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, signInPath(req.originalUrl));
    res.status(401).render('sign-in-needed.njk', { returnTo: req.originalUrl });
  };
}

/** The kind of case page asked for, below `/cases/:reference`. */
export function caseResourceOf(req: Request): AccessResource {
  const rest = req.path.replace(/^\/+/, '');
  if (rest.startsWith('record')) return 'record';
  if (rest.startsWith('proforma')) return 'proforma';
  if (rest.startsWith('withdraw')) return 'withdraw';
  return 'case';
}

/** The case's pages: its participants and its partnership's admins. */
export function caseAccess(db: Database): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const reference = String(req.params.reference ?? '');
    const principal = principalOf(res);
    if (principal?.kind !== 'person') return requirePerson(caseResourceOf(req))(req, res, next);
    const facts = /^[A-Z0-9-]{1,40}$/i.test(reference) ? await caseFactsFor(db, reference, principal.email) : undefined;
    // No such case and not yours look the same: a reference is not confirmed to exist.
    const access = facts ? caseAccessFor(principal, facts) : ({ allowed: false, reason: 'notTakingPart' } as const);
    logAccess({ allowed: access.allowed, reason: access.allowed ? access.as : access.reason, resource: caseResourceOf(req), reference, principal });
    if (!access.allowed) return res.status(403).render('forbidden.njk', { what: 'case', email: principal.email });
    res.locals.viewer = { person: principal, as: access.as } satisfies Viewer;
    next();
  };
}

/** A partnership's own pages (dashboard, directory, every case): its admins only. */
export function partnershipAdminOnly(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const principal = principalOf(res);
    if (principal?.kind !== 'person') return requirePerson('dashboard')(req, res, next);
    const id = String(req.params.id ?? req.params.partnership ?? '');
    const allowed = isPartnershipAdmin(principal, id);
    logAccess({ allowed, reason: allowed ? 'partnershipAdmin' : 'notPartnershipAdmin', resource: 'dashboard', principal });
    if (!allowed) return res.status(403).render('forbidden.njk', { what: 'partnership', email: principal.email });
    next();
  };
}
