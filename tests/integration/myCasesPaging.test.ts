/**
 * My cases a page at a time (issue 11: it once showed only the first 500), with the GOV.UK
 * pagination component; overdue by the one definition (shared/overdue.ts): a case whose clock is
 * paused is not overdue, however long ago its deadline was.
 */
import type { Database } from '../../db/database';
import { appendEvent } from '../../db/record';
import { signedIn, startSuite, type Suite } from '../support/system';
import { webApp, type WebApp } from '../support/webApp';
import { textOf } from '../support/visitor';

const PERSON = 'paged.worker@example.org';
const DAY = 86_400_000;
const ref = (n: number) => `BSCP-2026-P${String(n).padStart(5, '0')}`;

const referencesOn = (html: string) => [...html.matchAll(/data-reference="([^"]+)"/g)].map((m) => m[1]);
const rowOf = (html: string, reference: string) => textOf(html.match(new RegExp(`<tr[^>]*data-reference="${reference}"[\\s\\S]*?</tr>`))?.[0] ?? '');

/** 30 resolved cases, one overdue by two days, one whose deadline passed while its clock is paused. */
async function seed(db: Database, now: number) {
  const add = async (n: number, status: string, deadline: number | null, pausedAt: number | null) => {
    const opened = new Date(now - 40 * DAY + n * 60_000).toISOString();
    await db.query(
      `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags,
                          status, current_stage, stage_name, stage_deadline, clock_paused_at, opened_at, closed_at)
       VALUES ($1, 'bromley', '1.5', 'levels-of-need', $2, $3, 'NHS 943 476 5919', 'A description', '{}', $4, $5, $6, $7, $8, $9, $10)`,
      [
        ref(n),
        JSON.stringify({ name: 'Paged Worker', email: PERSON, agencyId: 'hillside-primary' }),
        JSON.stringify({ name: 'Other Worker', email: 'other.paged@example.org', agencyId: 'bromley-csc' }),
        status,
        status === 'open' ? 1 : null,
        status === 'open' ? 'Discuss with the other worker' : null,
        deadline === null ? null : new Date(deadline).toISOString(),
        pausedAt === null ? null : new Date(pausedAt).toISOString(),
        opened,
        status === 'open' ? null : new Date(now - DAY).toISOString(),
      ],
    );
    await appendEvent(db, { reference: ref(n), seq: 0, type: 'opened', at: opened, detail: { category: 'levels-of-need' } });
  };
  for (let n = 1; n <= 30; n++) await add(n, 'resolved', null, null);
  await add(31, 'open', now - 2 * DAY - 60_000, null);
  await add(32, 'open', now - 5 * DAY, now - 6 * DAY);
}

describe('My cases, a page at a time', () => {
  let suite: Suite;
  let web: WebApp;

  beforeAll(async () => {
    suite = await startSuite('pglite');
    web = await webApp(suite);
    await seed(suite.db, Date.now());
  });
  afterAll(async () => {
    await web?.close();
    await suite?.close();
  });

  it('shows 25 a page, the overdue first, with GOV.UK pagination', async () => {
    const person = await signedIn(web.baseUrl, suite.mail, PERSON);
    const first = await person.request('/my-cases');
    expect(first.status).toBe(200);
    const onFirst = referencesOn(first.html);
    expect(onFirst).toHaveLength(25);
    expect(onFirst[0]).toBe(ref(31));
    expect(textOf(first.html)).toContain('Showing cases 1 to 25 of 32');
    expect(first.html).toContain('class="govuk-pagination');
    expect(first.html).toContain('href="/my-cases?page=2"');
    expect(first.html).not.toContain('govuk-pagination__prev');
    expect(rowOf(first.html, ref(31))).toMatch(/Overdue 2 days late/);
    // Paused: not overdue, though its deadline passed five days ago.
    expect(rowOf(first.html, ref(32))).not.toMatch(/Overdue/);
    expect(rowOf(first.html, ref(32))).toMatch(/Clock paused/);

    const second = await person.request('/my-cases?page=2');
    const onSecond = referencesOn(second.html);
    expect(onSecond).toHaveLength(7);
    expect(new Set([...onFirst, ...onSecond]).size).toBe(32);
    expect(textOf(second.html)).toContain('Showing cases 26 to 32 of 32');
    expect(second.html).toContain('href="/my-cases"');
    expect(second.html).not.toContain('govuk-pagination__next');
    // Nothing waits on page 2, but it does not say "nothing is waiting" there.
    expect(second.html).not.toContain('Nothing is waiting for your decision');

    // Beyond the last page: the last page. Not a page number: the GOV.UK error summary.
    expect(referencesOn((await person.request('/my-cases?page=9')).html)).toEqual(onSecond);
    const bad = await person.request('/my-cases?page=two');
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('There is a problem');
    expect(bad.html).toContain('Page must be a page number');
  });
});
