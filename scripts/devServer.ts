/** Starts the Temporal dev server with the search attributes the workflow uses registered. */
import { createServer } from 'node:net';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { AGENCIES, CATEGORY, DELIVERY_FAILED, FINAL_STAGE, IMMEDIATE_HARM, PARTNERSHIP, STAGE, STAGE_DEADLINE, STAGE_DUE_AT, STATUS } from '../shared/searchAttributes';
import { TemporalCliNotFound, locateTemporalCli, type LocatedCli } from './temporal-cli';
import { startUiGate, type UiGate } from './temporalUiGate';

export const SEARCH_ATTRIBUTES = [PARTNERSHIP, STAGE, STATUS, CATEGORY, AGENCIES, STAGE_DEADLINE, IMMEDIATE_HARM, FINAL_STAGE, DELIVERY_FAILED, STAGE_DUE_AT];

const UI_HOST = '127.0.0.1';

export interface DevServerOptions {
  /** Persist state in this SQLite file; in memory when absent. */
  dbFilename?: string;
  port?: number;
  ui?: boolean;
  uiPort?: number;
  /**
   * The Web UI's remote codec endpoint (the API's `/codec`). The browser calls it with the staff
   * session's cookie (`includeCredentials`), so operators read decoded payloads.
   */
  uiCodecEndpoint?: string;
  /** The Web UI offers no write actions (terminate, cancel, signal, update, reset, start, batch). Default true with a codec endpoint. */
  uiReadOnly?: boolean;
  namespace?: string;
  log?: (line: string) => void;
}

export interface DevServer {
  env: TestWorkflowEnvironment;
  cli: LocatedCli;
  /** Where the Web UI answers, when it runs. */
  uiUrl?: string;
  /** The UI server's own address: the same as `uiUrl` unless a gate stands in front of it. */
  uiServerUrl?: string;
  /** Stops the UI's gate (if any) and the dev server. */
  teardown(): Promise<void>;
}

/** A local port that was free a moment ago. */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = locateTemporalCli(options.log);
  const ui = options.ui ?? false;
  const readOnly = options.uiReadOnly ?? options.uiCodecEndpoint !== undefined;
  // What the CLI cannot set (the codec's includeCredentials, disableWriteActions) needs the gate
  // in front of the UI: the UI then listens on a private port and the gate on the public one.
  const gated = ui && (options.uiCodecEndpoint !== undefined || readOnly);
  const publicUiPort = options.uiPort ?? (options.port ?? 7233) + 1000;
  const uiPort = gated ? await freePort(UI_HOST) : options.uiPort;
  const extraArgs: string[] = [];
  if (gated) extraArgs.push('--ui-ip', UI_HOST);
  // The one codec setting the CLI has a flag for.
  if (ui && options.uiCodecEndpoint) extraArgs.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli.executable,
      dbFilename: options.dbFilename,
      port: options.port,
      ui,
      uiPort,
      namespace: options.namespace,
      searchAttributes: SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'warn' },
      extraArgs,
    },
  }).catch((error: Error) => {
    // The last resort is the SDK's download; without the internet it fails with a network error.
    if (cli.source === 'SDK download') throw new TemporalCliNotFound(`the SDK's download failed: ${error.message}`);
    throw error;
  });
  let gate: UiGate | undefined;
  if (gated) {
    try {
      gate = await startUiGate({
        host: UI_HOST,
        port: publicUiPort,
        upstream: { host: UI_HOST, port: uiPort! },
        settings: { codecEndpoint: options.uiCodecEndpoint, includeCredentials: options.uiCodecEndpoint !== undefined, disableWriteActions: readOnly },
      });
    } catch (error) {
      await env.teardown().catch(() => undefined);
      throw new Error(`The Temporal Web UI's port ${publicUiPort} is not free: ${(error as Error).message}`, { cause: error });
    }
  }
  return {
    env,
    cli,
    uiUrl: ui ? `http://localhost:${gate ? gate.port : (uiPort ?? publicUiPort)}` : undefined,
    uiServerUrl: ui ? (gate ? `http://${UI_HOST}:${uiPort}` : `http://localhost:${uiPort ?? publicUiPort}`) : undefined,
    async teardown() {
      await gate?.close();
      await env.teardown();
    },
  };
}
