/**
 * The GOV.UK patterns, in real Chromium with govuk-frontend's JavaScript running under the
 * Content-Security-Policy: raising and deciding with the keyboard alone (Tab, Enter, Space, typing)
 * at desktop and phone widths; conditional reveals; the error summary focused, with "Error: " in the
 * title and GOV.UK wording; the date input refusing a past review date; check-your-answers pages
 * with Change links that go back to the question; the footer's pages. Every page passes axe and is
 * kept as a screenshot.
 */
import type { Browser, Page } from 'playwright-core';
import { linkIn, startSuite, startSystem, toWithSubject, type Running, type Suite } from '../support/system';
import { checkPage, launchBrowser, signInByCode } from '../support/browser';

const WIDTHS = [
  { name: 'desktop', viewport: { width: 1280, height: 900 } },
  { name: 'phone', viewport: { width: 375, height: 740 } },
];

describe('GOV.UK patterns, by keyboard, in a browser', () => {
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

  for (const { name, viewport } of WIDTHS) {
    it(`raises and decides a disagreement with the keyboard alone (${name})`, async () => {
      const page = await browser.newPage({ viewport });
      const shot = (what: string) => checkPage(page, `keyboard-${name}-${what}`);
      try {
        const raiser = `kb.${name}@example.org`;
        await page.goto(`${system.baseUrl}/raise`);
        await signInByCode(page, suite.mail, raiser);
        // govuk-frontend started: the template's line and initAll both ran under the CSP.
        expect(await page.evaluate(() => (globalThis as any).document.body.classList.contains('govuk-frontend-supported'))).toBe(true);
        await tabTo(page, '#partnership');
        // Within a group of radios, the arrow keys move and choose.
        for (let i = 0; i < 10 && !(await activeIs(page, 'input[value="bromley"]')); i += 1) await page.keyboard.press('ArrowDown');
        expect(await page.locator('input[value="bromley"]').isChecked()).toBe(true);
        await tabTo(page, 'main button.govuk-button');
        await page.keyboard.press('Enter');
        await page.waitForURL('**/raise/bromley');

        // Sent empty: the error summary takes the focus, the title says Error, the words are GOV.UK's.
        await tabTo(page, 'main button.govuk-button');
        await page.keyboard.press('Enter');
        await page.locator('.govuk-error-summary').waitFor();
        expect(await page.title()).toMatch(/^Error: Raise a professional disagreement/);
        await page.waitForFunction(() => (globalThis as any).document.activeElement?.matches('.govuk-error-summary'));
        const summary = await page.locator('.govuk-error-summary').innerText();
        for (const words of ['Enter your name', "Enter the other practitioner's name", "Enter the child's reference in your agency's system", 'Select what the disagreement is about', 'Enter a description of the disagreement']) {
          expect(summary).toContain(words);
        }
        expect(summary).not.toMatch(/: is required|is required/);
        await shot('01-raise-errors');
        // The summary's links go to the fields.
        expect(await page.locator('.govuk-error-summary a', { hasText: 'Enter your name' }).getAttribute('href')).toBe('#raiser-name');

        await tabTo(page, '#raiser-name');
        await page.keyboard.type('Kay Board');
        await tabTo(page, '#raiser-agency');
        await page.keyboard.type('Hillside');
        await tabTo(page, '#other-name');
        await page.keyboard.type('Bob Social-Worker');
        await tabTo(page, '#other-email');
        await page.keyboard.type('bob.sw@example.org');
        await tabTo(page, '#other-agency');
        await page.keyboard.type("Bromley Children");
        await tabTo(page, '#childReference');
        await page.keyboard.type(`UPN-KB${name === 'phone' ? '1' : '2'}23456789`);
        await tabTo(page, '#category');
        await page.keyboard.press('Space');
        await tabTo(page, '#description');
        await page.keyboard.type('School believes the threshold is met.');
        expect(await page.locator('#raiser-agency').inputValue()).toBe('hillside-primary');
        expect(await page.locator('#other-agency').inputValue()).toBe('bromley-csc');
        await shot('02-raise-filled');
        await tabTo(page, 'main button.govuk-button');
        await page.keyboard.press('Enter');

        // Check your answers: labels, never ids; Change goes back to the question, answers kept.
        await page.locator('h1', { hasText: 'Check your answers before raising' }).waitFor();
        const answers = await page.locator('#answers').innerText();
        expect(answers).toContain('Hillside Primary School');
        expect(answers).toContain('Levels of need');
        expect(answers).not.toMatch(/hillside-primary|levels-of-need|newReferral/);
        await shot('03-raise-check');
        await tabTo(page, 'button[value="yes"][formaction="#description"]');
        await page.keyboard.press('Enter');
        await page.waitForURL('**/raise/bromley#description');
        expect(await page.locator('#description').inputValue()).toBe('School believes the threshold is met.');
        await tabTo(page, 'main button.govuk-button');
        await page.keyboard.press('Enter');
        await page.locator('h1', { hasText: 'Check your answers before raising' }).waitFor();
        await tabTo(page, 'button[name="_confirm"]');
        await page.keyboard.press('Enter');
        await page.locator('h1', { hasText: 'Disagreement raised' }).waitFor();
        const reference = (await page.locator('#reference').textContent())!.trim();

        // The raiser's stage 1 link: decide by keyboard.
        const invite = await suite.mail.waitFor(toWithSubject(raiser, new RegExp(`${reference}: stage 1`)));
        await page.goto(linkIn(invite));
        await page.locator('h1', { hasText: 'Record the outcome of stage 1' }).waitFor();
        // Nothing but the outcome question until a choice opens more.
        expect(await page.locator('#agreedOutcome').isVisible()).toBe(false);
        expect(await page.locator('#reasons').isVisible()).toBe(false);
        await shot('04-respond');
        await tabTo(page, '#outcome');
        await page.keyboard.press('Space');
        expect(await page.locator('#agreedOutcome').isVisible()).toBe(true);
        expect(await page.locator('#reasons').isVisible()).toBe(false);
        await tabTo(page, '#agreedOutcome');
        await page.keyboard.type('Strategy discussion within two working days.');
        // A review date in the past is refused in plain words.
        await tabTo(page, '#reviewDate-day');
        await page.keyboard.type('1');
        await tabTo(page, '#reviewDate-month');
        await page.keyboard.type('1');
        await tabTo(page, '#reviewDate-year');
        await page.keyboard.type('2020');
        await tabTo(page, 'main button.govuk-button');
        await page.keyboard.press('Enter');
        await page.locator('.govuk-error-summary').waitFor();
        expect(await page.title()).toMatch(/^Error: /);
        await page.waitForFunction(() => (globalThis as any).document.activeElement?.matches('.govuk-error-summary'));
        expect(await page.locator('.govuk-error-summary').innerText()).toContain('The review date must be in the future');
        expect(await page.locator('#reviewDate-error').innerText()).toContain('The review date must be in the future');
        // The choice stays open with what was typed.
        expect(await page.locator('#agreedOutcome').isVisible()).toBe(true);
        await shot('05-respond-past-date');
        await tabTo(page, '#reviewDate-year');
        await page.keyboard.press('Control+A');
        await page.keyboard.type(String(new Date().getFullYear() + 1));
        await tabTo(page, '#lessons');
        await page.keyboard.press('Space');
        await tabTo(page, 'main button.govuk-button');
        await page.keyboard.press('Enter');

        await page.locator('h1', { hasText: 'Check your answers before recording' }).waitFor();
        const decided = await page.locator('#answers').innerText();
        expect(decided).toContain(`1 January ${new Date().getFullYear() + 1}`);
        expect(decided).toContain('A training need');
        expect(decided).not.toMatch(/trainingNeed|\d{4}-\d{2}-\d{2}/);
        await shot('06-respond-check');
        await tabTo(page, 'button[name="_confirm"]');
        await page.keyboard.press('Enter');
        await page.locator('.govuk-panel__title', { hasText: 'Outcome recorded' }).waitFor();
        await shot('07-recorded');
        await suite.temporal.workflow.getHandle(reference).terminate('test finished').catch(() => undefined);
        await suite.temporal.workflow.getHandle(`${reference}-review`).terminate('test finished').catch(() => undefined);
      } finally {
        await page.close();
      }
    });
  }

  it('shows the stage choice only once immediate harm is ticked, and says the policy version in words', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${system.baseUrl}/raise/chew-stoke`);
      await signInByCode(page, suite.mail, 'reveal.check@example.org');
      await page.waitForURL('**/raise/chew-stoke');
      const main = await page.locator('main').innerText();
      expect(main).toContain('(no version number)');
      expect(main).not.toContain('unversioned');
      expect(await page.locator('#startAtStage').isVisible()).toBe(false);
      await tabTo(page, '#flags-3');
      await page.keyboard.press('Space');
      expect(await page.locator('#startAtStage').isVisible()).toBe(true);
      await checkPage(page, 'reveal-immediate-harm');
      await page.keyboard.press('Space');
      expect(await page.locator('#startAtStage').isVisible()).toBe(false);
    } finally {
      await page.close();
    }
  });

  it('has a footer with contact, privacy and accessibility pages', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${system.baseUrl}/`);
      expect(await page.locator('main').innerText()).not.toMatch(/unversioned|version 2012/);
      for (const [link, heading] of [['Contact', 'Contact'], ['Privacy', 'Privacy'], ['Accessibility statement', 'Accessibility statement']]) {
        await page.locator('footer').getByRole('link', { name: link }).click();
        await page.locator('h1', { hasText: heading }).waitFor();
        await checkPage(page, `footer-${link.toLowerCase().replace(/ /g, '-')}`);
      }
    } finally {
      await page.close();
    }
  });
});

/** Presses Tab until the element matching `selector` has the focus: the keyboard's way there. */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (await activeIs(page, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

function activeIs(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((s) => Boolean((globalThis as any).document.activeElement?.matches(s)), selector);
}
