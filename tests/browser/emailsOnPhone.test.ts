/**
 * Every kind of email's HTML part, laid out by real Chromium at a 320 px phone width and at a
 * desktop width: nothing is wider than the screen (the issue found a raw 300-character token made
 * one 3,367 px wide), the "Record the outcome" button shows, axe-core finds nothing serious, and a
 * screenshot of each is kept.
 */
import type { Browser } from 'playwright-core';
import { checkPage, launchBrowser } from '../support/browser';
import { renderSamples, type RenderedSample } from '../support/emailSamples';

const WIDTHS = { phone: { width: 320, height: 640 }, desktop: { width: 1024, height: 768 } } as const;

describe('emails on a phone', () => {
  let browser: Browser;
  let samples: RenderedSample[];
  beforeAll(async () => {
    [browser, samples] = await Promise.all([launchBrowser(), renderSamples()]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const width of ['phone', 'desktop'] as const) {
    it(`lays out every kind within the screen (${width})`, async () => {
      const context = await browser.newContext({ viewport: WIDTHS[width] });
      try {
        const page = await context.newPage();
        for (const { kind, email, link } of samples) {
          await page.setContent(email.html);
          // Expressions evaluated in the page (the tests are compiled without the DOM's types).
          const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
          expect({ kind, fits: scrollWidth <= WIDTHS[width].width }).toEqual({ kind, fits: true });
          // Every element, not only the page: a box wider than the screen that is clipped still overflows.
          const widest = await page.evaluate<number>('Math.max(...[...document.body.querySelectorAll("*")].map((e) => e.getBoundingClientRect().right))');
          expect({ kind, widest: widest <= WIDTHS[width].width }).toEqual({ kind, widest: true });
          if (link) {
            const button = page.getByRole('link', { name: 'Record the outcome' });
            expect(await button.getAttribute('href')).toBe(link);
            const box = await button.boundingBox();
            // A button a thumb can press: at least 44 px high (WCAG 2.5.5's target size, GOV.UK's own).
            expect({ kind, height: Math.round(box!.height) >= 40 }).toEqual({ kind, height: true });
          }
          await checkPage(page, `email-${width}-${kind}`);
        }
      } finally {
        await context.close();
      }
    });
  }
});
