/**
 * Every route under /api names its rule (the key's scope, and whose records it reaches) before its
 * handler runs. This walks the routes of the app as api/app.ts builds it, so a route added without
 * a rule fails here rather than being open to any key. What each rule does to a request is tested
 * as an attacker would in tests/integration/apiClients.test.ts.
 */
import type { Mailer } from '../../mail/mailer';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { createApp } from '../../api/app';
import { API_RULE, type ApiRule } from '../../api/apiClients';
import type { Database } from '../../db/database';
import type { LinkSigner } from '../../shared/links';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: { handle: unknown }[] };
  handle: { stack?: Layer[] };
}

/** `METHOD path` of every route, with the rule of its first handler (or null when it has none). */
function routesOf(stack: Layer[], out = new Map<string, ApiRule | null>()): Map<string, ApiRule | null> {
  for (const layer of stack) {
    if (layer.route) {
      const first = layer.route.stack[0]?.handle as { [API_RULE]?: ApiRule } | undefined;
      for (const path of [layer.route.path].flat()) {
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) out.set(`${method.toUpperCase()} ${path}`, first?.[API_RULE] ?? null);
      }
    } else if (layer.handle?.stack) {
      routesOf(layer.handle.stack, out);
    }
  }
  return out;
}

describe('the rule of every /api route', () => {
  // Building the app touches none of its services; only the routes are read.
  const app = createApp({
    temporal: {} as Client,
    db: {} as Database,
    policies: new Map(),
    links: {} as LinkSigner,
    csrfSecret: 'unit',
    publicUrl: 'http://localhost',
    codec: {} as PayloadCodec,
    mailer: {} as Mailer,
    identity: { sessions: { secret: 'x'.repeat(32), idleMs: 60_000, absoluteMs: 3_600_000, secure: false }, codeSecret: 'unit' },
  });
  const routes = routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack);
  const api = new Map([...routes].filter(([route]) => route.split(' ')[1].startsWith('/api')));

  it('finds the routes (so an empty walk cannot pass)', () => {
    expect(routes.has('GET /cases/:reference')).toBe(true);
    expect(api.size).toBeGreaterThanOrEqual(8);
  });

  it('gives each /api route a rule: intake keys open and end their own cases, read keys read their own partnership', () => {
    expect(Object.fromEntries([...api].sort(([a], [b]) => a.localeCompare(b)))).toEqual({
      'GET /api/disagreements/:reference': { scope: 'read', partnership: 'case' },
      'GET /api/disagreements/:reference/proforma': { scope: 'read', partnership: 'case' },
      'GET /api/disagreements/:reference/readers': { scope: 'read', partnership: 'case' },
      'GET /api/disagreements/:reference/record.pdf': { scope: 'read', partnership: 'case' },
      'GET /api/partnerships/:id/stats': { scope: 'read', partnership: 'param' },
      'GET /api/partnerships/:id/stats.csv': { scope: 'read', partnership: 'param' },
      'POST /api/disagreements': { scope: 'intake', partnership: 'body' },
      'POST /api/disagreements/:reference/close': { scope: 'intake', partnership: 'openedCase' },
      'POST /api/disagreements/:reference/withdraw': { scope: 'intake', partnership: 'openedCase' },
    });
  });
});
