/** The express application: JSON API, the pages behind email links, the case page. */
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import cookieParser from 'cookie-parser';
import nunjucks from 'nunjucks';
import { policyVersionWords, policyWithVersion } from '../shared/policyWording';
import { roleLabel } from '../mail/render';
import { describeDeadline } from '../shared/calendar/workingTime';
import { sendProblem } from './problem';
import { disagreementsRouter } from './routes/disagreements';
import { respondRouter } from './routes/respond';
import { raiseRouter } from './routes/raise';
import { dashboardRouter } from './routes/dashboard';
import { homeRouter } from './routes/home';
import { recordsRouter } from './routes/records';
import { endCaseRouter } from './routes/endCase';
import { handOverRouter } from './routes/handOver';
import { notesRouter } from './routes/notes';
import { operationsRouter } from './routes/operations';
import { casePage, statusLabel } from './casePage';
import { apiClientAuth } from './apiClients';
import { ReaderUnknown, recordReadOf } from './audit';
import { caseAccess, partnershipAdminOnly, requirePerson, viewerOf } from './identity/access';
import { decisionLinkGate } from './identity/decisionLink';
import { isPartnershipAdmin, principalOf } from './identity/principal';
import { signInRouter } from './identity/routes';
import { sessions } from './identity/sessions';
import { readersRouter } from './routes/readers';
import { log } from '../shared/log';
import { requestLog } from './requestLog';
import type { AppDeps } from './deps';
import { codecRouter } from './codec';
import { answerBodyError, bodyGate, securityHeaders, storableText } from './security';
import { rateLimiters } from './rateLimits';
import { mailPageRouter } from './mailPage';
import { DEFAULT_TEMPORAL_CALL_TIMEOUT_MS, RETRY_AFTER_SECONDS, checkDatabase, checkTemporal, sendUnavailable, temporalDeadline, unavailableDependency } from './availability';

export type { AppDeps, IdentityDeps } from './deps';

const GOVUK = join(require.resolve('govuk-frontend/package.json'), '..', 'dist');

export function createApp(deps: AppDeps) {
  const app = express();
  app.disable('x-powered-by');
  // Behind a TLS proxy: its hop count or addresses (never `true`), so Secure cookies are set and
  // rate limits see the person's address, not the proxy's.
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);
  const views = nunjucks.configure([join(__dirname, 'views'), GOVUK], { autoescape: true, express: app, noCache: false });
  views.addGlobal('roleLabel', roleLabel);
  views.addGlobal('statusLabel', statusLabel);
  views.addFilter('policyVersion', policyVersionWords);
  views.addGlobal('policyWithVersion', policyWithVersion);
  views.addFilter('inWords', (iso: string, zone = 'Europe/London') => (iso ? describeDeadline(new Date(iso), zone, new Date()).replace(/^by /, '') : ''));
  views.addFilter('dateTime', (iso: string) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', dateStyle: 'long', timeStyle: 'short' }).format(new Date(iso)),
  );
  app.set('view engine', 'njk');
  // First, so every answer (even one from the development provider) is one line with a request id.
  app.use(requestLog(deps.logger ?? log));
  app.use((req, res, next) => {
    res.locals.requestId = req.id;
    next();
  });
  // Headers on every answer, the development provider's pages included: CSP with this response's
  // nonce, no framing, no-store, HSTS over https (issue 10, web tier).
  app.use(securityHeaders({ publicUrl: deps.publicUrl, behindProxy: deps.trustProxy !== undefined }));
  const limits = rateLimiters(deps.rateLimits);
  // Bodies: UTF-8 and uncompressed only, refused before anything reads them (the development
  // provider's included); once parsed, every string must be text PostgreSQL can store (no NUL,
  // no unpaired surrogate), refused naming the field.
  app.use(bodyGate());
  // The embedded development identity provider reads its own request bodies: mounted first.
  if (deps.identity.devProvider) app.use(deps.identity.devProvider.router);

  app.use('/assets', express.static(join(GOVUK, 'govuk', 'assets'), { maxAge: '1d' }));
  app.get('/stylesheets/govuk-frontend.min.css', (_req, res) => res.sendFile(join(GOVUK, 'govuk', 'govuk-frontend.min.css')));
  app.get('/javascripts/govuk-frontend.min.js', (_req, res) => res.sendFile(join(GOVUK, 'govuk', 'govuk-frontend.min.js')));
  // The API is counted per address before its key is even looked up: guessing keys is limited too.
  app.use('/api', limits.apiByAddress);
  // JSON only where JSON is spoken: the pages' forms are urlencoded, and a JSON object in a form
  // field would reach a template.
  app.use(['/api', '/codec'], express.json({ limit: '100kb', inflate: false }));
  app.use(express.urlencoded({ extended: false, limit: '100kb', inflate: false, parameterLimit: 1000 }));
  app.use(storableText());
  app.use(cookieParser());
  app.use(sessions(deps.db, deps.identity.sessions));
  app.use((_req, res, next) => {
    const principal = principalOf(res);
    if (principal?.kind === 'person') {
      res.locals.signedIn = {
        email: principal.email,
        adminOf: principal.roles.flatMap((r) => (r.role === 'partnershipAdmin' ? [r.partnershipId] : [])),
        operations: principal.roles.some((r) => r.role === 'operations'),
      };
    }
    next();
  });

  // Liveness: the process is up and serving. Readiness: it can do its work now (PostgreSQL and
  // Temporal answer); neither says anything about a case or a person.
  app.get('/health', (_req, res) => res.json({ status: 'ok' }));
  app.get('/ready', async (_req, res) => {
    const [database, temporal] = await Promise.all([checkDatabase(deps.db), checkTemporal(deps.temporal)]);
    const checks = { database: database ? 'ok' : 'unavailable', temporal: temporal ? 'ok' : 'unavailable' };
    if (database && temporal) return res.json({ status: 'ready', checks });
    res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS)).json({ status: 'not ready', checks });
  });
  app.use(temporalDeadline(deps.temporal, deps.temporalTimeoutMs ?? DEFAULT_TEMPORAL_CALL_TIMEOUT_MS));
  app.use(['/sign-in/email', '/sign-in/code'], limits.signIn);
  if (deps.codec) app.use(codecRouter({ ...deps, codec: deps.codec }));
  app.use(
    signInRouter({
      db: deps.db,
      links: deps.links,
      mailer: deps.mailer,
      publicUrl: deps.publicUrl,
      csrfSecret: deps.csrfSecret,
      codeSecret: deps.identity.codeSecret,
      staffSignIn: deps.identity.staffSignIn,
      development: Boolean(deps.identity.devProvider),
    }),
  );
  // Every /api route also names its own rule (scope and partnership: apiRule in api/apiClients.ts).
  app.use('/api', apiClientAuth(deps), limits.apiByClient);
  app.use('/partnerships/:id', partnershipAdminOnly());
  app.use('/cases/:reference', caseAccess(deps.db));
  app.use('/respond/:token', limits.links, decisionLinkGate({ db: deps.db, links: deps.links, staffSignIn: Boolean(deps.identity.staffSignIn) }));
  app.use('/raise', requirePerson('raise'), limits.raise);
  // Who has seen a file: a partnership admin, or a read client of the partnership (decided there).
  app.use(readersRouter(deps));
  app.use(disagreementsRouter(deps));
  app.use(endCaseRouter(deps));
  app.use(handOverRouter(deps));
  app.use(notesRouter(deps));
  app.use(respondRouter(deps));

  app.use(raiseRouter(deps));
  app.use(dashboardRouter(deps));
  // My cases, and every case of a partnership for its admins (behind partnershipAdminOnly above).
  app.use(homeRouter(deps));
  app.use(recordsRouter(deps));
  app.use(operationsRouter(deps));

  app.get('/cases/:reference', async (req, res) => {
    const page = await casePage(deps, req.params.reference, viewerOf(res));
    if (!page) return res.status(404).render('not-found.njk');
    await recordReadOf(deps, req, res, { reference: page.c.reference, partnershipId: page.c.policy.partnership, what: 'case', via: 'page' });
    res.render('case.njk', { ...page, canSeeReaders: isPartnershipAdmin(principalOf(res), page.c.policy.partnership) });
  });

  // Development only: present with the embedded mail catcher, for admins on this machine.
  const catcher = deps.mailCatcher;
  if (catcher) app.use(mailPageRouter(catcher));

  app.get('/contact', (_req, res) => res.render('contact.njk'));
  app.get('/privacy', (_req, res) => res.render('privacy.njk'));
  app.get('/accessibility', (_req, res) => res.render('accessibility.njk'));
  app.get('/', (_req, res) => res.render('index.njk', { policies: [...deps.policies.values()], mailbox: Boolean(catcher) }));

  app.use((req, res) => {
    if (req.path.startsWith('/api/')) return sendProblem(res, 404, 'Not found', `No route for ${req.method} ${req.path}`);
    res.status(404).render('not-found.njk');
  });

  app.use((error: Error & { status?: number; type?: string }, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    // A body that could not be read (bad JSON, too large, too many fields, a charset or encoding
    // we do not take): 400, 413 or 415 in plain words, for the API and the pages alike.
    if (answerBodyError(error, req, res)) return;
    // A malformed address (a bad %-escape) or another client error: a plain answer, and nothing of
    // the address logged (it may hold a link's token or a child's reference typed into it).
    if (error.status && error.status >= 400 && error.status < 500) {
      if (req.path.startsWith('/api/')) return sendProblem(res, error.status, 'The request is not valid');
      return res.status(404).render('not-found.njk');
    }
    // A read with nobody to record it against: refused rather than shown unrecorded.
    if (error instanceof ReaderUnknown) {
      (res as Response & { err?: Error }).err = error;
      if (req.path.startsWith('/api/')) return sendProblem(res, 403, 'Access was not decided for this request');
      return res.status(403).render('access-needed.njk', {});
    }
    // A dependency that cannot be reached is an outage, not a bug: 503 and "try again".
    const down = unavailableDependency(error);
    if (down) {
      (res.locals as { unavailable?: string }).unavailable = down;
      return sendUnavailable(req, res, down);
    }
    // Logged once, by the request's own line (api/requestLog.ts): its type and short message.
    (res as Response & { err?: Error }).err = error;
    if (req.path.startsWith('/api/')) return sendProblem(res, 500, 'Something went wrong', 'The error has been logged.');
    res.status(500).render('error.njk');
  });
  return app;
}
