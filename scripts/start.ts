/**
 * `npm start`: the whole system in one terminal on embedded defaults. The Temporal dev server
 * (state in data/temporal.db, Web UI), PGlite under data/pglite, an SMTP server in-process with a
 * page of what it caught, the worker and the API. Each part is replaced by its setting
 * (TEMPORAL_ADDRESS, DATABASE_URL, SMTP_URL); Ctrl-C stops everything cleanly.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { Client, type Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import { createApp } from '../api/app';
import { listApiClients } from '../api/apiClients';
import { connectTemporalForRequests } from '../api/availability';
import { startReconciler, type Reconciler } from '../api/reconciler';
import { drain, listen, stopSignal } from '../api/server';
import { openDatabase } from '../db/database';
import { migrate } from '../db/migrate';
import { startMailCatcher, type MailCatcher } from '../mail/catcher';
import { createMailer, type Mailer } from '../mail/mailer';
import { linkSecretOf, payloadKeyOf, publicUrlOf, readSettings, retiredSettings } from '../shared/config';
import { createEncryptionCodec } from '../shared/codec';
import { createLinkSigner } from '../shared/links';
import { loadPolicyRegistry } from '../shared/policy/load';
import { createWorker } from '../worker/createWorker';
import { startDevServer } from './devServer';

const log = (line: string) => console.log(`[start] ${line}`);

async function run() {
  const settings = readSettings();
  for (const line of retiredSettings()) log(line);
  // We own shutdown: Ctrl-C reaches every process in the group, so the first signal starts an
  // orderly stop and later ones are ignored rather than killing us half-way through closing PGlite.
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
  const stopping = stopSignal(log).then(() => undefined);
  const policies = loadPolicyRegistry(settings.POLICY_DIR);
  const publicUrl = publicUrlOf(settings);
  const linkSecret = linkSecretOf(settings);
  const codec = createEncryptionCodec(payloadKeyOf(settings));
  const dataConverter = { payloadCodecs: [codec] };

  let devServer: TestWorkflowEnvironment | undefined;
  let catcher: MailCatcher | undefined;
  let httpServer: Server | undefined;
  let mailer: Mailer | undefined;
  let connection: Connection | undefined;
  let workerConnection: NativeConnection | undefined;
  let reconciler: Reconciler | undefined;
  const db = await openDatabase(
    settings.DATABASE_URL ? { url: settings.DATABASE_URL, connectTimeoutMs: settings.DATABASE_CONNECT_TIMEOUT_MS } : { pgliteDir: join(settings.DATA_DIR, 'pglite') },
  );
  try {
    const applied = await migrate(db);
    if (applied.length) log(`applied migrations: ${applied.join(', ')}`);

    let address = settings.TEMPORAL_ADDRESS;
    if (!address) {
      log('starting the Temporal dev server...');
      const started = await startDevServer({
        dbFilename: join(settings.DATA_DIR, 'temporal.db'),
        port: settings.TEMPORAL_PORT,
        ui: true,
        uiPort: settings.TEMPORAL_UI_PORT,
        namespace: settings.TEMPORAL_NAMESPACE,
        log,
      });
      devServer = started.env;
      address = devServer.address;
      log(`Temporal CLI from ${started.cli.source}`);
    }

    let smtpUrl = settings.SMTP_URL;
    if (!smtpUrl) {
      catcher = await startMailCatcher(settings.SMTP_PORT, '127.0.0.1', join(settings.DATA_DIR, 'mail.jsonl'));
      smtpUrl = catcher.url;
    }
    mailer = createMailer(smtpUrl, settings.MAIL_FROM);

    connection = connectTemporalForRequests(address);
    const temporal = new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE, dataConverter });
    const links = createLinkSigner(linkSecret);
    const app = createApp({
      temporal,
      db,
      policies,
      links,
      csrfSecret: createHash('sha256').update(`csrf:${linkSecret}`).digest('base64url'),
      publicUrl,
      codec,
      uiOrigin: settings.TEMPORAL_UI_URL ?? `http://localhost:${settings.TEMPORAL_UI_PORT}`,
      mailCatcher: catcher,
      temporalTimeoutMs: settings.TEMPORAL_CALL_TIMEOUT_MS,
    });
    // Listen before the worker starts, so a busy port stops everything before any work is taken on.
    httpServer = await listen(app, settings.PORT);

    workerConnection = await NativeConnection.connect({ address });
    const activities = createActivities({ db, mailer, links, publicUrl, temporal });
    const worker = await createWorker({ connection: workerConnection, namespace: settings.TEMPORAL_NAMESPACE, activities, dataConverter });
    reconciler = startReconciler(
      { db, temporal },
      { afterSeconds: settings.RECONCILE_AFTER_SECONDS, intervalMs: settings.RECONCILE_INTERVAL_SECONDS * 1000, log },
    );

    // Keys are never shown here: each is printed once, by the command that creates it.
    const activeClients = (await listApiClients(db)).filter((c) => !c.revokedAt).length;
    banner([
      ['Service', `${publicUrl}/`],
      ['Raise a disagreement', `${publicUrl}/raise`],
      ['JSON API', `${publicUrl}/api/disagreements  (Authorization: Bearer <key>; ${activeClients} API client(s) with a key)`],
      [
        'API keys',
        `npm run api-keys -- create --partnership <id> --scope intake|read --name "<what uses it>"${settings.DATABASE_URL ? '' : ' (stop this first: PGlite takes one process at a time)'}`,
      ],
      ['Emails sent', catcher ? `${publicUrl}/mail  (SMTP on ${catcher.url})` : `sent through ${redact(smtpUrl)}`],
      ['Temporal', devServer ? `${address}, Web UI http://localhost:${settings.TEMPORAL_UI_PORT}` : address],
      ['Database', settings.DATABASE_URL ? redact(settings.DATABASE_URL) : `PGlite in ${join(settings.DATA_DIR, 'pglite')}`],
      ['Policies', [...policies.values()].map((p) => `${p.id} v${p.policy.version}`).join(', ')],
    ]);

    // The API drains its requests while the worker finishes its tasks.
    await Promise.all([worker.runUntil(stopping).then(() => log('worker stopped')), stopping.then(() => drain(httpServer!))]);
  } finally {
    await reconciler?.stop();
    if (httpServer) await drain(httpServer);
    mailer?.close();
    await connection?.close();
    await workerConnection?.close();
    await catcher?.close();
    // The dev server may have had the same Ctrl-C and be gone already.
    await devServer?.teardown().catch(() => undefined);
    await db.close();
    log('stopped');
  }
}

function banner(rows: [string, string][]) {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(['', '  Safeguarding escalations is running', '', ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`), '', '  Ctrl-C stops everything.', ''].join('\n'));
}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');

run().then(
  // Nothing left may keep a stopped system alive (a connection's timer, a stray socket).
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
