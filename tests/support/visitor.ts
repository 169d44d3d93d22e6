/**
 * A person at a browser, without the browser: fetch with a cookie jar that follows redirects on
 * the service's own origin, reads forms' CSRF fields, and signs in for real (a code by email read
 * from the SMTP server, or the development OpenID provider's authorisation-code flow).
 */
import type { CaughtMessage, MailCatcher } from '../../mail/catcher';

/** Page text without markup, entities decoded, so a value split by tags is still found. */
export const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

export const csrfIn = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)?.[1];

export interface Page {
  status: number;
  url: string;
  html: string;
  headers: Headers;
}

export class Visitor {
  private readonly jar = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  get cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Cookies as the browser holds them now (to copy into another visitor, as an attacker would). */
  cookies(): Map<string, string> {
    return new Map(this.jar);
  }

  setCookie(name: string, value: string) {
    this.jar.set(name, value);
  }

  private keep(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || (/^\s*expires=/i.test(a) && new Date(a.split('=')[1]) < new Date()));
      if (expired || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  /** One request, following redirects within the service (the dev provider is on it too). */
  async request(target: string, init: { method?: string; form?: Record<string, string | string[]>; headers?: Record<string, string>; follow?: boolean } = {}): Promise<Page> {
    let url = new URL(target, this.baseUrl).href;
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let body: string | undefined;
    if (init.form) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const one of [v].flat()) params.append(k, one);
      body = params.toString();
    }
    for (let hops = 0; hops < 20; hops++) {
      const res = await fetch(url, {
        method,
        body,
        redirect: 'manual',
        headers: { cookie: this.cookieHeader, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...init.headers },
      });
      this.keep(res);
      const location = res.headers.get('location');
      if (init.follow !== false && location && res.status >= 300 && res.status < 400) {
        url = new URL(location, url).href;
        if (!url.startsWith(this.baseUrl)) throw new Error(`Redirected off the service to ${url}`);
        method = 'GET';
        body = undefined;
        await res.arrayBuffer();
        continue;
      }
      return { status: res.status, url, html: await res.text(), headers: res.headers };
    }
    throw new Error(`Too many redirects from ${target}`);
  }

  get(target: string) {
    return this.request(target);
  }

  /** Posts a page's form: its CSRF token from the page, the fields given. */
  submit(target: string, page: Page, fields: Record<string, string | string[]>) {
    const csrf = csrfIn(page.html);
    return this.request(target, { form: { ...(csrf ? { _csrf: csrf } : {}), ...fields } });
  }

  /** Signs in by a code sent to `email`, read from the SMTP server; lands on `returnTo`. */
  async signInByCode(mail: MailCatcher, email: string, returnTo = '/'): Promise<Page> {
    const signIn = await this.get(`/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
    const before = mail.messages().length;
    const codePage = await this.submit('/sign-in/email', signIn, { email, returnTo });
    if (!codePage.url.endsWith('/sign-in/code')) throw new Error(`No code page after asking for a code (${codePage.status})`);
    return this.enterCode(mail, email, codePage, before);
  }

  /** The code page is showing: reads the newest code sent to `email` after `before` messages and enters it. */
  async enterCode(mail: MailCatcher, email: string, codePage: Page, before: number): Promise<Page> {
    const message = await mail.waitFor((m) => mail.messages().indexOf(m) >= before && isCodeFor(m, email));
    return this.submit('/sign-in/code', codePage, { code: codeIn(message) });
  }

  /** Signs in through the development OpenID provider (authorisation code with PKCE) as `email`. */
  async signInAsStaff(email: string, returnTo = '/'): Promise<Page> {
    const chooser = await this.get(`/sign-in/staff?returnTo=${encodeURIComponent(returnTo)}`);
    const action = chooser.html.match(/action="(\/dev-idp\/interaction\/[^"]+\/login)"/)?.[1];
    if (!action) throw new Error(`No development sign-in page (${chooser.status} at ${chooser.url})`);
    return this.request(action, { form: { account: email } });
  }

  async signOut(): Promise<Page> {
    return this.request('/sign-out', { method: 'POST', form: {} });
  }
}

export const isCodeFor = (m: CaughtMessage, email: string) => m.to.includes(email.toLowerCase()) && /sign-in code/i.test(m.subject);
export const codeIn = (m: CaughtMessage) => {
  const code = m.text.match(/\b(\d{6})\b/)?.[1];
  if (!code) throw new Error('No code in the sign-in email');
  return code;
};
