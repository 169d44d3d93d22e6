/** Starts the Temporal dev server with the search attributes the workflow uses registered. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { AGENCIES, CATEGORY, DELIVERY_FAILED, FINAL_STAGE, IMMEDIATE_HARM, PARTNERSHIP, STAGE, STAGE_DEADLINE, STATUS } from '../shared/searchAttributes';
import { TemporalCliNotFound, locateTemporalCli, type LocatedCli } from './temporal-cli';

export const SEARCH_ATTRIBUTES = [PARTNERSHIP, STAGE, STATUS, CATEGORY, AGENCIES, STAGE_DEADLINE, IMMEDIATE_HARM, FINAL_STAGE, DELIVERY_FAILED];

export interface DevServerOptions {
  /** Persist state in this SQLite file; in memory when absent. */
  dbFilename?: string;
  port?: number;
  ui?: boolean;
  uiPort?: number;
  namespace?: string;
  log?: (line: string) => void;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<{ env: TestWorkflowEnvironment; cli: LocatedCli }> {
  const cli = locateTemporalCli(options.log);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli.executable,
      dbFilename: options.dbFilename,
      port: options.port,
      ui: options.ui ?? false,
      uiPort: options.uiPort,
      namespace: options.namespace,
      searchAttributes: SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'warn' },
    },
  }).catch((error: Error) => {
    // The last resort is the SDK's download; without the internet it fails with a network error.
    if (cli.source === 'SDK download') throw new TemporalCliNotFound(`the SDK's download failed: ${error.message}`);
    throw error;
  });
  return { env, cli };
}
