/** The API process on its own, as docker-compose runs it (`node --import tsx api/main.ts`). */
import { createHash } from 'node:crypto';
import { Client } from '@temporalio/client';
import { openDatabase } from '../db/database';
import { migrate } from '../db/migrate';
import { ConfigError, linkSecretOf, payloadKeyOf, publicUrlOf, readSettings, retiredSettings } from '../shared/config';
import { createEncryptionCodec } from '../shared/codec';
import { createLinkSigner } from '../shared/links';
import { loadPolicyRegistry } from '../shared/policy/load';
import { createApp } from './app';
import { connectTemporalForRequests } from './availability';
import { startReconciler } from './reconciler';
import { ListenError, drain, listen, stopSignal } from './server';

const log = (line: string) => console.log(`[api] ${line}`);

async function run() {
  const stopping = stopSignal(log);
  const settings = readSettings();
  for (const line of retiredSettings()) log(line);
  if (!settings.TEMPORAL_ADDRESS || !settings.DATABASE_URL) {
    throw new Error('The API on its own needs TEMPORAL_ADDRESS and DATABASE_URL; `npm start` runs everything embedded.');
  }
  const policies = loadPolicyRegistry(settings.POLICY_DIR);
  const linkSecret = linkSecretOf(settings);
  const codec = createEncryptionCodec(payloadKeyOf(settings));
  const db = await openDatabase({ url: settings.DATABASE_URL, connectTimeoutMs: settings.DATABASE_CONNECT_TIMEOUT_MS });
  // Lazy: the API starts while Temporal is down and says so on /ready, rather than crash-looping.
  const connection = connectTemporalForRequests(settings.TEMPORAL_ADDRESS);
  try {
    await migrate(db);
    const temporal = new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE, dataConverter: { payloadCodecs: [codec] } });
    const app = createApp({
      temporal,
      codec,
      uiOrigin: settings.TEMPORAL_UI_URL,
      db,
      policies,
      links: createLinkSigner(linkSecret),
      csrfSecret: createHash('sha256').update(`csrf:${linkSecret}`).digest('base64url'),
      publicUrl: publicUrlOf(settings),
      temporalTimeoutMs: settings.TEMPORAL_CALL_TIMEOUT_MS,
    });
    const server = await listen(app, settings.PORT);
    log(`listening on ${settings.PORT}`);
    const reconciler = startReconciler(
      { db, temporal },
      { afterSeconds: settings.RECONCILE_AFTER_SECONDS, intervalMs: settings.RECONCILE_INTERVAL_SECONDS * 1000, log },
    );
    await stopping;
    await drain(server);
    await reconciler.stop();
    log('stopped');
  } finally {
    await connection.close();
    await db.close();
  }
}

run().then(
  // Anything left (a stray timer) must not keep a stopped API alive.
  () => process.exit(0),
  (error: unknown) => {
    // Errors we word for people (a busy port, bad settings) print as they are; others with their stack.
    console.error(error instanceof ListenError || error instanceof ConfigError ? `[api] ${error.message}` : error);
    process.exit(1);
  },
);
