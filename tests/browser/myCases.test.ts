/**
 * "My cases" and the partnership's list of cases in real Chromium, at desktop and phone widths:
 * a manager signs in and finds what waits for their decision first; the partnership's admin
 * follows a dashboard figure to the filtered list, searches and filters it. axe-core on every
 * page, screenshots kept; on a phone the tables stack (their style runs under the CSP's nonce)
 * and nothing is wider than the screen.
 */
import type { Browser, Page } from 'playwright-core';
import { checkPage, launchBrowser, signInAsStaff } from '../support/browser';
import { adminAccount, startSuite, type Suite } from '../support/system';
import { webApp, type WebApp } from '../support/webApp';
import { B, TARA, seedHomeCases } from '../support/homeSeed';

const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 375, height: 740 } } as const;

/** Nothing wider than the window, and the case table stacked on a phone (the nonce'd style applied). */
async function fitsTheScreen(page: Page, width: 'desktop' | 'phone') {
  // An expression evaluated in the page (the tests are compiled without the DOM's types).
  const { scrollWidth, innerWidth, cellDisplay } = await page.evaluate<{ scrollWidth: number; innerWidth: number; cellDisplay: string }>(`({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    cellDisplay: getComputedStyle(document.querySelector('.app-case-table td')).display,
  })`);
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
  expect(cellDisplay).toBe(width === 'phone' ? 'block' : 'table-cell');
}

describe('my cases and the partnership list, in a browser', () => {
  let suite: Suite;
  let web: WebApp;
  let browser: Browser;

  beforeAll(async () => {
    [suite, browser] = await Promise.all([startSuite('pglite'), launchBrowser()]);
    web = await webApp(suite);
    await seedHomeCases(suite.db);
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await suite?.close();
  });

  for (const width of ['desktop', 'phone'] as const) {
    it(`shows a manager what waits for their decision first (${width})`, async () => {
      const context = await browser.newContext({ viewport: WIDTHS[width] });
      const page = await context.newPage();
      const refused: string[] = [];
      page.on('console', (m) => m.text().includes('Content Security Policy') && refused.push(m.text()));
      await page.goto(`${web.baseUrl}/sign-in?returnTo=%2F`);
      await signInAsStaff(page, TARA);
      // From the header's navigation (behind its menu button on a phone once govuk-frontend's script runs).
      const menu = page.getByRole('button', { name: 'Menu' });
      if (await menu.isVisible()) await menu.click();
      await page.getByRole('link', { name: 'My cases' }).first().click();
      await page.waitForURL('**/my-cases');
      expect(await page.textContent('h1')).toContain('My cases');
      const awaiting = page.locator('#awaiting tbody tr');
      expect(await awaiting.count()).toBe(1);
      expect(await awaiting.first().textContent()).toContain(B(1));
      expect(await page.locator('#other-cases tbody tr').first().textContent()).toContain(B(3));
      await fitsTheScreen(page, width);
      await checkPage(page, `40-my-cases-${width}`);
      expect(refused).toEqual([]);
      await context.close();
    });

    it(`takes the partnership's admin from a dashboard figure to the cases behind it, and filters them (${width})`, async () => {
      const context = await browser.newContext({ viewport: WIDTHS[width] });
      const page = await context.newPage();
      await page.goto(`${web.baseUrl}/sign-in?returnTo=${encodeURIComponent('/partnerships/bromley/dashboard')}`);
      await signInAsStaff(page, adminAccount(suite.policies, 'bromley').email);
      await page.waitForURL('**/partnerships/bromley/dashboard');
      await page.locator('a[href="/partnerships/bromley/cases?overdue=yes"]').first().click();
      await page.waitForURL('**/partnerships/bromley/cases?overdue=yes');
      const rows = page.locator('#cases tbody tr');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().textContent()).toMatch(/Overdue[\s\S]*3 days late/);
      expect(await page.getByLabel('Overdue only').isChecked()).toBe(true);
      await fitsTheScreen(page, width);
      await checkPage(page, `41-partnership-cases-overdue-${width}`);

      // Clear, then search and filter by hand.
      await page.getByRole('link', { name: 'Clear filters' }).click();
      await page.waitForURL((url) => url.pathname === '/partnerships/bromley/cases' && url.search === '');
      expect(await page.locator('#count').textContent()).toContain('of 28 cases');
      await page.getByRole('link', { name: 'Next' }).click();
      await page.waitForURL('**/cases?page=2');
      expect(await rows.count()).toBe(3);
      await page.getByLabel('Stage', { exact: true }).selectOption('2');
      await page.getByLabel('Child protection plan').check();
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL('**/cases?**stage=2**');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().textContent()).toContain(B(1));
      await checkPage(page, `42-partnership-cases-filtered-${width}`);

      // A reference that cannot be one: the GOV.UK error summary, linked to the field.
      await page.getByLabel('Case reference').fill('BSCP 2026');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL('**/cases?**q=**');
      expect(await page.title()).toMatch(/^Error: /);
      expect(await page.locator('.govuk-error-summary').textContent()).toContain('Case reference must only include letters, numbers and hyphens');
      await checkPage(page, `43-partnership-cases-error-${width}`);
      await context.close();
    });
  }
});
