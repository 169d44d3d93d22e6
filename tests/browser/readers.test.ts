/**
 * "Who has seen this file", in real Chromium: the raiser signs in by a code sent to her address and
 * opens her case and its record, then the partnership's admin signs in through the development
 * OpenID provider and reads the list; the page is checked by axe-core and a screenshot kept.
 */
import type { Browser } from 'playwright-core';
import { checkPage, launchBrowser, signInAsStaff, signInByCode } from '../support/browser';
import { adminAccount, newCase, startSuite, startSystem, waitForEvent, type Running, type Suite } from '../support/system';

const RAISER = 'ann.teacher@example.org';

describe('who has seen this file, in a browser', () => {
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

  it('lists the reads for the partnership admin, newest first, as an accessible table', async () => {
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    await waitForEvent(system, reference, 'stageEntered');

    // The raiser follows the case's address, signs in, and is back on her case.
    const raiserContext = await browser.newContext();
    const raiser = await raiserContext.newPage();
    await raiser.goto(opened.body.url);
    await raiser.waitForURL((url) => url.pathname === '/sign-in');
    await signInByCode(raiser, suite.mail, RAISER);
    await raiser.waitForURL(`**/cases/${reference}`);
    await raiser.getByRole('link', { name: "The record for the child's file" }).click();
    await raiser.waitForURL(`**/cases/${reference}/record`);
    await raiserContext.close();

    // The partnership's admin, in a browser of their own, signs in with their organisation account.
    const admin = adminAccount(suite.policies, 'bromley');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${system.baseUrl}/sign-in?returnTo=${encodeURIComponent(`/cases/${reference}/readers`)}`);
    await signInAsStaff(page, admin.email);
    await page.waitForURL(`**/cases/${reference}/readers`);
    expect(await page.textContent('h1')).toContain('Who has seen this file');
    const rows = await page.locator('#readers tbody tr').allTextContents();
    // The raiser's two pages, newest first, under her address; then the test's own API reads while it waited for the case.
    expect(rows[0]).toContain("Record for the child's file");
    expect(rows[0]).toContain(RAISER);
    expect(rows[1]).toContain('Case page');
    expect(rows[1]).toContain(RAISER);
    // The test's API reads name its read-scoped client.
    expect(rows.length).toBeGreaterThan(2);
    expect(rows.slice(2).every((r) => r.includes('Case (JSON)') && r.includes('API client (read)'))).toBe(true);
    await checkPage(page, '30-who-has-seen-this-file');
    await context.close();
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });
});
