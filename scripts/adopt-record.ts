/**
 * `npm run record:adopt`: once, when a deployment upgrades to the signed record. Signs the events
 * and seals the case rows written before signing existed, as the owner (DATABASE_OWNER_URL, or
 * DATABASE_URL for a single login or PGlite) with RECORD_SIGNING_KEY (or the embedded key).
 * Refused while any chain is broken. Run `npm run record:verify` first and keep its output.
 */
import { join } from 'node:path';
import { openDatabase } from '../db/database';
import { migrateAs } from '../db/migrate';
import { adoptUnsignedRecord } from '../db/record';
import { privateKeyFrom, signerFrom } from '../db/recordSigning';
import { readSettings, recordSigningKeyText } from '../shared/config';

async function run(): Promise<void> {
  const settings = readSettings();
  const signer = signerFrom(privateKeyFrom(recordSigningKeyText(settings)));
  const app = await openDatabase(settings.DATABASE_URL ? { url: settings.DATABASE_URL } : { pgliteDir: join(settings.DATA_DIR, 'pglite') });
  let owner = app;
  try {
    await migrateAs(app, { appUrl: settings.DATABASE_URL, ownerUrl: settings.DATABASE_OWNER_URL });
    if (settings.DATABASE_OWNER_URL) owner = await openDatabase({ url: settings.DATABASE_OWNER_URL });
    const adopted = await adoptUnsignedRecord(owner, signer);
    console.log(`Signed ${adopted.events} event(s) and sealed ${adopted.cases} case row(s) written before the record was signed (key ${signer.keyId}).`);
  } finally {
    if (owner !== app) await owner.close();
    await app.close();
  }
}

run().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
