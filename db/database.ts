/**
 * One small interface over the two PostgreSQLs we run on: a server through `pg` (DATABASE_URL) or
 * PGlite embedded under the data folder. Both speak the same SQL; callers never know which.
 */
import { mkdirSync } from 'node:fs';
import { Pool, type PoolClient } from 'pg';
import type { PGlite as PGliteType, Transaction } from '@electric-sql/pglite';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type DatabaseTarget = { url: string; connectTimeoutMs?: number } | { pgliteDir: string | null };

/** How long a request waits for a pooled connection before it fails (and the API answers 503). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return 'url' in target ? openPostgres(target.url, target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) : openPglite(target.pgliteDir);
}

/** Logs a connection the server dropped, once per burst: a restart drops every pooled connection at once. */
function connectionLossLogger() {
  let lastLogged = 0;
  return (error: Error & { code?: string }) => {
    if (Date.now() - lastLogged < 10_000) return;
    lastLogged = Date.now();
    console.warn(`PostgreSQL dropped a pooled connection (${error.code ?? error.message}); it will be replaced on next use.`);
  };
}

function openPostgres(url: string, connectTimeoutMs: number): Database {
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: connectTimeoutMs, idleTimeoutMillis: 30_000 });
  // An idle pooled connection that the server closes (a restart: 57P01 "terminating connection due
  // to administrator command") is reported here; without a listener Node would crash the process.
  // The pool discards that connection by itself and opens a new one when next needed.
  const onLoss = connectionLossLogger();
  pool.on('error', onLoss);
  return {
    kind: 'postgres',
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)) as unknown as { rows: T[] },
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(work) {
      const client: PoolClient = await pool.connect();
      // A checked-out client has no pool listener: a server restart mid-transaction would otherwise
      // be an unhandled 'error' event. The failing query rejects as well, which is what callers see.
      let lost: Error | undefined;
      const onError = (error: Error) => {
        lost = error;
        onLoss(error);
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work({
          query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)) as unknown as { rows: T[] },
          exec: async (sql) => {
            await client.query(sql);
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // The original error matters, not a ROLLBACK that fails because the connection is gone.
        await client.query('ROLLBACK').catch((rollbackError: Error) => (lost ??= rollbackError));
        throw error;
      } finally {
        client.off('error', onError);
        // A broken connection is destroyed rather than handed to the next caller.
        client.release(lost);
      }
    },
    close: () => pool.end(),
  };
}

/** `dir` null means in memory (tests); otherwise the data folder survives restarts. */
async function openPglite(dir: string | null): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dir) mkdirSync(dir, { recursive: true });
  const pg: PGliteType = await PGlite.create(dir ?? undefined);
  const wrap = (target: PGliteType | Transaction): Queryable => ({
    query: async (sql, params) => {
      const result = await target.query(sql, params as unknown[]);
      return { rows: result.rows as never[] };
    },
    exec: async (sql) => {
      await target.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    ...wrap(pg),
    transaction: (work) => pg.transaction((tx) => work(wrap(tx))),
    close: () => pg.close(),
  };
}
