/**
 * The system as separate processes, for the tests of what only a process can show: that it
 * survives a dependency's restart, refuses a busy port, and drains on SIGTERM. Also a throwaway
 * PostgreSQL cluster of a test's own, which it may stop and start.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApiClient, type ApiClientScope } from '../../api/apiClients';
import { openDatabase } from '../../db/database';
import { migrate } from '../../db/migrate';
import { TEST_RECORD_KEY } from './databases';
import { LINK_SECRET, PAYLOAD_KEY, SESSION_SECRET } from './system';
import { closedPort } from './waits';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

export interface Spawned {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when the output matches (already, or later); rejects if the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Still running? */
  alive(): boolean;
}

/** The settings an API process needs, pointed at the suite's Temporal dev server. */
export function apiEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, DATABASE_OWNER_URL: _owner, ...inherited } = process.env;
  return {
    ...inherited,
    TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
    RECORD_SIGNING_KEY: TEST_RECORD_KEY,
    LINK_SECRET,
    PAYLOAD_KEY: PAYLOAD_KEY.toString('base64'),
    SESSION_SECRET,
    // The API sends sign-in codes; nothing listens here unless a test gives a real SMTP_URL.
    SMTP_URL: 'smtp://127.0.0.1:9',
    // Nothing here should write to the repository's own data folder.
    DATA_DIR: join('/tmp', `lscp-test-${randomBytes(4).toString('hex')}`),
    // Jest's NODE_ENV=test silences the logger; a process's lines are what tests wait on.
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

/**
 * A key for an API process's own database (a PostgreSQL URL), made as `npm run api-keys` makes
 * one: the schema migrated (the API migrates too, under the same lock), then the client created.
 */
export async function apiKeyIn(databaseUrl: string, partnership: string, scope: ApiClientScope): Promise<string> {
  const db = await openDatabase({ url: databaseUrl });
  try {
    await migrate(db);
    return (await createApiClient(db, { partnership, scope, name: `Test ${scope} client for ${partnership}` })).key;
  } finally {
    await db.close();
  }
}

/** Runs a command from the repository's root, e.g. `node --import tsx api/main.ts` or `npm run start:api`. */
export function spawnProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Spawned {
  // A process group of its own, so a test that fails half-way can stop everything it started
  // (an npm script that loses its child leaves that child running otherwise).
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running = false;
      // Let the last output arrive before anyone reads it.
      setImmediate(() => resolve({ code, signal }));
    }),
  );
  return {
    child,
    output: () => text,
    exited,
    alive: () => running,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            cleanup();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`No ${pattern} in the output within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          if (pattern.test(text)) resolve();
          else reject(new Error(`The process exited before ${pattern} appeared:\n${text}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then(onExit);
        check();
      });
    },
  };
}

/** `node --import tsx <script>`, as the Dockerfile and compose start the processes. */
export const spawnNode = (script: string, env: NodeJS.ProcessEnv) => spawnProcess(process.execPath, ['--import', 'tsx', script], env);

/** Stops whatever the test started that is still running (a test that failed half-way), children included. */
export async function ensureStopped(p: Spawned | undefined) {
  if (!p?.child.pid) return;
  try {
    process.kill(-p.child.pid, 'SIGKILL');
  } catch {
    // Nothing left in the group.
  }
  await p.exited;
}

export const freePort = closedPort;

export { scratchDatabase } from './databases';

/** A PostgreSQL cluster of the test's own (scripts/throwaway-postgres.sh), which it may stop and start. */
export async function throwawayCluster() {
  const script = join(ROOT, 'scripts', 'throwaway-postgres.sh');
  const { stdout } = await run(script, ['start']);
  const dir = stdout.match(/PG_THROWAWAY_DIR=(\S+)/)![1];
  // The owner's login: these tests restart the server under the processes, not test their rights.
  const url = stdout.match(/DATABASE_OWNER_URL=(\S+)/)![1];
  return {
    url,
    /** A fast shutdown: every connection is ended with 57P01. */
    pause: () => run(script, ['pause', dir]),
    resume: () => run(script, ['resume', dir]),
    remove: () => run(script, ['stop', dir]),
  };
}
