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

export type DatabaseTarget = { url: string } | { pgliteDir: string | null };

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return 'url' in target ? openPostgres(target.url) : openPglite(target.pgliteDir);
}

function openPostgres(url: string): Database {
  const pool = new Pool({ connectionString: url, max: 10 });
  return {
    kind: 'postgres',
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)) as unknown as { rows: T[] },
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(work) {
      const client: PoolClient = await pool.connect();
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
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
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
