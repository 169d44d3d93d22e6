/**
 * The people's journey in real Chromium: raise a disagreement through the form, read the email off
 * the SMTP server, follow its link, record "not resolved", see the next stage's email arrive,
 * record "resolved" with a plan and review date, and read the whole timeline on the case page.
 * Every page passes axe-core with no serious or critical violations; screenshots are kept.
 */
import type { Browser, Page } from 'playwright-core';
import { createLinkSigner } from '../../shared/links';
import { LINK_SECRET, linkIn, startSuite, startSystem, toWithSubject, waitForEvent, type Running, type Suite } from '../support/system';
import { checkPage, launchBrowser, signInAsStaff, signInByCode } from '../support/browser';

describe('the pages, in a browser', () => {
  let suite: Suite;
  let system: Running;
  let browser: Browser;
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
  beforeEach(async () => {
    page = await browser.newPage();
  });
  afterEach(async () => {
    await page?.close();
  });

  it('takes a disagreement from the raise form through both stages to a resolved case with its timeline', async () => {
    // The raiser signs in first (a code to her work address), and comes back to the form.
    await page.goto(`${system.baseUrl}/raise`);
    await page.waitForURL('**/sign-in?returnTo=%2Fraise');
    await checkPage(page, '00-sign-in');
    await signInByCode(page, suite.mail, 'ann.teacher@example.org');
    await checkPage(page, '01-choose-partnership');
    await page.getByLabel('Bromley Safeguarding Children Partnership').check();
    await page.getByRole('button', { name: 'Continue' }).click();

    // An empty form gets the GOV.UK error summary and inline errors.
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectText(page, '.govuk-error-summary', 'There is a problem');
    await expectText(page, '#raiser-name-error', 'Enter your name');
    expect(await page.title()).toMatch(/^Error: /);
    await checkPage(page, '02-raise-form-errors');

    const about = page.getByRole('group', { name: 'About you' });
    await about.getByLabel('Name').fill('Ann Teacher');
    expect(await about.getByLabel('Work email address').inputValue()).toBe('ann.teacher@example.org');
    await about.getByLabel('Agency').selectOption('hillside-primary');
    await about.getByLabel('Work telephone number (optional)').fill('020 7946 0555');
    const them = page.getByRole('group', { name: 'The practitioner you disagree with' });
    await them.getByLabel('Name').fill('Bob Social-Worker');
    await them.getByLabel('Work email address').fill('bob.sw@example.org');
    await them.getByLabel('Agency').selectOption('bromley-csc');
    await page.getByLabel("The child's reference in your agency's system").fill('UPN-B987654321098');
    await page.getByLabel('Levels of need').check();
    await page.getByLabel('Describe the disagreement').fill('Children’s social care closed the referral; school believes the threshold is met.');
    await page.getByLabel('Has a child protection plan').check();
    await checkPage(page, '03-raise-form-filled');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectText(page, 'h1', 'Check your answers before raising');
    await expectText(page, '#answers', 'Hillside Primary School');
    await checkPage(page, '03a-raise-check-answers');
    await page.getByRole('button', { name: 'Raise the disagreement' }).click();

    await expectText(page, 'h1', 'Disagreement raised');
    const reference = (await page.locator('#reference').textContent())!.trim();
    expect(reference).toMatch(/^BSCP-\d{4}-[0-9A-Z]{6}$/);
    await checkPage(page, '04-raised-confirmation');

    // Stage 1: the raiser's email, and its link.
    const invite = await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`)));
    await page.goto(linkIn(invite));
    await expectText(page, 'h1', 'Record the outcome of stage 1');
    await expectText(page, '.govuk-summary-list', reference);
    await expectText(page, '#case-summary', 'UPN-B987654321098');
    await expectText(page, '#description', 'school believes the threshold is met');
    await expectText(page, '#no-earlier-stages', 'this is the first stage');
    await checkPage(page, '05-respond-stage-1');
    await page.getByLabel('Not resolved: escalate to the next stage').check();
    await page.getByLabel('Why it is not resolved').fill('Social care maintains the threshold is not met.');
    await page.getByRole('button', { name: 'Record the outcome' }).click();
    await expectText(page, 'h1', 'Check your answers');
    await checkPage(page, '06-check-answers-not-resolved');
    await page.getByRole('button', { name: 'Record the outcome' }).click();
    await expectText(page, '.govuk-panel__title', 'Outcome recorded');
    await checkPage(page, '07-outcome-recorded');

    // The used link now says so.
    await page.goto(linkIn(invite));
    await expectText(page, 'h1', 'This link has already been used');
    await checkPage(page, '08-link-already-used');

    // Stage 2: the line manager, at the same computer once the raiser has signed out, confirms it
    // is them and resolves it with a plan and a review date.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expectText(page, 'h1', 'You have signed out');
    const manager = await suite.mail.waitFor(toWithSubject('csc.team.manager@example.org', new RegExp(`${reference}: stage 2`)));
    await page.goto(linkIn(manager));
    await expectText(page, 'h1', 'Confirm it is you');
    await signInByCode(page, suite.mail, 'csc.team.manager@example.org');
    await expectText(page, 'h1', 'Record the outcome of stage 2');
    // The manager decides with the case in front of them: the child, the disagreement, both
    // sides and how to reach them, and what stage 1 decided and why.
    await expectText(page, '#case-summary', 'UPN-B987654321098');
    await expectText(page, '#description', 'Children’s social care closed the referral');
    await expectText(page, '#raiser', '020 7946 0555');
    await expectText(page, '#other-party', 'bob.sw@example.org');
    await expectText(page, '#invited', 'Tara Team-Manager (you)');
    await expectText(page, '#stage-1', 'Social care maintains the threshold is not met.');
    await checkPage(page, '09a-respond-stage-2-the-case');
    await page.getByLabel('Resolved', { exact: true }).check();
    await page.getByLabel('Agreed outcome').fill('Strategy discussion within two working days.');
    await page.getByLabel('Agreed plan (optional)').fill('Team manager convenes it; school attends.');
    const reviewDate = page.getByRole('group', { name: 'Review date (optional)' });
    await reviewDate.getByLabel('Day').fill('15');
    await reviewDate.getByLabel('Month').fill('1');
    await reviewDate.getByLabel('Year').fill('2027');
    await checkPage(page, '09-respond-stage-2-resolved');
    await page.getByRole('button', { name: 'Record the outcome' }).click();
    await expectText(page, '#answers', '15 January 2027');
    await page.getByRole('button', { name: 'Record the outcome' }).click();
    // Both sides decide (issue 11): the agreed outcome is proposed; the school's line manager confirms it.
    await expectText(page, '.govuk-panel__title', 'Agreed outcome recorded');
    expect(await page.getByRole('link', { name: 'See the case' }).getAttribute('href')).toBe(`/cases/${reference}`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    const ask = await suite.mail.waitFor(toWithSubject('school.deputy@example.org', new RegExp(`${reference}: stage 2: .* - confirm or dispute`)));
    await page.goto(linkIn(ask));
    await expectText(page, 'h1', 'Confirm it is you');
    await signInByCode(page, suite.mail, 'school.deputy@example.org');
    await expectText(page, 'h1', 'Confirm or dispute the proposed outcome of stage 2');
    await expectText(page, '#proposal', 'Team manager convenes it; school attends.');
    await page.getByLabel('No, I dispute it').check();
    expect(await page.getByLabel('Why you dispute the proposed outcome').isVisible()).toBe(true);
    await page.getByLabel('Yes, I confirm it').check();
    await checkPage(page, '09b-confirm-proposed-outcome');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectText(page, '#answers', 'Yes, I confirm it');
    await page.getByRole('button', { name: 'Confirm the outcome' }).click();
    await expectText(page, '.govuk-panel__title', 'Proposed outcome confirmed');

    await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: resolved at stage 2`)));
    await waitForEvent(system, reference, 'confirmationSent');
    // The manager, taking part since stage 2, reads the whole case.
    await page.goto(`${system.baseUrl}/cases/${reference}`);
    await expectText(page, 'h1', 'Resolved');
    const timeline = (await page.locator('#timeline').innerText()).replace(/\s+/g, ' ');
    for (const entry of [
      'Disagreement raised',
      'Entered stage 1: Discuss with the other worker',
      'Outcome recorded at stage 1: Discuss with the other worker: not resolved',
      'Reasons: Social care maintains the threshold is not met.',
      'Escalated from stage 1 to stage 2',
      'Entered stage 2: Escalate to line manager',
      'Told for information: child protection chair',
      'Resolution proposed at stage 2: Escalate to line manager',
      'Proposed resolution confirmed at stage 2: Escalate to line manager',
      'Agreed plan: Team manager convenes it; school attends.',
      'Review date: 15 January 2027',
      'Resolved at stage 2',
      'Written confirmation sent',
    ]) {
      expect(timeline).toContain(entry);
    }
    await checkPage(page, '10-case-timeline');

    // The record for the child's file, the anonymised proforma and the partnership's numbers.
    await page.getByRole('link', { name: "The record for the child's file" }).click();
    await expectText(page, 'main', 'UPN-B987654321098');
    await checkPage(page, '14-child-file-record');
    await page.goto(`${system.baseUrl}/cases/${reference}/proforma`);
    expect(await page.locator('main').innerText()).not.toContain('UPN-B987654321098');
    await checkPage(page, '15-anonymised-proforma');
    // The partnership's numbers are for its business unit, signed in with their staff account.
    await page.goto(`${system.baseUrl}/partnerships/bromley/dashboard`);
    await expectText(page, 'h1', 'This page is for the partnership');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${system.baseUrl}/partnerships/bromley/dashboard`);
    await signInAsStaff(page, 'bscp@example.org');
    await expectText(page, 'main', 'Levels of need');
    await checkPage(page, '16-partnership-dashboard');
    // The case closed when it was resolved; its review date waits in a reminder of its own.
    await expect(suite.temporal.workflow.getHandle(reference).result()).resolves.toMatchObject({ status: 'resolved' });
    await suite.temporal.workflow.getHandle(`${reference}-review`).terminate('test finished');
  });

  it('shows clear pages for a link that has expired, one that is not valid, and a page that does not exist', async () => {
    const expired = await createLinkSigner(LINK_SECRET).issue({ reference: 'BSCP-2026-AAAAAA', stage: 1, recipientId: 'raiser.worker.0', expiresAt: new Date(Date.now() - 60_000) });
    const response = await page.goto(`${system.baseUrl}/respond/${expired}`);
    expect(response?.status()).toBe(410);
    await expectText(page, 'h1', 'This link has expired');
    await checkPage(page, '11-link-expired');
    await page.goto(`${system.baseUrl}/respond/not-a-real-token`);
    await expectText(page, 'h1', 'This link is not valid');
    await checkPage(page, '12-link-not-valid');
    await page.goto(`${system.baseUrl}/no-such-page`);
    await expectText(page, 'h1', 'Page not found');
    await checkPage(page, '13-not-found');
  });
});

async function expectText(page: Page, selector: string, text: string) {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout: 10_000 });
}
