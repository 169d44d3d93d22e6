/** The worker process on its own, as docker-compose runs it (several of them). */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { openDatabase } from '../db/database';
import { migrate } from '../db/migrate';
import { createMailer } from '../mail/mailer';
import { linkSecretOf, payloadKeyOf, publicUrlOf, readSettings } from '../shared/config';
import { encryptingDataConverter } from '../shared/codec';
import { createLinkSigner } from '../shared/links';
import { createWorker } from './createWorker';

async function run() {
  const settings = readSettings();
  if (!settings.TEMPORAL_ADDRESS || !settings.DATABASE_URL || !settings.SMTP_URL) {
    throw new Error('The worker on its own needs TEMPORAL_ADDRESS, DATABASE_URL and SMTP_URL; `npm start` runs everything embedded.');
  }
  const db = await openDatabase({ url: settings.DATABASE_URL, connectTimeoutMs: settings.DATABASE_CONNECT_TIMEOUT_MS });
  const mailer = createMailer(settings.SMTP_URL, settings.MAIL_FROM);
  const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS });
  const clientConnection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS });
  try {
    await migrate(db);
    const activities = createActivities({
      // Review reminders are started as workflows of their own.
      temporal: new Client({ connection: clientConnection, namespace: settings.TEMPORAL_NAMESPACE, dataConverter: encryptingDataConverter(payloadKeyOf(settings)) }),
      db,
      mailer,
      links: createLinkSigner(linkSecretOf(settings)),
      publicUrl: publicUrlOf(settings),
    });
    const worker = await createWorker({
      connection,
      namespace: settings.TEMPORAL_NAMESPACE,
      activities,
      dataConverter: encryptingDataConverter(payloadKeyOf(settings)),
    });
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
    await clientConnection.close();
    mailer.close();
    await db.close();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
