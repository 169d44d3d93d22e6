/**
 * `npm start`: the whole system in one terminal on embedded defaults. The Temporal dev server
 * (state in data/temporal.db, Web UI), PGlite under data/pglite, an SMTP server in-process with a
 * page of what it caught, the worker and the API. Each part is replaced by its setting
 * (TEMPORAL_ADDRESS, DATABASE_URL, SMTP_URL); Ctrl-C stops everything cleanly.
 */
import { join } from 'node:path';
import type { Server } from 'node:http';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import { listApiClients } from '../api/apiClients';
import { startReconciler, type Reconciler } from '../api/reconciler';
import { drain, listen, stopSignal } from '../api/server';
import { startMailCatcher, type MailCatcher } from '../mail/catcher';
import { makePrivateDir, publicUrlOf, readSettings, retiredSettings } from '../shared/config';
import { log as processLog } from '../shared/log';
import { installTemporalLogging } from '../shared/temporalLog';
import { composeSystem, type System } from '../system/root';
import { createWorker } from '../worker/createWorker';
import { startDevServer, type DevServer } from './devServer';

const log = (line: string) => processLog.info({ process: 'start' }, line);

async function run() {
  const settings = readSettings();
  for (const line of retiredSettings()) log(line);
  // We own shutdown: Ctrl-C reaches every process in the group, so the first signal starts an
  // orderly stop and later ones are ignored rather than killing us half-way through closing PGlite.
  installTemporalLogging({ shutdownSignals: [] }, 'WARN');
  const stopping = stopSignal(log).then(() => undefined);
  // Links and the UI's codec endpoint are on the public URL, known from settings alone.
  const publicUrl = publicUrlOf(settings);
  let devServer: DevServer | undefined;
  let catcher: MailCatcher | undefined;
  let httpServer: Server | undefined;
  let workerConnection: NativeConnection | undefined;
  let reconciler: Reconciler | undefined;
  let system: System | undefined;
  try {
    // The dev server's state and PGlite both live here; a fresh clone has no folder yet. Private:
    // it holds the secrets, the database and every email (issue 10). The umask makes everything
    // this process and its children (the Temporal dev server) create there private as well.
    process.umask(0o077);
    makePrivateDir(settings.DATA_DIR);
    let address = settings.TEMPORAL_ADDRESS;
    if (!address) {
      log('starting the Temporal dev server...');
      const started = await startDevServer({
        dbFilename: join(settings.DATA_DIR, 'temporal.db'),
        port: settings.TEMPORAL_PORT,
        ui: true,
        uiPort: settings.TEMPORAL_UI_PORT,
        // Operators read decoded payloads in the UI: it calls the API's codec endpoint with their
        // session's cookie, and offers no write actions.
        uiCodecEndpoint: `${publicUrl}/codec`,
        uiReadOnly: true,
        namespace: settings.TEMPORAL_NAMESPACE,
        log,
      });
      devServer = started;
      address = started.env.address;
      log(`Temporal CLI from ${started.cli.source}`);
      // The CLI prints its UI server's own (private) port; people use the gate's, in the banner.
      log(`Temporal Web UI at ${started.uiUrl}: read-only, decoding through ${publicUrl}/codec (the UI server itself is at ${started.uiServerUrl}, behind it)`);
    }

    let smtpUrl = settings.SMTP_URL;
    if (!smtpUrl) {
      catcher = await startMailCatcher(settings.SMTP_PORT, '127.0.0.1', join(settings.DATA_DIR, 'mail.jsonl'));
      smtpUrl = catcher.url;
    }
    system = await composeSystem(settings, {
      temporalAddress: address,
      smtpUrl,
      mailCatcher: catcher,
      developmentSignIn: true,
      temporalUiUrl: devServer?.uiUrl,
    });
    const { db, temporal, policies } = system;
    const app = createApp(await system.appDeps());
    // Listen before the worker starts, so a busy port stops everything before any work is taken on.
    // This machine only, unless HOST says otherwise: the embedded defaults are for one developer.
    httpServer = await listen(app, settings.PORT, settings.HOST ?? '127.0.0.1');

    workerConnection = await NativeConnection.connect({ address });
    const worker = await createWorker({ connection: workerConnection, namespace: settings.TEMPORAL_NAMESPACE, activities: system.activities(), dataConverter: system.dataConverter });
    reconciler = startReconciler(
      { db, temporal },
      { afterSeconds: settings.RECONCILE_AFTER_SECONDS, intervalMs: settings.RECONCILE_INTERVAL_SECONDS * 1000, log },
    );

    // Keys are never shown here: each is printed once, by the command that creates it.
    const activeClients = (await listApiClients(db)).filter((c) => !c.revokedAt).length;
    banner([
      ['Service', `${publicUrl}/`],
      ['Raise a disagreement', `${publicUrl}/raise`],
      ['Sign in', `${publicUrl}/sign-in  (${settings.OIDC_ISSUER ? `staff through ${settings.OIDC_ISSUER}` : 'development identity provider: choose anyone in the directories'}, or a code by email)`],
      ['JSON API', `${publicUrl}/api/disagreements  (Authorization: Bearer <key>; ${activeClients} API client(s) with a key)`],
      [
        'API keys',
        `npm run api-keys -- create --partnership <id> --scope intake|read --name "<what uses it>"${settings.DATABASE_URL ? '' : ' (stop this first: PGlite takes one process at a time)'}`,
      ],
      ['Emails sent', catcher ? `${publicUrl}/mail  (SMTP on ${catcher.url})` : `sent through ${redact(smtpUrl)}`],
      ['Temporal', devServer ? `${address}, Web UI ${devServer.uiUrl} (read-only, decodes through ${publicUrl}/codec)` : address],
      ['Database', settings.DATABASE_URL ? redact(settings.DATABASE_URL) : `PGlite in ${join(settings.DATA_DIR, 'pglite')}`],
      ['Policies', [...policies.values()].map((p) => `${p.id} v${p.policy.version}`).join(', ')],
    ]);

    // The API drains its requests while the worker finishes its tasks.
    await Promise.all([worker.runUntil(stopping).then(() => log('worker stopped')), stopping.then(() => drain(httpServer!))]);
  } finally {
    await reconciler?.stop();
    if (httpServer) await drain(httpServer);
    await workerConnection?.close();
    await catcher?.close();
    // The dev server may have had the same Ctrl-C and be gone already.
    await devServer?.teardown().catch(() => undefined);
    await system?.close();
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
