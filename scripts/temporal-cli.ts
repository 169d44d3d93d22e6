/**
 * Finds the Temporal CLI (which carries the dev server and its Web UI), in this order: an explicit
 * path (TEMPORAL_CLI_PATH), `temporal` on PATH, `.tools/bin/temporal`, building it with Go from
 * the module proxy, and last the SDK's own download (which needs the internet).
 *
 * Run on its own (`npm run temporal:cli`) it prints the path it found or built.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';

export const CLI_VERSION = 'v1.5.1';
const REPO_ROOT = resolve(__dirname, '..');
const TOOLS_BIN = join(REPO_ROOT, '.tools', 'bin');

export class TemporalCliNotFound extends Error {
  constructor(detail: string) {
    super(
      `No Temporal CLI could be found or built (${detail}). Install one of:\n` +
        `  - the Temporal CLI (https://docs.temporal.io/cli) on your PATH, or set TEMPORAL_CLI_PATH to it;\n` +
        `  - Go 1.22 or later, so it can be built: GOBIN="$PWD/.tools/bin" go install github.com/temporalio/cli/cmd/temporal@${CLI_VERSION}\n` +
        `Or point the system at a running Temporal with TEMPORAL_ADDRESS.`,
    );
  }
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | '.tools/bin' | 'go install' | 'SDK download';

export interface LocatedCli {
  executable: EphemeralServerExecutable;
  source: CliSource;
}

export function locateTemporalCli(log: (line: string) => void = () => {}): LocatedCli {
  const explicit = process.env.TEMPORAL_CLI_PATH?.trim();
  if (explicit) {
    if (!isExecutable(explicit)) throw new TemporalCliNotFound(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    return { executable: { type: 'existing-path', path: explicit }, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { executable: { type: 'existing-path', path: fromPath }, source: 'PATH' };
  const tools = join(TOOLS_BIN, 'temporal');
  if (isExecutable(tools)) return { executable: { type: 'existing-path', path: tools }, source: '.tools/bin' };
  if (onPath('go')) {
    log(`Building the Temporal CLI ${CLI_VERSION} with Go (a few minutes the first time, cached after)...`);
    mkdirSync(TOOLS_BIN, { recursive: true });
    const built = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${CLI_VERSION}`], {
      env: { ...process.env, GOBIN: TOOLS_BIN },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (built.status === 0 && existsSync(tools)) return { executable: { type: 'existing-path', path: tools }, source: 'go install' };
    log('Building the Temporal CLI with Go failed; trying the SDK download.');
  }
  return { executable: { type: 'cached-download' }, source: 'SDK download' };
}

export function cliVersion(path: string): string {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}

if (require.main === module) {
  try {
    const cli = locateTemporalCli((line) => console.error(line));
    if (cli.executable.type !== 'existing-path') throw new TemporalCliNotFound('neither PATH, .tools/bin nor Go had it');
    console.log(`${cli.executable.path} (${cli.source}): ${cliVersion(cli.executable.path)}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
