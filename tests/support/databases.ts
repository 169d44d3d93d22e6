/**
 * The databases integration suites run against: always PGlite (the embedded default), and a
 * PostgreSQL server too when DATABASE_URL is set. Each suite gets a fresh database of its own.
 *
 * On a server there are two logins, as in a deployment: DATABASE_OWNER_URL (scripts/throwaway-postgres.sh
 * prints it) creates each database and migrates it; the suite then works as the application's
 * login, DATABASE_URL, which may not change the record. Without DATABASE_OWNER_URL one login does both.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { openDatabase, roleOf, type Database } from '../../db/database';
import { migrate } from '../../db/migrate';
import { generateRecordKey, privateKeyFrom, publicKeysOf, signerFrom } from '../../db/recordSigning';

export type DatabaseKind = 'pglite' | 'postgres';

export const databaseKinds: DatabaseKind[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/** The record signing key of this test process (PEM), as a worker and the API hold one. */
export const TEST_RECORD_KEY = generateRecordKey();
export const testRecordSigner = signerFrom(privateKeyFrom(TEST_RECORD_KEY));
/** The public half, all record:verify needs. */
export const testRecordVerifyKeys = publicKeysOf(privateKeyFrom(TEST_RECORD_KEY));

export interface FreshDatabase {
  /** The application's view: its own login, signing what it appends to the record. */
  db: Database;
  drop: () => Promise<void>;
  /** PostgreSQL only: the owner's URL of this database (migrations, and a DBA's or an attacker's rights). */
  ownerUrl?: string;
  /** PostgreSQL only: the application login's URL of this database. */
  url?: string;
}

export async function freshDatabase(kind: DatabaseKind): Promise<FreshDatabase> {
  if (kind === 'pglite') {
    const db = await openDatabase({ pgliteDir: null }, { recordSigner: testRecordSigner });
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  const scratch = await scratchDatabase(process.env.DATABASE_URL!, 'lscp_test');
  const db = await openDatabase({ url: scratch.url }, { recordSigner: testRecordSigner });
  await migrate(db);
  return {
    db,
    ownerUrl: scratch.ownerUrl,
    url: scratch.url,
    drop: async () => {
      await db.close();
      await scratch.drop();
    },
  };
}

/**
 * A database of its own on the PostgreSQL server at `serverUrl` (the application's login), created
 * and migrated by the owner login (DATABASE_OWNER_URL, or `serverUrl` itself when unset), which
 * grants the application's login its rights; dropped afterwards.
 */
export async function scratchDatabase(
  serverUrl: string,
  prefix = 'lscp_proc',
  ownerServerUrl = process.env.DATABASE_OWNER_URL ?? serverUrl,
): Promise<{ url: string; ownerUrl: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: ownerServerUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const inDatabase = (server: string) => {
    const url = new URL(server);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const url = inDatabase(serverUrl);
  const ownerUrl = inDatabase(ownerServerUrl);
  const drop = async () => {
    const cleanup = new Client({ connectionString: ownerServerUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  };
  if (roleOf(ownerServerUrl) !== roleOf(serverUrl)) {
    const owner = await openDatabase({ url: ownerUrl });
    const migrated = await migrate(owner, { appRole: roleOf(serverUrl) }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await owner.close();
    if (migrated) {
      await drop();
      throw migrated;
    }
  }
  return { url, ownerUrl, drop };
}
