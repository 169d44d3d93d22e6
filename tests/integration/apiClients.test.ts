/**
 * API clients' keys, tried as an attacker would: no key, a malformed one, a real client's id with
 * a guessed secret, a revoked key, a key of the wrong scope on every route, a key of another
 * partnership; the database holding no key; the record naming the client that opened and ended a
 * case. Clients are made through api/apiClients.ts in the suite's database, as the CLI makes them.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { revokeApiClient, verifyApiKey } from '../../api/apiClients';
import { databaseKinds } from '../support/databases';
import { basic, bearer, newCase, useSystem, waitForEvent, type Running } from '../support/system';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** A page fetched with only a key: no key opens a page; the person is sent to sign in. */
async function pageWithKey(system: Running, path: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${system.baseUrl}${path}`, { headers, redirect: 'manual' });
  await res.arrayBuffer();
  return res.status;
}

async function call(system: Running, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const res = await fetch(`${system.baseUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Every route under /api, with a body for those that take one. */
const apiRoutes = (reference: string): [method: 'GET' | 'POST', path: string, body?: unknown][] => [
  ['POST', '/api/disagreements', newCase()],
  ['GET', `/api/disagreements/${reference}`],
  ['GET', `/api/disagreements/${reference}/record.pdf`],
  ['GET', `/api/disagreements/${reference}/proforma`],
  ['POST', `/api/disagreements/${reference}/withdraw`, { reason: 'Trying it on.' }],
  ['POST', `/api/disagreements/${reference}/close`, { reason: 'Trying it on.' }],
  ['GET', '/api/partnerships/bromley/stats'],
  ['GET', '/api/partnerships/bromley/stats.csv'],
];

const readRoutes = (reference: string) => apiRoutes(reference).filter(([method]) => method === 'GET');

describe.each(databaseKinds)('API clients and their keys (%s)', (kind) => {
  const ctx = useSystem(kind);
  const logged: string[] = [];
  let spies: jest.SpyInstance[] = [];

  beforeEach(() => {
    // Whatever the API logs while it is attacked: checked below for keys and the child's reference.
    spies = (['log', 'info', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(' '));
      }),
    );
  });
  afterEach(() => {
    for (const spy of spies) spy.mockRestore();
  });

  const caseCount = async () => (await ctx.suite.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cases')).rows[0].n;

  /** A Bromley case opened by the standing Bromley intake key. */
  async function bromleyCase(overrides: Record<string, unknown> = {}): Promise<string> {
    const opened = await ctx.system.postJson('/api/disagreements', newCase(overrides));
    expect(opened.status).toBe(201);
    return opened.body.reference;
  }

  const finish = (...references: string[]) =>
    Promise.all(references.map((r) => ctx.suite.temporal.workflow.getHandle(r).terminate('test finished').catch(() => undefined)));

  it('refuses a request with no key, or a key that is not one, on every route with 401 and writes nothing', async () => {
    const { system } = ctx;
    const reference = await bromleyCase();
    const before = await caseCount();
    const real = await system.keys.read('bromley');
    const guessedSecret = `${real.slice(0, 'lscp_ac_xxxxxxxxxx_'.length)}${randomBytes(32).toString('base64url')}`;
    expect(guessedSecret).not.toBe(real);
    const attempts: [what: string, headers: Record<string, string>][] = [
      ['no key', {}],
      ['an empty bearer', { authorization: 'Bearer ' }],
      ['a malformed key', bearer('not-a-key-at-all')],
      ['a key of the right shape for no client', bearer(`lscp_ac_zzzzzzzzzz_${randomBytes(32).toString('base64url')}`)],
      ["a real client's id with a guessed secret", bearer(guessedSecret)],
      ['the real key cut short', bearer(real.slice(0, -1))],
      ['the real key with more after it', bearer(`${real}x`)],
      ['a guessed secret as a sign-in password', basic(guessedSecret)],
      ['another scheme', { authorization: `Token ${real}` }],
    ];
    for (const [what, headers] of attempts) {
      for (const [method, path, body] of apiRoutes(reference)) {
        const answer = await call(system, method, path, headers, body);
        expect({ what, method, path, status: answer.status }).toEqual({ what, method, path, status: 401 });
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(answer.json).toMatchObject({ status: 401, errors: [{ path: 'Authorization', message: expect.any(String) }] });
        expect(answer.text).not.toContain(newCase().childReference);
      }
    }
    expect(await caseCount()).toBe(before);
    // The same real key opens it, so the refusals above were the keys', not the routes'.
    expect((await call(system, 'GET', `/api/disagreements/${reference}`, bearer(real))).status).toBe(200);
    await finish(reference);
  });

  it('refuses a revoked key from the next request on, on the API and on the pages', async () => {
    const { suite, system } = ctx;
    const reference = await bromleyCase();
    const { key, client } = await system.keys.create('bromley', 'read', 'Bromley reporting tool');
    expect(client.lastUsedAt).toBeNull();
    expect((await call(system, 'GET', `/api/disagreements/${reference}`, bearer(key))).status).toBe(200);
    expect(await pageWithKey(system, '/partnerships/bromley/dashboard', basic(key))).toBe(303);
    const { rows } = await suite.db.query<{ used: boolean }>('SELECT last_used_at IS NOT NULL AS used FROM api_clients WHERE id = $1', [client.id]);
    expect(rows).toEqual([{ used: true }]);

    expect(await revokeApiClient(suite.db, client.id)).toMatchObject({ kind: 'revoked', client: { id: client.id, revokedAt: expect.any(String) } });
    expect(await verifyApiKey(suite.db, key)).toBeUndefined();
    for (const [method, path] of readRoutes(reference)) {
      const answer = await call(system, method, path, bearer(key));
      expect({ path, status: answer.status }).toEqual({ path, status: 401 });
      expect(answer.json.title).toBe('This API key is not valid');
    }
    expect(await pageWithKey(system, '/partnerships/bromley/dashboard', basic(key))).toBe(303);
    expect(await pageWithKey(system, `/cases/${reference}`, basic(key))).toBe(303);
    // Revoking again changes nothing; an unknown id is said to be unknown.
    expect(await revokeApiClient(suite.db, client.id)).toMatchObject({ kind: 'alreadyRevoked' });
    expect(await revokeApiClient(suite.db, 'ac_zzzzzzzzzz')).toEqual({ kind: 'unknown' });
    // Other keys go on working.
    expect((await call(system, 'GET', `/api/disagreements/${reference}`, bearer(await system.keys.read('bromley')))).status).toBe(200);
    await finish(reference);
  });

  it('refuses an intake key on every read route with 403 "This key may only open cases", and shows it nothing', async () => {
    const { system } = ctx;
    const reference = await bromleyCase();
    const intake = await system.keys.intake('bromley');
    for (const [method, path] of [...readRoutes(reference), ['GET', '/api/disagreements/BSCP-2026-ZZZZZZ'] as const]) {
      const answer = await call(system, method, path, bearer(intake));
      expect({ path, status: answer.status, title: answer.json?.title }).toEqual({ path, status: 403, title: 'This key may only open cases' });
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.json.errors).toEqual([{ path: 'Authorization', message: expect.stringMatching(/^holds an intake key/) }]);
      expect(answer.text).not.toContain(newCase().childReference);
      expect(answer.text).not.toContain('"events"');
    }
    // Nor the codec endpoint, nor the staff pages.
    expect((await call(system, 'POST', '/codec/decode', bearer(intake), { payloads: [] })).status).toBe(401);
    expect(await pageWithKey(system, `/cases/${reference}`, bearer(intake))).toBe(303);
    await finish(reference);
  });

  it('refuses a read key that tries to open or end a case with 403, and writes nothing', async () => {
    const { system } = ctx;
    const reference = await bromleyCase();
    const before = await caseCount();
    const read = await system.keys.read('bromley');
    for (const [method, path, body] of apiRoutes(reference).filter(([m]) => m === 'POST')) {
      const answer = await call(system, method, path, bearer(read), body);
      expect({ path, status: answer.status, title: answer.json?.title }).toEqual({ path, status: 403, title: 'This key may only read' });
    }
    expect(await caseCount()).toBe(before);
    expect((await system.getJson(`/api/disagreements/${reference}`)).body.status).toBe('open');
    await finish(reference);
  });

  it("answers another partnership's case as if it did not exist, and refuses its numbers and its cases with 403", async () => {
    const { system } = ctx;
    const reference = await bromleyCase();
    const hullRead = await system.keys.read('hull');
    for (const [method, path] of readRoutes(reference).filter(([, p]) => p.startsWith('/api/disagreements'))) {
      const theirs = await call(system, method, path, bearer(hullRead));
      const unknown = await call(system, method, path.replace(reference, 'BSCP-2026-ZZZZZZ'), bearer(hullRead));
      expect({ path, status: theirs.status }).toEqual({ path, status: 404 });
      // Word for word what a case that does not exist gets: nothing says it is there.
      expect(theirs.json).toEqual({ ...unknown.json, detail: unknown.json.detail.replace('BSCP-2026-ZZZZZZ', reference) });
      expect(theirs.text).not.toContain(newCase().childReference);
    }
    for (const path of ['/api/partnerships/bromley/stats', '/api/partnerships/bromley/stats.csv']) {
      const answer = await call(system, 'GET', path, bearer(hullRead));
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      expect(answer.json.errors).toEqual([{ path: 'id', message: expect.stringMatching(/^must be hull/) }]);
    }
    expect((await call(system, 'GET', '/api/partnerships/hull/stats', bearer(hullRead))).status).toBe(200);
    // The interim page access follows the same rule.
    expect(await pageWithKey(system, `/cases/${reference}`, bearer(hullRead))).toBe(303);
    expect(await pageWithKey(system, '/partnerships/bromley/dashboard', basic(hullRead))).toBe(303);
    await finish(reference);
  });

  it('refuses an intake key that opens a case for another partnership with 403 naming partnership, and writes nothing', async () => {
    const { system } = ctx;
    const before = await caseCount();
    const hullIntake = await system.keys.intake('hull');
    for (const partnership of ['bromley', '  bromley  ']) {
      const answer = await call(system, 'POST', '/api/disagreements', { ...bearer(hullIntake), 'idempotency-key': randomUUID() }, newCase({ partnership }));
      expect({ partnership, status: answer.status }).toEqual({ partnership, status: 403 });
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.json.errors).toEqual([{ path: 'partnership', message: expect.stringMatching(/^must be hull: this key opens cases for Hull/) }]);
    }
    expect(await caseCount()).toBe(before);
  });

  it('lets an intake key end only the cases it opened: another client of the same partnership, or of another, finds no case', async () => {
    const { system } = ctx;
    const reference = await bromleyCase();
    const { key: otherBromley } = await system.keys.create('bromley', 'intake', 'Another Bromley system');
    const hullIntake = await system.keys.intake('hull');
    for (const key of [otherBromley, hullIntake]) {
      for (const ending of ['withdraw', 'close']) {
        const answer = await call(system, 'POST', `/api/disagreements/${reference}/${ending}`, bearer(key), { reason: 'Not mine to end.' });
        expect({ ending, status: answer.status, title: answer.json.title }).toEqual({ ending, status: 404, title: 'No such case' });
      }
    }
    // A bad body is answered the same whether or not the case is the key's, or exists.
    for (const target of [reference, 'BSCP-2026-ZZZZZZ']) {
      expect((await call(system, 'POST', `/api/disagreements/${target}/withdraw`, bearer(otherBromley), { reason: '' })).status).toBe(400);
    }
    expect((await system.getJson(`/api/disagreements/${reference}`)).body.status).toBe('open');
    await finish(reference);
  });

  it('keeps Idempotency-Keys per client: the same key from two clients opens two cases', async () => {
    const { suite, system } = ctx;
    const key = randomUUID();
    const body = newCase({ childReference: `UPN-${randomUUID().slice(0, 8)}` });
    const { key: second, client: secondClient } = await system.keys.create('bromley', 'intake', 'Second Bromley system');
    const first = await call(system, 'POST', '/api/disagreements', { ...bearer(await system.keys.intake('bromley')), 'idempotency-key': key }, body);
    const other = await call(system, 'POST', '/api/disagreements', { ...bearer(second), 'idempotency-key': key }, body);
    const replay = await call(system, 'POST', '/api/disagreements', { ...bearer(second), 'idempotency-key': key }, body);
    expect([first.status, other.status, replay.status]).toEqual([201, 201, 201]);
    expect(other.json.reference).not.toBe(first.json.reference);
    expect(replay.json.reference).toBe(other.json.reference);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const { rows } = await suite.db.query<{ caller: string }>('SELECT caller FROM idempotency_keys WHERE key = $1 ORDER BY caller', [key]);
    expect(rows.map((r) => r.caller)).toContain(secondClient.id);
    expect(rows).toHaveLength(2);
    await finish(first.json.reference, other.json.reference);
  });

  it('names the client that opened and ended a case on the record, and the case page says so', async () => {
    const { suite, system } = ctx;
    const { key, client } = await system.keys.create('bromley', 'intake', 'Hillside school MIS');
    const opened = await call(system, 'POST', '/api/disagreements', bearer(key), newCase());
    expect(opened.status).toBe(201);
    const reference: string = opened.json.reference;
    await waitForEvent(system, reference, 'stageEntered');
    const ended = await call(system, 'POST', `/api/disagreements/${reference}/withdraw`, bearer(key), { reason: 'Raised by mistake.' });
    expect(ended.status).toBe(200);
    await waitForEvent(system, reference, 'withdrawn');

    const named = { kind: 'apiClient', id: client.id, name: 'Hillside school MIS' };
    const { events } = (await system.getJson(`/api/disagreements/${reference}`)).body as { events: { type: string; actor: string | null; detail: any }[] };
    expect(events.find((e) => e.type === 'opened')?.detail.openedBy).toEqual(named);
    expect(events.find((e) => e.type === 'withdrawn')).toMatchObject({ actor: client.id, detail: { by: 'partnershipAdmin', reason: 'Raised by mistake.', endedBy: named } });
    const { rows } = await suite.db.query<{ opened_by_client: string }>('SELECT opened_by_client FROM cases WHERE reference = $1', [reference]);
    expect(rows).toEqual([{ opened_by_client: client.id }]);

    const page = await (await system.asAdmin('bromley')).get(`/cases/${reference}`);
    expect(page.status).toBe(200);
    const pageText = page.html;
    expect(pageText).toContain(`Through the agency system “Hillside school MIS” (API client ${client.id}).`);
    expect(pageText).toContain(`By the agency system “Hillside school MIS” (API client ${client.id}).`);
  });

  it('keeps no key in the database, only its SHA-256, and no key or child reference reaches the logs', async () => {
    const { suite, system } = ctx;
    const made = await Promise.all([system.keys.create('bromley', 'intake', 'Key audit (intake)'), system.keys.create('hull', 'read', 'Key audit (read)')]);
    // Each used once, so whatever a request writes (last use, idempotency, the record) is written.
    const opened = await call(system, 'POST', '/api/disagreements', { ...bearer(made[0].key), 'idempotency-key': randomUUID() }, newCase());
    expect(opened.status).toBe(201);
    expect((await call(system, 'GET', '/api/partnerships/hull/stats', bearer(made[1].key))).status).toBe(200);

    const secrets = [...made.map((m) => m.key), await system.keys.intake('bromley'), await system.keys.read('bromley')];
    const { rows: hashes } = await suite.db.query<{ id: string; key_hash: string }>('SELECT id, key_hash FROM api_clients WHERE id = ANY($1)', [made.map((m) => m.client.id)]);
    for (const m of made) {
      expect(hashes.find((h) => h.id === m.client.id)?.key_hash).toBe(createHash('sha256').update(m.key).digest('hex'));
    }
    // Every row of every table, as text: no key, and no key's secret part, anywhere.
    const { rows: tables } = await suite.db.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
    expect(tables.map((t) => t.name)).toContain('api_clients');
    let rowsSeen = 0;
    for (const { name } of tables) {
      const { rows } = await suite.db.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      rowsSeen += rows.length;
      for (const { row } of rows) {
        for (const key of secrets) {
          expect({ table: name, holdsKey: row.includes(key) || row.includes(key.slice(-43)) }).toEqual({ table: name, holdsKey: false });
        }
      }
    }
    expect(rowsSeen).toBeGreaterThan(made.length);

    const logs = logged.join('\n');
    for (const key of secrets) expect(logs).not.toContain(key.slice(-43));
    expect(logs).not.toContain(newCase().childReference);
    await finish(opened.json.reference);
  });
});
