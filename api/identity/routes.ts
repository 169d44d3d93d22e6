/**
 * The sign-in pages: a staff account (OpenID Connect) or a code by email, the code's page, the
 * provider's return, and sign-out. Codes are only ever sent when someone presses the button (a
 * POST), so a mail scanner opening a link sends nothing.
 */
import { Router, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { Database } from '../../db/database';
import type { Mailer } from '../../mail/mailer';
import type { LinkSigner } from '../../shared/links';
import { log } from '../../shared/log';
import { formProtection } from '../csrf';
import { logAccess } from './access';
import { openDecisionLink } from './decisionLink';
import { checkCode, codeEmail, issueCode, maskEmail } from './emailCode';
import { principalOf } from './principal';
import { safeReturnTo, sessionCookieName, signIn, signOut } from './sessions';
import { StaffSignInRefused, type StaffSignIn } from './staffSignIn';

export interface SignInDeps {
  db: Database;
  links: LinkSigner;
  mailer: Mailer;
  publicUrl: string;
  csrfSecret: string;
  /** Keys the hash of sign-in codes. */
  codeSecret: string;
  staffSignIn?: StaffSignIn;
  /** The embedded development provider is in use: its pages say so. */
  development: boolean;
}

const emailSchema = z
  .string({ error: 'Enter your work email address' })
  .trim()
  .toLowerCase()
  .min(1, 'Enter your work email address')
  .pipe(z.email('Enter an email address in the correct format, like name@example.org'));
const codeSchema = z.string().trim().regex(/^\d{6}$/, 'Enter the 6-digit code from the email');

const CODE_PROBLEMS = {
  wrong: 'The code is not right. Check the email and try again.',
  expired: 'The code has expired. Ask for a new code.',
  used: 'The code has already been used. Ask for a new code.',
  tooManyAttempts: 'Too many wrong codes. Ask for a new code.',
  unknown: 'Ask for a new code.',
} as const;

export function signInRouter(deps: SignInDeps): Router {
  const router = Router();
  const sessionSecure = deps.publicUrl.startsWith('https:');
  const { generateCsrfToken, validateRequest } = formProtection({
    secret: deps.csrfSecret,
    secure: deps.publicUrl.startsWith('https:'),
    cookiePath: '/sign-in',
    boundTo: () => 'sign-in',
  });
  // Pages outside this router carry sign-in forms too (a decision link's "email me a code").
  router.use((req, res, next) => {
    res.locals.signInCsrf = () => generateCsrfToken(req, res);
    next();
  });
  // Per network address, on top of the per-address and per-code limits kept in the database.
  const limiter = (limit: number) =>
    rateLimit({
      windowMs: 10 * 60_000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, res) => res.status(429).render('sign-in.njk', { tooMany: true }),
    });

  const page = (req: Request, res: Response, extra: Record<string, unknown> = {}) =>
    res.render('sign-in.njk', {
      returnTo: safeReturnTo(req.query.returnTo ?? (req.body as Record<string, unknown> | undefined)?.returnTo),
      staffSignIn: Boolean(deps.staffSignIn),
      development: deps.development,
      csrfToken: generateCsrfToken(req, res),
      values: {},
      errors: [],
      ...extra,
    });

  router.get('/sign-in', (req, res) => page(req, res));

  router.get('/sign-in/staff', async (req, res) => {
    if (!deps.staffSignIn) return res.status(404).render('not-found.njk');
    const url = await deps.staffSignIn.start(req, safeReturnTo(req.query.returnTo));
    res.redirect(303, url.href);
  });

  router.get('/auth/callback', async (req, res) => {
    if (!deps.staffSignIn) return res.status(404).render('not-found.njk');
    try {
      const { person, returnTo } = await deps.staffSignIn.finish(req, new URL(req.originalUrl, deps.publicUrl));
      await signIn(req, person);
      logAccess({ allowed: true, reason: 'signedIn:oidc', resource: 'session' });
      res.redirect(303, returnTo);
    } catch (error) {
      const message = error instanceof StaffSignInRefused ? error.message : 'Your organisation account could not be checked. Try signing in again.';
      if (!(error instanceof StaffSignInRefused)) log.warn({ err: (error as Error).name, code: (error as { code?: string }).code }, 'staff sign-in failed');
      logAccess({ allowed: false, reason: 'oidcFailed', resource: 'session' });
      res.status(400).render('sign-in-problem.njk', { message });
    }
  });

  /** Sends a code: to the address a decision link was sent to, or to an address typed in. */
  router.post('/sign-in/email', limiter(20), async (req, res, next) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const returnTo = safeReturnTo(body.returnTo);
    if (!validateRequest(req)) return page(req, res.status(403), { errors: [{ text: 'The page had expired. Try again.', href: '#email' }] });
    let email: string;
    if (typeof body.link === 'string' && body.link) {
      const link = await openDecisionLink(deps, body.link, res);
      if (!link) return;
      email = link.email;
    } else {
      const parsed = emailSchema.safeParse(body.email);
      if (!parsed.success) {
        return page(req, res.status(400), { values: body, errors: [{ text: parsed.error.issues[0].message, href: '#email' }], emailError: parsed.error.issues[0].message });
      }
      email = parsed.data;
    }
    const issued = await issueCode(deps.db, deps.codeSecret, email, req.ip ?? '');
    if ('refused' in issued) {
      return res.status(429).render('sign-in.njk', { tooMany: true });
    }
    await deps.mailer.send({ to: email, ...codeEmail(issued.code, deps.publicUrl), messageId: `<sign-in-${issued.id}@lscp-escalations>` });
    req.session.pendingCode = { id: issued.id, email, returnTo };
    req.session.save((error) => (error ? next(error) : res.redirect(303, '/sign-in/code')));
  });

  const codePage = (req: Request, res: Response, extra: Record<string, unknown> = {}) => {
    const pending = req.session?.pendingCode;
    if (!pending) return res.redirect(303, '/sign-in');
    res.render('sign-in-code.njk', { masked: maskEmail(pending.email), csrfToken: generateCsrfToken(req, res), errors: [], ...extra });
  };

  router.get('/sign-in/code', (req, res) => codePage(req, res));

  router.post('/sign-in/code', limiter(60), async (req, res) => {
    const pending = req.session?.pendingCode;
    if (!pending) return res.redirect(303, '/sign-in');
    if (!validateRequest(req)) return codePage(req, res.status(403), { errors: [{ text: 'The page had expired. Enter the code again.', href: '#code' }] });
    const code = codeSchema.safeParse((req.body as Record<string, unknown>).code);
    if (!code.success) return codePage(req, res.status(400), { errors: [{ text: code.error.issues[0].message, href: '#code' }] });
    const result = await checkCode(deps.db, deps.codeSecret, pending.id, pending.email, code.data);
    if (result !== 'ok') {
      logAccess({ allowed: false, reason: `code:${result}`, resource: 'session' });
      return codePage(req, res.status(result === 'wrong' ? 400 : 410), { errors: [{ text: CODE_PROBLEMS[result], href: '#code' }], askAgain: result !== 'wrong' });
    }
    await signIn(req, { email: pending.email, name: pending.email, method: 'emailCode', roles: [] });
    logAccess({ allowed: true, reason: 'signedIn:emailCode', resource: 'session' });
    res.redirect(303, pending.returnTo);
  });

  router.post('/sign-out', async (req, res) => {
    // The session cookie is SameSite=Lax, so another site's form cannot sign anyone out; a
    // browser's own cross-site marker is refused as well.
    if (req.get('sec-fetch-site') === 'cross-site') return res.status(403).render('forbidden.njk', { what: 'signOut' });
    const wasSignedIn = principalOf(res)?.kind === 'person';
    await signOut(req);
    res.clearCookie(sessionCookieName(sessionSecure), { path: '/', secure: sessionSecure });
    // Nothing of what this browser did while signed in is left for the next person.
    res.clearCookie('lscp.raised', { path: '/raise/raised' });
    res.render('signed-out.njk', { wasSignedIn });
  });

  return router;
}
