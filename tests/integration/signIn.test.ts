/**
 * Sign-in and access, on the real system, as an attacker would try it: every protected page
 * without a session, with another partnership's admin, with a participant of another case, after
 * sign-out, with an expired session; a forwarded decision link; a code guessed, reused, expired.
 */
import { linkIn, newCase, toWithSubject, useSystem, type Running, type Suite } from '../support/system';
import { Visitor, codeIn, csrfIn, isCodeFor } from '../support/visitor';
import { sessionRef } from '../../api/identity/sessionStore';
import { MAX_ATTEMPTS, MAX_CODES_PER_HOUR, issueCode } from '../../api/identity/emailCode';
import { createApp } from '../../api/app';
import { listen } from '../../api/server';
import { appDepsFor } from '../support/system';

const ctx = useSystem('pglite');

const RAISER = 'ann.teacher@example.org';
const BROMLEY_ADMIN = 'bscp@example.org';
const HULL_ADMIN = 'hscb@example.org';
const OPERATIONS = 'operations@example.org';

async function openedCase(system: Running) {
  const { status, body } = await system.postJson('/api/disagreements', newCase());
  expect(status).toBe(201);
  return body.reference as string;
}

/** The first stage's invitation to the other practitioner, and the decision link in it. */
async function invitation(suite: Suite, reference: string) {
  const message = await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(reference)));
  return { message, link: linkIn(message) };
}

const sessionCookie = (v: Visitor) => v.cookies().get('lscp.sid');

describe('sign-in and who may see what', () => {
  it('sends someone who is not signed in to sign in, and shows nothing of the case', async () => {
    const { system } = ctx;
    const reference = await openedCase(system);
    const anonymous = new Visitor(system.baseUrl);
    for (const path of [`/cases/${reference}`, `/cases/${reference}/record`, `/cases/${reference}/record.pdf`, `/cases/${reference}/proforma`, `/cases/${reference}/withdraw`, '/partnerships/bromley/dashboard', '/raise', '/raise/bromley']) {
      const page = await anonymous.request(path, { follow: false });
      expect([path, page.status]).toEqual([path, 303]);
      expect(page.headers.get('location')).toBe(`/sign-in?returnTo=${encodeURIComponent(path)}`);
    }
    const post = await anonymous.request(`/cases/${reference}/withdraw`, { form: { reason: 'x' }, follow: false });
    expect(post.status).toBe(401);
    expect(post.html).not.toContain('UPN-A123456789012');
  });

  it('lets a practitioner sign in by email code and see their own case, and no other', async () => {
    const { system, suite } = ctx;
    const reference = await openedCase(system);
    const other = await system.postJson('/api/disagreements', newCase({ raiser: { name: 'Eve Else', email: 'eve@example.org', agency: 'hillside-primary' } }));
    const raiser = new Visitor(system.baseUrl);
    const landed = await raiser.signInByCode(suite.mail, RAISER, `/cases/${reference}`);
    expect(landed.status).toBe(200);
    expect(landed.url).toBe(`${system.baseUrl}/cases/${reference}`);
    expect(landed.html).toContain('Withdraw this disagreement');
    expect(landed.html).toContain(`Signed in as <strong>${RAISER}</strong>`);
    const refused = await raiser.get(`/cases/${other.body.reference}`);
    expect(refused.status).toBe(403);
    expect(refused.html).not.toContain(other.body.reference);
    // An unknown reference looks the same as someone else's case (but for the page's own CSP nonce).
    const withoutNonce = (html: string) => html.replace(/nonce="[^"]+"/g, 'nonce=""');
    expect(withoutNonce((await raiser.get('/cases/BSCP-2026-ZZZZZZ')).html)).toBe(withoutNonce(refused.html));
    expect((await raiser.get('/partnerships/bromley/dashboard')).status).toBe(403);
  });

  it('signs staff in through the OpenID provider, with roles scoped to their partnership', async () => {
    const { system } = ctx;
    const reference = await openedCase(system);
    const admin = new Visitor(system.baseUrl);
    const landed = await admin.signInAsStaff(BROMLEY_ADMIN, '/partnerships/bromley/dashboard');
    expect(landed.status).toBe(200);
    expect(landed.url).toBe(`${system.baseUrl}/partnerships/bromley/dashboard`);
    expect((await admin.get(`/cases/${reference}`)).status).toBe(200);
    expect((await admin.get('/partnerships/hull/dashboard')).status).toBe(403);

    const otherAdmin = new Visitor(system.baseUrl);
    await otherAdmin.signInAsStaff(HULL_ADMIN);
    expect((await otherAdmin.get(`/cases/${reference}`)).status).toBe(403);
    expect((await otherAdmin.get('/partnerships/bromley/dashboard')).status).toBe(403);
    expect((await otherAdmin.get('/partnerships/hull/dashboard')).status).toBe(200);

    const operations = new Visitor(system.baseUrl);
    await operations.signInAsStaff(OPERATIONS);
    expect((await operations.get(`/cases/${reference}`)).status).toBe(403);
    // Operations see the workflows' state, and nothing about the people or the child.
    const workflows = await operations.get('/operations');
    expect(workflows.status).toBe(200);
    expect(workflows.html).toContain(reference);
    for (const personal of ['UPN-A123456789012', 'ann.teacher@example.org', 'Ann Teacher', 'Bob Social-Worker', 'threshold']) expect(workflows.html).not.toContain(personal);
    expect((await admin.get('/operations')).status).toBe(403);
    expect((await new Visitor(system.baseUrl).request('/operations', { follow: false })).status).toBe(303);
  });

  it('refuses a callback that was not started here, and a replayed one', async () => {
    const { system } = ctx;
    const visitor = new Visitor(system.baseUrl);
    const chooser = await visitor.get('/sign-in/staff?returnTo=/');
    const action = chooser.html.match(/action="(\/dev-idp\/interaction\/[^"]+\/login)"/)![1];
    // Stop at the callback to keep its URL, as someone reading a proxy log would.
    let page = await visitor.request(action, { form: { account: BROMLEY_ADMIN }, follow: false });
    while (page.status >= 300 && !page.headers.get('location')!.includes('/auth/callback')) {
      page = await visitor.request(page.headers.get('location')!, { follow: false });
    }
    const callback = page.headers.get('location')!;
    const attacker = new Visitor(system.baseUrl);
    expect((await attacker.get(callback)).status).toBe(400);
    expect((await visitor.get(callback)).status).toBe(200);
    // The same code again, in the same browser: the pending sign-in is gone.
    expect((await visitor.get(callback)).status).toBe(400);
  });

  it('lets only the recipient of a decision link use it; a forwarded email is not enough', async () => {
    const { system, suite } = ctx;
    const reference = await openedCase(system);
    const { link } = await invitation(suite, reference);

    // Whoever the email was forwarded to: asked to confirm it is them, and sees nothing of the case.
    const forwarded = new Visitor(system.baseUrl);
    const page = await forwarded.get(link);
    expect(page.status).toBe(401);
    expect(page.html).toContain('b•••@example.org');
    expect(page.html).not.toContain('UPN-A123456789012');
    expect(page.html).not.toContain('threshold');
    // Opening the link (a mail scanner) sends no code; only pressing the button does.
    const codesToBob = () => suite.mail.messages().filter((m) => isCodeFor(m, 'bob.sw@example.org'));
    expect(codesToBob()).toHaveLength(0);

    // Signed in as someone else (the raiser): refused.
    const raiser = new Visitor(system.baseUrl);
    await raiser.signInByCode(suite.mail, RAISER);
    const wrongPerson = await raiser.get(link);
    expect(wrongPerson.status).toBe(403);
    expect(wrongPerson.html).toContain('sent to someone else');

    // The button sends the code to the address the link was issued to, not to whoever pressed it.
    const linkForm = (html: string) => ({ _csrf: csrfIn(html)!, link: link.split('/').pop()!, returnTo: new URL(link).pathname });
    const codePage = await forwarded.request('/sign-in/email', { form: linkForm(page.html) });
    expect(codePage.url).toBe(`${system.baseUrl}/sign-in/code`);
    const codeMail = await suite.mail.waitFor((m) => isCodeFor(m, 'bob.sw@example.org'));
    expect(codeMail.text).not.toContain(reference);
    // The forwarder does not have Bob's mailbox: a guess is refused.
    const guess = await forwarded.submit('/sign-in/code', codePage, { code: codeIn(codeMail) === '000000' ? '000001' : '000000' });
    expect(guess.status).toBe(400);
    expect(sessionCookie(forwarded)).toBeDefined();
    expect((await forwarded.get(link)).status).toBe(401);

    // Bob, in his own browser, asks for a code, reads it in his mailbox and is on the page.
    const bob = new Visitor(system.baseUrl);
    const bobsPage = await bob.get(link);
    const before = suite.mail.messages().length;
    const bobsCodePage = await bob.request('/sign-in/email', { form: linkForm(bobsPage.html) });
    const landed = await bob.enterCode(suite.mail, 'bob.sw@example.org', bobsCodePage, before);
    expect(landed.status).toBe(200);
    expect(landed.url).toBe(link);
    expect(landed.html).toContain('name="outcome"');
  });

  it('limits guesses at a code, and a code works once and only for ten minutes', async () => {
    const { system, suite } = ctx;
    const visitor = new Visitor(system.baseUrl);
    const signIn = await visitor.get('/sign-in');
    const before = suite.mail.messages().length;
    const codePage = await visitor.submit('/sign-in/email', signIn, { email: 'gp@example.org', returnTo: '/' });
    const message = await suite.mail.waitFor((m) => suite.mail.messages().indexOf(m) >= before && isCodeFor(m, 'gp@example.org'));
    const code = codeIn(message);
    const wrong = code === '111111' ? '222222' : '111111';
    for (let i = 0; i < MAX_ATTEMPTS; i++) await visitor.submit('/sign-in/code', codePage, { code: wrong });
    const tooLate = await visitor.submit('/sign-in/code', codePage, { code });
    expect(tooLate.status).toBe(410);
    expect(tooLate.html).toContain('Too many wrong codes');
    expect(sessionCookie(visitor)).toBeDefined();
    expect((await visitor.get('/raise')).url).toContain('/sign-in');

    // A fresh code works once; the same code again (another browser replaying the form) does not.
    const again = await visitor.get('/sign-in');
    const before2 = suite.mail.messages().length;
    const codePage2 = await visitor.submit('/sign-in/email', again, { email: 'gp@example.org', returnTo: '/raise' });
    const code2 = codeIn(await suite.mail.waitFor((m) => suite.mail.messages().indexOf(m) >= before2 && isCodeFor(m, 'gp@example.org')));
    const replayer = new Visitor(system.baseUrl);
    for (const [k, v] of visitor.cookies()) replayer.setCookie(k, v);
    expect((await visitor.submit('/sign-in/code', codePage2, { code: code2 })).url).toBe(`${system.baseUrl}/raise`);
    const replayed = await replayer.submit('/sign-in/code', codePage2, { code: code2 });
    expect(replayed.url).not.toBe(`${system.baseUrl}/raise`);

    // An expired code is refused even when right.
    const third = new Visitor(system.baseUrl);
    const before3 = suite.mail.messages().length;
    const codePage3 = await third.submit('/sign-in/email', await third.get('/sign-in'), { email: 'hv@example.org', returnTo: '/' });
    const code3 = codeIn(await suite.mail.waitFor((m) => suite.mail.messages().indexOf(m) >= before3 && isCodeFor(m, 'hv@example.org')));
    await suite.db.query(`UPDATE sign_in_codes SET expires_at = now() - interval '1 second' WHERE email = 'hv@example.org'`);
    const expired = await third.submit('/sign-in/code', codePage3, { code: code3 });
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('The code has expired');
    // Codes are kept only as keyed hashes.
    const { rows } = await suite.db.query<{ code_hash: string }>(`SELECT code_hash FROM sign_in_codes WHERE email = 'hv@example.org'`);
    expect(rows.map((r) => r.code_hash)).not.toContain(code3);
  });

  it('ends a session on sign-out, after the idle limit and after the absolute limit', async () => {
    const { system, suite } = ctx;
    const reference = await openedCase(system);
    const sessionOf = async (v: Visitor) => {
      const sid = decodeURIComponent(sessionCookie(v)!).replace(/^s:/, '').split('.')[0];
      return sessionRef(sid);
    };

    const raiser = new Visitor(system.baseUrl);
    await raiser.signInByCode(suite.mail, RAISER);
    const copy = new Visitor(system.baseUrl);
    for (const [k, v] of raiser.cookies()) copy.setCookie(k, v);
    expect((await copy.get(`/cases/${reference}`)).status).toBe(200);
    const out = await raiser.signOut();
    expect(out.html).toContain('You have signed out');
    // The copied cookie names a session that no longer exists.
    expect((await copy.get(`/cases/${reference}`)).url).toContain('/sign-in?returnTo=');

    const idle = new Visitor(system.baseUrl);
    await idle.signInByCode(suite.mail, RAISER);
    await suite.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE sid_hash = $1`, [await sessionOf(idle)]);
    expect((await idle.get(`/cases/${reference}`)).url).toContain('/sign-in?returnTo=');

    const old = new Visitor(system.baseUrl);
    await old.signInByCode(suite.mail, RAISER);
    await suite.db.query(
      `UPDATE sessions SET data = jsonb_set(data, '{person,signedInAt}', to_jsonb((extract(epoch from now()) * 1000 - 11 * 3600 * 1000)::bigint)) WHERE sid_hash = $1`,
      [await sessionOf(old)],
    );
    expect((await old.get(`/cases/${reference}`)).url).toContain('/sign-in?returnTo=');
  });

  it('keeps the session cookie HttpOnly and SameSite, and never sends someone off-site after sign-in', async () => {
    const { system, suite } = ctx;
    const visitor = new Visitor(system.baseUrl);
    const signIn = await visitor.get('/sign-in?returnTo=//evil.example/steal');
    expect(signIn.html).not.toContain('evil.example');
    const before = suite.mail.messages().length;
    const codePage = await visitor.submit('/sign-in/email', signIn, { email: 'hv@example.org', returnTo: 'https://evil.example/' });
    const code = codeIn(await suite.mail.waitFor((m) => suite.mail.messages().indexOf(m) >= before && isCodeFor(m, 'hv@example.org')));
    const res = await fetch(`${system.baseUrl}/sign-in/code`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: visitor.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfIn(codePage.html)!, code }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('lscp.sid='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('lets nobody lock an address out by asking for its codes', async () => {
    const { suite } = ctx;
    for (let i = 0; i < MAX_CODES_PER_HOUR; i++) expect(await issueCode(suite.db, 'secret', 'target@example.org', '203.0.113.9')).toHaveProperty('code');
    expect(await issueCode(suite.db, 'secret', 'target@example.org', '203.0.113.9')).toEqual({ refused: 'tooMany' });
    // The owner, asking from their own machine, still gets a code.
    expect(await issueCode(suite.db, 'secret', 'target@example.org', '198.51.100.7')).toHaveProperty('code');
  });

  it('sets the Secure, __Host- prefixed session cookie behind a TLS proxy it is told to trust', async () => {
    const { suite } = ctx;
    const app = createApp(await appDepsFor(suite, { publicUrl: 'https://escalations.example.org', trustProxy: 1 }));
    const server = await listen(app, 0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.20' };
      const form = await fetch(`${base}/sign-in`, { headers: proxied });
      const cookies = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const res = await fetch(`${base}/sign-in/email`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...proxied, cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrfIn(await form.text())!, email: 'proxied@example.org', returnTo: '/' }),
      });
      expect(res.status).toBe(303);
      const session = res.headers.getSetCookie().find((c) => c.startsWith('__Host-lscp.sid='));
      expect(session).toMatch(/; Secure/);
      expect(session).toMatch(/; Path=\//);
      expect(session).not.toMatch(/Domain=/i);
      expect(session).toMatch(/HttpOnly/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
