/**
 * Who has seen this file: every successful read of a case, its record, its PDFs or its proforma,
 * through a page or the API, is kept in `case_reads` (append-only). A route records the read after
 * access was decided and once it has what it will answer with, just before answering 200: a read
 * that cannot be recorded is not answered (the database being down is a 503 like any other).
 */
import type { Request, Response } from 'express';
import type { Queryable } from '../db/database';
import type { AppDeps } from './app';
import { rolesText } from './accessLog';
import { principalOf, type Principal } from './identity/principal';

export type ReadWhat = 'case' | 'record' | 'record.pdf' | 'proforma' | 'proforma.pdf' | 'proforma.json' | 'case.json' | 'respond';
export type ReadVia = 'page' | 'api';

/**
 * Who read, before sign-in lands: the holder of a case's view link or of a decision link (known by
 * the link's recipient id), or the holder of a shared staff key (known by the key's fingerprint).
 * The sign-in engineer removes these when every protected request carries a principal.
 */
export type LinkReader = { kind: 'link'; recipientId: string };
export type KeyReader = { kind: 'apiKey'; fingerprint: string };
export type Reader = Principal | LinkReader | KeyReader;

export interface ReadOf {
  reference: string;
  partnershipId: string;
  what: ReadWhat;
  via: ReadVia;
}

export interface CaseRead {
  at: string;
  what: ReadWhat;
  via: ReadVia;
  actor: { kind: Reader['kind']; id: string; name: string | null; roles: string };
}

function actorRow(reader: Reader): CaseRead['actor'] {
  switch (reader.kind) {
    case 'person':
      return { kind: 'person', id: reader.email, name: reader.name, roles: rolesText(reader) };
    case 'apiClient':
      return { kind: 'apiClient', id: reader.clientId, name: reader.name, roles: rolesText(reader) };
    case 'link':
      // Recipient ids are side.role.index (raiser.worker.0): the role is what the link was sent to.
      return { kind: 'link', id: reader.recipientId, name: null, roles: reader.recipientId.split('.')[1] ?? '' };
    case 'apiKey':
      return { kind: 'apiKey', id: reader.fingerprint, name: null, roles: 'staffKey' };
  }
}

/** Keeps one read. Call it only for a read that is about to be answered 200. */
export async function recordRead(db: Queryable, reader: Reader, read: ReadOf): Promise<void> {
  const actor = actorRow(reader);
  await db.query(
    `INSERT INTO case_reads (reference, partnership_id, what, via, actor_kind, actor_id, actor_name, actor_roles)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [read.reference, read.partnershipId, read.what, read.via, actor.kind, actor.id, actor.name, actor.roles],
  );
}

/** A case's reads, newest first, a page at a time, and how many there are in all. */
export async function readsOf(db: Queryable, reference: string, page: { limit?: number; offset?: number } = {}): Promise<{ total: number; reads: CaseRead[] }> {
  const [{ rows: counted }, { rows }] = await Promise.all([
    db.query<{ n: number }>('SELECT count(*)::int AS n FROM case_reads WHERE reference = $1', [reference]),
    db.query<{ at: string | Date; what: ReadWhat; via: ReadVia; actor_kind: Reader['kind']; actor_id: string; actor_name: string | null; actor_roles: string }>(
      `SELECT at, what, via, actor_kind, actor_id, actor_name, actor_roles FROM case_reads
        WHERE reference = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3`,
      [reference, page.limit ?? 50, page.offset ?? 0],
    ),
  ]);
  return {
    total: counted[0]?.n ?? 0,
    reads: rows.map((r) => ({
      at: new Date(r.at).toISOString(),
      what: r.what,
      via: r.via,
      actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor_name, roles: r.actor_roles },
    })),
  };
}

/**
 * Who is reading this request: its principal (`principalOf(res)`: a signed-in person, or an API
 * client). Undefined only when there is none, which access decided first rules out.
 */
export function readerOf(res: Response): Reader | undefined {
  return principalOf(res);
}

/** A read reached with nobody to name: access was not decided before it (a wiring bug). Answered 403, never unrecorded. */
export class ReaderUnknown extends Error {
  constructor(what: ReadWhat) {
    super(`A ${what} read was reached with no principal, link or key to record`);
    this.name = 'ReaderUnknown';
  }
}

/**
 * Records the read by whoever `readerOf` finds; throws `ReaderUnknown` when there is nobody. A HEAD
 * request (express answers it with the GET route, without the body) shows nothing of the file and
 * is not a read.
 */
export async function recordReadOf(deps: Pick<AppDeps, 'db'>, req: Request, res: Response, read: ReadOf): Promise<void> {
  if (req.method === 'HEAD') return;
  const reader = readerOf(res);
  if (!reader) throw new ReaderUnknown(read.what);
  await recordRead(deps.db, reader, read);
}
