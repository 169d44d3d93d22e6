/**
 * Operators read decoded payloads in the Temporal Web UI, in real Chromium: the dev server's UI as
 * `npm start` runs it (codec endpoint the API's /codec, credentials included, write actions off),
 * the API on another port of the same host, and the real session cookie (HttpOnly, SameSite=Lax)
 * from signing in to the API in the same browser: staff through the development OpenID provider's
 * page, a participant by a code sent to her address. The browser sends the cookie with the UI's
 * credentialed codec requests because localhost:UI and localhost:API are the same site.
 */
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { OPERATIONS_ACCOUNT } from '../../api/identity/devProvider';
import { SESSION_COOKIE } from '../../api/identity/sessions';
import { startDevServer, type DevServer } from '../../scripts/devServer';
import { launchBrowser, SCREENSHOTS, signInAsStaff, signInByCode } from '../support/browser';
import { newCase, startSuite, startSystem, waitForEvent, type Running, type Suite } from '../support/system';
import { closedPort } from '../support/waits';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** Who signs in to the API before opening the UI: staff by their organisation account, or a participant by email code. */
type SignIn = { staff: string } | { code: string };

describe('the Temporal Web UI, for staff', () => {
  let devServer: DevServer;
  let suite: Suite;
  let system: Running;
  let browser: Browser;
  let reference: string;

  beforeAll(async () => {
    const [temporalPort, uiPort] = [await closedPort(), await closedPort()];
    // The API's port is held while the dev server picks its own free ports, so none of them takes it.
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const apiPort = (held.address() as AddressInfo).port;
    try {
      devServer = await startDevServer({ port: temporalPort, ui: true, uiPort, uiCodecEndpoint: `http://localhost:${apiPort}/codec`, uiReadOnly: true });
    } finally {
      await new Promise((resolve) => held.close(resolve));
    }
    [suite, browser] = await Promise.all([startSuite('pglite', [], devServer.env.address), launchBrowser()]);
    // The API's public URL is on localhost, the UI's host, so the session cookie is the UI's site's.
    system = await startSystem(suite, { host: 'localhost', uiOrigin: `http://localhost:${uiPort}`, port: apiPort });
    const opened = await system.postJson('/api/disagreements', newCase());
    reference = opened.body.reference;
    await waitForEvent(system, reference, 'stageEntered');
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await suite?.close();
    await devServer?.teardown();
  });

  /** A browser signed in to the API as `who`, then on the case's workflow page in the UI; the codec's answers seen. */
  async function openWorkflow(who: SignIn, name: string): Promise<{ context: BrowserContext; page: Page; codecAnswers: Response[]; screenshot: () => Promise<unknown> }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${system.baseUrl}/sign-in`);
    if ('staff' in who) await signInAsStaff(page, who.staff);
    else await signInByCode(page, suite.mail, who.code);
    // The real session cookie, as sign-in set it, for the API's host (and so the UI's site).
    const [session] = (await context.cookies(system.baseUrl)).filter((c) => c.name === SESSION_COOKIE);
    expect(session).toMatchObject({ domain: 'localhost', httpOnly: true, sameSite: 'Lax' });
    const codecAnswers: Response[] = [];
    page.on('response', (res) => {
      if (res.url().includes('/codec/decode') && res.request().method() === 'POST') codecAnswers.push(res);
    });
    await page.goto(`${devServer.uiUrl}/namespaces/default/workflows/${reference}`);
    return { context, page, codecAnswers, screenshot: () => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true }) };
  }

  it('shows an operations person the decoded input of a case, with the write actions disabled', async () => {
    const { context, page, codecAnswers, screenshot } = await openWorkflow({ staff: OPERATIONS_ACCOUNT.email }, '90-temporal-ui-decoded');
    // The workflow's input, decrypted by the API for this session: the raiser's name is in it.
    await page.getByText('Ann Teacher').first().waitFor({ timeout: 30_000 });
    await screenshot();
    expect(codecAnswers.length).toBeGreaterThan(0);
    expect(codecAnswers.map((r) => r.status())).toEqual(codecAnswers.map(() => 200));
    // The cookie went with the UI's requests to the API: another port, the same site.
    for (const answer of codecAnswers) expect((await answer.request().allHeaders()).cookie).toContain(`${SESSION_COOKIE}=`);
    expect(await page.getByRole('button', { name: 'Request Cancellation' }).isDisabled()).toBe(true);
    await context.close();
  });

  it('decodes nothing for someone who only takes part in cases', async () => {
    // The case's raiser, signed in by a code sent to her address: she takes part, but is not staff.
    const { context, page, codecAnswers, screenshot } = await openWorkflow({ code: 'ann.teacher@example.org' }, '91-temporal-ui-participant');
    // The UI says it could not decode, and shows the ciphertext.
    await page.locator('#content').getByText('Codec Server could not connect').waitFor({ timeout: 30_000 });
    await page.getByText('YmluYXJ5L2VuY3J5cHRlZA==').first().waitFor({ timeout: 30_000 });
    await screenshot();
    expect(codecAnswers.length).toBeGreaterThan(0);
    expect(codecAnswers.map((r) => r.status())).toEqual(codecAnswers.map(() => 403));
    for (const answer of codecAnswers) expect((await answer.request().allHeaders()).cookie).toContain(`${SESSION_COOKIE}=`);
    expect(await page.getByText('Ann Teacher').count()).toBe(0);
    await context.close();
  });
});
