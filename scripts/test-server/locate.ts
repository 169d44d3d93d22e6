/**
 * Finds a Temporal time-skipping test server that works without internet access, for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable } })`.
 *
 * Order of preference:
 *  1. `TEMPORAL_TEST_SERVER_PATH` — an explicit executable (native binary or our Java launcher);
 *  2. `<repo>/.tools/test-server/temporal-test-server` — the launcher written by fetch.sh;
 *  3. running `scripts/test-server/fetch.sh` when both `mvn` and `java` are on PATH;
 *  4. `undefined` — let the SDK download its native test server (needs the internet).
 *
 * Pure Node built-ins on purpose: this runs from jest set-up code and plain `tsx`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isExecutable } from '../temporal-cli';
import path from 'node:path';

export type LocatedTestServer = { type: 'existing-path'; path: string };

const repoRoot = path.resolve(__dirname, '..', '..');
const fetchScript = path.join(__dirname, 'fetch.sh');
export const launcherPath = path.join(repoRoot, '.tools', 'test-server', 'temporal-test-server');



function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => isExecutable(path.join(dir, command)));
}

function runFetch(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [fetchScript], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${fetchScript} failed: ${error.message}\n${stderr}${stdout}`.trimEnd()));
        return;
      }
      resolve();
    });
  });
}

let pending: Promise<LocatedTestServer | undefined> | undefined;

async function locate(): Promise<LocatedTestServer | undefined> {
  const explicit = process.env.TEMPORAL_TEST_SERVER_PATH?.trim();
  if (explicit) {
    const resolved = path.resolve(explicit);
    // An explicit setting that points nowhere is a configuration mistake: say so rather than fall back.
    if (!existsSync(resolved)) {
      throw new Error(`TEMPORAL_TEST_SERVER_PATH points to a missing file: ${resolved}`);
    }
    return { type: 'existing-path', path: resolved };
  }

  if (isExecutable(launcherPath)) {
    return { type: 'existing-path', path: launcherPath };
  }

  if (onPath('mvn') && onPath('java')) {
    // A failed fetch is reported, not swallowed: with Maven present but Central unreachable,
    // the SDK's own download would almost certainly fail too, with a less helpful message.
    await runFetch();
    if (isExecutable(launcherPath)) {
      return { type: 'existing-path', path: launcherPath };
    }
    throw new Error(`${fetchScript} succeeded but ${launcherPath} is missing or not executable`);
  }

  return undefined;
}

/**
 * Resolves the test server executable to pass as `server.executable`, or `undefined` to let the
 * SDK download one. Memoised per process, so concurrent callers share one fetch.
 */
export async function locateTimeSkippingServer(): Promise<LocatedTestServer | undefined> {
  pending ??= locate().catch((error: unknown) => {
    pending = undefined; // allow a retry after e.g. a transient Maven failure
    throw error;
  });
  return pending;
}
