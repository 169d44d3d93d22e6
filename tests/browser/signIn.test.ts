/**
 * Signing in, in real Chromium: staff through the OpenID provider's authorisation-code flow with
 * PKCE (the embedded development provider, a real oidc-provider), a professional by a code sent to
 * the address their link was issued to, a forwarded link opened in a fresh browser, and sign-out.
 * Every page passes axe-core with no serious or critical violations; screenshots are kept.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { linkIn, newCase, startSuite, startSystem, toWithSubject, type Running, type Suite } from '../support/system';
import { checkPage, launchBrowser } from '../support/browser';
import { codeIn, isCodeFor } from '../support/visitor';

describe('signing in, in a browser', () => {
  let suite: Suite;
  let system: Running;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [suite, browser] = await Promise.all([startSuite('pglite'), launchBrowser()]);
    system = await startSystem(suite);
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await suite?.close();
  });
  // A fresh browser profile for every test: no cookie carries over.
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
  });

  /** Reads the code the service sent to `email` after `before` messages, and enters it. */
  async function enterCode(email: string, before: number) {
    const message = await suite.mail.waitFor((m) => suite.mail.messages().indexOf(m) >= before && isCodeFor(m, email));
    await checkPage(page, 'sign-in-code');
    await page.getByLabel('Code').fill(codeIn(message));
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('signs a partnership admin in through the OpenID provider with PKCE, and out again', async () => {
    const authorisations: URL[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/dev-idp/auth')) authorisations.push(new URL(request.url()));
    });
    await page.goto(`${system.baseUrl}/partnerships/bromley/dashboard`);
    await page.waitForURL(/\/sign-in\?returnTo=/);
    await checkPage(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in with your organisation account' }).click();
    await page.waitForURL(/\/dev-idp\/interaction\//);
    expect(await page.textContent('body')).toContain('anyone can sign in as anyone');
    await checkPage(page, 'dev-identity-provider');
    await page.locator('button[data-email="bscp@example.org"]').click();
    await page.waitForURL(`${system.baseUrl}/partnerships/bromley/dashboard`);
    await checkPage(page, 'dashboard-signed-in');
    expect(await page.textContent('[data-signed-in]')).toContain('bscp@example.org');

    // The authorisation request carried a PKCE challenge, state and nonce.
    const auth = authorisations[0];
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.searchParams.get('state')).toBeTruthy();
    expect(auth.searchParams.get('nonce')).toBeTruthy();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${system.baseUrl}/sign-out`);
    await checkPage(page, 'signed-out');
    await page.goto(`${system.baseUrl}/partnerships/bromley/dashboard`);
    await page.waitForURL(/\/sign-in\?returnTo=/);
  });

  it('asks the recipient of a decision link to confirm it is them, by a code to that address', async () => {
    const { body } = await system.postJson('/api/disagreements', newCase());
    const invite = await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(body.reference)));
    const link = linkIn(invite);

    await page.goto(link);
    expect(await page.textContent('h1')).toBe('Confirm it is you');
    const shown = (await page.textContent('main')) ?? '';
    expect(shown).toContain('b•••@example.org');
    expect(shown).not.toContain('UPN-A123456789012');
    await checkPage(page, 'sign-in-for-link');
    const before = suite.mail.messages().length;
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.waitForURL(`${system.baseUrl}/sign-in/code`);
    await enterCode('bob.sw@example.org', before);
    await page.waitForURL(link);
    expect(await page.textContent('h1')).not.toBe('Confirm it is you');
    await checkPage(page, 'respond-signed-in');
  });

  it('refuses a forwarded link to someone signed in as another person', async () => {
    const { body } = await system.postJson('/api/disagreements', newCase({ other: { name: 'Bob Social-Worker', email: 'bob.sw@example.org', agency: 'bromley-csc' } }));
    const invite = await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(body.reference)));
    // The raiser forwards Bob's email to a colleague, who is signed in as themself.
    await page.goto(`${system.baseUrl}/sign-in`);
    const before = suite.mail.messages().length;
    await page.getByLabel('Your work email address').fill('colleague@example.org');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await enterCode('colleague@example.org', before);
    await page.goto(linkIn(invite));
    expect(await page.textContent('h1')).toBe('This link was sent to someone else');
    expect((await page.textContent('main')) ?? '').not.toContain('UPN-A123456789012');
    await checkPage(page, 'forwarded-link-refused');
  });
});
