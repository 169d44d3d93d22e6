/**
 * "I'm not the right person" and a note, in real Chromium: from the decision page to the hand-over
 * form (a conditional reveal for the colleague), its error summary, check your answers and the done
 * page; the note form and its confirmation; each page checked by axe-core with a screenshot kept.
 */
import type { Browser, Page } from 'playwright-core';
import { linkIn, newCase, startSuite, startSystem, toWithSubject, type Running, type Suite } from '../support/system';
import { checkPage, launchBrowser, signInByCode } from '../support/browser';

describe('handing a stage over and adding a note, in a browser', () => {
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

  it('passes stage 1 to a colleague through the GOV.UK pages, then adds a note', async () => {
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    const invite = await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`)));

    await page.goto(linkIn(invite));
    await signInByCode(page, suite.mail, 'ann.teacher@example.org');
    await page.getByRole('link', { name: "I'm not the right person to decide this" }).click();
    await page.waitForURL('**/hand-over');
    expect(await page.textContent('h1')).toContain('Who should decide this instead?');
    await checkPage(page, '70-hand-over-form');

    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.title()).toMatch(/^Error: /);
    expect(await page.textContent('.govuk-error-summary')).toContain('Select who should decide this instead');
    expect(await page.textContent('.govuk-error-summary')).toContain('Enter why you are not the right person to decide this');
    await checkPage(page, '71-hand-over-errors');

    // The colleague list is revealed by choosing "a colleague".
    await page.getByLabel('A colleague in my organisation').check();
    await page.getByLabel('Colleague', { exact: true }).selectOption('school.deputy@example.org');
    await page.getByLabel('Why are you not the right person to decide this?').fill('Mo handles our escalations.');
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.textContent('h1')).toContain('Check your answers before passing this on');
    expect(await page.textContent('#answers')).toContain('Mo Deputy-Head (line manager)');
    await checkPage(page, '72-hand-over-check');
    await page.getByRole('button', { name: 'Pass it on' }).click();
    expect(await page.textContent('#handed-to')).toContain('Mo Deputy-Head (line manager) now decides stage 1');
    await checkPage(page, '73-hand-over-done');

    // A note from the case page.
    await page.getByRole('link', { name: 'See the case record' }).click();
    await page.getByRole('link', { name: 'Add a note to the case' }).click();
    expect(await page.textContent('h1')).toContain('Add a note to the case');
    await checkPage(page, '74-note-form');
    await page.getByLabel('Your note').fill('A strategy meeting is booked for Thursday.');
    await page.getByRole('button', { name: 'Add the note' }).click();
    expect(await page.textContent('h1')).toContain('Your note was added');
    await checkPage(page, '75-note-added');
    await page.getByRole('link', { name: 'Back to the case' }).click();
    expect(await page.textContent('#timeline')).toContain('A strategy meeting is booked for Thursday.');
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });
});
