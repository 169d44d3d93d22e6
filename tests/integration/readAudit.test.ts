/**
 * Who has seen this file: every successful read of a case, its record, PDFs and proforma, through a
 * page or the API, is kept (append-only) against who read it; refused and failed reads are not.
 * The readers page is for the case's partnership admins only; its JSON for read clients of the
 * partnership. On real services: Temporal, SMTP, PGlite (and PostgreSQL when DATABASE_URL is set).
 */
import { recordRead, readsOf } from '../../api/audit';
import { apiKeyFingerprint } from '../../api/access';
import type { Database } from '../../db/database';
import { log } from '../../shared/log';
import { databaseKinds, freshDatabase } from '../support/databases';
import { apiClient, as, bromleyAdmin, hullAdmin, operations, participant } from '../support/principals';
import { API_KEY, linkIn, newCase, toWithSubject, useSystem } from '../support/system';

const KEY = { authorization: `Bearer ${API_KEY}` };
const count = async (db: Database) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM case_reads')).rows[0].n;

/** The view link's cookie, taken the way a browser does (the token leaves the address). */
async function viewCookie(url: string): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(303);
  return res.headers.getSetCookie()[0].split(';')[0];
}

/** Rows of the readers table, as text, in page order. */
const tableRows = (html: string) =>
  [...(html.match(/<tbody class="govuk-table__body">([\s\S]*?)<\/tbody>/)?.[1] ?? '').matchAll(/<tr class="govuk-table__row">([\s\S]*?)<\/tr>/g)].map((m) =>
    m[1].replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ').trim(),
  );

describe.each(databaseKinds)('who has seen this file (%s)', (kind) => {
  const ctx = useSystem(kind, [], { principals: true });

  it('keeps every read of a case, page and API, by who read it, newest first; refused and failed reads are not kept', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    const before = await count(suite.db);
    const refusals = jest.spyOn(log, 'warn');

    // Refused or failed: nothing is kept.
    expect((await fetch(`${system.baseUrl}/cases/${reference}`)).status).toBe(403);
    expect((await fetch(`${system.baseUrl}/cases/${reference}/record.pdf`)).status).toBe(403);
    expect((await fetch(`${system.baseUrl}/api/disagreements/${reference}`)).status).toBe(401);
    expect((await fetch(`${system.baseUrl}/api/disagreements/BSCP-2026-ZZZZZZ`, { headers: KEY })).status).toBe(404);
    expect((await fetch(`${system.baseUrl}/cases/BSCP-2026-ZZZZZZ/record`, { headers: KEY })).status).toBe(404);
    expect((await fetch(`${system.baseUrl}/api/disagreements/not-a-reference/proforma`, { headers: KEY })).status).toBe(400);
    // A HEAD shows nothing of the file.
    expect((await fetch(`${system.baseUrl}/api/disagreements/${reference}/record.pdf`, { method: 'HEAD', headers: KEY })).status).toBe(200);
    expect(await count(suite.db)).toBe(before);
    // The refusal was logged, with codes and kinds only.
    expect(refusals).toHaveBeenCalledWith({ access: 'refused', reason: 'noLinkForCase', actorKind: 'anonymous', role: '', resource: 'case', reference }, 'access refused');
    expect(refusals).toHaveBeenCalledWith({ access: 'refused', reason: 'noCredentials', actorKind: 'anonymous', role: '', resource: 'api' }, 'access refused');
    refusals.mockRestore();

    // The raiser, through their view link: the case page, the page after a link, the record and proforma.
    const cookie = { cookie: await viewCookie(opened.body.url) };
    for (const path of ['', '/opened', '/record', '/record.pdf', '/proforma', '/proforma.pdf']) {
      const res = await fetch(`${system.baseUrl}/cases/${reference}${path}`, { headers: cookie });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      await res.arrayBuffer();
    }
    // An agency system with the shared key, through the API.
    for (const path of ['', '/record.pdf', '/proforma']) {
      const res = await fetch(`${system.baseUrl}/api/disagreements/${reference}${path}`, { headers: KEY });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      await res.arrayBuffer();
    }
    // The other practitioner, through the decision link in their email.
    const invite = await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${reference}: stage 1`)));
    const respond = await fetch(linkIn(invite));
    expect(respond.status).toBe(200);
    await respond.text();
    // A signed-in partnership admin (here with the key the case pages still ask for).
    const adminRead = await fetch(`${system.baseUrl}/cases/${reference}/record`, { headers: { ...KEY, ...as(bromleyAdmin) } });
    expect(adminRead.status).toBe(200);
    await adminRead.text();

    const { total, reads } = await readsOf(suite.db, reference);
    expect(total).toBe(11);
    expect(await count(suite.db)).toBe(before + 11);
    const key = apiKeyFingerprint(API_KEY);
    expect(reads.map((r) => [r.what, r.via, r.actor.kind, r.actor.id])).toEqual([
      ['record', 'page', 'person', bromleyAdmin.email],
      ['respond', 'page', 'link', 'other.worker.0'],
      ['proforma.json', 'api', 'apiKey', key],
      ['record.pdf', 'api', 'apiKey', key],
      ['case.json', 'api', 'apiKey', key],
      ['proforma.pdf', 'page', 'link', 'raiser.worker.0'],
      ['proforma', 'page', 'link', 'raiser.worker.0'],
      ['record.pdf', 'page', 'link', 'raiser.worker.0'],
      ['record', 'page', 'link', 'raiser.worker.0'],
      ['case', 'page', 'link', 'raiser.worker.0'],
      ['case', 'page', 'link', 'raiser.worker.0'],
    ]);
    expect(reads[0].actor).toEqual({ kind: 'person', id: bromleyAdmin.email, name: bromleyAdmin.name, roles: 'partnershipAdmin:bromley' });
    expect(reads[1].actor).toMatchObject({ name: null, roles: 'worker' });
    expect(reads[2].actor).toMatchObject({ name: null, roles: 'staffKey' });
    // Never the key itself.
    expect(JSON.stringify(reads)).not.toContain(API_KEY);
    const { rows } = await suite.db.query<{ partnership_id: string }>('SELECT DISTINCT partnership_id FROM case_reads WHERE reference = $1', [reference]);
    expect(rows).toEqual([{ partnership_id: 'bromley' }]);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it("shows the case's partnership admins who has seen the file, and nobody else", async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    const cookie = { cookie: await viewCookie(opened.body.url) };
    const readers = (headers: Record<string, string> = {}, query = '') => fetch(`${system.baseUrl}/cases/${reference}/readers${query}`, { headers });

    // The case page links to it for the partnership's admins only.
    const asAdmin = await fetch(`${system.baseUrl}/cases/${reference}`, { headers: { ...KEY, ...as(bromleyAdmin) } });
    expect(await asAdmin.text()).toContain(`href="/cases/${reference}/readers"`);
    const asRaiser = await fetch(`${system.baseUrl}/cases/${reference}`, { headers: cookie });
    expect(await asRaiser.text()).not.toContain('/readers');
    const asOtherAdmin = await fetch(`${system.baseUrl}/cases/${reference}`, { headers: { ...KEY, ...as(hullAdmin) } });
    expect(await asOtherAdmin.text()).not.toContain('/readers');
    const recordPdf = await fetch(`${system.baseUrl}/cases/${reference}/record.pdf`, { headers: cookie });
    await recordPdf.arrayBuffer();

    const page = await readers(as(bromleyAdmin));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Who has seen this file');
    // Newest first: the PDF, the Hull admin's and the raiser's case pages, then this admin's.
    const rows = tableRows(html);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/Holder of the email link sent to the practitioner raiser's side \(raiser\.worker\.0\) practitioner Record for the child's file \(PDF\) Web page$/);
    expect(rows[1]).toContain(`${hullAdmin.name} ${hullAdmin.email} Partnership admin, Hull Safeguarding Children Board Case page Web page`);
    expect(rows[2]).toContain('Holder of the email link sent to the practitioner');
    expect(rows[3]).toContain(`${bromleyAdmin.name} ${bromleyAdmin.email} Partnership admin, Bromley Safeguarding Children Partnership Case page Web page`);
    // Looking at who has seen it is not itself a read of the file.
    expect((await readsOf(suite.db, reference)).total).toBe(4);

    // Everyone else: a clear 403, whatever they hold.
    const refused: [string, Record<string, string>][] = [
      ["another partnership's admin", as(hullAdmin)],
      ['operations', as(operations)],
      ['someone taking part in cases', as(participant)],
      ['an API client of the partnership', as(apiClient())],
      ["the raiser's view link", cookie],
      ['the shared staff key', KEY],
      ['nobody', {}],
    ];
    for (const [who, headers] of refused) {
      const res = await readers(headers);
      const text = (await res.text()).replace(/&#39;/g, "'");
      expect({ who, status: res.status, clear: text.includes("Only the partnership's admins can see who has seen this file") }).toEqual({ who, status: 403, clear: true });
      expect(text).not.toContain(bromleyAdmin.email);
    }
    expect((await readers(as(bromleyAdmin), '?page=2')).status).toBe(404);
    expect((await fetch(`${system.baseUrl}/cases/BSCP-2026-ZZZZZZ/readers`, { headers: as(bromleyAdmin) })).status).toBe(404);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it('pages the readers 50 at a time', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
    for (let i = 0; i < 120; i++) {
      await recordRead(suite.db, apiClient({ clientId: `client-${String(i).padStart(3, '0')}`, name: `Client ${i}` }), { reference, partnershipId: 'bromley', what: 'case.json', via: 'api' });
    }
    const page = async (query: string) => {
      const res = await fetch(`${system.baseUrl}/cases/${reference}/readers${query}`, { headers: as(bromleyAdmin) });
      return { status: res.status, html: await res.text() };
    };
    const first = await page('');
    expect(tableRows(first.html)).toHaveLength(50);
    expect(tableRows(first.html)[0]).toContain('Client 119');
    expect(first.html).toContain('Showing 1 to 50 of 120');
    expect(first.html).toContain(`href="/cases/${reference}/readers?page=2"`);
    const third = await page('?page=3');
    expect(third.status).toBe(200);
    expect(tableRows(third.html)).toHaveLength(20);
    expect(tableRows(third.html).at(-1)).toContain('Client 0 ');
    expect(third.html).toContain('Showing 101 to 120 of 120');
    for (const query of ['?page=4', '?page=0', '?page=abc', '?page=-1']) expect({ query, status: (await page(query)).status }).toEqual({ query, status: 404 });
  });

  it("answers the partnership's read clients in JSON", async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    const caseJson = await fetch(`${system.baseUrl}/api/disagreements/${reference}`, { headers: { ...KEY, ...as(apiClient()) } });
    expect(caseJson.status).toBe(200);
    await caseJson.text();
    const get = async (headers: Record<string, string>, ref = reference, query = '') => {
      const res = await fetch(`${system.baseUrl}/api/disagreements/${ref}/readers${query}`, { headers });
      return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
    };

    const allowed = await get(as(apiClient()));
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ reference, total: 1, page: 1, perPage: 50 });
    expect(allowed.body.reads).toEqual([
      { at: expect.any(String), what: 'case.json', via: 'api', actor: { kind: 'apiClient', id: 'bromley-reporting', name: 'Bromley reporting system', roles: 'read:bromley' } },
    ]);

    expect((await get(as(apiClient({ scope: 'intake' })))).status).toBe(403);
    expect((await get(as(apiClient({ clientId: 'hull-reporting', partnershipId: 'hull' })))).status).toBe(403);
    expect((await get(as(bromleyAdmin))).status).toBe(403);
    const nobody = await get(KEY);
    expect(nobody.status).toBe(401);
    expect(nobody.type).toMatch(/problem\+json/);
    expect((await get(as(apiClient()), 'BSCP-2026-ZZZZZZ')).status).toBe(404);
    expect((await get(as(apiClient()), 'not-a-reference')).status).toBe(400);
    expect((await get(as(apiClient()), reference, '?page=x')).status).toBe(400);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });
});

describe.each(databaseKinds)('the read audit is append-only (%s)', (kind) => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await freshDatabase(kind));
    await db.query(
      `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags, opened_at)
       VALUES ('BSCP-2026-AAAAA1', 'bromley', '1.5', 'levels-of-need', '{}', '{}', 'X', 'Y', '{}', now())`,
    );
    await recordRead(db, bromleyAdmin, { reference: 'BSCP-2026-AAAAA1', partnershipId: 'bromley', what: 'record', via: 'page' });
  });
  afterAll(async () => {
    await drop?.();
  });

  it('refuses to update, delete or truncate a read', async () => {
    await expect(db.query(`UPDATE case_reads SET actor_id = 'someone.else@example.org'`)).rejects.toThrow(/case_reads is append-only: UPDATE refused/);
    await expect(db.query('DELETE FROM case_reads')).rejects.toThrow(/case_reads is append-only: DELETE refused/);
    await expect(db.query('TRUNCATE case_reads')).rejects.toThrow(/case_reads is append-only: TRUNCATE refused/);
    expect(await count(db)).toBe(1);
  });

  it('keeps only known kinds of read, and only of a case that exists', async () => {
    await expect(recordRead(db, bromleyAdmin, { reference: 'BSCP-2026-AAAAA1', partnershipId: 'bromley', what: 'everything' as never, via: 'page' })).rejects.toThrow();
    await expect(recordRead(db, bromleyAdmin, { reference: 'BSCP-2026-ZZZZZZ', partnershipId: 'bromley', what: 'record', via: 'page' })).rejects.toThrow();
    expect(await count(db)).toBe(1);
  });
});
