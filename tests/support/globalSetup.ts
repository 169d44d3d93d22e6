/** One Temporal dev server for the integration suites, started from the CLI the project finds or builds. */
import { startDevServer } from '../../scripts/devServer';

export default async function globalSetup() {
  if (process.env.TEMPORAL_TEST_ADDRESS) return;
  const { env, cli } = await startDevServer({ log: (line) => console.log(line) });
  (globalThis as Record<string, unknown>).__TEMPORAL_TEST_ENV__ = env;
  process.env.TEMPORAL_TEST_ADDRESS = env.address;
  console.log(`\nTemporal dev server for tests at ${env.address} (CLI from ${cli.source})`);
}
