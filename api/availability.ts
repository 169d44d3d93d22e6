/**
 * Outages degrade cleanly: an error that means PostgreSQL or Temporal cannot be reached is told
 * apart from a bug, so the API answers 503 with Retry-After (and the pages a plain "try again"
 * page) instead of 500; readiness checks both with a short timeout.
 */
import type { NextFunction, Request, Response } from 'express';
import {
  Connection,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  defaultGrpcRetryOptions,
  isGrpcServiceError,
  makeGrpcRetryInterceptor,
  type Client,
} from '@temporalio/client';
import type { Database } from '../db/database';
import { sendProblem } from './problem';

/** Seconds a client is asked to wait before trying again while a dependency is down. */
export const RETRY_AFTER_SECONDS = 10;
/** Readiness and the check before opening a case must answer fast, whatever the request deadline. */
export const CHECK_TIMEOUT_MS = 2_000;
/** Deadline for all Temporal calls made while serving one request, unless the app is told otherwise. */
export const DEFAULT_TEMPORAL_CALL_TIMEOUT_MS = 10_000;

export type Dependency = 'database' | 'temporal';

/** Thrown when a check before a write finds a dependency down, so nothing is written. */
export class DependencyUnavailable extends Error {
  constructor(readonly dependency: Dependency, cause?: unknown) {
    super(`${dependency === 'database' ? 'PostgreSQL' : 'Temporal'} is not available`, { cause });
    this.name = 'DependencyUnavailable';
  }
}

// gRPC status codes (from @grpc/grpc-js, which the Temporal client wraps).
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** Node socket errors: the server is not there, or went away. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
/** SQLSTATEs for a server shutting down, starting up, or out of connections; class 08 is connection exceptions. */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300']);
const PG_CONNECTION_MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i, /the database system is (starting up|shutting down)/i];

/** Which dependency an error says is unreachable, if any; looks through `cause` chains. */
export function unavailableDependency(error: unknown): Dependency | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof DependencyUnavailable) return e.dependency;
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return 'temporal';
    if (isGrpcServiceError(e)) {
      if (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED) return 'temporal';
      continue;
    }
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (PG_UNAVAILABLE.has(code) || /^08/.test(code))) return 'database';
    if (typeof message === 'string' && PG_CONNECTION_MESSAGES.some((m) => m.test(message))) return 'database';
    // A refused socket: the Temporal client reports through gRPC codes above, so this is pg's.
    if (typeof code === 'string' && SOCKET_CODES.has(code)) return 'database';
  }
  return undefined;
}

const NAMES: Record<Dependency, string> = { database: 'The database', temporal: 'The workflow service' };

/** 503 with Retry-After: problem details for the API, a plain page for people. */
export function sendUnavailable(req: Request, res: Response, dependency: Dependency) {
  res.set('Retry-After', String(RETRY_AFTER_SECONDS));
  if (req.originalUrl.startsWith('/api/') || req.originalUrl.startsWith('/codec/')) {
    return sendProblem(res, 503, 'Service temporarily unavailable', `${NAMES[dependency]} cannot be reached just now; nothing was changed. Try again in ${RETRY_AFTER_SECONDS} seconds.`);
  }
  res.status(503).render('unavailable.njk', { retryAfter: RETRY_AFTER_SECONDS });
}

/** Rejects when `work` takes longer than `ms` (the pool's own timeouts do not cover a query on a hung connection). */
export async function within<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkDatabase(db: Database, timeoutMs = CHECK_TIMEOUT_MS): Promise<boolean> {
  try {
    await within(timeoutMs, 'PostgreSQL', () => db.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/** Temporal answers for our namespace (reachable, and the namespace exists). */
export async function checkTemporal(temporal: Client, timeoutMs = CHECK_TIMEOUT_MS): Promise<boolean> {
  try {
    await within(timeoutMs + 500, 'Temporal', () =>
      temporal.connection.withDeadline(Date.now() + timeoutMs, () => temporal.workflowService.describeNamespace({ namespace: temporal.options.namespace })),
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Puts a deadline on every Temporal call made while serving the request (the gRPC deadline is
 * carried in async context), so an outage answers 503 instead of hanging in the client's retries.
 */
export function temporalDeadline(temporal: Client, timeoutMs: number) {
  return (_req: Request, _res: Response, next: NextFunction) => {
    temporal.connection.withDeadline(Date.now() + timeoutMs, async () => next()).catch(next);
  };
}

/**
 * The API's connection to Temporal: lazy, so the API starts (and says it is not ready) while
 * Temporal is down, and with fewer retries than the SDK's default (about 20 s), because a person
 * is waiting; the request is answered 503 and the client tries again.
 */
export function connectTemporalForRequests(address: string): Connection {
  return Connection.lazy({ address, interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))] });
}
