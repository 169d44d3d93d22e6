/**
 * An API of a test's own on the suite's services (database, SMTP, Temporal), with the development
 * sign-in provider and whatever settings the test gives (rate limits, a mail catcher, a public
 * URL): the web-tier hardening and fuzz suites build theirs with it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps } from '../../api/app';
import { appDepsFor, testIdentity, type Suite } from './system';

export interface WebApp {
  baseUrl: string;
  app: ReturnType<typeof createApp>;
  server: Server;
  close(): Promise<void>;
}

/** `host`: where it listens (127.0.0.1 otherwise). `publicUrl`: what it says it is (its own address otherwise). */
export async function webApp(suite: Suite, overrides: Partial<AppDeps> = {}, host = '127.0.0.1'): Promise<WebApp> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  const publicUrl = overrides.publicUrl ?? baseUrl;
  const deps = await appDepsFor(suite, { publicUrl, identity: await testIdentity(publicUrl, suite.policies), ...overrides });
  const app = createApp(deps);
  server.on('request', app);
  return {
    baseUrl,
    app,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
