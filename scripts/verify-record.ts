/**
 * `npm run record:verify [-- REFERENCE] [--no-temporal] [--task-queue NAME]`: checks the record of
 * one case, or of the whole store, in the configured database (DATABASE_URL, or the embedded PGlite
 * in DATA_DIR): every chain's links and hashes, every event's signature and every case row's seal
 * (with the public keys only: RECORD_VERIFY_KEYS, or derived from RECORD_SIGNING_KEY or the
 * embedded key), and, against Temporal (TEMPORAL_ADDRESS), that no case lost its last events and
 * no case Temporal runs is missing from the database.
 *
 * Exit 0 when everything holds and Temporal vouched for every case; 1 with each problem listed;
 * 2 when nothing is wrong but some cases could not be witnessed by Temporal (each listed, with why).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { openDatabase } from '../db/database';
import { migrateAs } from '../db/migrate';
import { privateKeyFrom, publicKeysFrom, publicKeysOf, type RecordVerifyKeys } from '../db/recordSigning';
import { ConfigError, isDeployment, payloadKeyRingOf, readSettings, type Settings } from '../shared/config';
import { createEncryptionCodec, sealedDataConverter } from '../shared/codec';
import { verifyWholeRecord, type WitnessOptions } from './recordVerification';

/** The public keys: given, or derived from the signing key where this process has it (embedded runs). */
function verifyKeysOf(settings: Settings): RecordVerifyKeys {
  if (settings.RECORD_VERIFY_KEYS) return publicKeysFrom(settings.RECORD_VERIFY_KEYS.replace(/\\n/g, '\n'));
  if (settings.RECORD_SIGNING_KEY) return publicKeysOf(privateKeyFrom(settings.RECORD_SIGNING_KEY.replace(/\\n/g, '\n')));
  if (isDeployment(settings)) throw new ConfigError('RECORD_VERIFY_KEYS must be set: the public key(s) of RECORD_SIGNING_KEY (openssl pkey -in key.pem -pubout)');
  const file = join(settings.DATA_DIR, 'record-signing-key.pem');
  return existsSync(file) ? publicKeysOf(privateKeyFrom(readFileSync(file, 'utf8'))) : new Map();
}

function parseArgs(argv: string[]) {
  let reference: string | undefined;
  let temporal = true;
  let taskQueue: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-temporal') temporal = false;
    else if (arg === '--task-queue') taskQueue = argv[++i];
    else if (arg.startsWith('--task-queue=')) taskQueue = arg.slice('--task-queue='.length);
    else if (arg.startsWith('-')) throw new ConfigError(`Unknown option ${arg}: use [REFERENCE] [--no-temporal] [--task-queue NAME]`);
    else reference = arg;
  }
  return { reference, temporal, taskQueue };
}

async function run(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const settings = readSettings();
  const keys = verifyKeysOf(settings);
  const db = await openDatabase(settings.DATABASE_URL ? { url: settings.DATABASE_URL } : { pgliteDir: join(settings.DATA_DIR, 'pglite') });
  let connection: Connection | undefined;
  try {
    await migrateAs(db, { appUrl: settings.DATABASE_URL, ownerUrl: settings.DATABASE_OWNER_URL });
    let witness: WitnessOptions | undefined;
    let noWitness = 'Temporal was not consulted (--no-temporal)';
    if (args.temporal) {
      const address = settings.TEMPORAL_ADDRESS ?? `localhost:${settings.TEMPORAL_PORT}`;
      try {
        connection = await Connection.connect({ address, connectTimeout: 5_000 });
        const temporal = new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE, dataConverter: sealedDataConverter(createEncryptionCodec(payloadKeyRingOf(settings))) });
        witness = { temporal, taskQueue: args.taskQueue };
      } catch (error) {
        noWitness = `Temporal could not be reached at ${address} (${error instanceof Error ? error.message : error})`;
      }
    }
    const report = await verifyWholeRecord(db, keys, witness, args.reference);
    if (!witness) report.unwitnessed = report.unwitnessed.map((u) => ({ ...u, why: noWitness }));
    const scope = args.reference ? `case ${args.reference}` : 'the whole record';
    if (report.events === 0 && report.problems.length === 0) {
      console.error(args.reference ? `No events for ${args.reference}.` : 'The record is empty, and Temporal runs no case it lacks.');
      return args.reference ? 1 : 0;
    }
    if (report.problems.length > 0) {
      console.error(`The record of ${scope} was changed or cut short:`);
      for (const p of report.problems) console.error(`  ${p.reference}${p.seq >= 0 ? ` event ${p.seq}` : ''}: ${p.problem}`);
    }
    if (report.unwitnessed.length > 0) {
      console.error(`${report.unwitnessed.length} case(s) checked by their signatures only; a dropped last event cannot be seen for them:`);
      for (const u of report.unwitnessed) console.error(`  ${u.reference}: ${u.why}`);
    }
    if (report.refusedStarts.length > 0) {
      // Not cases: anyone who reaches Temporal can make these, so they do not fail verification.
      console.error(`${report.refusedStarts.length} workflow(s) in Temporal were starts the workflow refused (never cases, nothing recorded): ${report.refusedStarts.join(', ')}`);
    }
    if (report.problems.length > 0) return 1;
    const summary = `${report.events} events in ${report.cases} case(s): every link, signature and seal holds`;
    if (report.unwitnessed.length > 0) {
      console.log(`Verified ${scope} in the database: ${summary}; Temporal vouched for ${report.witnessed} case(s). Incomplete (see above).`);
      return 2;
    }
    console.log(`Verified ${scope}: ${summary}, and Temporal vouched for every case's last event.`);
    return 0;
  } finally {
    await connection?.close();
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
