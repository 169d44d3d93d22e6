/**
 * The web tier's defences that are not about who is asking (issue 10): security headers (helmet,
 * a strict Content-Security-Policy with a nonce per response), bodies refused before they are read
 * when they are not plain UTF-8, and text that cannot be stored (NUL, unpaired surrogates) refused
 * with the field named before anything is written. Every refusal is a 4xx in plain words.
 */
import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { sendProblem } from './problem';

export interface SecurityHeaderOptions {
  /** The service's public URL: https turns on HSTS and upgrade-insecure-requests. */
  publicUrl: string;
  /** Express trusts a TLS proxy: a request it marks secure is served over https too. */
  behindProxy: boolean;
  /** Origins a sign-in form may lead to (the staff identity provider's), besides our own. */
  formActions?: string[];
}

/** Features no page of ours uses: refused for the page and anything it embeds. */
export const PERMISSIONS_POLICY = [
  'accelerometer=()',
  'autoplay=()',
  'camera=()',
  'display-capture=()',
  'geolocation=()',
  'gyroscope=()',
  'magnetometer=()',
  'microphone=()',
  'midi=()',
  'payment=()',
  'publickey-credentials-get=()',
  'screen-wake-lock=()',
  'serial=()',
  'usb=()',
  'xr-spatial-tracking=()',
].join(', ');

const nonceOf = (res: Response) => String(res.locals.cspNonce);

/**
 * Helmet with our policy. Pages may run only our own files and the inline script or style carrying
 * this response's nonce (the GOV.UK template's `js-enabled` line reads `cspNonce`); nothing may
 * frame them. HSTS only where the service is reached over https.
 */
export function securityHeaders(options: SecurityHeaderOptions): RequestHandler[] {
  const httpsEverywhere = options.publicUrl.startsWith('https:');
  const formAction = ["'self'", ...(options.formActions ?? [])];
  const nonce = (_req: unknown, res: unknown) => `'nonce-${nonceOf(res as Response)}'`;
  const base = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", nonce],
        styleSrc: ["'self'", nonce],
        imgSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        manifestSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction,
        frameAncestors: ["'none'"],
        ...(httpsEverywhere ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Set below, per request: only over https.
    strictTransportSecurity: false,
  });
  const hsts = helmet.strictTransportSecurity({ maxAge: 63_072_000, includeSubDomains: true });
  return [
    (_req, res, next) => {
      res.locals.cspNonce = randomBytes(16).toString('base64');
      next();
    },
    base,
    (req, res, next) => {
      // Pages behind email links must not be cached or leak their URL (which holds the link) onward.
      res.set({ 'Cache-Control': 'no-store', 'Permissions-Policy': PERMISSIONS_POLICY });
      if (httpsEverywhere || (options.behindProxy && req.secure)) return hsts(req, res, next);
      next();
    },
  ];
}

const isApi = (req: Request) => req.originalUrl.startsWith('/api/') || req.originalUrl.startsWith('/codec');

/** A plain refusal: problem details for the API, a GOV.UK page otherwise. */
export function refuse(req: Request, res: Response, status: number, title: string, detail: string, field?: string) {
  if (isApi(req)) return sendProblem(res, status, title, detail, field ? [{ path: field, message: detail }] : undefined);
  res.status(status).render('bad-request.njk', { title, detail });
}

const ACCEPTED_CHARSETS = new Set(['utf-8', 'utf8']);

/**
 * Before any body is read: UTF-8 only (a UTF-7 or Latin-1 body is refused, not guessed at), never
 * compressed (refused rather than inflated: nothing sends us one), and of the type the route reads
 * (JSON under /api and /codec, a form elsewhere).
 */
export function bodyGate(): RequestHandler {
  return (req, res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    if (!hasBody) return next();
    const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== '') {
      return refuse(req, res, 415, 'The request body is compressed', 'Send the body uncompressed (no Content-Encoding).');
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    // JSON where JSON is spoken, a form everywhere else: a body of another type would be ignored
    // and the route would run on nothing.
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const wanted = isApi(req) ? 'application/json' : 'application/x-www-form-urlencoded';
    if (!req.originalUrl.startsWith('/dev-idp/') && type !== wanted) {
      return refuse(req, res, 415, isApi(req) ? 'The request body is not JSON' : 'The request body is not a form', `Send it as ${wanted}.`);
    }
    if (charset !== undefined && !ACCEPTED_CHARSETS.has(charset)) {
      return refuse(req, res, 415, 'The request body is not UTF-8', 'Send the body as UTF-8 (Content-Type: …; charset=utf-8).');
    }
    next();
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Where a string first stops being storable text, if it does. */
export function unstorable(value: string): 'NUL' | 'surrogate' | undefined {
  if (value.includes('\u0000')) return 'NUL';
  if (LONE_SURROGATE.test(value)) return 'surrogate';
  return undefined;
}

/** The first string (key or value) in `root` that cannot be stored, with its path. Iterative: a deeply nested body cannot exhaust the stack. */
export function firstUnstorable(root: unknown, rootPath = ''): { path: string; problem: 'NUL' | 'surrogate' } | undefined {
  const stack: [unknown, string][] = [[root, rootPath]];
  while (stack.length) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      const problem = unstorable(value);
      if (problem) return { path: path || 'body', problem };
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const at = path ? `${path}.${key}` : key;
        const problem = unstorable(key);
        if (problem) return { path: path || 'body', problem };
        stack.push([item, at]);
      }
    }
  }
  return undefined;
}

const PROBLEM_WORDS = { NUL: 'a NUL character', surrogate: 'a broken character (an unpaired UTF-16 surrogate)' } as const;

/** A field's name as shown: printable, short, itself never the bad text. */
const shown = (path: string) => {
  const clean = path.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
};

/**
 * After the body is parsed: every string of the body, the query and the path must be text
 * PostgreSQL can store. Refused whole, naming the field, before any route writes anything.
 */
export function storableText(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // No body (or none a parser took): the routes read an empty one, never undefined.
    req.body ??= {};
    let path: string | undefined;
    try {
      path = decodeURIComponent(req.path);
    } catch {
      path = undefined; // a malformed escape: express answers it as a bad request
    }
    const found =
      (path !== undefined && unstorable(path) ? { path: 'the address', problem: unstorable(path)! } : undefined) ??
      firstUnstorable(req.query, 'query') ??
      firstUnstorable(req.body);
    if (!found) return next();
    const field = shown(found.path);
    refuse(req, res, 400, 'The request holds text that cannot be stored', `${field} contains ${PROBLEM_WORDS[found.problem]}. Remove it and try again.`, field);
  };
}

const BODY_ERRORS: Record<string, { status: number; title: string; detail: string }> = {
  'entity.parse.failed': { status: 400, title: 'The request body is not valid JSON', detail: 'Check the JSON is well formed.' },
  'entity.too.large': { status: 413, title: 'The request body is too large', detail: 'Send at most 100 KB.' },
  'parameters.too.many': { status: 400, title: 'The form has too many fields', detail: 'Send at most 1,000 fields.' },
  'charset.unsupported': { status: 415, title: 'The request body is not UTF-8', detail: 'Send the body as UTF-8.' },
  'encoding.unsupported': { status: 415, title: 'The request body is compressed', detail: 'Send the body uncompressed (no Content-Encoding).' },
  'request.size.invalid': { status: 400, title: 'The request body was cut short', detail: 'Its length did not match Content-Length.' },
  'request.aborted': { status: 400, title: 'The request was cut short', detail: 'Send it again.' },
};

/**
 * For the error handler: a body that could not be read is the sender's mistake, answered 400, 413
 * or 415 in plain words (never the parser's message, which can echo the body). True when answered.
 */
export function answerBodyError(error: { type?: string; status?: number }, req: Request, res: Response): boolean {
  const known = error.type ? BODY_ERRORS[error.type] : undefined;
  if (!known) return false;
  refuse(req, res, known.status, known.title, known.detail);
  return true;
}
