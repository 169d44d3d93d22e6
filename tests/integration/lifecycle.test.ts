/**
 * The processes start and stop as a supervisor expects: a busy port is an error with a clear
 * message and a non-zero exit (not a "listening" line and exit 0), and SIGTERM through the npm
 * script reaches node, which finishes the requests in flight, ignores a second SIGTERM, and exits 0.
 */
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { rm } from 'node:fs/promises';
import { bearer } from '../support/system';
import { apiEnv, apiKeyIn, ensureStopped, freePort, scratchDatabase, spawnNode, spawnProcess, type Spawned } from '../support/processes';
import { eventually } from '../support/waits';

async function occupiedPort(): Promise<{ port: number; blocker: Server }> {
  const blocker = createServer();
  // Every interface, as the API listens.
  await new Promise<void>((resolve) => blocker.listen(0, resolve));
  return { port: (blocker.address() as { port: number }).port, blocker };
}

// api/main.ts needs a PostgreSQL server; CI sets DATABASE_URL. `npm start` (PGlite) runs everywhere.
const withPostgres = (name: string, test: () => Promise<void>) =>
  process.env.DATABASE_URL ? it(name, test) : it.skip(`${name} (skipped: DATABASE_URL is not set)`, test);

describe('starting and stopping the processes', () => {
  let spawned: Spawned | undefined;
  afterEach(async () => {
    await ensureStopped(spawned);
    spawned = undefined;
  });

  it('npm start refuses a busy port with a clear message and a non-zero exit', async () => {
    const { port, blocker } = await occupiedPort();
    const env = apiEnv({ PORT: String(port), SMTP_URL: 'smtp://127.0.0.1:1' });
    try {
      spawned = spawnNode('scripts/start.ts', env);
      const { code } = await spawned.exited;
      expect(code).not.toBe(0);
      expect(spawned.output()).toContain(`Port ${port} is already in use`);
      expect(spawned.output()).not.toMatch(/is running/);
    } finally {
      blocker.close();
      await rm(env.DATA_DIR!, { recursive: true, force: true });
    }
  });

  withPostgres('the API on its own refuses a busy port with a clear message and a non-zero exit', async () => {
    const { port, blocker } = await occupiedPort();
    const database = await scratchDatabase(process.env.DATABASE_URL!);
    try {
      spawned = spawnNode('api/main.ts', apiEnv({ PORT: String(port), DATABASE_URL: database.url }));
      const { code } = await spawned.exited;
      expect(code).toBe(1);
      expect(spawned.output()).toContain(`Port ${port} is already in use`);
      expect(spawned.output()).not.toMatch(/listening on/);
    } finally {
      blocker.close();
      await database.drop();
    }
  });

  withPostgres('npm run start:api passes SIGTERM to node, which drains the request in flight, ignores a second SIGTERM and exits 0', async () => {
    const port = await freePort();
    const database = await scratchDatabase(process.env.DATABASE_URL!);
    try {
      const intake = await apiKeyIn(database.url, 'bromley', 'intake');
      spawned = spawnProcess('npm', ['run', '--silent', 'start:api'], apiEnv({ PORT: String(port), DATABASE_URL: database.url }));
      await spawned.waitForOutput(/listening on/);

      // A request in flight: the server has read its headers (it says "100 Continue") and waits for
      // its body, which is sent only after the signals.
      const body = JSON.stringify({ reason: 'The other agency has changed its decision.' });
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/disagreements/BSCP-2026-ZZZZZZ/withdraw',
        headers: { ...bearer(intake), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
      });
      const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        });
        req.on('error', reject);
      });
      req.flushHeaders();
      await new Promise<void>((resolve) => req.once('continue', resolve));

      spawned.child.kill('SIGTERM');
      await spawned.waitForOutput(/SIGTERM: stopping/);
      spawned.child.kill('SIGTERM');
      await spawned.waitForOutput(/SIGTERM again: already stopping/);
      // No new connections are taken, and the process waits for the one in flight.
      await eventually('new connections to be refused', async () => (await fetch(`http://127.0.0.1:${port}/health`).then(() => undefined, () => true)));
      expect(spawned.alive()).toBe(true);

      req.end(body);
      const reply = await answered;
      // Answered in full: the case does not exist, which the API looked up in PostgreSQL.
      expect(reply.status).toBe(404);
      expect(JSON.parse(reply.body)).toMatchObject({ title: 'No such case' });
      const { code, signal } = await spawned.exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(spawned.output()).toMatch(/"process":"api","msg":"stopped"/);
    } finally {
      await ensureStopped(spawned);
      await database.drop();
    }
  });
});
