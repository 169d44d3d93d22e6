/**
 * A decision link names one case, stage and recipient, and only that recipient, signed in, may use
 * it. Someone who is not signed in is asked to confirm it is them (a code to the address the link
 * was sent to, or their staff account); someone signed in as another person is refused. A forwarded
 * email alone never opens anything.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Database } from '../../db/database';
import { LinkError, type LinkClaims, type LinkSigner } from '../../shared/links';
import { logAccess, type Viewer } from './access';
import { maskEmail } from './emailCode';
import { principalOf } from './principal';

/** The address a decision link was sent to, or undefined when the link was never sent. */
export async function linkAddress(db: Database, claims: Pick<LinkClaims, 'reference' | 'stage' | 'recipientId'>): Promise<string | undefined> {
  const { rows } = await db.query<{ email: string }>(
    'SELECT lower(email) AS email FROM notifications WHERE reference = $1 AND stage = $2 AND recipient_id = $3 ORDER BY created_at LIMIT 1',
    [claims.reference, claims.stage, claims.recipientId],
  );
  return rows[0]?.email;
}

/**
 * The link's claims, or the page that says why not (expired, not valid). Verified once per request:
 * the gate keeps them for the decision page behind it.
 */
export async function verifiedLink(links: LinkSigner, token: string, res: Response): Promise<LinkClaims | undefined> {
  const kept = res.locals.decisionLink as LinkClaims | undefined;
  if (kept) return kept;
  try {
    res.locals.decisionLink = await links.verify(token);
    return res.locals.decisionLink as LinkClaims;
  } catch (error) {
    if (!(error instanceof LinkError)) throw error;
    res.status(error.reason === 'expired' ? 410 : 404).render('link-problem.njk', { problem: error.reason });
    return undefined;
  }
}

/** The link's claims and address, or the page that says why not. */
export async function openDecisionLink(deps: { db: Database; links: LinkSigner }, token: string, res: Response) {
  const claims = await verifiedLink(deps.links, token, res);
  if (!claims) return undefined;
  const email = await linkAddress(deps.db, claims);
  if (!email) {
    res.status(404).render('link-problem.njk', { problem: 'invalid' });
    return undefined;
  }
  return { claims, email };
}

export function decisionLinkGate(deps: { db: Database; links: LinkSigner; staffSignIn: boolean }): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = String(req.params.token ?? '');
    const link = await openDecisionLink(deps, token, res);
    if (!link) return;
    const principal = principalOf(res);
    const reference = link.claims.reference;
    if (principal?.kind !== 'person') {
      logAccess({ allowed: false, reason: 'signedOut', resource: 'decisionLink', reference });
      return res.status(401).render('sign-in-for-link.njk', {
        token,
        masked: maskEmail(link.email),
        returnTo: req.originalUrl,
        staffSignIn: deps.staffSignIn,
      });
    }
    if (principal.email !== link.email) {
      logAccess({ allowed: false, reason: 'notTheRecipient', resource: 'decisionLink', reference, principal });
      return res.status(403).render('forbidden.njk', { what: 'link', email: principal.email, masked: maskEmail(link.email) });
    }
    logAccess({ allowed: true, reason: 'recipient', resource: 'decisionLink', reference, principal });
    res.locals.viewer = { person: principal, as: 'participant' } satisfies Viewer;
    next();
  };
}
