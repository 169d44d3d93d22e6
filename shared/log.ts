/**
 * Structured logs (pino, JSON lines on stderr). Log lines carry case references, ids, roles and
 * codes, never names, addresses, secrets or anything about a child.
 *
 * That is first the callers' discipline; these rules are the net under it. Every line passes
 * through them, whoever wrote it:
 * - known secret-bearing fields (cookies, authorization, set-cookie, tokens, keys, passwords) and
 *   personal ones (email, name, description, child reference, reasons) are replaced by `[redacted]`;
 * - every string in the message and in the logged object is scrubbed of decision-link tokens, long
 *   opaque tokens, API keys, bearer credentials and email addresses (`scrub`);
 * - an error is logged as its type, code and a short scrubbed message: never its stack (a stack per
 *   failed request filled disks in minutes) unless LOG_LEVEL is debug or trace, and never a
 *   PostgreSQL error's detail or the row it quotes (that once logged a practitioner's JSON).
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

interface ScrubRule {
  name: string;
  pattern: RegExp;
  replacement: string;
}

/** Rules for strings: what a token, key or address looks like wherever it turns up. */
export const SCRUB_RULES: readonly ScrubRule[] = [
  { name: 'decision link', pattern: /\/respond\/(?!:)[^\s/?#"'<>]+/g, replacement: '/respond/[token]' },
  { name: 'API key', pattern: /\blscp_[A-Za-z0-9_-]+/g, replacement: 'lscp_[key]' },
  { name: 'bearer or basic credentials', pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, replacement: '$1 [credentials]' },
  { name: 'email address', pattern: /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}.-]+\.\p{L}{2,}/gu, replacement: '[email]' },
  // Signed links, session ids, JWTs: long runs of base64url (a case reference or a uuid is shorter
  // or has dashes in fixed places, and is allowed). Not across a slash, so a file path in a stack
  // stays readable.
  { name: 'opaque token', pattern: /[A-Za-z0-9_.~+=-]{40,}/g, replacement: '[token]' },
];

export function scrub(text: string): string {
  return SCRUB_RULES.reduce((out, rule) => out.replace(rule.pattern, rule.replacement), text);
}

/** Fields never logged as they are, at any depth pino's redaction reaches (top level and one down). */
const SENSITIVE_KEYS = [
  'cookie', 'authorization', 'set-cookie', 'token', 'password', 'secret', 'apiKey',
  'email', 'name', 'description', 'childReference', 'reasons', 'detail', 'body', 'query', 'params',
];
const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.flatMap((k) => [k, `*.${k}`]),
];

const MAX_MESSAGE = 300;
const verbose = (level: string) => level === 'debug' || level === 'trace';

interface LoggedError {
  type: string;
  message?: string;
  code?: string | number;
  table?: string;
  constraint?: string;
  stack?: string;
  cause?: LoggedError;
}

/** An error as a log line may carry it: see the module comment. */
export function errorForLog(error: unknown, withStack = false, depth = 0): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, message: scrub(String(error)).slice(0, MAX_MESSAGE) };
  const e = error as Error & { code?: string | number; severity?: string; table?: string; constraint?: string; cause?: unknown };
  // A PostgreSQL error (it has a severity and a SQLSTATE): its message can quote a value, its
  // detail quotes the failing row. Only the code and the object it is about.
  const fromPostgres = typeof e.severity === 'string' && typeof e.code === 'string';
  const out: LoggedError = { type: e.name };
  if (!fromPostgres) out.message = scrub(e.message).slice(0, MAX_MESSAGE);
  if (e.code !== undefined) out.code = e.code;
  if (fromPostgres && e.table) out.table = e.table;
  if (fromPostgres && e.constraint) out.constraint = e.constraint;
  if (withStack && e.stack) out.stack = scrub(e.stack);
  if (e.cause !== undefined && depth < 3) out.cause = errorForLog(e.cause, withStack, depth + 1);
  return out;
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  // Errors are left to the err serializer (which scrubs them); anywhere else pino writes them as {}.
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, depth + 1)]));
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');
  return pino(
    {
      level,
      base: { service: 'lscp-escalations' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        err: (error: unknown) => errorForLog(error, verbose(level)),
        error: (error: unknown) => errorForLog(error, verbose(level)),
      },
      formatters: {
        // Runs before redaction and serializers of the same keys: strings anywhere are scrubbed.
        log: (object) => scrubDeep(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // The message (and printf-style arguments) are scrubbed like every other string.
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination(2),
  );
}

export const log = createLogger();
