/**
 * `npm run migrate`: applies the schema's migrations as the database owner (DATABASE_OWNER_URL)
 * and grants the application's login (DATABASE_URL) only what it needs. Deployments run this
 * before the API and workers start (compose's `migrate` service), so the running application never
 * holds the owner's login. Without DATABASE_OWNER_URL, DATABASE_URL migrates (a single login).
 */
import { join } from 'node:path';
import { openDatabase } from '../db/database';
import { migrateAs } from '../db/migrate';
import { readSettings } from '../shared/config';

async function run(): Promise<void> {
  const settings = readSettings();
  const db = await openDatabase(settings.DATABASE_URL ? { url: settings.DATABASE_URL } : { pgliteDir: join(settings.DATA_DIR, 'pglite') });
  try {
    const applied = await migrateAs(db, { appUrl: settings.DATABASE_URL, ownerUrl: settings.DATABASE_OWNER_URL });
    console.log(applied.length ? `Applied ${applied.join(', ')}.` : 'The schema is up to date.');
  } finally {
    await db.close();
  }
}

run().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
