/**
 * One line per request, with nothing in it that a log reader should not have: read off the real
 * app serving real requests (PGlite, Temporal dev server, SMTP), with its request lines captured.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import type { Database } from '../../db/database';
import { captureLog } from '../support/logCapture';
import { appDepsFor, linkIn, newCase, toWithSubject, useSystem } from '../support/system';

const log = captureLog('info');
type Line = Record<string, unknown> & { reqId?: string; req?: { method?: string }; res?: { status?: number }; route?: string; err?: unknown };
const requestLines = () => log.lines().filter((l) => l.req) as Line[];

describe('request log lines', () => {
  const ctx = useSystem('pglite', [], { logger: log.logger });
  beforeEach(() => log.clear());

  it('logs each request once, by its route pattern and request id, with no token, key, cookie or address', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    expect(opened.status).toBe(201);
    const reference: string = opened.body.reference;
    const invite = await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`)));
    const link = linkIn(invite);
    const token = new URL(link).pathname.split('/').pop()!;

    const answers = [
      await fetch(link, { headers: { cookie: 'lscp.sid=s%3Astolen-session-id.signature' } }),
      await fetch(`${system.baseUrl}/nothing-here/MOSAIC-123456/kayden.smith`),
      await fetch(`${system.baseUrl}/cases/${reference}`, { redirect: 'manual', headers: { 'x-request-id': 'proxy-given-id-0001' } }),
    ];
    const ids = answers.map((a) => a.headers.get('x-request-id'));
    expect(ids[2]).toBe('proxy-given-id-0001');
    expect(new Set(ids).size).toBe(3);

    const lines = requestLines();
    // Exactly one line per request, found by the id the answer carried.
    for (const id of [opened.headers.get('x-request-id'), ...ids]) expect(lines.filter((l) => l.reqId === id)).toHaveLength(1);
    const byId = (id: string | null) => lines.find((l) => l.reqId === id)!;
    expect(byId(opened.headers.get('x-request-id'))).toMatchObject({ route: '/api/disagreements', req: { method: 'POST' }, res: { status: 201 } });
    expect(byId(ids[0])).toMatchObject({ route: '/respond/:token', req: { method: 'GET' } });
    expect(byId(ids[1])).toMatchObject({ route: '/nothing-here/…', res: { status: 404 }, level: 40 });
    expect(byId(ids[2])).toMatchObject({ route: '/cases/:reference', res: { status: 303 } });

    const text = log.text();
    for (const secret of [token, 'stolen-session-id', 'MOSAIC-123456', 'kayden', 'ann.teacher@example.org', 'lscp_ac_']) expect(text).not.toContain(secret);
  });

  it('logs a request that fails as one error line with the error type and short message, no stack, and tells the person a reference to quote', async () => {
    const { suite } = ctx;
    // The database breaks under the case page in a way that is not an outage: a bug's shape.
    const broken: Database = new Proxy(suite.db, {
      get(target, prop, receiver) {
        if (prop === 'query') {
          return async (sql: string, params?: unknown[]) => {
            if (/FROM cases/i.test(sql)) throw new TypeError(`cannot read row for ann.teacher@example.org at /respond/${'x'.repeat(60)}`);
            return target.query(sql, params);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', createApp(await appDepsFor(suite, { publicUrl: baseUrl, db: broken, logger: log.logger })));
    try {
      const visitor = await ctx.system.as('ann.teacher@example.org');
      log.clear();
      const page = await fetch(`${baseUrl}/cases/BRO-26-0001`, { headers: { cookie: visitor.cookieHeader } });
      expect(page.status).toBe(500);
      const id = page.headers.get('x-request-id')!;
      expect(await page.text()).toContain(id);
      const lines = requestLines();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 50, route: '/cases/:reference', res: { status: 500 }, err: { type: 'TypeError', message: 'cannot read row for [email] at /respond/[token]' } });
      expect(log.text()).not.toMatch(/\n\s+at |ann\.teacher/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
