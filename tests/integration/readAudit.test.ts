/**
 * Who has seen this file: every successful read of a case, its record, PDFs and proforma, through a
 * page or the API, is kept (append-only) against who read it; refused and failed reads are not.
 * The readers page is for the case's partnership admins only; its JSON for read clients of the
 * partnership. On real services: Temporal, SMTP, PGlite (and PostgreSQL when DATABASE_URL is set).
 * Everyone signs in for real: people taking part by a code sent to their address, staff through the
 * development OpenID provider; the audit names the person the session is for.
 */
import { recordRead, readsOf } from '../../api/audit';
import { OPERATIONS_ACCOUNT } from '../../api/identity/devProvider';
import type { ApiClientPrincipal, PersonPrincipal } from '../../api/identity/principal';
import type { Database } from '../../db/database';
import { log } from '../../shared/log';
import { databaseKinds, freshDatabase } from '../support/databases';
import { adminAccount, bearer, linkIn, newCase, toWithSubject, useSystem } from '../support/system';
import { Visitor } from '../support/visitor';

/** A read-scoped client of Bromley's (made per suite), and its public id. */
const KEY: Record<string, string> = {};
let CLIENT_ID = '';
/** The parties of `newCase()`: both take part in the case from the start. */
const RAISER = 'ann.teacher@example.org';
const OTHER = 'bob.sw@example.org';
/** Signs in by email code and takes part in no case. */
const STRANGER = 'someone.else@example.org';
const count = async (db: Database) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM case_reads')).rows[0].n;

/** Rows of the readers table, as text, in page order. */
const tableRows = (html: string) =>
  [...(html.match(/<tbody class="govuk-table__body">([\s\S]*?)<\/tbody>/)?.[1] ?? '').matchAll(/<tr class="govuk-table__row">([\s\S]*?)<\/tr>/g)].map((m) =>
    m[1].replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ').trim(),
  );

/** A GET as a signed-in visitor (their session cookie) or with bare headers (a key, or nothing). */
async function getAs(who: Visitor | Record<string, string>, url: string): Promise<{ status: number; type: string | null; text: string }> {
  if (who instanceof Visitor) {
    const page = await who.request(url, { follow: false });
    return { status: page.status, type: page.headers.get('content-type'), text: page.html };
  }
  const res = await fetch(url, { headers: who, redirect: 'manual' });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe.each(databaseKinds)('who has seen this file (%s)', (kind) => {
  const ctx = useSystem(kind);
  beforeAll(async () => {
    const key = await ctx.suite.keys.read('bromley');
    Object.assign(KEY, bearer(key));
    CLIENT_ID = key.slice('lscp_'.length, 'lscp_'.length + 'ac_'.length + 10);
  });

  it('keeps every read of a case, page and API, by who read it, newest first; refused and failed reads are not kept', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    const admin = adminAccount(suite.policies, 'bromley');
    // Everyone signs in first: signing in reads nothing of the case.
    const raiser = await system.as(RAISER);
    const other = await system.as(OTHER);
    const stranger = await system.as(STRANGER);
    const bromleyAdmin = await system.asAdmin('bromley');
    const hullAdmin = await system.asAdmin('hull');
    const before = await count(suite.db);
    const refusals = jest.spyOn(log, 'warn');

    // Refused or failed: nothing is kept. Nobody signed in is sent to sign in; someone not taking
    // part, or another partnership's admin, is refused.
    const anonymous = new Visitor(system.baseUrl);
    for (const path of [`/cases/${reference}`, `/cases/${reference}/record.pdf`]) {
      const res = await anonymous.request(path, { follow: false });
      expect({ path, status: res.status, location: res.headers.get('location') }).toEqual({ path, status: 303, location: `/sign-in?returnTo=${encodeURIComponent(path)}` });
    }
    expect((await stranger.get(`/cases/${reference}`)).status).toBe(403);
    expect((await stranger.get(`/cases/${reference}/record.pdf`)).status).toBe(403);
    expect((await hullAdmin.get(`/cases/${reference}/record`)).status).toBe(403);
    expect((await fetch(`${system.baseUrl}/api/disagreements/${reference}`)).status).toBe(401);
    expect((await fetch(`${system.baseUrl}/api/disagreements/BSCP-2026-ZZZZZZ`, { headers: KEY })).status).toBe(404);
    expect((await fetch(`${system.baseUrl}/cases/BSCP-2026-ZZZZZZ/record`, { headers: { cookie: bromleyAdmin.cookieHeader } })).status).toBe(403);
    expect((await fetch(`${system.baseUrl}/api/disagreements/not-a-reference/proforma`, { headers: KEY })).status).toBe(400);
    // A HEAD shows nothing of the file.
    expect((await fetch(`${system.baseUrl}/api/disagreements/${reference}/record.pdf`, { method: 'HEAD', headers: KEY })).status).toBe(200);
    expect((await fetch(`${system.baseUrl}/cases/${reference}/record.pdf`, { method: 'HEAD', headers: { cookie: raiser.cookieHeader } })).status).toBe(200);
    expect(await count(suite.db)).toBe(before);
    // The refusals were logged, with codes, kinds and roles only: never who by name or address.
    expect(refusals).toHaveBeenCalledWith({ access: 'refused', reason: 'signedOut', actorKind: 'anonymous', role: '', resource: 'case' }, 'access refused');
    expect(refusals).toHaveBeenCalledWith({ access: 'refused', reason: 'notTakingPart', actorKind: 'person', role: '', resource: 'record', reference }, 'access refused');
    expect(refusals).toHaveBeenCalledWith({ access: 'refused', reason: 'notTakingPart', actorKind: 'person', role: 'partnershipAdmin:hull', resource: 'record', reference }, 'access refused');
    expect(refusals).toHaveBeenCalledWith({ access: 'refused', reason: 'noCredentials', actorKind: 'anonymous', role: '', resource: 'api' }, 'access refused');
    expect(JSON.stringify(refusals.mock.calls.filter(([, message]) => message === 'access refused'))).not.toMatch(/@example\.org/);
    refusals.mockRestore();

    // The raiser, signed in: the case page, the record and proforma.
    for (const path of ['', '/record', '/record.pdf', '/proforma', '/proforma.pdf']) {
      const res = await fetch(`${system.baseUrl}/cases/${reference}${path}`, { headers: { cookie: raiser.cookieHeader } });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      await res.arrayBuffer();
    }
    // An agency system with a read key of the partnership, through the API.
    for (const path of ['', '/record.pdf', '/proforma']) {
      const res = await fetch(`${system.baseUrl}/api/disagreements/${reference}${path}`, { headers: KEY });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      await res.arrayBuffer();
    }
    // The other practitioner, signed in, through the decision link in their email.
    const invite = await suite.mail.waitFor(toWithSubject(OTHER, new RegExp(`${reference}: stage 1`)));
    expect((await other.get(linkIn(invite))).status).toBe(200);
    // A partnership admin, signed in with their organisation account.
    expect((await bromleyAdmin.get(`/cases/${reference}/record`)).status).toBe(200);

    const { total, reads } = await readsOf(suite.db, reference);
    expect(total).toBe(10);
    expect(await count(suite.db)).toBe(before + 10);
    expect(reads.map((r) => [r.what, r.via, r.actor.kind, r.actor.id])).toEqual([
      ['record', 'page', 'person', admin.email],
      ['respond', 'page', 'person', OTHER],
      ['proforma.json', 'api', 'apiClient', CLIENT_ID],
      ['record.pdf', 'api', 'apiClient', CLIENT_ID],
      ['case.json', 'api', 'apiClient', CLIENT_ID],
      ['proforma.pdf', 'page', 'person', RAISER],
      ['proforma', 'page', 'person', RAISER],
      ['record.pdf', 'page', 'person', RAISER],
      ['record', 'page', 'person', RAISER],
      ['case', 'page', 'person', RAISER],
    ]);
    // The real people: the staff account's address, name and roles; people signed in by code by their address.
    expect(reads[0].actor).toEqual({ kind: 'person', id: admin.email, name: admin.name, roles: 'partnershipAdmin:bromley' });
    expect(reads[1].actor).toEqual({ kind: 'person', id: OTHER, name: OTHER, roles: '' });
    expect(reads[2].actor).toMatchObject({ kind: 'apiClient', id: CLIENT_ID, roles: 'read:bromley' });
    expect(reads.at(-1)!.actor).toEqual({ kind: 'person', id: RAISER, name: RAISER, roles: '' });
    // As the table holds them.
    const { rows: people } = await suite.db.query<{ actor_id: string; actor_roles: string; n: number }>(
      `SELECT actor_id, actor_roles, count(*)::int AS n FROM case_reads WHERE reference = $1 AND actor_kind = 'person' GROUP BY actor_id, actor_roles ORDER BY actor_id`,
      [reference],
    );
    expect(people).toEqual([
      { actor_id: RAISER, actor_roles: '', n: 5 },
      { actor_id: admin.email, actor_roles: 'partnershipAdmin:bromley', n: 1 },
      { actor_id: OTHER, actor_roles: '', n: 1 },
    ].sort((a, b) => a.actor_id.localeCompare(b.actor_id)));
    // Never the key itself.
    expect(JSON.stringify(reads)).not.toContain(KEY.authorization.slice('Bearer '.length));
    const { rows } = await suite.db.query<{ partnership_id: string }>('SELECT DISTINCT partnership_id FROM case_reads WHERE reference = $1', [reference]);
    expect(rows).toEqual([{ partnership_id: 'bromley' }]);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it("shows the case's partnership admins who has seen the file, and nobody else", async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    const admin = adminAccount(suite.policies, 'bromley');
    const hull = adminAccount(suite.policies, 'hull');
    const raiser = await system.as(RAISER);
    const other = await system.as(OTHER);
    const bromleyAdmin = await system.asAdmin('bromley');
    const hullAdmin = await system.asAdmin('hull');
    const operations = await system.asStaff(OPERATIONS_ACCOUNT.email);
    const readers = (who: Visitor | Record<string, string>, query = '') => getAs(who, `${system.baseUrl}/cases/${reference}/readers${query}`);

    // The case page links to it for the partnership's admins only.
    expect((await bromleyAdmin.get(`/cases/${reference}`)).html).toContain(`href="/cases/${reference}/readers"`);
    const asRaiser = await raiser.get(`/cases/${reference}`);
    expect(asRaiser.status).toBe(200);
    expect(asRaiser.html).not.toContain('/readers');
    const asOther = await other.get(`/cases/${reference}`);
    expect(asOther.status).toBe(200);
    expect(asOther.html).not.toContain('/readers');
    // Another partnership's admin does not see the case at all (and so is not among its readers).
    const asOtherAdmin = await hullAdmin.get(`/cases/${reference}`);
    expect(asOtherAdmin.status).toBe(403);
    expect(asOtherAdmin.html).not.toContain('/readers');
    expect((await raiser.get(`/cases/${reference}/record.pdf`)).status).toBe(200);

    const page = await readers(bromleyAdmin);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Who has seen this file');
    // Newest first: the raiser's PDF, the other practitioner's and the raiser's case pages, then this admin's.
    const rows = tableRows(page.text);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/Record for the child's file \(PDF\) Web page$/);
    expect(rows[0]).toContain(`${RAISER} ${RAISER} Taking part in the case Record`);
    expect(rows[1]).toContain(`${OTHER} ${OTHER} Taking part in the case Case page Web page`);
    expect(rows[2]).toContain(`${RAISER} ${RAISER} Taking part in the case Case page Web page`);
    expect(rows[3]).toContain(`${admin.name} ${admin.email} Partnership admin, Bromley Safeguarding Children Partnership Case page Web page`);
    expect(page.text).not.toContain(hull.email);
    // Looking at who has seen it is not itself a read of the file.
    expect((await readsOf(suite.db, reference)).total).toBe(4);

    // Everyone else: a clear 403, whatever they hold.
    const refused: [string, Visitor | Record<string, string>][] = [
      ["another partnership's admin", hullAdmin],
      ['operations', operations],
      ['the other practitioner, taking part in the case', other],
      ['the raiser', raiser],
    ];
    for (const [who, credentials] of refused) {
      const res = await readers(credentials);
      const text = res.text.replace(/&#39;/g, "'");
      expect({ who, status: res.status, clear: text.includes("Only the partnership's admins can see who has seen this file") || text.includes('You cannot see this case') }).toEqual({ who, status: 403, clear: true });
      expect(text).not.toContain(admin.email);
    }
    // A key opens no page, and nobody is sent to sign in.
    for (const headers of [KEY, {}]) {
      const res = await fetch(`${system.baseUrl}/cases/${reference}/readers`, { headers, redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/sign-in?returnTo=${encodeURIComponent(`/cases/${reference}/readers`)}`);
    }
    expect((await readers(bromleyAdmin, '?page=2')).status).toBe(404);
    // An unknown case looks like one you may not see: the reference is not confirmed to exist.
    expect((await getAs(bromleyAdmin, `${system.baseUrl}/cases/BSCP-2026-ZZZZZZ/readers`)).status).toBe(403);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it('pages the readers 50 at a time', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
    // 120 reads kept straight into the audit, as the API keeps an API client's.
    for (let i = 0; i < 120; i++) {
      await recordRead(suite.db, readClient({ clientId: `client-${String(i).padStart(3, '0')}`, name: `Client ${i}` }), { reference, partnershipId: 'bromley', what: 'case.json', via: 'api' });
    }
    const admin = await system.asAdmin('bromley');
    const page = async (query: string) => {
      const res = await admin.get(`/cases/${reference}/readers${query}`);
      return { status: res.status, html: res.html };
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

  it("answers the partnership's read clients in JSON, and nobody else", async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    const caseJson = await fetch(`${system.baseUrl}/api/disagreements/${reference}`, { headers: KEY });
    expect(caseJson.status).toBe(200);
    await caseJson.text();
    const get = async (who: Visitor | Record<string, string>, ref = reference, query = '') => {
      const res = await getAs(who, `${system.baseUrl}/api/disagreements/${ref}/readers${query}`);
      return { status: res.status, type: res.type, body: JSON.parse(res.text) as { title?: string } };
    };

    // The partnership's read client: the reads, as JSON.
    const mine = await get(KEY);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ reference, total: 1, page: 1, reads: [{ what: 'case.json', via: 'api', actor: { kind: 'apiClient', id: CLIENT_ID, roles: 'read:bromley' } }] });
    // Another partnership's read client: as if there were no such case; the partnership's intake client: refused.
    expect((await get(bearer(await suite.keys.read('hull')))).status).toBe(404);
    expect((await get(bearer(await suite.keys.intake('bromley')))).status).toBe(403);

    // The JSON API takes keys, not sessions: a signed-in admin or participant without a key is asked for one.
    const admin = await get(await system.asAdmin('bromley'));
    expect(admin.status).toBe(401);
    expect(admin.type).toMatch(/problem\+json/);
    expect((await get(await system.as(RAISER))).status).toBe(401);
    // A key that is no key, and nothing at all: an API client key is needed.
    for (const headers of [bearer('lscp_ac_aaaaaaaaaa_not-a-key'), {}]) {
      const nobody = await get(headers);
      expect(nobody.status).toBe(401);
      expect(nobody.type).toMatch(/problem\+json/);
      expect(nobody.body.title).toMatch(/^(An API key is needed|This API key is not valid)$/);
    }
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

});

/** A reader kept straight into the audit: an API client with read scope of bromley. */
const readClient = (overrides: Partial<ApiClientPrincipal> = {}): ApiClientPrincipal => ({
  kind: 'apiClient',
  clientId: 'bromley-reporting',
  name: 'Bromley reporting system',
  partnershipId: 'bromley',
  scope: 'read',
  ...overrides,
});

/** A reader kept straight into the audit: Bromley's admin as their session names them. */
const bromleyAdminReader: PersonPrincipal = {
  kind: 'person',
  sessionRef: 'not-a-request',
  email: 'bscp@example.org',
  name: 'BSCP business unit',
  method: 'oidc',
  roles: [{ role: 'partnershipAdmin', partnershipId: 'bromley' }],
};

describe.each(databaseKinds)('the read audit is append-only (%s)', (kind) => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await freshDatabase(kind));
    await db.query(
      `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags, opened_at)
       VALUES ('BSCP-2026-AAAAA1', 'bromley', '1.5', 'levels-of-need', '{}', '{}', 'X', 'Y', '{}', now())`,
    );
    await recordRead(db, bromleyAdminReader, { reference: 'BSCP-2026-AAAAA1', partnershipId: 'bromley', what: 'record', via: 'page' });
  });
  afterAll(async () => {
    await drop?.();
  });

  it('refuses to update, delete or truncate a read', async () => {
    // The application's own login has no such right on PostgreSQL; on PGlite (one user) the triggers refuse.
    await expect(db.query(`UPDATE case_reads SET actor_id = 'someone.else@example.org'`)).rejects.toThrow(/case_reads is append-only: UPDATE refused|permission denied for table case_reads/);
    await expect(db.query('DELETE FROM case_reads')).rejects.toThrow(/case_reads is append-only: DELETE refused|permission denied for table case_reads/);
    await expect(db.query('TRUNCATE case_reads')).rejects.toThrow(/case_reads is append-only: TRUNCATE refused|permission denied for table case_reads/);
    expect(await count(db)).toBe(1);
  });

  it('keeps only known kinds of read, and only of a case that exists', async () => {
    await expect(recordRead(db, bromleyAdminReader, { reference: 'BSCP-2026-AAAAA1', partnershipId: 'bromley', what: 'everything' as never, via: 'page' })).rejects.toThrow();
    await expect(recordRead(db, bromleyAdminReader, { reference: 'BSCP-2026-ZZZZZZ', partnershipId: 'bromley', what: 'record', via: 'page' })).rejects.toThrow();
    expect(await count(db)).toBe(1);
  });
});
