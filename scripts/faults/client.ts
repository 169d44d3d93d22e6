/**
 * What people and agency systems do over HTTP: open a case through the JSON API (resending it
 * with the same Idempotency-Key when an answer does not come), open a decision link from an
 * email, and record a decision through its form (with the check-your-answers step).
 */

export interface PostAnswer {
  status: number;
  reference?: string;
  ms: number;
  error?: string;
  retryAfter?: string;
}

export async function postCase(baseUrl: string, apiKey: string, body: unknown, options: { idempotencyKey?: string; timeoutMs?: number } = {}): Promise<PostAnswer> {
  const started = Date.now();
  try {
    const res = await fetch(`${baseUrl}/api/disagreements`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${apiKey}`,
        ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let reference: string | undefined;
    try {
      reference = (JSON.parse(text) as { reference?: string }).reference;
    } catch {
      // A problem page or an empty body.
    }
    return { status: res.status, reference, ms: Date.now() - started, retryAfter: res.headers.get('retry-after') ?? undefined };
  } catch (error) {
    return { status: 0, ms: Date.now() - started, error: (error as Error).name === 'TimeoutError' ? 'client timeout' : (error as Error).message };
  }
}

export interface ResendResult {
  attempts: PostAnswer[];
  created?: PostAnswer;
}

/**
 * An agency system that must get its case opened: it resends the same request with the same
 * Idempotency-Key until it gets a 201. It starts with a short timeout and waits twice as long
 * after each answer that did not come in time (as a client backs off from a slow server).
 */
export async function postUntilCreated(
  baseUrl: string,
  apiKey: string,
  body: unknown,
  idempotencyKey: string,
  options: { firstTimeoutMs: number; maxTimeoutMs: number; pauseMs: number; giveUpAfterMs: number; onAttempt?: (n: number) => void },
): Promise<ResendResult> {
  const attempts: PostAnswer[] = [];
  const until = Date.now() + options.giveUpAfterMs;
  let timeoutMs = options.firstTimeoutMs;
  while (Date.now() < until) {
    options.onAttempt?.(attempts.length + 1);
    const answer = await postCase(baseUrl, apiKey, body, { idempotencyKey, timeoutMs });
    attempts.push(answer);
    if (answer.status === 201) return { attempts, created: answer };
    if (answer.error === 'client timeout') timeoutMs = Math.min(timeoutMs * 2, options.maxTimeoutMs);
    await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
  return { attempts };
}

/** One line per attempt: status (or what went wrong), time taken, any Retry-After. */
export function describeAttempts(attempts: PostAnswer[]): string {
  return attempts.map((a) => `${a.status || a.error || 'no answer'} in ${a.ms} ms${a.retryAfter ? ` (Retry-After ${a.retryAfter})` : ''}`).join(', ');
}

export function linkIn(text: string): string | undefined {
  return /https?:\/\/\S+\/respond\/[A-Za-z0-9._-]+/.exec(text)?.[0];
}

export interface Decision {
  /** Status of the confirming POST (200 when recorded). */
  status: number;
  recorded: boolean;
  /** Time of the confirming POST alone: the decision reaching the workflow and back. */
  confirmMs: number;
  detail?: string;
}

/** A browser's cookies, enough for one person's session on the service. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  keep(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return res;
  }
  get header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Opens the link as its recipient would: when not signed in yet (`jar` holds their browser's
 * cookies), asked to confirm it is them, presses "Email me a code" and enters the code `codeFor`
 * reads off the SMTP server; then fills in the form and confirms it.
 */
export async function decideThroughLink(
  link: string,
  fields: Record<string, string>,
  codeFor: () => Promise<string | undefined>,
  jar = new CookieJar(),
  timeoutMs = 30_000,
): Promise<Decision> {
  const origin = new URL(link).origin;
  const request = async (url: string, form?: Record<string, string>) => {
    const res = jar.keep(
      await fetch(url, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        body: form ? new URLSearchParams(form) : undefined,
        headers: { cookie: jar.header, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
    return { status: res.status, html: await res.text() };
  };
  let page = await request(link);
  if (page.status === 401) {
    const path = new URL(link).pathname;
    const asked = await request(`${origin}/sign-in/email`, { _csrf: csrfIn(page.html) ?? '', link: path.split('/').pop()!, returnTo: path });
    if (asked.status !== 303) return { status: asked.status, recorded: false, confirmMs: 0, detail: `asking for a sign-in code answered ${asked.status}` };
    const codePage = await request(`${origin}/sign-in/code`);
    const code = await codeFor();
    if (!code) return { status: 0, recorded: false, confirmMs: 0, detail: 'no sign-in code arrived' };
    const entered = await request(`${origin}/sign-in/code`, { _csrf: csrfIn(codePage.html) ?? '', code });
    if (entered.status !== 303) return { status: entered.status, recorded: false, confirmMs: 0, detail: `the sign-in code answered ${entered.status}` };
    page = await request(link);
  }
  if (page.status !== 200) return { status: page.status, recorded: false, confirmMs: 0, detail: `GET of the link answered ${page.status}` };
  const check = await request(link, { ...fields, _csrf: csrfIn(page.html) ?? '' });
  if (check.status !== 200 || !check.html.includes('name="_confirm"')) {
    return { status: check.status, recorded: false, confirmMs: 0, detail: `the form answered ${check.status} without a check-your-answers page` };
  }
  const started = Date.now();
  const done = await request(link, { ...fields, _confirm: 'yes', _csrf: csrfIn(check.html) ?? '' });
  const confirmMs = Date.now() - started;
  return { status: done.status, recorded: done.status === 200, confirmMs, detail: done.status === 200 ? undefined : `confirming answered ${done.status}` };
}

function csrfIn(html: string): string | undefined {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
}

/** GETs a URL n times with c at once; returns how many answered each status (0: no answer). */
export async function flood(url: string, n: number, concurrency: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const one = async () => {
    while (next < n) {
      next += 1;
      let status: number;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = 0;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  return statuses;
}
