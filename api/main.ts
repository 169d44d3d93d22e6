/** The API process on its own, as docker-compose runs it. */
import { createHash } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { openDatabase } from '../db/database';
import { migrate } from '../db/migrate';
import { apiKeysOf, linkSecretOf, payloadKeyOf, publicUrlOf, readSettings } from '../shared/config';
import { createEncryptionCodec } from '../shared/codec';
import { createLinkSigner } from '../shared/links';
import { loadPolicyRegistry } from '../shared/policy/load';
import { createApp } from './app';

async function run() {
  const settings = readSettings();
  if (!settings.TEMPORAL_ADDRESS || !settings.DATABASE_URL) {
    throw new Error('The API on its own needs TEMPORAL_ADDRESS and DATABASE_URL; `npm start` runs everything embedded.');
  }
  const policies = loadPolicyRegistry(settings.POLICY_DIR);
  const linkSecret = linkSecretOf(settings);
  const codec = createEncryptionCodec(payloadKeyOf(settings));
  const db = await openDatabase({ url: settings.DATABASE_URL });
  const connection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS });
  try {
    await migrate(db);
    const app = createApp({
      temporal: new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE, dataConverter: { payloadCodecs: [codec] } }),
      codec,
      uiOrigin: settings.TEMPORAL_UI_URL,
      db,
      policies,
      links: createLinkSigner(linkSecret),
      csrfSecret: createHash('sha256').update(`csrf:${linkSecret}`).digest('base64url'),
      publicUrl: publicUrlOf(settings),
      apiKeys: apiKeysOf(settings),
    });
    const server = app.listen(settings.PORT, () => console.log(`API listening on ${settings.PORT}`));
    await new Promise<void>((resolve) => {
      const stop = () => server.close(() => resolve());
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  } finally {
    await connection.close();
    await db.close();
  }
}

run().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
