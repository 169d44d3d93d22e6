/**
 * Schema changes, applied in order at start by Umzug. Each migration is a plain SQL file in
 * db/migrations; the `schema_migrations` table keeps which ran. The whole run is one transaction
 * under an advisory lock, so several workers starting at once apply each migration once, and a
 * failed migration leaves nothing half-applied.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Umzug, type UmzugStorage } from 'umzug';
import type { Database, Queryable } from './database';

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

export async function migrate(db: Database): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const umzug = new Umzug({
      migrations: files.map((name) => ({ name, up: () => tx.exec(readFileSync(join(MIGRATIONS_DIR, name), 'utf8')) })),
      storage: tableStorage(tx),
      logger: undefined,
    });
    const applied = await umzug.up();
    return applied.map((m) => m.name);
  });
}
