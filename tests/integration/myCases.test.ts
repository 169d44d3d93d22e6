/**
 * "My cases" and every case of a partnership (api/routes/home.ts), through the real app on a real
 * database, signed in for real: who sees which case, what waits for my decision first, overdue,
 * the admin's search, filters, paging and the dashboard's drill-down. A list is not a read.
 */
import { adminAccount, signedIn, signedInAsStaff, startSuite, type Suite } from '../support/system';
import { databaseKinds } from '../support/databases';
import { webApp, type WebApp } from '../support/webApp';
import { Visitor, textOf } from '../support/visitor';
import { ANN, B, BOB, CHILD_REFERENCE, DESCRIPTION, H1, TARA, seedHomeCases } from '../support/homeSeed';

/** The references in one table of a page, in order. */
const referencesIn = (html: string, tableId: string) => {
  const table = html.match(new RegExp(`<table[^>]*id="${tableId}"[\\s\\S]*?</table>`))?.[0] ?? '';
  return [...table.matchAll(/data-reference="([^"]+)"/g)].map((m) => m[1]);
};
const rowOf = (html: string, reference: string) => textOf(html.match(new RegExp(`<tr[^>]*data-reference="${reference}"[\\s\\S]*?</tr>`))?.[0] ?? '');

describe.each(databaseKinds)('a home for each person (%s)', (kind) => {
  let suite: Suite;
  let web: WebApp;

  beforeAll(async () => {
    suite = await startSuite(kind);
    web = await webApp(suite);
    await seedHomeCases(suite.db);
  });
  afterAll(async () => {
    await web?.close();
    await suite?.close();
  });

  const reads = async () => (await suite.db.query<{ n: number }>('SELECT count(*)::int AS n FROM case_reads')).rows[0].n;

  it('sends someone signed out to sign in', async () => {
    const page = await new Visitor(web.baseUrl).request('/my-cases', { follow: false });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/sign-in?returnTo=%2Fmy-cases');
  });

  it("shows a practitioner only her cases, what awaits her decision first, overdue marked, and nothing from the child's file", async () => {
    const before = await reads();
    const ann = await signedIn(web.baseUrl, suite.mail, ANN);
    const page = await ann.request('/my-cases');
    expect(page.status).toBe(200);
    expect(referencesIn(page.html, 'awaiting')).toEqual([B(2)]);
    expect(referencesIn(page.html, 'other-cases')).toEqual([B(1)]);
    const overdue = rowOf(page.html, B(2));
    expect(overdue).toMatch(/Your decision/);
    expect(overdue).toMatch(/Overdue 3 days late/);
    expect(overdue).toContain('1: Discuss with the other worker');
    expect(overdue).toContain('Metropolitan Police, South Area'); // the other side
    const waiting = rowOf(page.html, B(1));
    expect(waiting).toContain("Bromley Children's Social Care");
    expect(waiting).toContain('2: Escalate to line manager');
    expect(waiting).not.toMatch(/Overdue/);
    expect(waiting).toMatch(/(am|pm|midday|midnight) on \w+day \d+ \w+/); // the deadline in words
    expect(page.html).not.toContain(CHILD_REFERENCE);
    expect(page.html).not.toContain(DESCRIPTION);
    expect(page.html).toContain('href="/my-cases"'); // the header's link
    // Listing is not a read of any file.
    expect(await reads()).toBe(before);
    // Not an admin: the partnership's list is refused.
    expect((await ann.request('/partnerships/bromley/cases')).status).toBe(403);
  });

  it('puts a manager asked to decide first, and not a stage they have already decided', async () => {
    const tara = await signedInAsStaff(web.baseUrl, TARA);
    const page = await tara.request('/my-cases');
    expect(referencesIn(page.html, 'awaiting')).toEqual([B(1)]);
    expect(referencesIn(page.html, 'other-cases')).toEqual([B(3)]);
    expect(page.html.indexOf(B(1))).toBeLessThan(page.html.indexOf(B(3)));
    // Her invitation was for the other party's side (children's social care): the other side is the raiser's agency.
    expect(rowOf(page.html, B(1))).toContain('Hillside Primary School');
    expect(rowOf(page.html, B(1))).not.toContain("Bromley Children's Social Care");
    expect(rowOf(page.html, B(3))).toContain('Metropolitan Police, South Area');
    expect(rowOf(page.html, B(3))).not.toContain("Bromley Children's Social Care");
  });

  it('shows the other side of a case its own side', async () => {
    const bob = await signedIn(web.baseUrl, suite.mail, BOB);
    const page = await bob.request('/my-cases');
    expect(referencesIn(page.html, 'awaiting')).toEqual([]);
    expect(page.html).toContain('Nothing is waiting for your decision');
    expect(referencesIn(page.html, 'other-cases').sort()).toEqual([B(1), B(3)]);
    expect(rowOf(page.html, B(1))).toContain('Hillside Primary School');
  });

  it("gives the partnership's admin every case, with search, filters and paging, and no file read", async () => {
    const before = await reads();
    const admin = await signedInAsStaff(web.baseUrl, adminAccount(suite.policies, 'bromley').email);
    const home = await admin.request('/my-cases');
    expect(home.html).toContain('href="/partnerships/bromley/cases"');

    const all = await admin.request('/partnerships/bromley/cases');
    expect(all.status).toBe(200);
    expect(textOf(all.html)).toContain('Showing 1 to 25 of 28 cases');
    // Overdue first, then the open cases by deadline, then the rest.
    expect(referencesIn(all.html, 'cases').slice(0, 3)).toEqual([B(2), B(3), B(1)]);
    expect(all.html).not.toContain(H1);
    expect(all.html).not.toContain(CHILD_REFERENCE);
    expect(all.html).not.toContain(DESCRIPTION);
    const second = await admin.request('/partnerships/bromley/cases?page=2');
    expect(referencesIn(second.html, 'cases')).toHaveLength(3);
    expect(textOf(second.html)).toContain('Showing 26 to 28 of 28 cases');

    const list = async (query: string) => referencesIn((await admin.request(`/partnerships/bromley/cases?${query}`)).html, 'cases');
    expect(await list('q=h00002')).toEqual([B(2)]);
    expect(await list('overdue=yes')).toEqual([B(2)]);
    expect(await list('flag=childProtectionPlan')).toEqual([B(1)]);
    expect(await list('flag=lookedAfter')).toEqual([B(4)]);
    expect(await list('flag=immediateHarm&flag=childProtectionPlan')).toEqual([]);
    expect((await list('agency=met-police-sn&status=open')).sort()).toEqual([B(2), B(3)]);
    expect(await list('stage=2&status=open')).toEqual([B(3), B(1)]);
    expect(await list('status=resolved&agency=hillside-primary')).toEqual([B(4)]);

    const wrong = await admin.request('/partnerships/bromley/cases?stage=first&agency=nowhere');
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain('<title>Error: ');
    expect(textOf(wrong.html)).toContain('Stage must be a stage number');
    expect(textOf(wrong.html)).toContain('Error: Stage must be a stage number'); // inline, by the field
    expect(textOf(wrong.html)).toContain('Agency must be an agency in the directory');

    expect(await reads()).toBe(before);
  });

  it("drills down from the dashboard's figures to the cases behind them", async () => {
    const admin = await signedInAsStaff(web.baseUrl, adminAccount(suite.policies, 'bromley').email);
    const dashboard = await admin.request('/partnerships/bromley/dashboard');
    expect(dashboard.html).toContain('href="/partnerships/bromley/cases">Every case of the partnership</a>');
    const overdueLink = dashboard.html.match(/href="(\/partnerships\/bromley\/cases\?overdue=yes)"/)?.[1];
    expect(overdueLink).toBeDefined();
    expect(referencesIn((await admin.request(overdueLink!)).html, 'cases')).toEqual([B(2)]);
    const stageLink = dashboard.html.match(/href="(\/partnerships\/bromley\/cases\?status=open&amp;stage=2)"/)?.[1];
    expect(stageLink).toBeDefined();
    expect(referencesIn((await admin.request(stageLink!.replace(/&amp;/g, '&'))).html, 'cases')).toEqual([B(3), B(1)]);
    // The dashboard's own filter goes along.
    const filtered = await admin.request('/partnerships/bromley/dashboard?agency=met-police-sn');
    expect(filtered.html).toContain('href="/partnerships/bromley/cases?agency=met-police-sn&amp;overdue=yes"');
  });

  it("shows another partnership's admin none of this partnership's cases", async () => {
    const hull = await signedInAsStaff(web.baseUrl, adminAccount(suite.policies, 'hull').email);
    expect((await hull.request('/partnerships/bromley/cases')).status).toBe(403);
    const own = await hull.request('/partnerships/hull/cases');
    expect(referencesIn(own.html, 'cases')).toEqual([H1]);
    const mine = await hull.request('/my-cases');
    expect(mine.html).not.toMatch(/BSCP-2026-H/);
  });
});
