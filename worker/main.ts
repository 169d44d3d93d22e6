/** The worker process on its own, as docker-compose runs it (several of them). */
import { NativeConnection } from '@temporalio/worker';
import { readSettings } from '../shared/config';
import { log } from '../shared/log';
import { installTemporalLogging } from '../shared/temporalLog';
import { composeSystem } from '../system/root';
import { createWorker } from './createWorker';

async function run() {
  const settings = readSettings();
  installTemporalLogging();
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
      log.info({ process: 'worker', signal }, signalled ? 'signalled again: already stopping' : 'finishing the tasks in hand');
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

run().catch((err: unknown) => {
  log.fatal({ process: 'worker', err }, 'the worker stopped');
  process.exit(1);
});
