/**
 * The deployment shape as separate OS processes: the Temporal dev server (persisting to a file,
 * so it can be SIGKILLed and started again on the same port and state), a PostgreSQL server, two
 * workers and the API, each `node --import tsx`, configured only by environment as in production;
 * and the SMTP server in this process, where the harness counts.
 *
 * A crashed worker, API or Temporal is noted and started again, as a container restart policy
 * would, so one scenario's crash is counted once and does not spill into the next.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Pool } from 'pg';
import type { Database } from '../../db/database';
import { locateTemporalCli } from '../temporal-cli';
import { PACK_ID, writeFaultPack } from './pack';
import { ThrowawayPostgres } from './postgres';
import { ManagedProcess, freePort, sleep, waitFor, waitForPort, waitForUrl, type ProcessSpec, type UnexpectedExit } from './processes';
import { FaultySmtpServer } from './smtp';
import { HARNESS_ROOT, SYSTEM_DIR, loadSystem, type SystemParts } from './system';


export interface DeploymentOptions {
  /** Folder for logs, the Temporal state file, the policy folder. */
  runDir: string;
  /** Timescale of the fault pack's first stage (ISO 8601 period). */
  stage1: string;
  log: (line: string) => void;
}

export interface Crash {
  process: string;
  at: Date;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The error line of its log, e.g. "error: terminating connection due to administrator command". */
  reason?: string;
}

export class Deployment {
  readonly crashes: Crash[] = [];
  private readonly restarting = new Map<string, Promise<void>>();
  private stopping = false;

  private constructor(
    readonly options: DeploymentOptions,
    readonly pg: ThrowawayPostgres,
    readonly smtp: FaultySmtpServer,
    readonly temporalServer: ManagedProcess,
    readonly workers: ManagedProcess[],
    readonly api: ManagedProcess,
    readonly apiPort: number,
    readonly temporalPort: number,
    readonly client: Client,
    readonly connection: Connection,
    readonly pool: Pool,
    /** The fault pack's intake key (opens cases) and read key (reads them). */
    readonly intakeKey: string,
    readonly readKey: string,
    readonly system: SystemParts,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get processes(): ManagedProcess[] {
    return [this.temporalServer, ...this.workers, this.api];
  }

  /** The record's database as db/record.ts's verifier takes it, on a pool that survives restarts. */
  get db(): Database {
    const pool = this.pool;
    return {
      kind: 'postgres',
      query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)) as unknown as { rows: T[] },
      exec: async (sql: string) => {
        await pool.query(sql);
      },
      transaction: () => Promise.reject(new Error('the harness only reads')),
      close: async () => {},
    };
  }

  static async start(options: DeploymentOptions): Promise<Deployment> {
    const { runDir, log } = options;
    const logDir = join(runDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    const system = await loadSystem();
    if (SYSTEM_DIR !== HARNESS_ROOT) log(`System under test: ${SYSTEM_DIR}`);
    const cli = locateTemporalCli(log);
    if (cli.executable.type !== 'existing-path') throw new Error('The fault harness needs the Temporal CLI on this machine (npm run temporal:cli)');

    const [pg, smtp, temporalPort, apiPort] = await Promise.all([ThrowawayPostgres.create(), FaultySmtpServer.start(), freePort(), freePort()]);
    log(`PostgreSQL ${pg.url} (data in ${pg.dir}); SMTP ${smtp.url}`);

    const temporalServer = new ManagedProcess(
      {
        name: 'temporal',
        command: cli.executable.path,
        args: [
          'server',
          'start-dev',
          '--db-filename',
          join(runDir, 'temporal.db'),
          '--port',
          String(temporalPort),
          '--ip',
          '127.0.0.1',
          '--headless',
          '--log-level',
          'warn',
          ...Object.entries(system.searchAttributeRegistrations).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
        ],
        ready: () => waitForTemporal(`127.0.0.1:${temporalPort}`, 60_000),
        readyTimeoutMs: 90_000,
      },
      logDir,
    );
    await temporalServer.start();
    log(`Temporal dev server on 127.0.0.1:${temporalPort} (pid ${temporalServer.pid})`);

    // Nothing of the caller's own deployment leaks in: its database owner (CI's throwaway cluster)
    // would migrate another database; its NODE_ENV=test would silence the processes' logs.
    const { DATABASE_OWNER_URL: _notOurs, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      DATABASE_URL: pg.url,
      SMTP_URL: smtp.url,
      LINK_SECRET: randomBytes(32).toString('base64url'),
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      PAYLOAD_KEY: randomBytes(32).toString('base64'),
      // Signs the record (issue 10): a deployment must give one.
      RECORD_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      PORT: String(apiPort),
      PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
      POLICY_DIR: writeFaultPack(join(runDir, 'policies'), options.stage1),
      DATA_DIR: join(runDir, 'data'),
    };
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
    const client = new Client({ connection });
    const node = (name: string, entry: string, ready: ProcessSpec['ready']): ProcessSpec => ({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', entry],
      cwd: SYSTEM_DIR,
      env,
      ready,
      // Each worker bundles the workflow code when it starts: slow on a busy machine.
      readyTimeoutMs: 180_000,
    });
    const workers = ['worker-a', 'worker-b'].map(
      (name) => new ManagedProcess(node(name, 'worker/main.ts', (proc) => waitForPoller(client, system.taskQueue, proc, 170_000)), logDir),
    );
    const api = new ManagedProcess(node('api', 'api/main.ts', () => waitForUrl(`${env.PUBLIC_URL}/health`, 170_000).then(() => {})), logDir);
    // The clients' keys, made as an operator makes them, by the system's own command (which
    // migrates the schema first); before the API starts, so its first request can use them.
    const keys = await createClientKeys(env, log);
    const pool = new Pool({ connectionString: pg.url, max: 4 });
    // The harness's own reads must survive the PostgreSQL restart it causes.
    pool.on('error', () => {});
    const deployment = new Deployment(options, pg, smtp, temporalServer, workers, api, apiPort, temporalPort, client, connection, pool, keys.intake, keys.read, system);
    // The API migrates the schema before it listens; the workers wait for it rather than race it.
    await api.start();
    log(`API on ${deployment.baseUrl} (pid ${api.pid})`);
    await Promise.all(workers.map((w) => w.start()));
    log(`workers: ${workers.map((w) => `${w.name} pid ${w.pid}`).join(', ')}`);
    for (const proc of deployment.processes) proc.onUnexpectedExit = (p, exit) => deployment.onCrash(p, exit);
    process.on('exit', deployment.killAllSync);
    return deployment;
  }

  /** Everything running again before the next scenario: crashed processes restarted, SMTP healthy. */
  async ensureUp(): Promise<void> {
    await Promise.all([...this.restarting.values()]);
    for (const proc of this.processes) if (!proc.alive) await proc.start();
    this.smtp.clearFaults();
    await this.smtp.upAgain();
  }

  /** Number of crashes since a moment. */
  crashesSince(at: Date): Crash[] {
    return this.crashes.filter((c) => c.at >= at);
  }

  async stop(): Promise<void> {
    process.off('exit', this.killAllSync);
    this.stopping = true;
    await Promise.allSettled([...this.restarting.values()]);
    await Promise.allSettled([this.api.stop(), ...this.workers.map((w) => w.stop())]);
    await this.temporalServer.stop();
    await this.connection.close().catch(() => {});
    await this.pool.end().catch(() => {});
    await this.smtp.close();
    await this.pg.destroy();
  }

  /** If the harness itself dies, nothing it started may outlive it. */
  private readonly killAllSync = () => {
    this.stopping = true;
    for (const proc of this.processes) proc.killSync();
    this.pg.destroySync();
  };

  /**
   * A process that was serving and exited unasked is a crash: counted once, then started again
   * (after 1 s, 2 s, 4 s, ... while it fails to start, e.g. while PostgreSQL is still down), as a
   * restart policy would. Failed starts during that loop are not counted again.
   */
  private onCrash(proc: ManagedProcess, exit: UnexpectedExit): void {
    if (this.stopping || !exit.wasReady || this.restarting.has(proc.name)) return;
    const crash: Crash = { process: proc.name, at: exit.at, code: exit.code, signal: exit.signal };
    this.crashes.push(crash);
    const restart = (async () => {
      for (let attempt = 0, pause = 1_000; !this.stopping; attempt++, pause = Math.min(pause * 2, 15_000)) {
        await sleep(pause);
        if (attempt === 0) {
          // By now its last words are in its log: the run's first error line says why it died.
          // (At the start of a line: Node prints the fatal error there; logged failures are indented.)
          crash.reason = /^(\w*Error|error)\b.*$/m.exec(proc.lastRunOutput())?.[0].trim();
          this.options.log(`!! ${proc.name} exited unexpectedly (code ${exit.code}, signal ${exit.signal}${crash.reason ? `: ${crash.reason}` : ''}); restarting it. Its log: ${proc.logFile}`);
        }
        if (this.stopping || proc.alive) return;
        try {
          await proc.start();
          if (attempt > 0) this.options.log(`!! ${proc.name} came back after ${attempt + 1} starts`);
          return;
        } catch (error) {
          this.options.log(`!! ${proc.name} failed to start again (${(error as Error).message.split('\n')[0]}); retrying`);
        }
      }
    })().finally(() => this.restarting.delete(proc.name));
    this.restarting.set(proc.name, restart);
  }
}

/** The frontend answers and the default namespace exists. */
/**
 * An intake and a read key for the fault pack, through the system's `scripts/api-keys.ts`. A system
 * from before clients had keys of their own (FAULTS_SYSTEM_DIR at an older checkout) takes one
 * shared key in API_KEYS instead, set in `env` for its processes.
 */
async function createClientKeys(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<{ intake: string; read: string }> {
  const cli = join(SYSTEM_DIR, 'scripts', 'api-keys.ts');
  if (!existsSync(cli)) {
    const shared = randomBytes(24).toString('base64url');
    env.API_KEYS = shared;
    log('the system has no scripts/api-keys.ts: one shared key in API_KEYS');
    return { intake: shared, read: shared };
  }
  const create = async (scope: 'intake' | 'read') => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', cli, 'create', '--partnership', PACK_ID, '--scope', scope, '--name', `Fault harness (${scope})`], {
      cwd: SYSTEM_DIR,
      env,
    });
    const key = /^lscp_\S+$/m.exec(stdout)?.[0];
    if (!key) throw new Error(`npm run api-keys printed no key for the ${scope} client:\n${stdout}`);
    return key;
  };
  const intake = await create('intake');
  const read = await create('read');
  log('API clients: an intake and a read key for the fault pack');
  return { intake, read };
}

async function waitForTemporal(address: string, timeoutMs: number): Promise<void> {
  const [host, port] = address.split(':');
  await waitForPort(Number(port), timeoutMs, host);
  const connection = await Connection.connect({ address });
  try {
    await waitFor('the default namespace', async () => {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return true;
    }, timeoutMs);
  } finally {
    await connection.close();
  }
}

/** A worker is ready when Temporal lists it (identity pid@host, the SDK's default) as polling. */
async function waitForPoller(client: Client, taskQueue: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  await waitFor(
    `${proc.name} polling ${taskQueue}`,
    async () => {
      const pid = proc.pid;
      if (!pid) return false;
      const { pollers } = await client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      return (pollers ?? []).some((p) => p.identity?.startsWith(`${pid}@`));
    },
    timeoutMs,
    500,
  );
}
