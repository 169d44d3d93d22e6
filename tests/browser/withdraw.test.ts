/**
 * The raiser's way to withdraw, in real Chromium: the link on their case page, the form with its
 * error summary, each page checked by axe-core with a screenshot kept.
 */
import type { Browser, Page } from 'playwright-core';
import { newCase, startSuite, startSystem, waitForEvent, type Running, type Suite } from '../support/system';
import { checkPage, launchBrowser, signInByCode } from '../support/browser';

describe('withdrawing, in a browser', () => {
  let suite: Suite;
  let system: Running;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [suite, browser] = await Promise.all([startSuite('pglite'), launchBrowser()]);
    system = await startSystem(suite);
    page = await browser.newPage();
  });
  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await system?.stop();
    await suite?.close();
  });

  it("reaches the withdraw form from the raiser's case page, and explains what is missing", async () => {
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    await waitForEvent(system, reference, 'stageEntered');

    // The raiser follows the plain link to her case and signs in.
    await page.goto(opened.body.url);
    await signInByCode(page, suite.mail, 'ann.teacher@example.org');
    await page.getByRole('link', { name: 'Withdraw this disagreement' }).click();
    await page.waitForURL(`**/cases/${reference}/withdraw`);
    expect(await page.textContent('h1')).toContain('Withdraw the disagreement');
    await checkPage(page, '20-withdraw-form');

    await page.getByRole('button', { name: 'Withdraw the disagreement' }).click();
    expect(await page.textContent('.govuk-error-summary')).toContain('Enter why you are withdrawing the disagreement');
    expect(await page.textContent('#reason-error')).toContain('Enter why you are withdrawing the disagreement');
    await checkPage(page, '21-withdraw-form-errors');
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });
});
