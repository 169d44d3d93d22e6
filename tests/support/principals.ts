/**
 * Test-only: who is asking, until sign-in lands. A request's principal is set from the
 * `x-test-principal` header or, for a browser, the `lscp.test-principal` cookie (base64url JSON of
 * a `Principal`), in front of the real app, as the session middleware will set
 * `res.locals.principal`. Never mounted outside the tests.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { ApiClientPrincipal, PersonPrincipal, Principal } from '../../api/identity/principal';

export const PRINCIPAL_HEADER = 'x-test-principal';
/** The browser's stand-in for a session cookie. */
export const PRINCIPAL_COOKIE = 'lscp.test-principal';

export function testPrincipals(req: Request, res: Response, next: NextFunction) {
  const cookie = (req.get('cookie') ?? '')
    .split(';')
    .map((c) => c.trim().split('='))
    .find(([name]) => name === PRINCIPAL_COOKIE)?.[1];
  const value = req.get(PRINCIPAL_HEADER) ?? cookie;
  if (value) res.locals.principal = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Principal;
  next();
}

/** The value of the header or cookie that makes a request this principal's. */
export const encodePrincipal = (principal: Principal) => Buffer.from(JSON.stringify(principal)).toString('base64url');

/** The app behind the test middleware (express keeps `res.locals` across the mount). */
export function withTestPrincipals(app: Express): Express {
  const outer = express();
  outer.disable('x-powered-by');
  outer.use(testPrincipals);
  outer.use(app);
  return outer;
}

/** The header that makes a request this principal's. */
export const as = (principal: Principal): Record<string, string> => ({ [PRINCIPAL_HEADER]: encodePrincipal(principal) });

export const person = (overrides: Partial<PersonPrincipal> = {}): PersonPrincipal => ({
  kind: 'person',
  sessionRef: 'sess-5f2c9a',
  email: 'pat.admin@bromley.example.org',
  name: 'Pat Admin',
  method: 'oidc',
  roles: [],
  ...overrides,
});

export const bromleyAdmin = person({ roles: [{ role: 'partnershipAdmin', partnershipId: 'bromley' }] });
export const hullAdmin = person({ email: 'harry.admin@hull.example.org', name: 'Harry Hull-Admin', roles: [{ role: 'partnershipAdmin', partnershipId: 'hull' }] });
export const operations = person({ email: 'olu.ops@example.org', name: 'Olu Operations', roles: [{ role: 'operations' }] });
/** Signed in by email code, taking part in cases, with no staff role. */
export const participant = person({ email: 'ann.teacher@example.org', name: 'Ann Teacher', method: 'emailCode', roles: [] });

export const apiClient = (overrides: Partial<ApiClientPrincipal> = {}): ApiClientPrincipal => ({
  kind: 'apiClient',
  clientId: 'bromley-reporting',
  name: 'Bromley reporting system',
  partnershipId: 'bromley',
  scope: 'read',
  ...overrides,
});
