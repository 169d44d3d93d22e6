/**
 * API clients: the agency systems and staff tools that use the JSON API, each with a key of its
 * own, scoped to one partnership and one use.
 *
 * - `intake` opens cases for its partnership, and withdraws or closes the cases it opened.
 * - `read` reads its partnership's cases, records, proformas and numbers.
 *
 * A key is `lscp_<clientId>_<secret>`: the client id (`ac_` and ten letters or digits) is public
 * and finds the row; the secret is 32 random bytes (base64url). Only the SHA-256 of the whole key
 * is kept (a fast hash is right for 256 random bits; nothing can be guessed), compared in constant
 * time. The key is shown once, when the client is created, and never again.
 *
 * Every route under /api names its rule with `apiRule` (what scope, whose partnership); a test
 * walks the app's routes and fails on any /api route without one.
 */
import { logAccess } from './accessLog';
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Database, Queryable } from '../db/database';
import type { PolicyPack } from '../shared/policy/schema';
import type { ActingClient } from '../shared/events';
import { principalOf, type ApiClientPrincipal } from './identity/principal';
import { sendProblem } from './problem';
import { referenceSchema } from './schemas';

export const API_CLIENT_SCOPES = ['intake', 'read'] as const;
export type ApiClientScope = (typeof API_CLIENT_SCOPES)[number];

/** A client as listed: never its key, never its key's hash. */
export interface ApiClient {
  id: string;
  name: string;
  partnershipId: string;
  scope: ApiClientScope;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

// Letters and digits that cannot be misread for one another (no l, o, 0, 1).
const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const ID_LENGTH = 10;
const KEY_PATTERN = /^lscp_(ac_[a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;
/** Compared against when the id is unknown, so an unknown id costs what a wrong secret does. */
const NO_SUCH_HASH = '0'.repeat(64);

const newClientId = () => `ac_${Array.from({ length: ID_LENGTH }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('')}`;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** What creating a client takes; `partnerships` are the ids a client may be made for (the policy registry's). */
export const newApiClientSchema = (partnerships: readonly string[]) =>
  z.object({
    name: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required: say what will use the key, e.g. "Police case system"' : 'must be text') })
      .trim()
      .min(1, 'is required: say what will use the key, e.g. "Police case system"')
      .max(100, 'must be 100 characters or fewer'),
    partnership: z
      .string({ error: (issue) => (issue.input === undefined ? `is required; known partnerships: ${partnerships.join(', ')}` : 'must be text') })
      .refine((id) => partnerships.includes(id), { error: (issue) => `"${String(issue.input)}" is not a partnership we know; known partnerships: ${partnerships.join(', ')}` }),
    scope: z.enum(API_CLIENT_SCOPES, { error: 'must be intake (opens cases) or read (reads its partnership\u2019s cases and numbers)' }),
  });

export type NewApiClient = z.infer<ReturnType<typeof newApiClientSchema>>;

interface ClientRow {
  id: string;
  name: string;
  partnership_id: string;
  scope: ApiClientScope;
  created_at: string | Date;
  revoked_at: string | Date | null;
  last_used_at: string | Date | null;
}

const LISTED_COLUMNS = 'id, name, partnership_id, scope, created_at, revoked_at, last_used_at';
const iso = (value: string | Date | null) => (value === null ? null : new Date(value).toISOString());
const toClient = (row: ClientRow): ApiClient => ({
  id: row.id,
  name: row.name,
  partnershipId: row.partnership_id,
  scope: row.scope,
  createdAt: iso(row.created_at)!,
  revokedAt: iso(row.revoked_at),
  lastUsedAt: iso(row.last_used_at),
});

/**
 * Creates a client and returns its key: the only time the key exists outside the caller's hands.
 * `input` is checked against `partnerships` (the registry's ids) when they are given.
 */
export async function createApiClient(db: Queryable, input: NewApiClient, partnerships?: readonly string[]): Promise<{ client: ApiClient; key: string }> {
  const checked = newApiClientSchema(partnerships ?? [input.partnership]).parse(input);
  for (let attempt = 0; ; attempt++) {
    const id = newClientId();
    const key = `lscp_${id}_${randomBytes(32).toString('base64url')}`;
    try {
      const { rows } = await db.query<ClientRow>(
        `INSERT INTO api_clients (id, name, partnership_id, scope, key_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${LISTED_COLUMNS}`,
        [id, checked.name, checked.partnership, checked.scope, sha256(key)],
      );
      return { client: toClient(rows[0]), key };
    } catch (error) {
      // Two random ids alike: rare, and the primary key refuses the second; draw another.
      if ((error as { code?: string }).code === '23505' && attempt < 5) continue;
      throw error;
    }
  }
}

export async function listApiClients(db: Queryable, filter: { partnershipId?: string } = {}): Promise<ApiClient[]> {
  const { rows } = await db.query<ClientRow>(
    `SELECT ${LISTED_COLUMNS} FROM api_clients WHERE ($1::text IS NULL OR partnership_id = $1) ORDER BY partnership_id, created_at, id`,
    [filter.partnershipId ?? null],
  );
  return rows.map(toClient);
}

export type RevokeResult = { kind: 'revoked' | 'alreadyRevoked'; client: ApiClient } | { kind: 'unknown' };

/** Revokes a client's key for good: from the next request on it opens nothing. */
export async function revokeApiClient(db: Queryable, clientId: string): Promise<RevokeResult> {
  const { rows: before } = await db.query<ClientRow>(`SELECT ${LISTED_COLUMNS} FROM api_clients WHERE id = $1`, [clientId]);
  if (!before[0]) return { kind: 'unknown' };
  if (before[0].revoked_at) return { kind: 'alreadyRevoked', client: toClient(before[0]) };
  const { rows } = await db.query<ClientRow>(
    `UPDATE api_clients SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${LISTED_COLUMNS}`,
    [clientId],
  );
  return { kind: 'revoked', client: toClient(rows[0]) };
}

/** The client a presented key belongs to, or undefined: malformed, unknown, wrong secret or revoked. */
export async function verifyApiKey(db: Queryable, presented: string): Promise<ApiClientPrincipal | undefined> {
  const match = KEY_PATTERN.exec(presented);
  if (!match) return undefined;
  const { rows } = await db.query<ClientRow & { key_hash: string }>(
    'SELECT id, name, partnership_id, scope, key_hash, revoked_at FROM api_clients WHERE id = $1',
    [match[1]],
  );
  const row = rows[0];
  const same = timingSafeEqual(Buffer.from(sha256(presented), 'hex'), Buffer.from(row?.key_hash ?? NO_SUCH_HASH, 'hex'));
  if (!row || !same || row.revoked_at) return undefined;
  // When it was last used, to the minute: enough to find unused keys, without a write per request.
  await db.query("UPDATE api_clients SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')", [row.id]);
  return { kind: 'apiClient', clientId: row.id, name: row.name, partnershipId: row.partnership_id, scope: row.scope };
}

/** The key a request presents: `Authorization: Bearer <key>`, or a browser's sign-in prompt with the key as the password. */
export function presentedKey(req: Request): string | undefined {
  const header = req.get('authorization') ?? '';
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return value || undefined;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** How the record names a client that acted. */
export const actingClient = (p: ApiClientPrincipal): ActingClient => ({ kind: 'apiClient', id: p.clientId, name: p.name });

/**
 * For /api (and the codec endpoint): the request's key must belong to a client that has not been
 * revoked. Sets `res.locals.principal`; otherwise 401 problem details with `WWW-Authenticate: Bearer`.
 */
export function apiClientAuth(deps: { db: Database }): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const presented = presentedKey(req);
    const principal = presented ? await verifyApiKey(deps.db, presented) : undefined;
    if (!principal) {
      logAccess({ access: 'refused', reason: presented ? 'unknownKey' : 'noCredentials', actor: presented ? { kind: 'apiKey' } : { kind: 'anonymous' }, resource: 'api' });
      res.set('WWW-Authenticate', presented ? 'Bearer error="invalid_token"' : 'Bearer');
      return presented
        ? sendProblem(res, 401, 'This API key is not valid', 'The key was not recognised or has been revoked. Ask the partnership for a key of your own.', [
            { path: 'Authorization', message: 'does not hold a valid API key: it is unknown, mistyped or revoked' },
          ])
        : sendProblem(res, 401, 'An API key is needed', 'Send your key as Authorization: Bearer <key>.', [{ path: 'Authorization', message: 'is missing: send Bearer <key>' }]);
    }
    res.locals.principal = principal;
    next();
  };
}

/**
 * Each /api route's rule: the scope its key must have, and whose records it may reach.
 * - `body`: the partnership the request body names must be the key's own (POST /api/disagreements).
 * - `param`: the partnership in the path (`:id`) must be the key's own.
 * - `case`: the case in the path (`:reference`) must be of the key's partnership, or it is not
 *   found (404: a case of another partnership is not revealed). Checked here.
 * - `openedCase`: the case must be one this key opened; checked by the handler after the body is
 *   validated (so a bad body answers the same whether or not the case exists), as 404.
 * - `any`: any partnership (the codec endpoint, until it moves to operations staff).
 */
export type ApiRule =
  | { scope: 'intake'; partnership: 'body' | 'openedCase' }
  | { scope: 'read'; partnership: 'param' | 'case' | 'any' };

export const API_RULE = Symbol('apiRule');
export type RuledHandler = RequestHandler & { [API_RULE]: ApiRule };

const SCOPE_REFUSAL: Record<ApiClientScope, { title: string; detail: string; message: string }> = {
  intake: {
    title: 'This key may only open cases',
    detail: 'It is an intake key: it opens cases, and withdraws or closes the cases it opened. Reading needs a read key.',
    message: 'holds an intake key, which opens cases and ends the ones it opened; reading needs a read key',
  },
  read: {
    title: 'This key may only read',
    detail: 'It is a read key: it reads its partnership\u2019s cases, records and numbers. Opening or ending cases needs an intake key.',
    message: 'holds a read key, which reads; opening or ending a case needs an intake key',
  },
};

/** The client that made the request; apiRule has already refused any other. */
export function clientOf(res: Response): ApiClientPrincipal {
  const p = principalOf(res);
  if (p?.kind !== 'apiClient') throw new Error('No API client on this request: the route has no apiRule');
  return p;
}

/** Enforces a route's rule (after apiClientAuth); tagged so the rule can be read back from the route. */
export function apiRule(deps: { db: Database; policies: Map<string, PolicyPack> }, rule: ApiRule): RuledHandler {
  const handler = async (req: Request, res: Response, next: NextFunction) => {
    const client = principalOf(res);
    if (client?.kind !== 'apiClient') {
      res.set('WWW-Authenticate', 'Bearer');
      return sendProblem(res, 401, 'An API key is needed', 'Send your key as Authorization: Bearer <key>.', [{ path: 'Authorization', message: 'is missing: send Bearer <key>' }]);
    }
    if (client.scope !== rule.scope) {
      const refusal = SCOPE_REFUSAL[client.scope];
      return sendProblem(res, 403, refusal.title, refusal.detail, [{ path: 'Authorization', message: refusal.message }]);
    }
    const own = deps.policies.get(client.partnershipId)?.name ?? client.partnershipId;
    if (rule.partnership === 'body') {
      const named = (req.body as { partnership?: unknown } | undefined)?.partnership;
      // An unknown partnership is the body's mistake, answered 400 by validation with the known
      // ones; the handler checks again once the body is validated.
      if (typeof named === 'string' && deps.policies.has(named.trim()) && refusedOtherPartnership(deps, res, client, named.trim())) return;
    }
    if (rule.partnership === 'param') {
      const id = String(req.params.id ?? '');
      if (id !== client.partnershipId) {
        if (!deps.policies.has(id)) return sendProblem(res, 404, 'No such partnership', `There is no partnership ${id}`);
        return sendProblem(res, 403, 'This key reads another partnership', `This key reads ${own} only.`, [{ path: 'id', message: `must be ${client.partnershipId}: this key reads ${own} only` }]);
      }
    }
    if (rule.partnership === 'case') {
      const reference = referenceSchema.safeParse(req.params.reference);
      // A malformed reference is the handler's to refuse (400); an unknown case and another
      // partnership's case answer alike.
      if (reference.success && !(await caseIsClients(deps.db, client, reference.data))) {
        return sendProblem(res, 404, 'No such case', `There is no case ${reference.data}`);
      }
    }
    next();
  };
  return Object.assign(handler, { [API_RULE]: rule });
}

/**
 * An intake key opens cases for its own partnership only: true (and a 403 naming `partnership`
 * sent) when the request names another.
 */
export function refusedOtherPartnership(deps: { policies: Map<string, PolicyPack> }, res: Response, client: ApiClientPrincipal, partnershipId: string): boolean {
  if (partnershipId === client.partnershipId) return false;
  const own = deps.policies.get(client.partnershipId)?.name ?? client.partnershipId;
  sendProblem(res, 403, 'This key opens cases for another partnership', `This key opens cases for ${own} only.`, [
    { path: 'partnership', message: `must be ${client.partnershipId}: this key opens cases for ${own} only` },
  ]);
  return true;
}

/**
 * May this client reach this case? A read key: a case of its partnership. An intake key: a case it
 * opened. False too when there is no such case: callers answer both with the same 404.
 */
export async function caseIsClients(db: Queryable, client: ApiClientPrincipal, reference: string): Promise<boolean> {
  const { rows } = await db.query<{ partnership_id: string; opened_by_client: string | null }>(
    'SELECT partnership_id, opened_by_client FROM cases WHERE reference = $1',
    [reference],
  );
  const row = rows[0];
  if (!row || row.partnership_id !== client.partnershipId) return false;
  return client.scope === 'read' || row.opened_by_client === client.clientId;
}
