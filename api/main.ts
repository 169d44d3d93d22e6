/** The API process on its own, as docker-compose runs it (`node --import tsx api/main.ts`). */
import { ConfigError, readSettings, retiredSettings } from '../shared/config';
import { log as processLog } from '../shared/log';
import { composeSystem } from '../system/root';
import { createApp } from './app';
import { startReconciler } from './reconciler';
import { ListenError, drain, listen, stopSignal } from './server';

const log = (line: string) => processLog.info({ process: 'api' }, line);

async function run() {
  const stopping = stopSignal(log);
  const settings = readSettings();
  for (const line of retiredSettings()) log(line);
  if (!settings.TEMPORAL_ADDRESS || !settings.DATABASE_URL || !settings.SMTP_URL) {
    throw new ConfigError('The API on its own needs TEMPORAL_ADDRESS, DATABASE_URL and SMTP_URL (it sends sign-in codes); `npm start` runs everything embedded.');
  }
  const system = await composeSystem(settings, { temporalAddress: settings.TEMPORAL_ADDRESS, smtpUrl: settings.SMTP_URL });
  try {
    const server = await listen(createApp(await system.appDeps()), settings.PORT);
    log(`listening on ${settings.PORT}`);
    const reconciler = startReconciler(
      { db: system.db, temporal: system.temporal },
      { afterSeconds: settings.RECONCILE_AFTER_SECONDS, intervalMs: settings.RECONCILE_INTERVAL_SECONDS * 1000, log },
    );
    await stopping;
    await drain(server);
    await reconciler.stop();
    log('stopped');
  } finally {
    await system.close();
  }
}

run().then(
  // Anything left (a stray timer) must not keep a stopped API alive.
  () => process.exit(0),
  (error: unknown) => {
    // Errors we word for people (a busy port, bad settings) as they are; others by type and message.
    if (error instanceof ListenError || error instanceof ConfigError) console.error(`[api] ${error.message}`);
    else processLog.fatal({ process: 'api', err: error }, 'the API stopped');
    process.exit(1);
  },
);
