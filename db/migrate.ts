/**
 * Schema changes, applied in order at start by Umzug. Each migration is a plain SQL file in
 * db/migrations; the `schema_migrations` table keeps which ran. The whole run is one transaction
 * under an advisory lock, so several workers starting at once apply each migration once, and a
 * failed migration leaves nothing half-applied.
 *
 * Two logins on a PostgreSQL server: migrations run as the owner (DATABASE_OWNER_URL), which then
 * grants the application's login (DATABASE_URL) only what it needs. The application's login can
 * read everything, and append to the record (case_events, case_seals, case_reads) and open cases,
 * but never update, delete or truncate the record, change a case's opening details, or alter a
 * table (so it cannot switch a trigger off). PGlite is one user: the signatures still protect it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Umzug, type UmzugStorage } from 'umzug';
import { openDatabase, roleOf, type Database, type Queryable } from './database';

const MIGRATIONS_DIR = join(__dirname, 'migrations');
const MIGRATION_LOCK = 7_242_001;

function tableStorage(tx: Queryable): UmzugStorage {
  return {
    async logMigration({ name }) {
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
    },
    async unlogMigration({ name }) {
      await tx.query('DELETE FROM schema_migrations WHERE name = $1', [name]);
    },
    async executed() {
      const { rows } = await tx.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
      return rows.map((r) => r.name);
    },
  };
}

export interface MigrateOptions {
  /** The application's own login (a role name): granted what it needs, after the migrations. */
  appRole?: string;
}

/** The record: appended to, never changed. */
const RECORD_TABLES = ['case_events', 'case_seals', 'case_reads', 'case_notes'];
/** The case row's current-state columns, a projection of the record the app keeps up to date. */
const CASE_STATE_COLUMNS = ['status', 'current_stage', 'stage_name', 'stage_deadline', 'closed_at', 'workflow_started_at', 'workflow_start_error'];

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Migrations not applied yet, read without needing any right beyond SELECT (the app's login). */
export async function pendingMigrations(db: Queryable): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
  const { rows } = await db.query<{ present: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (!rows[0]?.present) return files;
  const applied = new Set((await db.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
  return files.filter((f) => !applied.has(f));
}

/**
 * What the application's login may do, granted afresh on every migration run (idempotent): every
 * table readable; the record and the case rows appendable only; the case's current state
 * updatable; everything else (sessions, sign-in codes, notifications, keys...) fully writable.
 */
export async function grantAppRole(tx: Queryable, appRole: string): Promise<void> {
  const role = quoteIdent(appRole);
  const { rows } = await tx.query<{ owner: string }>(`SELECT tableowner AS owner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'case_events'`);
  const { rows: app } = await tx.query<{ superuser: boolean }>('SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = $1', [appRole]);
  if (!app[0]) throw new Error(`The application's login ${appRole} (DATABASE_URL) does not exist on the server: create it first (CREATE ROLE ${appRole} LOGIN PASSWORD '...')`);
  if (rows[0]?.owner === appRole || app[0].superuser) {
    throw new Error(`The application's login (${appRole}) owns the tables or is a superuser, so it could switch the record's guards off: give DATABASE_URL a login of its own, and DATABASE_OWNER_URL the owner`);
  }
  const { rows: tables } = await tx.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`);
  const names = tables.map((t) => t.name);
  const schema = quoteIdent((await tx.query<{ s: string }>('SELECT current_schema() AS s')).rows[0].s);
  await tx.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  for (const name of names) {
    const table = quoteIdent(name);
    await tx.query(`REVOKE ALL ON ${table} FROM ${role}`);
    if (name === 'schema_migrations') await tx.query(`GRANT SELECT ON ${table} TO ${role}`);
    else if (RECORD_TABLES.includes(name)) await tx.query(`GRANT SELECT, INSERT ON ${table} TO ${role}`);
    else if (name === 'cases') {
      await tx.query(`GRANT SELECT, INSERT ON ${table} TO ${role}`);
      await tx.query(`GRANT UPDATE (${CASE_STATE_COLUMNS.map(quoteIdent).join(', ')}) ON ${table} TO ${role}`);
    } else await tx.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${role}`);
  }
  // Identity columns (case_reads.id) draw from sequences.
  await tx.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`);
}

export async function migrate(db: Database, options: MigrateOptions = {}): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
  // Nothing to do: the app's own login (which may not create anything) starts without touching the schema.
  if (!options.appRole && (await pendingMigrations(db)).length === 0) return [];
  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const umzug = new Umzug({
      migrations: files.map((name) => ({ name, up: () => tx.exec(readFileSync(join(MIGRATIONS_DIR, name), 'utf8')) })),
      storage: tableStorage(tx),
      logger: undefined,
    });
    const applied = await umzug.up();
    if (options.appRole) await grantAppRole(tx, options.appRole);
    return applied.map((m) => m.name);
  });
}

/**
 * Migrates the application's database: as the owner login when one is given (then granting the
 * application's login its rights), otherwise with the application's own login (PGlite, or a
 * single-login server).
 */
export async function migrateAs(db: Database, logins: { appUrl?: string; ownerUrl?: string }): Promise<string[]> {
  if (!logins.ownerUrl || !logins.appUrl) {
    return migrate(db).catch((error: { code?: string }) => {
      // 42501: the application's own login may not create or alter anything (as it should be).
      if (error?.code !== '42501') throw error;
      throw new Error('Migrations are pending and the application’s login may not apply them: run `npm run migrate` with DATABASE_OWNER_URL set to the owner’s login first');
    });
  }
  const owner = await openDatabase({ url: logins.ownerUrl });
  try {
    return await migrate(owner, { appRole: roleOf(logins.appUrl) });
  } finally {
    await owner.close();
  }
}

/** Why the login `db` connects with could rewrite the record (it owns the tables, or is a superuser); undefined when it cannot. */
export async function recordGuardWeakness(db: Database): Promise<string | undefined> {
  if (db.kind !== 'postgres') return undefined;
  const { rows } = await db.query<{ login: string; superuser: boolean; owner: boolean }>(
    `SELECT current_user AS login, r.rolsuper AS superuser,
            coalesce((SELECT pg_has_role(current_user, t.tableowner, 'MEMBER') FROM pg_tables t
                       WHERE t.schemaname = current_schema() AND t.tablename = 'case_events'), false) AS owner
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const me = rows[0];
  if (!me) return undefined;
  if (me.superuser) return `the application connects as ${me.login}, a superuser: it could switch the record's guards off (give DATABASE_URL a login of its own and DATABASE_OWNER_URL the owner)`;
  if (me.owner) return `the application connects as ${me.login}, which owns the record's tables: it could switch their guards off (run migrations as a separate owner, DATABASE_OWNER_URL)`;
  return undefined;
}
