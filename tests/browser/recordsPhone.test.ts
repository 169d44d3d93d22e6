/**
 * The dashboard and the mail page at a phone's width (320 px) in real Chromium: the chart's
 * legend inside its box, the open cases listed, no page wider than the screen on /mail, times in
 * words in UK time; axe on every page, screenshots saved.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { OPERATIONS_ACCOUNT } from '../../api/identity/devProvider';
import { appendEvent } from '../../db/record';
import { createMailer } from '../../mail/mailer';
import { startMailCatcher, type MailCatcher } from '../../mail/catcher';
import { adminAccount, startSuite, type Suite } from '../support/system';
import { checkPage, launchBrowser, signInAsStaff } from '../support/browser';
import { webApp, type WebApp } from '../support/webApp';

const PHONE = { width: 320, height: 640 };

/** A case written as the workflow writes it: an open one at stage 1 past its deadline, or a resolved one. */
async function seedCase(suite: Suite, reference: string, open: boolean) {
  const opened = '2026-01-05T10:00:00Z';
  const deadline = '2026-01-12T17:00:00Z';
  await suite.db.query(
    `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags,
                        status, current_stage, stage_name, stage_deadline, opened_at, closed_at)
     VALUES ($1, 'bromley', '1.5', 'levels-of-need', $2, $3, 'UPN-A1', 'About a child', $4, $5, 1, 'Discuss with the other worker', $6, $7, $8)`,
    [
      reference,
      JSON.stringify({ name: 'Ann Teacher', email: 'ann@example.org', agencyId: 'hillside-primary' }),
      JSON.stringify({ name: 'Bob Social-Worker', email: 'bob@example.org', agencyId: 'bromley-csc' }),
      JSON.stringify({ childProtectionPlan: open, lookedAfter: false, immediateHarm: false }),
      open ? 'open' : 'resolved',
      open ? deadline : null,
      opened,
      open ? null : '2026-01-07T10:00:00Z',
    ],
  );
  const events = [
    { type: 'opened', at: opened, stage: null, detail: { category: 'levels-of-need' } },
    { type: 'stageEntered', at: '2026-01-05T10:00:01Z', stage: 1, detail: { name: 'Discuss with the other worker', deadline, reason: { kind: 'opened' }, participants: [] } },
    ...(open ? [] : [{ type: 'resolved', at: '2026-01-07T10:00:00Z', stage: 1, detail: { outcome: 'resolved' } }]),
  ];
  for (const [seq, e] of events.entries()) await appendEvent(suite.db, { reference, seq, ...e });
}

/** The page is no wider than the screen: nothing to scroll sideways. */
const overflow = (page: Page) => page.evaluate(() => {
  const { document, innerWidth } = globalThis as any;
  return document.documentElement.scrollWidth - innerWidth;
});

describe('records people can use, at a phone width', () => {
  let suite: Suite;
  let app: WebApp;
  let catcher: MailCatcher;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [suite, browser, catcher] = await Promise.all([startSuite('pglite'), launchBrowser(), startMailCatcher(0)]);
    app = await webApp(suite, { mailCatcher: catcher });
    await seedCase(suite, 'BSCP-2026-PHONE1', true);
    await seedCase(suite, 'BSCP-2026-PHONE2', false);
    const mailer = createMailer(catcher.url, 'Escalations <escalations@example.org>');
    await mailer.send({
      to: 'a.very.long.address.for.a.designated.safeguarding.lead@bromley-children-social-care.example.org',
      subject: 'BSCP-2026-PHONE1: stage 1: Discuss with the other worker - action needed by 5pm on Monday 12 January',
      text: 'Record the outcome: https://service.example.org/respond/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      html: '<p>x</p>',
      messageId: '<phone-width@lscp-escalations>',
    });
    mailer.close();
    await catcher.waitFor((m) => m.subject.includes('PHONE1'));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await catcher?.close();
    await suite?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: PHONE });
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
  });

  it('shows the dashboard with the open cases and a chart whose legend is inside its box', async () => {
    await page.goto(`${app.baseUrl}/partnerships/bromley/dashboard`);
    await page.waitForURL(/\/sign-in\?returnTo=/);
    await signInAsStaff(page, adminAccount(suite.policies, 'bromley').email);
    await page.waitForSelector('h1:has-text("Escalations dashboard")');
    await checkPage(page, 'dashboard-phone');
    // One month: the narrowest chart, where a legend wider than the bars was cut off.
    await page.goto(`${app.baseUrl}/partnerships/bromley/dashboard?from=2026-01-01&to=2026-01-31`);
    await page.waitForSelector('h1:has-text("Escalations dashboard")');
    await checkPage(page, 'dashboard-one-month-phone');

    // Every open case, with drill-down to it; the resolved one is not listed.
    const open = page.locator('#open-cases');
    expect(await open.locator('a[href="/cases/BSCP-2026-PHONE1"]').count()).toBe(1);
    expect(await open.locator('a[href="/cases/BSCP-2026-PHONE2"]').count()).toBe(0);
    expect(await open.textContent()).toContain('Overdue');
    // Nothing wider than the phone: no sideways scrolling.
    expect(await overflow(page)).toBeLessThanOrEqual(0);

    const chart = page.locator('svg.app-chart');
    const box = (await chart.boundingBox())!;
    const page320 = page.viewportSize()!.width;
    expect(box.x + box.width).toBeLessThanOrEqual(page320);
    for (const word of ['Opened', 'Resolved']) {
      const legend = (await chart.locator('text', { hasText: new RegExp(`^${word}$`) }).first().boundingBox())!;
      expect(legend.width).toBeGreaterThan(0);
      expect(legend.x).toBeGreaterThanOrEqual(box.x);
      expect(legend.x + legend.width).toBeLessThanOrEqual(box.x + box.width);
      expect(legend.y).toBeGreaterThanOrEqual(box.y);
    }
  });

  it('asks for an email address in GOV.UK words, with one "Error:" in the title', async () => {
    await page.goto(`${app.baseUrl}/sign-in`);
    await page.getByLabel('What is your work email address?').fill('');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.waitForSelector('.govuk-error-summary');
    expect(await page.title()).toMatch(/^Error: Sign in - /);
    expect(await page.textContent('.govuk-error-summary')).toContain('Enter your work email address');
    await checkPage(page, 'sign-in-error-phone');
    await page.getByLabel('What is your work email address?').fill('not an address');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.waitForSelector('.govuk-error-summary');
    expect(await page.textContent('.govuk-error-summary')).toContain('Enter an email address in the correct format, like name@example.org');
  });

  it('shows /mail and a message without sideways scrolling, with times in words in UK time', async () => {
    await page.goto(`${app.baseUrl}/mail`);
    await page.waitForURL(/\/sign-in\?returnTo=/);
    await signInAsStaff(page, OPERATIONS_ACCOUNT.email);
    await page.waitForURL(`${app.baseUrl}/mail`);
    await checkPage(page, 'mail-phone');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    const list = (await page.textContent('#messages'))!;
    expect(list).toMatch(/\d{1,2}(:\d{2})?(am|pm) on (Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d{1,2} [A-Z][a-z]+ \d{4}/);
    expect(list).not.toMatch(/\d{4}-\d{2}-\d{2}T/);

    await page.getByRole('link', { name: /BSCP-2026-PHONE1/ }).click();
    await page.waitForSelector('[data-message-text]');
    await checkPage(page, 'mail-message-phone');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    expect(await page.textContent('main')).toMatch(/Received \d{1,2}(:\d{2})?(am|pm) on /);
  });
});
