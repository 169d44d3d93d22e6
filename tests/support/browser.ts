/**
 * Real Chromium (Debian's, driven by playwright-core) for the browser tests, with accessibility
 * checks by axe-core and a screenshot of every page into test-artifacts/screenshots.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { MailCatcher } from '../../mail/catcher';
import { codeIn, isCodeFor } from './visitor';

export const SCREENSHOTS = join(__dirname, '..', '..', 'test-artifacts', 'screenshots');

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    // The machines' network is closed: keep Chromium from reaching out at start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

let axeSource: string | undefined;
const AXE_SOURCE = () => (axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));

/** Runs axe-core on the page and returns the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  return (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Runs axe-core on the page and returns every violation, whatever its impact. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated rather than added as a <script>: the pages' Content-Security-Policy refuses inline
  // scripts (as it should), and evaluation from the test is not subject to it.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE());
  const violations: AxeViolation[] = await page.evaluate(async () => {
    // Runs in the page, where axe-core was just injected.
    const page = globalThis as any;
    return (await page.axe.run(page.document)).violations;
  });
  return violations;
}

/** Screenshot, and no axe-core violation of any impact (minor and moderate ones too). */
export async function checkPageFully(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const violations = await axeViolations(page);
  if (violations.length > 0) {
    throw new Error(`${name} (${page.url()}): accessibility violations:\n${violations.map((v) => `  ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`).join('\n')}`);
  }
}

/** Screenshot for the CI artefacts, and the accessibility check that every page must pass. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const violations = await seriousViolations(page);
  if (violations.length > 0) {
    throw new Error(`${name}: accessibility violations:\n${violations.map((v) => `  ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`).join('\n')}`);
  }
}

/**
 * Signs in by email code from where the page is: the sign-in page (types the address) or a
 * decision link's "Confirm it is you" page (presses the button); reads the code off the SMTP server.
 */
export async function signInByCode(page: Page, mail: MailCatcher, email: string): Promise<void> {
  const before = mail.messages().length;
  if ((await page.textContent('h1'))?.includes('Confirm it is you')) {
    await page.getByRole('button', { name: 'Email me a code' }).click();
  } else {
    await page.getByLabel('Your work email address').fill(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
  }
  await page.waitForURL('**/sign-in/code');
  const message = await mail.waitFor((m) => mail.messages().indexOf(m) >= before && isCodeFor(m, email));
  await page.getByLabel('Code').fill(codeIn(message));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
}

/** Signs in through the development OpenID provider from the sign-in page, as `email`. */
export async function signInAsStaff(page: Page, email: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign in with your organisation account' }).click();
  await page.waitForURL('**/dev-idp/interaction/**');
  await page.locator(`button[data-email="${email}"]`).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/dev-idp') && !url.pathname.startsWith('/sign-in') && !url.pathname.startsWith('/auth'));
}
