/**
 * "Who has seen this file", in real Chromium: the raiser opens their case and its record, then a
 * partnership admin (a stand-in session cookie until sign-in lands) reads the list; the page is
 * checked by axe-core and a screenshot kept.
 */
import type { Browser } from 'playwright-core';
import { checkPage, launchBrowser } from '../support/browser';
import { PRINCIPAL_COOKIE, bromleyAdmin, encodePrincipal } from '../support/principals';
import { newCase, startSuite, startSystem, waitForEvent, type Running, type Suite } from '../support/system';

describe('who has seen this file, in a browser', () => {
  let suite: Suite;
  let system: Running;
  let browser: Browser;

  beforeAll(async () => {
    [suite, browser] = await Promise.all([startSuite('pglite'), launchBrowser()]);
    system = await startSystem(suite, { principals: true });
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

    const raiser = await browser.newPage();
    await raiser.goto(opened.body.url);
    await raiser.getByRole('link', { name: "The record for the child's file" }).click();
    await raiser.waitForURL(`**/cases/${reference}/record`);
    await raiser.close();

    const context = await browser.newContext();
    const host = new URL(system.baseUrl).hostname;
    await context.addCookies([{ name: PRINCIPAL_COOKIE, value: encodePrincipal(bromleyAdmin), domain: host, path: '/', httpOnly: true, sameSite: 'Lax' }]);
    const admin = await context.newPage();
    await admin.goto(`${system.baseUrl}/cases/${reference}/readers`);
    expect(await admin.textContent('h1')).toContain('Who has seen this file');
    const rows = await admin.locator('#readers tbody tr').allTextContents();
    // The raiser's two pages, newest first; then the test's own API reads while it waited for the case.
    expect(rows[0]).toContain("Record for the child's file");
    expect(rows[1]).toContain('Case page');
    expect(rows.slice(2).every((r) => r.includes('Case (JSON)') && r.includes('shared staff API key'))).toBe(true);
    await checkPage(admin, '30-who-has-seen-this-file');
    await context.close();
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });
});
