/**
 * Rate limits on the ways in (issue 10, web tier): raising a disagreement, sign-in codes, decision
 * links and the JSON API. Each is counted twice, per network address and per identity (the person
 * signed in, the address a code is for, the API client), so neither a crowd of addresses nor one
 * busy address can flood it. A refusal is 429 with `Retry-After`: a GOV.UK page for pages,
 * problem details for /api.
 *
 * Counts live in this process's memory (express-rate-limit's MemoryStore): each API process counts
 * on its own, so with N processes a limit is at most N times its setting.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { principalOf } from './identity/principal';
import { sendProblem } from './problem';

export type RateLimitKind = 'raise' | 'signIn' | 'links' | 'api';

export interface RateLimitSettings {
  /** The window every limit counts over, in seconds. */
  windowSeconds: number;
  raisePerAddress: number;
  raisePerPerson: number;
  signInPerAddress: number;
  signInPerPerson: number;
  linksPerAddress: number;
  linksPerPerson: number;
  apiPerAddress: number;
  apiPerClient: number;
}

/**
 * Far above what a person or an agency's system does in ten minutes, low enough that a script is
 * stopped: a practitioner raises a handful of cases a day; a decision link is opened a few times;
 * an agency's system sends a few requests a second at most.
 */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  windowSeconds: 600,
  raisePerAddress: 120,
  raisePerPerson: 30,
  signInPerAddress: 60,
  signInPerPerson: 20,
  linksPerAddress: 600,
  linksPerPerson: 200,
  apiPerAddress: 6_000,
  apiPerClient: 3_000,
};

/** Identities are kept hashed: the counters' keys name nobody. */
const hashed = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

const addressOf = (req: Request) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');

function tooMany(kind: RateLimitKind) {
  return (req: Request, res: Response) => {
    const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
    const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
    res.set('Retry-After', String(seconds));
    if (kind === 'api' || req.path.startsWith('/api/') || req.originalUrl.startsWith('/api/')) {
      return sendProblem(res, 429, 'Too many requests', `Too many requests from this client. Try again in ${seconds} seconds.`);
    }
    res.status(429).render('too-many.njk', { kind, minutes: Math.ceil(seconds / 60) });
  };
}

function limiter(kind: RateLimitKind, windowSeconds: number, limit: number, key: (req: Request, res: Response) => string | undefined, methods?: string[]): RequestHandler {
  const handler = rateLimit({
    windowMs: windowSeconds * 1000,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Requests this limit does not count (another method, nobody to key on) pass untouched.
    skip: (req, res) => (methods ? !methods.includes(req.method) : false) || key(req, res) === undefined,
    keyGenerator: (req, res) => key(req, res) ?? '',
    handler: tooMany(kind),
    // Our keys are built with ipKeyGenerator or name an identity, not an address.
    validate: { keyGeneratorIpFallback: false },
  });
  return handler;
}

/**
 * Who is asking for a code, or entering one: the link, or the address asked for together with the
 * network address asking, or the pending code being guessed. Never the email address alone: anyone
 * could then spend its owner's allowance and lock them out of signing in (an attacker pass did,
 * with forms the CSRF check then refused but the limit had already counted).
 */
function signInIdentity(req: Request): string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body.link === 'string' && body.link) return `link:${hashed(body.link)}`;
  if (typeof body.email === 'string' && body.email.trim()) return `email:${addressOf(req)}:${hashed(body.email.trim().toLowerCase())}`;
  const pending = (req.session as { pendingCode?: { id?: string } } | undefined)?.pendingCode?.id;
  return pending ? `code:${hashed(pending)}` : undefined;
}

function personOf(res: Response): string | undefined {
  const principal = principalOf(res);
  return principal?.kind === 'person' ? `person:${hashed(principal.email.toLowerCase())}` : undefined;
}

export interface RateLimiters {
  /** POST /raise and /raise/:partnership: mount after sign-in is required. */
  raise: RequestHandler[];
  /** POST /sign-in/email and /sign-in/code: mount after the session is read. */
  signIn: RequestHandler[];
  /** GET and POST /respond/:token: before the link is checked; per person where someone is signed in. */
  links: RequestHandler[];
  /** Per address before the key is checked (guessing keys), per client after. */
  apiByAddress: RequestHandler;
  apiByClient: RequestHandler;
}

/** One set per app: each app (and each test's app) counts on its own. */
export function rateLimiters(given: Partial<RateLimitSettings> = {}): RateLimiters {
  const s = { ...DEFAULT_RATE_LIMITS, ...given };
  const w = s.windowSeconds;
  const post = ['POST'];
  return {
    raise: [limiter('raise', w, s.raisePerAddress, (req) => `a:${addressOf(req)}`, post), limiter('raise', w, s.raisePerPerson, (_req, res) => personOf(res), post)],
    signIn: [limiter('signIn', w, s.signInPerAddress, (req) => `a:${addressOf(req)}`, post), limiter('signIn', w, s.signInPerPerson, (req) => signInIdentity(req), post)],
    links: [
      limiter('links', w, s.linksPerAddress, (req) => `a:${addressOf(req)}`, ['GET', 'HEAD', 'POST']),
      limiter('links', w, s.linksPerPerson, (_req, res) => personOf(res), ['GET', 'HEAD', 'POST']),
    ],
    apiByAddress: limiter('api', w, s.apiPerAddress, (req) => `a:${addressOf(req)}`),
    apiByClient: limiter('api', w, s.apiPerClient, (_req, res) => {
      const principal = principalOf(res);
      return principal?.kind === 'apiClient' ? `client:${principal.clientId}` : undefined;
    }),
  };
}
