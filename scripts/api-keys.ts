/**
 * `npm run api-keys -- <command>`: the API clients and their keys, in the configured database
 * (DATABASE_URL, or the embedded PGlite under DATA_DIR, as the app opens it).
 *
 *   create --partnership <id> --scope intake|read --name "<what uses it>"
 *          prints the new key once on stdout (and what it is on stderr): it cannot be shown again
 *   list [--partnership <id>]      every client: id, name, partnership, scope, dates (never a key)
 *   revoke <clientId>              the key opens nothing from the next request on
 *
 * Exit 0 when done; 1 with a plain message when not; 2 for a command it does not know.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createApiClient, listApiClients, newApiClientSchema, revokeApiClient, type ApiClient } from '../api/apiClients';
import { openDatabase, type Database } from '../db/database';
import { migrate } from '../db/migrate';
import { readSettings } from '../shared/config';
import { issuesToProblems, loadPolicyRegistry } from '../shared/policy/load';

const USAGE = `usage:
  npm run api-keys -- create --partnership <id> --scope intake|read --name "<what uses it>"
  npm run api-keys -- list [--partnership <id>]
  npm run api-keys -- revoke <clientId>

  intake: opens cases for its partnership, and withdraws or closes the cases it opened
  read:   reads its partnership's cases, records, proformas and numbers`;

/** A mistake in what was asked: said plainly, exit 1 (2 for no command at all). */
class UsageError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

const clientIdSchema = z.string({ error: 'is required: the id from npm run api-keys -- list' }).regex(/^ac_[a-z0-9]{10}$/, 'must be a client id such as ac_7k3f9q2m4x (see npm run api-keys -- list)');

function problemsOf(error: z.ZodError): string {
  return issuesToProblems(error.issues)
    .map((p) => `  --${p.path || 'arguments'} ${p.message}`)
    .join('\n');
}

function parse(args: string[], options: Record<string, { type: 'string' }>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
}

async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const settings = readSettings();
  const db = await openDatabase(
    settings.DATABASE_URL ? { url: settings.DATABASE_URL, connectTimeoutMs: settings.DATABASE_CONNECT_TIMEOUT_MS } : { pgliteDir: join(settings.DATA_DIR, 'pglite') },
  );
  try {
    await migrate(db);
    return await work(db);
  } finally {
    await db.close();
  }
}

const knownPartnerships = () => [...loadPolicyRegistry(readSettings().POLICY_DIR).keys()].sort();

async function create(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { partnership: { type: 'string' }, scope: { type: 'string' }, name: { type: 'string' } });
  if (positionals.length) throw new UsageError(`create takes no ${positionals.join(' ')}: give --partnership, --scope and --name\n\n${USAGE}`);
  const partnerships = knownPartnerships();
  const checked = newApiClientSchema(partnerships).safeParse(values);
  if (!checked.success) throw new UsageError(`Cannot create the client:\n${problemsOf(checked.error)}`);
  const { client, key } = await withDatabase((db) => createApiClient(db, checked.data, partnerships));
  // The key alone on stdout (KEY=$(npm run -s api-keys -- create ...) works); the words on stderr.
  console.error(`Created API client ${client.id} "${client.name}": ${client.scope} key for ${client.partnershipId}.`);
  console.error('Its key follows. Store it now, in the system that will use it: it will not be shown again.');
  console.log(key);
}

function table(clients: ApiClient[]): string {
  const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');
  const rows = [
    ['id', 'partnership', 'scope', 'name', 'created', 'last used', 'revoked'],
    ...clients.map((c) => [c.id, c.partnershipId, c.scope, c.name, day(c.createdAt), day(c.lastUsedAt), day(c.revokedAt)]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function list(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { partnership: { type: 'string' } });
  if (positionals.length) throw new UsageError(`list takes no ${positionals.join(' ')}\n\n${USAGE}`);
  if (values.partnership !== undefined) {
    const partnerships = knownPartnerships();
    if (!partnerships.includes(values.partnership)) {
      throw new UsageError(`--partnership "${values.partnership}" is not a partnership we know; known partnerships: ${partnerships.join(', ')}`);
    }
  }
  const clients = await withDatabase((db) => listApiClients(db, { partnershipId: values.partnership }));
  console.log(clients.length ? table(clients) : `No API clients${values.partnership ? ` for ${values.partnership}` : ''} yet.`);
}

async function revoke(args: string[]): Promise<void> {
  const { positionals } = parse(args, {});
  if (positionals.length > 1) throw new UsageError(`revoke takes one client id, not ${positionals.length}\n\n${USAGE}`);
  const id = clientIdSchema.safeParse(positionals[0]);
  if (!id.success) throw new UsageError(`Cannot revoke: the client id ${id.error.issues[0]!.message}`);
  const result = await withDatabase((db) => revokeApiClient(db, id.data));
  if (result.kind === 'unknown') throw new UsageError(`There is no API client ${id.data} (see npm run api-keys -- list).`);
  const { client } = result;
  console.log(
    result.kind === 'revoked'
      ? `Revoked ${client.id} "${client.name}" (${client.scope}, ${client.partnershipId}): its key opens nothing from now on.`
      : `${client.id} "${client.name}" was already revoked, at ${client.revokedAt}.`,
  );
}

async function run(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === 'create') return create(args);
  if (command === 'list') return list(args);
  if (command === 'revoke') return revoke(args);
  throw new UsageError(command ? `Unknown command "${command}".\n\n${USAGE}` : USAGE, 2);
}

run(process.argv.slice(2)).then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = error instanceof UsageError ? error.code : 1;
  },
);
