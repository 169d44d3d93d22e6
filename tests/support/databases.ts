/**
 * The databases integration suites run against: always PGlite (the embedded default), and a
 * PostgreSQL server too when DATABASE_URL is set. Each suite gets a fresh database of its own.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { openDatabase, type Database } from '../../db/database';
import { migrate } from '../../db/migrate';

export type DatabaseKind = 'pglite' | 'postgres';

export const databaseKinds: DatabaseKind[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export async function freshDatabase(kind: DatabaseKind): Promise<{ db: Database; drop: () => Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openDatabase({ pgliteDir: null });
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  const scratch = await scratchDatabase(process.env.DATABASE_URL!, 'lscp_test');
  const db = await openDatabase({ url: scratch.url });
  await migrate(db);
  return {
    db,
    drop: async () => {
      await db.close();
      await scratch.drop();
    },
  };
}

/** A database of its own on the PostgreSQL server at `serverUrl`, dropped afterwards. */
export async function scratchDatabase(serverUrl: string, prefix = 'lscp_proc'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = new Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
