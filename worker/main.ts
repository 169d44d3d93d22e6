/** The worker process on its own, as docker-compose runs it (several of them). */
import { NativeConnection } from '@temporalio/worker';
import { readSettings } from '../shared/config';
import { composeSystem } from '../system/root';
import { createWorker } from './createWorker';

async function run() {
  const settings = readSettings();
  if (!settings.TEMPORAL_ADDRESS || !settings.DATABASE_URL || !settings.SMTP_URL) {
    throw new Error('The worker on its own needs TEMPORAL_ADDRESS, DATABASE_URL and SMTP_URL; `npm start` runs everything embedded.');
  }
  const system = await composeSystem(settings, { temporalAddress: settings.TEMPORAL_ADDRESS, smtpUrl: settings.SMTP_URL });
  const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS });
  try {
    const worker = await createWorker({ connection, namespace: settings.TEMPORAL_NAMESPACE, activities: system.activities(), dataConverter: system.dataConverter });
    // Worker.run() stops gracefully on the first SIGINT/SIGTERM, then stops listening for them; this
    // listener stays, so a repeated signal is ignored instead of killing the worker mid-drain.
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      console.log(signalled ? `[worker] ${signal} again: already stopping` : `[worker] ${signal}: finishing the tasks in hand`);
      signalled = true;
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    await worker.run();
  } finally {
    await connection.close();
    await system.close();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
