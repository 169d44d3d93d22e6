/** Starts the Temporal dev server with the search attributes the workflow uses registered. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { AGENCIES, CATEGORY, IMMEDIATE_HARM, PARTNERSHIP, STAGE, STAGE_DEADLINE, STATUS } from '../shared/searchAttributes';
import { locateTemporalCli, type LocatedCli } from './temporal-cli';

export const SEARCH_ATTRIBUTES = [PARTNERSHIP, STAGE, STATUS, CATEGORY, AGENCIES, STAGE_DEADLINE, IMMEDIATE_HARM];

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
  });
  return { env, cli };
}
