/**
 * The system under test outside jest (benchmarks, recording replay histories): its own dev
 * server, a PGlite suite and a running worker and API, torn down whatever happens.
 */
import { startDevServer } from '../../scripts/devServer';
import { startSuite, startSystem, type Running, type Suite } from './system';

export async function withStandaloneSystem<T>(extraPacks: string[], work: (suite: Suite, system: Running) => Promise<T>): Promise<T> {
  const devServer = await startDevServer();
  process.env.TEMPORAL_TEST_ADDRESS = devServer.env.address;
  try {
    const suite = await startSuite('pglite', extraPacks);
    try {
      const system = await startSystem(suite);
      try {
        return await work(suite, system);
      } finally {
        await system.stop();
      }
    } finally {
      await suite.close();
    }
  } finally {
    await devServer.teardown();
  }
}
