/**
 * `npm run record:verify [-- REFERENCE]`: checks the hash chain of one case's record, or of the
 * whole store, in the configured database (DATABASE_URL, or the embedded PGlite in DATA_DIR).
 * Exit 0 when every link holds; 1 with each broken link listed.
 */
import { join } from 'node:path';
import { openDatabase } from '../db/database';
import { migrate } from '../db/migrate';
import { verifyChains } from '../db/record';
import { readSettings } from '../shared/config';

async function run(): Promise<number> {
  const reference = process.argv[2];
  const settings = readSettings();
  const db = await openDatabase(settings.DATABASE_URL ? { url: settings.DATABASE_URL } : { pgliteDir: join(settings.DATA_DIR, 'pglite') });
  try {
    await migrate(db);
    const result = await verifyChains(db, reference);
    const scope = reference ? `case ${reference}` : 'the whole record';
    if (result.events === 0) {
      console.error(reference ? `No events for ${reference}.` : 'The record is empty.');
      return reference ? 1 : 0;
    }
    if (result.problems.length === 0) {
      console.log(`Verified ${scope}: ${result.events} events in ${result.cases} case(s), every link intact.`);
      return 0;
    }
    console.error(`The chain of ${scope} is broken:`);
    for (const p of result.problems) console.error(`  ${p.reference} event ${p.seq}: ${p.problem}`);
    return 1;
  } finally {
    await db.close();
  }
}

run()
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
