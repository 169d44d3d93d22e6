/**
 * One log line per request (pino-http), written when the answer is sent: a request id (also sent
 * back as X-Request-Id and shown on the error page, so a person can quote it), the method, the
 * route's pattern, the status and the time taken.
 *
 * Never the path as typed: a decision link's path is its token and a mistyped address may hold a
 * child's reference. A request no route matched is logged by its first path segment only. Never a
 * header, a query or a body. A failed request (5xx) is one line at error level with the error's
 * type and short message (shared/log.ts), not a stack trace per failure; refusals (4xx) are warn,
 * everything else info. Static assets and health checks are not logged.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../shared/log';

/** An id a proxy in front may have given (kept so lines can be matched across both), or a new one. */
const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

const QUIET = /^\/(assets|stylesheets|javascripts)\/|^\/(health|ready|favicon\.ico)$/;

/** Paths whose second segment is a capability or a reference: logged as the parameter's name. */
const PARAMETERISED: Record<string, string> = { respond: ':token', cases: ':reference', partnerships: ':id', raise: ':reference' };

/**
 * What a log line may say of where the request went: the route's pattern when a route answered;
 * when middleware answered (a gate, a sign-in redirect) or nothing did, the first segment, with
 * a known parameter's name in place of what was typed and `…` for the rest.
 */
export function routeForLog(req: Pick<Request, 'baseUrl' | 'originalUrl' | 'route'>): string {
  if (req.route?.path && typeof req.route.path === 'string') return `${req.baseUrl ?? ''}${req.route.path}`;
  // The path as it arrived: middleware mounted on a path sees (and leaves) it shortened.
  const [, first = '', second, ...rest] = (req.originalUrl ?? '').split(/[?#]/)[0].split('/');
  if (!/^[a-z-]{1,30}$/.test(first)) return '/…';
  if (second === undefined || second === '') return `/${first}`;
  const param = PARAMETERISED[first];
  return param ? `/${first}/${param}${rest.length ? '/…' : ''}` : `/${first}/…`;
}

export function requestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId(req, res) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    autoLogging: { ignore: (req) => QUIET.test((req as IncomingMessage & { path?: string }).path ?? req.url ?? '') },
    // The route pattern is known only once routing has run: the line is written at the end.
    quietReqLogger: true,
    wrapSerializers: false,
    serializers: {
      req: (req: IncomingMessage) => ({ method: req.method }),
      res: (res: ServerResponse) => ({ status: res.statusCode }),
    },
    customSuccessObject: (req, _res, value) => ({ ...value, route: routeForLog(req as Request) }),
    customErrorObject: (req, res, _error, value) => {
      // An outage (api/availability.ts) names the dependency instead of carrying an error.
      const unavailable = (res as ServerResponse & { locals?: { unavailable?: string } }).locals?.unavailable;
      return { ...value, route: routeForLog(req as Request), ...(unavailable ? { unavailable } : {}) };
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${routeForLog(req as Request)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeForLog(req as Request)} ${res.statusCode} failed`,
  }) as unknown as RequestHandler;
}
