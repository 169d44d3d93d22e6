/** The express application: JSON API, the pages behind email links, the case page. */
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import cookieParser from 'cookie-parser';
import nunjucks from 'nunjucks';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Database } from '../db/database';
import type { MailCatcher } from '../mail/catcher';
import type { LinkSigner } from '../shared/links';
import type { PolicyPack } from '../shared/policy/schema';
import { roleLabel } from '../mail/render';
import { describeDeadline } from '../shared/calendar/workingTime';
import { sendProblem } from './problem';
import { disagreementsRouter } from './routes/disagreements';
import { respondRouter } from './routes/respond';
import { raiseRouter } from './routes/raise';
import { dashboardRouter } from './routes/dashboard';
import { recordsRouter } from './routes/records';
import { endCaseRouter } from './routes/endCase';
import { casePage, statusLabel } from './casePage';
import { caseAccess, partnershipStaffOnly, viewerOf } from './access';
import { apiClientAuth } from './apiClients';
import { codecRouter } from './codec';
import { DEFAULT_TEMPORAL_CALL_TIMEOUT_MS, RETRY_AFTER_SECONDS, checkDatabase, checkTemporal, sendUnavailable, temporalDeadline, unavailableDependency } from './availability';

export interface AppDeps {
  temporal: Client;
  db: Database;
  policies: Map<string, PolicyPack>;
  links: LinkSigner;
  csrfSecret: string;
  publicUrl: string;
  /** Task queue to start workflows on; tests give each test its own. */
  taskQueue?: string;
  /** The payload codec, for the codec endpoint that lets staff read encrypted payloads. */
  codec?: PayloadCodec;
  /** Origin of the Temporal UI allowed to call the codec endpoint from a browser. */
  uiOrigin?: string;
  /** Present when mail is caught in-process: the /mail page lists it. */
  mailCatcher?: MailCatcher;
  /** Deadline for the Temporal calls made while serving one request (TEMPORAL_CALL_TIMEOUT_MS). */
  temporalTimeoutMs?: number;
}

const GOVUK = join(require.resolve('govuk-frontend/package.json'), '..', 'dist');

export function createApp(deps: AppDeps) {
  const app = express();
  app.disable('x-powered-by');
  const views = nunjucks.configure([join(__dirname, 'views'), GOVUK], { autoescape: true, express: app, noCache: false });
  views.addGlobal('roleLabel', roleLabel);
  views.addGlobal('statusLabel', statusLabel);
  views.addFilter('inWords', (iso: string, zone = 'Europe/London') => (iso ? describeDeadline(new Date(iso), zone, new Date()).replace(/^by /, '') : ''));
  views.addFilter('dateTime', (iso: string) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', dateStyle: 'long', timeStyle: 'short' }).format(new Date(iso)),
  );
  app.set('view engine', 'njk');

  app.use('/assets', express.static(join(GOVUK, 'govuk', 'assets'), { maxAge: '1d' }));
  app.get('/stylesheets/govuk-frontend.min.css', (_req, res) => res.sendFile(join(GOVUK, 'govuk', 'govuk-frontend.min.css')));
  app.get('/javascripts/govuk-frontend.min.js', (_req, res) => res.sendFile(join(GOVUK, 'govuk', 'govuk-frontend.min.js')));
  app.use((_req, res, next) => {
    // Pages behind email links must not be cached or leak their URL (which holds the link) onward.
    res.set({ 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY' });
    next();
  });
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  app.use(cookieParser());

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
  if (deps.codec) app.use(codecRouter({ ...deps, codec: deps.codec }));
  // Every /api route also names its own rule (scope and partnership: apiRule in api/apiClients.ts).
  app.use('/api', apiClientAuth(deps));
  app.use('/partnerships/:id', partnershipStaffOnly(deps));
  app.use('/cases/:reference', caseAccess(deps));
  app.use(disagreementsRouter(deps));
  app.use(endCaseRouter(deps));
  app.use(respondRouter(deps));

  app.use(raiseRouter(deps));
  app.use(dashboardRouter(deps));
  app.use(recordsRouter(deps));

  app.get('/cases/:reference', async (req, res) => {
    const page = await casePage(deps, req.params.reference, viewerOf(res));
    if (!page) return res.status(404).render('not-found.njk');
    res.render('case.njk', page);
  });
  app.get('/cases/:reference/opened', async (req, res) => {
    const page = await casePage(deps, req.params.reference, viewerOf(res));
    if (!page) return res.status(404).render('not-found.njk');
    res.render('opened.njk', page);
  });

  const catcher = deps.mailCatcher;
  if (catcher) {
    app.get('/mail', (_req, res) => res.render('mailbox.njk', { messages: catcher.messages().reverse() }));
    app.get('/mail/:id', (req, res) => {
      const message = catcher.messages().find((m) => String(m.id) === req.params.id);
      if (!message) return res.status(404).render('not-found.njk');
      res.render('message.njk', { m: message });
    });
  }

  app.get('/', (_req, res) => res.render('index.njk', { policies: [...deps.policies.values()], mailbox: Boolean(catcher) }));

  app.use((req, res) => {
    if (req.path.startsWith('/api/')) return sendProblem(res, 404, 'Not found', `No route for ${req.method} ${req.path}`);
    res.status(404).render('not-found.njk');
  });

  app.use((error: Error & { status?: number; type?: string }, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (error.type === 'entity.parse.failed') return sendProblem(res, 400, 'The request body is not valid JSON', error.message);
    if (error.type === 'entity.too.large') return sendProblem(res, 413, 'The request body is too large');
    // A dependency that cannot be reached is an outage, not a bug: 503 and "try again".
    const down = unavailableDependency(error);
    if (down) {
      console.warn(`${req.method} ${req.route?.path ?? 'request'}: ${down} unavailable (${error.message})`);
      return sendUnavailable(req, res, down);
    }
    // The route's pattern, not the path: a decision link's path is its token.
    console.error(`${req.method} ${req.route?.path ?? req.path} failed:`, error);
    if (req.path.startsWith('/api/')) return sendProblem(res, 500, 'Something went wrong', 'The error has been logged.');
    res.status(500).render('error.njk');
  });
  return app;
}
