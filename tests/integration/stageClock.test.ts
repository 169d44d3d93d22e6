/**
 * The stage clock and overdue through the real system (dev server, worker, API, PGlite, SMTP):
 * the dashboard, the partnership's case list, My cases, the case page and the Temporal query on
 * LscpStageDueAt agree that a final stage in its last chance is overdue; a participant pauses the
 * clock from the case page (form, check your answers, confirmation), an admin resumes it, and a
 * participant extends the deadline with the GOV.UK date input.
 */
import { join } from 'node:path';
import { endOfWorkingDay } from '../../api/routes/clock';
import { linkIn, openLink, toWithSubject, newCase, useSystem, waitForEvent, type Suite } from '../support/system';
import { csrfIn, textOf, type Visitor } from '../support/visitor';

const CLOCK_PACK = join(__dirname, '..', 'fixtures', 'packs', 'quick-clock.yaml');
const clockCase = () =>
  newCase({
    partnership: 'quick-clock',
    category: 'need-for-action',
    raiser: { name: 'Sam School', email: 'sam@clock.example.org', agency: 'school' },
    other: { name: 'Pat Police', email: 'pat@clock.example.org', agency: 'police' },
  });

async function listUntil(suite: Suite, query: string, done: (ids: string[]) => boolean): Promise<string[]> {
  let ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    ids = [];
    for await (const wf of suite.temporal.workflow.list({ query })) ids.push(wf.workflowId);
    if (done(ids)) return ids;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return ids;
}

const rowOf = (html: string, reference: string) => textOf(html.match(new RegExp(`<tr[^>]*data-reference="${reference}"[\\s\\S]*?</tr>`))?.[0] ?? '');
const clockBlock = (html: string) => textOf(html.match(/<div[^>]*id="stage-clock"[\s\S]*?<\/div>/)?.[0] ?? '');

/** Fills in a clock form, then confirms the check-your-answers page. */
async function submitClock(person: Visitor, reference: string, action: string, form: Record<string, string>) {
  const page = await person.request(`/cases/${reference}/clock/${action}`);
  expect(page.status).toBe(200);
  const check = await person.request(`/cases/${reference}/clock/${action}`, { form: { _csrf: csrfIn(page.html)!, ...form }, follow: false });
  expect(check.status).toBe(200);
  expect(check.html).toContain('Check your answers');
  const hidden = Object.fromEntries([...check.html.split('/confirm"')[1].split('</form>')[0].matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  return person.request(`/cases/${reference}/clock/${action}/confirm`, { form: hidden, follow: false });
}

describe('the stage clock and overdue, through the real system', () => {
  const ctx = useSystem('pglite', [CLOCK_PACK]);

  it('agrees everywhere that a final stage in its last chance is overdue, and how late', async () => {
    const { suite, system } = ctx;
    const reference = (await system.postJson('/api/disagreements', clockCase())).body.reference as string;
    const invite = (to: string, stage: number) => suite.mail.waitFor(toWithSubject(to, new RegExp(`${reference}: stage ${stage}: .* - action needed`)));
    expect((await (await openLink(linkIn(await invite('sam@clock.example.org', 1)))).submit({ outcome: 'notResolved', reasons: 'Still apart.' })).status).toBe(200);
    expect((await (await openLink(linkIn(await invite('deputy@clock.example.org', 2)))).submit({ outcome: 'notResolved', reasons: 'Still apart.' })).status).toBe(200);
    // The chair's three seconds pass: reminded once, with an hour's last chance.
    await suite.mail.waitFor(toWithSubject('chair@clock.example.org', new RegExp(`${reference}: stage 3: .* - deadline passed`)));
    await waitForEvent(system, reference, 'reminderSent');
    const row = (await suite.db.query<{ stage_deadline: Date; stage_last_chance: Date }>('SELECT stage_deadline, stage_last_chance FROM cases WHERE reference = $1', [reference])).rows[0];
    expect(row.stage_last_chance.getTime()).toBeGreaterThan(row.stage_deadline.getTime());
    expect(row.stage_deadline.getTime()).toBeLessThan(Date.now());

    const admin = await system.asAdmin('quick-clock');
    // The dashboard counts it and lists it with the due deadline.
    const stats = await system.getJson('/api/partnerships/quick-clock/stats');
    expect(stats.body.overdue.map((o: { reference: string }) => o.reference)).toContain(reference);
    expect(Date.parse(stats.body.overdue.find((o: { reference: string }) => o.reference === reference).deadline)).toBe(row.stage_deadline.getTime());
    const dashboard = await admin.request('/partnerships/quick-clock/dashboard');
    expect(textOf(dashboard.html.match(/<table[^>]*id="open-cases"[\s\S]*?<\/table>/)![0])).toMatch(new RegExp(`${reference} .*Overdue was .*\\(less than an hour late\\)`));
    // The partnership's list, filtered to overdue, tags it and says how late.
    const list = await admin.request('/partnerships/quick-clock/cases?overdue=yes');
    expect(rowOf(list.html, reference)).toMatch(/Overdue less than an hour late/);
    // The chair's own list says so too.
    const chair = await system.as('chair@clock.example.org');
    expect(rowOf((await chair.request('/my-cases')).html, reference)).toMatch(/Overdue less than an hour late/);
    // The case page: the Overdue tag, how late, and the last chance, apart.
    const page = await admin.request(`/cases/${reference}`);
    expect(clockBlock(page.html)).toMatch(/Overdue less than an hour late: the outcome was due/);
    expect(page.html).toContain('id="last-chance"');
    // The README's operations query finds it; the stage's last-chance deadline alone would not.
    const now = new Date().toISOString();
    expect(await listUntil(suite, `LscpStageDueAt < "${now}" AND ExecutionStatus = "Running"`, (ids) => ids.includes(reference))).toContain(reference);
    expect(await listUntil(suite, `LscpStageDeadline < "${now}" AND WorkflowId = "${reference}"`, (ids) => ids.length === 0)).toEqual([]);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it('lets a participant pause the clock from the case page, an admin resume it, and a participant extend the deadline', async () => {
    const { suite, system } = ctx;
    const reference = (await system.postJson('/api/disagreements', clockCase())).body.reference as string;
    await suite.mail.waitFor(toWithSubject('pat@clock.example.org', new RegExp(`${reference}: stage 1`)));
    await waitForEvent(system, reference, 'notified');
    const pat = await system.as('pat@clock.example.org');

    const casePage = await pat.request(`/cases/${reference}`);
    expect(casePage.html).toContain(`href="/cases/${reference}/clock/pause"`);
    expect(casePage.html).toContain(`href="/cases/${reference}/clock/change"`);
    expect(casePage.html).not.toContain(`href="/cases/${reference}/clock/resume"`);

    // GOV.UK error wording, and nothing without the form's token.
    const form = await pat.request(`/cases/${reference}/clock/pause`);
    const empty = await pat.request(`/cases/${reference}/clock/pause`, { form: { _csrf: csrfIn(form.html)!, reason: ' ' }, follow: false });
    expect(empty.status).toBe(400);
    expect(empty.html).toContain('<title>Error: Pause the clock');
    expect(empty.html).toContain('Enter why you are pausing the clock');
    expect((await pat.request(`/cases/${reference}/clock/pause/confirm`, { form: { reason: 'x' }, follow: false })).status).toBe(403);

    const paused = await submitClock(pat, reference, 'pause', { reason: 'Waiting for the strategy meeting on Friday.' });
    expect(paused.status).toBe(200);
    expect(paused.html).toContain('Clock paused');
    await waitForEvent(system, reference, 'clockPaused');
    const pausedPage = await pat.request(`/cases/${reference}`);
    expect(clockBlock(pausedPage.html)).toMatch(/Clock paused since .*Reason: Waiting for the strategy meeting on Friday\./);
    expect(pausedPage.html).toContain(`href="/cases/${reference}/clock/resume"`);
    expect(textOf(pausedPage.html)).toContain('Clock paused at stage 1');
    // Sam (the raiser) hears of it; the email carries no reason.
    const told = await suite.mail.waitFor(toWithSubject('sam@clock.example.org', new RegExp(`${reference}: stage 1: .* - clock paused`)));
    expect(told.text).not.toContain('strategy meeting');
    // Paused: not due, so not in the overdue query.
    const inAMonth = new Date(Date.now() + 30 * 86_400_000).toISOString();
    expect(await listUntil(suite, `LscpStageDueAt < "${inAMonth}" AND WorkflowId = "${reference}"`, (ids) => ids.length === 0)).toEqual([]);

    // A partnership admin resumes it (no reason needed); the deadline moved on.
    const before = (await suite.db.query<{ d: Date }>('SELECT stage_deadline AS d FROM cases WHERE reference = $1', [reference])).rows[0].d;
    const admin = await system.asAdmin('quick-clock');
    const resumed = await submitClock(admin, reference, 'resume', { reason: '' });
    expect(resumed.status).toBe(200);
    expect(resumed.html).toContain('The outcome is now due');
    await waitForEvent(system, reference, 'clockResumed');
    const after = (await suite.db.query<{ d: Date; p: Date | null }>('SELECT stage_deadline AS d, clock_paused_at AS p FROM cases WHERE reference = $1', [reference])).rows[0];
    expect(after.p).toBeNull();
    expect(after.d.getTime()).toBeGreaterThan(before.getTime());
    expect(await listUntil(suite, `LscpStageDueAt < "${inAMonth}" AND WorkflowId = "${reference}"`, (ids) => ids.includes(reference))).toContain(reference);

    // Pat extends it to the end of the working day three days from now, with the GOV.UK date input.
    const day = new Date(Date.now() + 3 * 86_400_000);
    const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(day).split('-');
    const badDate = await pat.request(`/cases/${reference}/clock/change`, { form: { _csrf: csrfIn((await pat.request(`/cases/${reference}/clock/change`)).html)!, 'deadline-day': '31', 'deadline-month': '2', 'deadline-year': y, reason: 'x' }, follow: false });
    expect(badDate.status).toBe(400);
    expect(badDate.html).toContain('The new deadline must be a real date');
    const changed = await submitClock(pat, reference, 'change', { 'deadline-day': String(Number(d)), 'deadline-month': String(Number(m)), 'deadline-year': y, reason: 'The meeting moved to next week.' });
    expect(changed.status).toBe(200);
    await waitForEvent(system, reference, 'deadlineChanged');
    const extended = (await suite.db.query<{ d: Date }>('SELECT stage_deadline AS d FROM cases WHERE reference = $1', [reference])).rows[0].d;
    expect(extended.toISOString()).toBe(new Date(endOfWorkingDay(`${y}-${m}-${d}`, { timeZone: 'Europe/London', holidays: 'england-and-wales', workingDay: { start: '09:00', end: '17:00' } })).toISOString());
    expect(textOf((await pat.request(`/cases/${reference}`)).html)).toContain('Deadline extended at stage 1');
    await suite.mail.waitFor(toWithSubject('sam@clock.example.org', new RegExp(`${reference}: stage 1: .* - deadline extended`)));
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });
});
