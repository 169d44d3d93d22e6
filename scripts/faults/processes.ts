/**
 * Process control for fault tests: start, stop, SIGKILL and restart a child process, wait for it
 * to be ready (a port, a URL, a check), and keep every run's output in a log file.
 *
 * Exits the harness did not ask for (a crash) are remembered, so a scenario can count them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, readlinkSync, type WriteStream } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves once the process serves; it is raced against the process exiting. */
  ready?: (proc: ManagedProcess) => Promise<void>;
  readyTimeoutMs?: number;
}

export interface UnexpectedExit {
  at: Date;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It had been ready (serving) before it exited, rather than failing to start. */
  wasReady: boolean;
}

export class ManagedProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private log?: WriteStream;
  private expectingExit = false;
  private ready = false;
  private runOffset = 0;
  readonly unexpectedExits: UnexpectedExit[] = [];
  readonly logFile: string;
  /** Called after an exit nobody asked for (a crash), e.g. to count it and restart. */
  onUnexpectedExit?: (proc: ManagedProcess, exit: UnexpectedExit) => void;

  constructor(
    readonly spec: ProcessSpec,
    logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
    this.logFile = join(logDir, `${spec.name}.log`);
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.alive ? this.child?.pid : undefined;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.alive) throw new Error(`${this.name} is already running (pid ${this.child!.pid})`);
    // One log per process name across restarts, so a crash and what followed read in order.
    this.runOffset = this.logLength();
    this.log = createWriteStream(this.logFile, { flags: 'a' });
    this.log.write(`\n===== ${new Date().toISOString()} start: ${this.spec.command} ${this.spec.args.join(' ')}\n`);
    this.expectingExit = false;
    this.ready = false;
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const log = this.log;
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        log.write(`===== ${new Date().toISOString()} exit: code ${code} signal ${signal}\n`);
        if (!this.expectingExit) {
          const exit = { at: new Date(), pid: child.pid ?? -1, code, signal, wasReady: this.ready };
          this.unexpectedExits.push(exit);
          this.onUnexpectedExit?.(this, exit);
        }
        resolve();
      });
      child.once('error', (error) => {
        log.write(`===== spawn error: ${error.message}\n`);
        resolve();
      });
    });
    if (!this.spec.ready) {
      this.ready = true;
      return;
    }
    const timeoutMs = this.spec.readyTimeoutMs ?? 60_000;
    const exitedEarly = this.exited.then(() => {
      throw new Error(`${this.name} exited before it was ready:\n${this.tail(30)}`);
    });
    await Promise.race([
      withTimeout(this.spec.ready(this), timeoutMs, `${this.name} was not ready within ${timeoutMs} ms:\n${this.tail(30)}`),
      exitedEarly,
    ]);
    exitedEarly.catch(() => {});
    this.ready = true;
  }

  /** Asks the process to stop (SIGTERM by default) and SIGKILLs it if it has not within the time. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.expectingExit = true;
    this.child!.kill(signal);
    const stopped = await Promise.race([this.exited!.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!stopped) {
      this.child!.kill('SIGKILL');
      await this.exited;
    }
  }

  /** SIGKILL: no chance to clean up, as a crash or an OOM kill. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.expectingExit = true;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** For exit handlers, which cannot wait. */
  killSync(): void {
    if (!this.alive) return;
    this.expectingExit = true;
    this.child!.kill('SIGKILL');
  }

  /** Sends a signal without waiting, e.g. SIGTERM while a request is in flight. */
  signal(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    this.expectingExit = true;
    this.child!.kill(signal);
  }

  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (!this.child || !this.alive) return true;
    return Promise.race([this.exited!.then(() => true), sleep(timeoutMs).then(() => false)]);
  }

  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    await this.start();
  }

  tail(lines: number): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** What the latest run (since its last start) wrote to the log. */
  lastRunOutput(): string {
    return this.logSince(this.runOffset);
  }

  /** Log text written since a given length (see logLength), to look for a line after an event. */
  logSince(offset: number): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(offset);
    } catch {
      return '';
    }
  }

  logLength(): number {
    try {
      return readFileSync(this.logFile, 'utf8').length;
    } catch {
      return 0;
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until the check returns a value other than undefined/false, or throws after the time. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, intervalMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= until) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export const waitForPort = (port: number, timeoutMs: number, host = '127.0.0.1') => waitFor(`port ${host}:${port}`, () => portOpen(port, host), timeoutMs);

export const waitForPortClosed = (port: number, timeoutMs: number, host = '127.0.0.1') =>
  waitFor(`port ${host}:${port} to close`, async () => !(await portOpen(port, host)), timeoutMs);

/** Waits until a GET of the URL answers a status the caller accepts (by default 2xx). */
export function waitForUrl(url: string, timeoutMs: number, accept: (status: number) => boolean = (s) => s >= 200 && s < 300): Promise<number> {
  return waitFor(
    `${url} to answer`,
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      return accept(res.status) ? res.status : undefined;
    },
    timeoutMs,
  );
}

/** A free TCP port on the loopback interface, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Which of these processes owns the TCP connection whose local port is `localPort` (Linux /proc).
 * Used to SIGKILL exactly the worker that is in the middle of an SMTP conversation.
 */
export function ownerOfConnection(localPort: number, pids: number[]): number | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const port = parseInt(cols[1].split(':')[1], 16);
      if (port === localPort) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return pid;
      } catch {
        // The descriptor closed while we looked.
      }
    }
  }
  return undefined;
}
