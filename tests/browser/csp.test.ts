/**
 * The Content-Security-Policy in real Chromium (issue 10): an injected inline script is refused,
 * the service's own pages (the GOV.UK template's nonce'd line, the decision page's govuk-frontend
 * module) run with no violation at all, and the embedded mail page's stored XSS (a hostile
 * practitioner's name) no longer runs: it is shown as text.
 */
import { OPERATIONS_ACCOUNT } from '../../api/identity/devProvider';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createMailer } from '../../mail/mailer';
import { startMailCatcher, type MailCatcher } from '../../mail/catcher';
import { adminAccount, linkIn, newCase, startSuite, startSystem, toWithSubject, type Running, type Suite } from '../support/system';
import { launchBrowser, signInAsStaff, signInByCode } from '../support/browser';
import { webApp, type WebApp } from '../support/webApp';

/** The page's global object, as the scripts run in Chromium see it (this project has no DOM types). */
interface InPage {
  __violations?: string[];
  __xss?: number;
  document: any;
}

describe('the Content-Security-Policy, in a browser', () => {
  let suite: Suite;
  let system: Running;
  let mailApp: WebApp;
  let catcher: MailCatcher;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let refusals: string[];

  beforeAll(async () => {
    [suite, browser, catcher] = await Promise.all([startSuite('pglite'), launchBrowser(), startMailCatcher(0)]);
    system = await startSystem(suite);
    mailApp = await webApp(suite, { mailCatcher: catcher });
  });
  afterAll(async () => {
    await browser?.close();
    await mailApp?.close();
    await catcher?.close();
    await system?.stop();
    await suite?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    refusals = [];
    // Chromium reports every refusal on the console as well as by event.
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refusals.push(message.text());
    });
    // Before any of the page's own scripts: collect violations as the page sees them.
    await page.addInitScript(() => {
      const w = globalThis as unknown as InPage;
      w.__violations = [];
      w.document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string; documentURI: string; sourceFile: string; lineNumber: number }) =>
        w.__violations!.push(`${e.violatedDirective} ${e.blockedURI} on ${new URL(e.documentURI).pathname} (${e.sourceFile}:${e.lineNumber})`),
      );
    });
  });
  afterEach(async () => {
    await context?.close();
  });

  const violations = async () => [...(await page.evaluate(() => (globalThis as unknown as InPage).__violations ?? [])), ...refusals];

  it('refuses an inline script injected into a page, and an inline event handler', async () => {
    await page.goto(`${system.baseUrl}/sign-in`);
    await page.evaluate(() => {
      const { document } = globalThis as unknown as InPage;
      const script = document.createElement('script');
      script.textContent = 'window.__xss = 1';
      document.body.appendChild(script);
      const img = document.createElement('img');
      img.setAttribute('src', 'x');
      img.setAttribute('onerror', 'window.__xss = 2');
      document.body.appendChild(img);
    });
    await page.waitForFunction(() => ((globalThis as unknown as InPage).__violations ?? []).length >= 2);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).__xss)).toBeUndefined();
    expect((await violations()).join('\n')).toMatch(/script-src/);
  });

  it('runs the service pages with no violation: the template line by its nonce, govuk-frontend from its file', async () => {
    const opened = await system.postJson('/api/disagreements', newCase());
    expect(opened.status).toBe(201);
    const reference: string = opened.body.reference;
    const invite = await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${reference}: stage 1`)));

    for (const path of ['/', '/sign-in', '/not-a-page']) {
      await page.goto(`${system.baseUrl}${path}`);
      // The GOV.UK template's inline line ran (it adds these classes), so its nonce was accepted.
      expect(await page.getAttribute('body', 'class')).toContain('govuk-frontend-supported');
    }
    // The decision page: signs in by code, then govuk-frontend's module initialises its buttons.
    await page.goto(linkIn(invite));
    await signInByCode(page, suite.mail, 'bob.sw@example.org');
    await page.waitForSelector('h1:has-text("Record the outcome of stage 1")');
    await page.waitForSelector('[data-module="govuk-button"][data-govuk-button-init]');
    // The raise form and a partnership admin's dashboard, signed in through the development provider.
    await page.goto(`${system.baseUrl}/raise/bromley`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('h1:has-text("You have signed out")');
    await page.goto(`${system.baseUrl}/partnerships/bromley/dashboard`);
    await page.waitForURL(/\/sign-in\?returnTo=/);
    await signInAsStaff(page, adminAccount(suite.policies, 'bromley').email);
    await page.waitForSelector('h1');
    // The dashboard's charts, the case, its record and proforma (their own print styles), operations' list.
    for (const path of [`/cases/${reference}`, `/cases/${reference}/record`, `/cases/${reference}/proforma`, `/cases/${reference}/readers`]) {
      const res = await page.goto(`${system.baseUrl}${path}`);
      expect(res?.status()).toBe(200);
    }
    expect(await violations()).toEqual([]);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it('shows a hostile name on the mail page as text: its script never runs', async () => {
    const hostile = 'Eve <img src=x onerror="window.__xss=3"><script>window.__xss=4</script>';
    const mailer = createMailer(catcher.url, 'Escalations <escalations@example.org>');
    await mailer.send({
      to: 'eve@example.org',
      subject: `Disagreement raised by ${hostile}`,
      text: `Raised by ${hostile}. Open https://service.example.org/respond/abc or javascript:window.__xss=5`,
      html: '<p>x</p>',
      messageId: '<hostile-browser@lscp-escalations>',
    });
    mailer.close();
    await catcher.waitFor((m) => m.to.includes('eve@example.org'));

    await page.goto(`${mailApp.baseUrl}/mail`);
    await page.waitForURL(/\/sign-in\?returnTo=/);
    await signInAsStaff(page, OPERATIONS_ACCOUNT.email);
    await page.waitForURL(`${mailApp.baseUrl}/mail`);
    await page.getByRole('link', { name: /Disagreement raised by Eve/ }).click();
    await page.waitForSelector('[data-message-text]');
    expect(await page.textContent('[data-message-text]')).toContain('<img src=x onerror="window.__xss=3">');
    expect(await page.locator('[data-message-text] img, [data-message-text] script').count()).toBe(0);
    expect(await page.locator('[data-message-text] a').evaluateAll((links) => links.map((a) => a.getAttribute('href')))).toEqual(['https://service.example.org/respond/abc']);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).__xss)).toBeUndefined();
    expect(await violations()).toEqual([]);
  });
});
