/**
 * Issue 11: "Tested with axe on every page ... in Chromium, desktop and phone widths, screenshots
 * saved." Every page the service serves, reached as the person who would see it (nobody, the
 * raiser, the person deciding, a partnership admin, operations staff), at a desktop and a 320 px
 * phone width: axe-core finds no violation of any impact (minor and moderate too), and a screenshot
 * of each is kept in test-artifacts/screenshots (every-<width>-<page>.png).
 *
 * Findings are gathered over the whole walk and reported together, so one run lists them all.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { OPERATIONS_ACCOUNT } from '../../api/identity/devProvider';
import { proformaIdFor } from '../../records/proformaStore';
import { checkPageFully, launchBrowser, signInAsStaff, signInByCode } from '../support/browser';
import { codeIn, isCodeFor } from '../support/visitor';
import { adminAccount, linkIn, newCase, startSuite, startSystem, toWithSubject, waitForEvent, type Running, type Suite } from '../support/system';

const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 320, height: 640 } } as const;
type Width = keyof typeof WIDTHS;

describe('every page, checked by axe at desktop and phone widths', () => {
  let suite: Suite;
  let system: Running;
  let browser: Browser;

  beforeAll(async () => {
    [suite, browser] = await Promise.all([startSuite('pglite'), launchBrowser()]);
    // With the /mail page, as `npm start` serves it from its embedded mail server.
    system = await startSystem(suite, { mailCatcher: suite.mail });
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await suite?.close();
  });

  /** A fresh browser for one person at one width; `check` screenshots and axes the page as it is. */
  async function walker(width: Width) {
    const context: BrowserContext = await browser.newContext({ viewport: WIDTHS[width] });
    const page: Page = await context.newPage();
    const findings: string[] = [];
    const seen: string[] = [];
    const check = async (name: string, heading: string | RegExp) => {
      // The page it is meant to be (its heading), not a sign-in or an error page in its place.
      await page.locator('h1', { hasText: heading }).first().waitFor();
      seen.push(`${name}: ${(await page.locator('h1').first().textContent())?.trim()}`);
      await checkPageFully(page, `every-${width}-${name}`).catch((error: Error) => findings.push(error.message));
    };
    const visit = async (path: string, name: string, heading: string | RegExp) => {
      await page.goto(`${system.baseUrl}${path}`);
      await check(name, heading);
    };
    return { context, page, check, visit, findings, seen };
  }

  async function openCase(raiser = 'ann.teacher@example.org'): Promise<string> {
    const opened = await system.postJson('/api/disagreements', newCase({ raiser: { name: 'Ann Teacher', email: raiser, agency: 'hillside-primary' } }));
    expect(opened.status).toBe(201);
    await waitForEvent(system, opened.body.reference, 'stageEntered');
    return opened.body.reference;
  }

  const end = (reference: string) => suite.temporal.workflow.getHandle(reference).terminate('test finished').catch(() => undefined);

  for (const width of ['desktop', 'phone'] as const) {
    it(`passes axe on the pages anyone can reach, and the error pages (${width})`, async () => {
      const { context, page, visit, check, findings, seen } = await walker(width);
      try {
        const reference = await openCase(`anyone.${width}@example.org`);
        await visit('/', 'home', 'Resolve a professional disagreement');
        await visit('/contact', 'contact', 'Contact');
        await visit('/privacy', 'privacy', 'Privacy');
        await visit('/accessibility', 'accessibility', 'Accessibility statement');
        await visit('/sign-in', 'sign-in', 'Sign in');
        await visit('/no-such-page', 'not-found-404', 'Page not found');
        await visit('/respond/not-a-real-link', 'link-problem', 'This link is not valid');
        await visit(`/cases/${reference}/readers`, 'readers-refused', 'Sign in');
        // An organisation sign-in that comes back without its state.
        await visit('/auth/callback?code=x&state=y', 'sign-in-problem', /.+/);
        // A form sent as something other than a form: the plain refusal page.
        await page.goto(`${system.baseUrl}/sign-in`);
        await Promise.all([
          page.waitForURL('**/sign-in/email'),
          page.evaluate(`(() => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/sign-in/email';
            form.enctype = 'text/plain';
            const field = document.createElement('input');
            field.name = 'email';
            field.value = 'someone@example.org';
            form.append(field);
            document.body.append(form);
            form.submit();
          })()`),
        ]);
        await check('bad-request-415', /not a form/);
        // A decision link opened by nobody yet: "Confirm it is you".
        const invite = await suite.mail.waitFor(toWithSubject(`anyone.${width}@example.org`, new RegExp(`${reference}: stage 1`)));
        await page.goto(linkIn(invite));
        await check('sign-in-for-link', 'Confirm it is you');
        // Signing in by a code: the page that asks for it.
        await page.goto(`${system.baseUrl}/sign-in?returnTo=%2Fmy-cases`);
        const before = suite.mail.messages().length;
        await page.getByLabel('Your work email address').fill(`anyone.${width}@example.org`);
        await page.getByRole('button', { name: 'Send me a code' }).click();
        await page.waitForURL('**/sign-in/code');
        await check('sign-in-code', 'Check your email');
        // A wrong code: the error summary.
        await page.getByLabel('Code').fill('000000');
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.locator('.govuk-error-summary').waitFor();
        await check('sign-in-code-error', 'Check your email');
        const message = await suite.mail.waitFor((m) => suite.mail.messages().indexOf(m) >= before && isCodeFor(m, `anyone.${width}@example.org`));
        await page.getByLabel('Code').fill(codeIn(message));
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.waitForURL('**/my-cases');
        await check('my-cases-new-person', 'My cases');
        // Another person's decision link, and a partnership's pages, refused.
        const bobsInvite = await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${reference}: stage 1`)));
        await page.goto(linkIn(bobsInvite));
        await check('forbidden-link-403', 'This link was sent to someone else');
        await visit('/partnerships/bromley/dashboard', 'forbidden-partnership-403', "This page is for the partnership's admins");
        await visit('/mail', 'forbidden-operations-403', 'This page is for operations staff');
        await page.getByRole('button', { name: 'Sign out' }).click();
        await check('signed-out', 'You have signed out');
        await end(reference);
      } finally {
        await context.close();
      }
      expect({ seen, findings }).toEqual({ seen, findings: [] });
    });

    it(`passes axe on raising, the case, its record, withdrawing and deciding (${width})`, async () => {
      const raiser = `raiser.${width}@example.org`;
      const { context, page, visit, check, findings } = await walker(width);
      try {
        await page.goto(`${system.baseUrl}/raise`);
        await signInByCode(page, suite.mail, raiser);
        await check('raise-start', "Which partnership's policy applies?");
        await page.locator('input[value="bromley"]').check();
        await page.locator('main button.govuk-button').click();
        await page.waitForURL('**/raise/bromley');
        await check('raise-form', 'Raise a professional disagreement');
        await page.locator('main button.govuk-button').click();
        await page.locator('.govuk-error-summary').waitFor();
        await check('raise-form-errors', 'Raise a professional disagreement');
        await page.fill('#raiser-name', 'Rae Raiser');
        await page.selectOption('#raiser-agency', 'hillside-primary');
        await page.fill('#other-name', 'Bob Social-Worker');
        await page.fill('#other-email', 'bob.sw@example.org');
        await page.selectOption('#other-agency', 'bromley-csc');
        await page.fill('#childReference', `UPN-EP${width === 'phone' ? '1' : '2'}23456789`);
        await page.locator('input[name="category"]').first().check();
        await page.fill('#description', 'School believes the threshold is met.');
        await page.locator('main button.govuk-button').click();
        await check('raise-check', 'Check your answers before raising');
        await page.locator('button[name="_confirm"]').click();
        await check('raised', 'Disagreement raised');
        const reference = (await page.locator('#reference').textContent())!.trim();
        await waitForEvent(system, reference, 'stageEntered');

        await visit('/my-cases', 'my-cases', 'My cases');
        await visit(`/cases/${reference}`, 'case', `Case ${reference}`);
        await visit(`/cases/${reference}/record`, 'record', `Record of case ${reference}`);

        // Deciding stage 1 from the raiser's own link: the page, its errors, the check, done.
        const invite = await suite.mail.waitFor(toWithSubject(raiser, new RegExp(`${reference}: stage 1`)));
        await page.goto(linkIn(invite));
        await check('respond', 'Record the outcome of stage 1');
        await page.locator('input[name="outcome"][value="notResolved"]').check();
        await page.locator('main button.govuk-button').click();
        await page.locator('.govuk-error-summary').waitFor();
        await check('respond-errors', 'Record the outcome of stage 1');
        await page.fill('#reasons', 'We still disagree about the threshold.');
        await page.locator('main button.govuk-button').click();
        await check('respond-check', 'Check your answers before recording');
        await page.locator('button[name="_confirm"]').click();
        await page.locator('.govuk-panel__title').waitFor();
        await check('respond-done', 'Outcome recorded');

        // Withdrawing: the form, its errors, done, and the form once the case has ended.
        await visit(`/cases/${reference}/withdraw`, 'withdraw', 'Withdraw the disagreement');
        await page.getByRole('button', { name: 'Withdraw the disagreement' }).click();
        await page.locator('.govuk-error-summary').waitFor();
        await check('withdraw-errors', 'Withdraw the disagreement');
        await page.fill('#reason', 'Raised by mistake.');
        await page.getByRole('button', { name: 'Withdraw the disagreement' }).click();
        await check('withdrawn', 'Disagreement withdrawn');
        await waitForEvent(system, reference, 'closed');
        await visit(`/cases/${reference}/withdraw`, 'withdraw-ended', 'This case has already ended');
        await end(reference);
      } finally {
        await context.close();
      }
      expect(findings).toEqual([]);
    });

    it(`passes axe on a partnership admin's pages (${width})`, async () => {
      const { context, page, visit, check, findings } = await walker(width);
      try {
        const reference = await openCase(`admin.case.${width}@example.org`);
        const proformaId = await proformaIdFor(suite.db, reference);
        await page.goto(`${system.baseUrl}/sign-in?returnTo=%2Fpartnerships%2Fbromley%2Fcases`);
        await page.getByRole('button', { name: 'Sign in with your organisation account' }).click();
        await page.waitForURL('**/dev-idp/interaction/**');
        await check('dev-sign-in', 'Development sign-in');
        await page.locator(`button[data-email="${adminAccount(suite.policies, 'bromley').email}"]`).click();
        await page.waitForURL('**/partnerships/bromley/cases');
        await check('partnership-cases', 'Cases');
        await visit(`/partnerships/bromley/cases?q=${reference}`, 'partnership-cases-search', 'Cases');
        await visit('/partnerships/bromley/dashboard', 'dashboard', 'Escalations dashboard');
        await visit(`/cases/${reference}`, 'case-as-admin', `Case ${reference}`);
        await visit(`/cases/${reference}/record`, 'record-as-admin', `Record of case ${reference}`);
        await visit(`/cases/${reference}/readers`, 'readers', 'Who has seen this file');
        await visit(`/cases/${reference}/proforma`, 'proforma', 'proforma');
        await visit(`/partnerships/bromley/proformas/${proformaId}`, 'proforma-by-id', 'proforma');
        await visit('/partnerships/bromley/proforma-texts', 'proforma-texts', 'Text offered for proformas');
        await end(reference);
      } finally {
        await context.close();
      }
      expect(findings).toEqual([]);
    });

    it(`passes axe on operations' pages and the mail page (${width})`, async () => {
      const { context, page, visit, check, findings } = await walker(width);
      try {
        await page.goto(`${system.baseUrl}/sign-in?returnTo=%2Foperations`);
        await signInAsStaff(page, OPERATIONS_ACCOUNT.email);
        await check('operations', 'Workflows');
        await visit('/mail', 'mailbox', 'Emails sent');
        await page.locator('main a[href^="/mail/"]').first().click();
        await page.waitForURL('**/mail/*');
        await check('mail-message', /stage 1/);
      } finally {
        await context.close();
      }
      expect(findings).toEqual([]);
    });
  }
});
