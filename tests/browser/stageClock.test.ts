/**
 * The stage clock's pages in Chromium, at a desktop and a 320 px phone width, with axe (any impact)
 * and screenshots (test-artifacts/screenshots/clock-<width>-<page>.png): the case page's clock
 * block and links, pausing (its error summary, check your answers, done), the paused case page,
 * resuming, and changing the deadline with the GOV.UK date input and its errors.
 */
import type { Browser, Page } from 'playwright-core';
import { checkPageFully, launchBrowser, signInByCode } from '../support/browser';
import { newCase, startSuite, startSystem, waitForEvent, type Running, type Suite } from '../support/system';

const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 320, height: 640 } } as const;

describe('the stage clock pages, checked by axe at desktop and phone widths', () => {
  let suite: Suite;
  let system: Running;
  let browser: Browser;

  beforeAll(async () => {
    [suite, browser] = await Promise.all([startSuite('pglite'), launchBrowser()]);
    system = await startSystem(suite);
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await suite?.close();
  });

  for (const width of ['desktop', 'phone'] as const) {
    it(`pauses, resumes and changes the deadline with the keyboard-usable GOV.UK forms (${width})`, async () => {
      const raiser = `clock.raiser.${width}@example.org`;
      const opened = await system.postJson('/api/disagreements', newCase({ raiser: { name: 'Ann Teacher', email: raiser, agency: 'hillside-primary' } }));
      const reference = opened.body.reference as string;
      await waitForEvent(system, reference, 'notified');
      const context = await browser.newContext({ viewport: WIDTHS[width] });
      const page: Page = await context.newPage();
      const findings: string[] = [];
      const check = async (name: string, heading: string | RegExp) => {
        await page.locator('h1', { hasText: heading }).first().waitFor();
        await checkPageFully(page, `clock-${width}-${name}`).catch((error: Error) => findings.push(error.message));
      };
      const submit = () => page.locator('main form button.govuk-button').first().click();
      try {
        await page.goto(`${system.baseUrl}/cases/${reference}`);
        await signInByCode(page, suite.mail, raiser);
        await check('case', `Case ${reference}`);

        await page.getByRole('link', { name: 'Pause the clock' }).click();
        await check('pause', 'Pause the clock');
        await submit();
        await page.locator('.govuk-error-summary').waitFor();
        await check('pause-errors', 'Pause the clock');
        await page.fill('#reason', 'Waiting for the strategy meeting.');
        await submit();
        await check('pause-check', 'Check your answers');
        await submit();
        await check('paused', 'Clock paused');
        await waitForEvent(system, reference, 'clockPaused');
        await page.goto(`${system.baseUrl}/cases/${reference}`);
        await page.locator('#clock-paused').waitFor();
        await check('case-paused', `Case ${reference}`);

        await page.getByRole('link', { name: 'Resume the clock' }).click();
        await check('resume', 'Resume the clock');
        await submit();
        await check('resume-check', 'Check your answers');
        await submit();
        await check('resumed', 'Clock resumed');
        await waitForEvent(system, reference, 'clockResumed');

        await page.goto(`${system.baseUrl}/cases/${reference}/clock/change`);
        await check('change', 'Change the deadline');
        await page.fill('#deadline-day', '31');
        await page.fill('#deadline-month', '2');
        await page.fill('#deadline-year', '2030');
        await submit();
        await page.locator('.govuk-error-summary').waitFor();
        await check('change-errors', 'Change the deadline');
        // The error summary's link takes the keyboard to the day field.
        await page.locator('.govuk-error-summary a[href="#deadline-day"]').click();
        expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('deadline-day');
      } finally {
        await context.close();
        await suite.temporal.workflow.getHandle(reference).terminate('test finished').catch(() => undefined);
      }
      expect(findings).toEqual([]);
    });
  }
});
