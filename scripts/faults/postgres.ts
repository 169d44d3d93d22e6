/**
 * A throwaway PostgreSQL cluster the harness can stop and start again on the same port and data
 * folder (as scripts/throwaway-postgres.sh starts one, with restart added). Debian's binaries.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep } from './processes';

function pgBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
  versions.sort((a, b) => Number(a) - Number(b));
  return join(root, versions[versions.length - 1], 'bin');
}

export class ThrowawayPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  static async create(): Promise<ThrowawayPostgres> {
    const bin = pgBin();
    const dir = mkdtempSync(join(tmpdir(), 'lscp-faults-pg.'));
    const pg = new ThrowawayPostgres(dir, await freePort(), bin);
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    await pg.run('initdb', ['-D', pg.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    await pg.start();
    return pg;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.run('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.dir, 'log'), '-w', 'start']);
  }

  /** Fast shutdown: every session is terminated (57P01), as an operator's restart does. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
  }

  async restart(downMs: number): Promise<void> {
    await this.stop('fast');
    await sleep(downMs);
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => {
      // Already stopped.
    });
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** For exit handlers, which cannot wait. */
  destroySync(): void {
    try {
      execFileSync(...this.command('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
    } catch {
      // Already stopped.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Asynchronous, so the harness's own SMTP server keeps answering meanwhile. */
  private async run(tool: string, args: string[]): Promise<void> {
    await promisify(execFile)(...this.command(tool, args));
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const path = join(this.bin, tool);
    // PostgreSQL refuses to run as root; the Debian package creates the postgres user.
    return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  }
}
