/**
 * One small interface over the two PostgreSQLs we run on: a server through `pg` (DATABASE_URL) or
 * PGlite embedded under the data folder. Both speak the same SQL; callers never know which.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Pool, type PoolClient } from 'pg';
import { log } from '../shared/log';
import type { PGlite as PGliteType, Transaction } from '@electric-sql/pglite';
import type { RecordSigner } from './recordSigning';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Signs what is appended to the record; only the processes that write the record have one. */
  readonly recordSigner?: RecordSigner;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type DatabaseTarget = { url: string; connectTimeoutMs?: number } | { pgliteDir: string | null };

/** How long a request waits for a pooled connection before it fails (and the API answers 503). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export interface OpenOptions {
  /** For the processes that write the record (worker, API): signs every event and case seal. */
  recordSigner?: RecordSigner;
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  const db = 'url' in target ? openPostgres(target.url, target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) : await openPglite(target.pgliteDir);
  return options.recordSigner ? withRecordSigner(db, options.recordSigner) : db;
}

/** The same database, with a signer on it and on every transaction it opens. */
export function withRecordSigner(db: Database, recordSigner: RecordSigner): Database {
  return {
    kind: db.kind,
    recordSigner,
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: (work) => db.transaction((tx) => work({ query: (sql, params) => tx.query(sql, params), exec: (sql) => tx.exec(sql), recordSigner })),
    close: () => db.close(),
  };
}

/** The login name in a postgres:// URL (the role the application runs as). */
export function roleOf(url: string): string {
  const user = decodeURIComponent(new URL(url).username);
  if (!user) throw new Error('The database URL names no user: give the login the application runs as (postgres://app@host/db)');
  return user;
}

/** Logs a connection the server dropped, once per burst: a restart drops every pooled connection at once. */
function connectionLossLogger() {
  let lastLogged = 0;
  return (error: Error & { code?: string }) => {
    if (Date.now() - lastLogged < 10_000) return;
    lastLogged = Date.now();
    log.warn({ code: error.code }, 'PostgreSQL dropped a pooled connection; it will be replaced on next use');
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

/** Another process has the embedded database open. */
export class DatabaseInUseError extends Error {
  constructor(dir: string, pid: number, lockFile: string) {
    super(
      `The embedded database in ${dir} is in use by another process (pid ${pid}), probably npm start. ` +
        `PGlite takes one process at a time: stop that process first, then try again. (If no such process is running, delete ${lockFile}.)`,
    );
    this.name = 'DatabaseInUseError';
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is one process's database: two processes with the same folder open would corrupt it (the
 * API running while \`npm run api-keys\` or \`record:verify\` opens it, say). A lock file beside the
 * folder holds the opener's pid; a second opener is refused while that process lives, and a lock
 * left by a process that died is taken over. Returns the release.
 */
function lockPgliteDir(dir: string): () => void {
  const lockFile = `${dir.replace(/[/\\]+$/, '')}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) unlinkSync(lockFile);
        } catch {
          // Gone already.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
      let holder = 0;
      try {
        holder = Number(readFileSync(lockFile, 'utf8').trim());
      } catch {
        // Released between our attempt and this read: try again.
      }
      // Our own pid is a lock left by an earlier life of a restarted container's PID 1, not a live holder.
      if (holder > 0 && holder !== process.pid && isRunning(holder)) throw new DatabaseInUseError(dir, holder, lockFile);
      try {
        unlinkSync(lockFile);
      } catch {
        // Someone else took it over first; the next attempt finds out who.
      }
    }
  }
}

/**
 * The PGlite folder and everything in it private to this user (issue 10): folders 0700, files 0600.
 * Its parent is created 0700 too when it does not exist yet (the data folder).
 */
export function makePrivate(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const folders = [dir];
  while (folders.length) {
    const folder = folders.pop()!;
    chmodSync(folder, 0o700);
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) folders.push(path);
      else if (entry.isFile()) chmodSync(path, 0o600);
    }
  }
}

/** `dir` null means in memory (tests); otherwise the data folder survives restarts. */
async function openPglite(dir: string | null): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dir) makePrivate(dir);
  const release = dir ? lockPgliteDir(dir) : () => {};
  let pg: PGliteType;
  try {
    pg = await PGlite.create(dir ?? undefined);
    // PGlite makes its files world-writable (0666) whatever the umask: made private again. The
    // folder itself is 0700, so a file it adds while running is out of anyone else's reach.
    if (dir) makePrivate(dir);
  } catch (error) {
    release();
    throw error;
  }
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
    close: async () => {
      try {
        await pg.close();
        if (dir) makePrivate(dir);
      } finally {
        release();
      }
    },
  };
}
