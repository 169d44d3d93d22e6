/**
 * Emails and API answers point at a case plainly (`/cases/<reference>`, no token): the only
 * capability anything carries is the decision link, bound to one case, stage and person. Read off a
 * real SMTP server for a case run by the real workflow through an escalation, a notice and the
 * written confirmations.
 */
import { createLinkSigner } from '../../shared/links';
import { LINK_SECRET, linkIn, newCase, openLink, toWithSubject, useSystem, waitForEvent } from '../support/system';

const links = createLinkSigner(LINK_SECRET);
/** A JSON Web Token: three base64url parts, the first a JSON header (`{"` is `eyJ`). */
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;
const URL_IN_TEXT = /https?:\/\/[^\s"'<>]+/g;

describe('plain pointers to a case', () => {
  const ctx = useSystem('pglite');

  it('puts no token in any email but the decision link, and links the case as plain /cases/<reference>', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase({ flags: { childProtectionPlan: true, lookedAfter: false, immediateHarm: false } }));
    expect(opened.status).toBe(201);
    const reference: string = opened.body.reference;
    const caseUrl = `${system.baseUrl}/cases/${reference}`;
    // The API's answer points at the case the same way, and the pointer by itself opens nothing.
    expect(opened.body.url).toBe(caseUrl);
    expect((await fetch(opened.body.url, { redirect: 'manual' })).status).toBe(303);

    // Stage 1 not resolved; stage 2 (with the CP chair told) resolved: invitations, a notice and
    // the written confirmations.
    const raiserInvite = await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`)));
    expect((await (await openLink(linkIn(raiserInvite))).submit({ outcome: 'notResolved', reasons: 'Still disagree.' })).status).toBe(200);
    const managerInvite = await suite.mail.waitFor(toWithSubject('csc.team.manager@example.org', new RegExp(`${reference}: stage 2`)));
    const chairNotice = await suite.mail.waitFor(toWithSubject('cp.chairs@example.org', new RegExp(`${reference}: stage 2`)));
    expect((await (await openLink(linkIn(managerInvite))).submit({ outcome: 'resolved', agreedOutcome: 'Agreed.' })).status).toBe(200);
    // Both sides decide (issue 11): the school's line manager confirms from the email asking them.
    const ask = await suite.mail.waitFor(toWithSubject('school.deputy@example.org', new RegExp(`${reference}: stage 2: .* - confirm or dispute`)));
    expect((await (await openLink(linkIn(ask))).submit({ answer: 'confirm' })).status).toBe(200);
    await waitForEvent(system, reference, 'confirmationSent');
    const confirmations = await Promise.all(
      ['ann.teacher@example.org', 'bob.sw@example.org', 'school.deputy@example.org', 'csc.team.manager@example.org'].map((to) =>
        suite.mail.waitFor(toWithSubject(to, new RegExp(`${reference}: resolved at stage 2`))),
      ),
    );

    const emails = suite.mail.messages().filter((m) => m.subject.startsWith(reference));
    expect(emails.length).toBeGreaterThanOrEqual(9);
    const withDecisionLink = new Set<string>();
    for (const email of emails) {
      for (const [part, body] of [['text', email.text], ['html', email.html]] as const) {
        const where = `${email.subject} to ${email.to} (${part})`;
        expect({ where, access: body.includes('access=') }).toEqual({ where, access: false });
        // Every token is a decision link's, for this case, sitting in a /respond/ address.
        for (const match of body.matchAll(JWT)) {
          expect({ where, before: body.slice(0, match.index).endsWith(`${system.baseUrl}/respond/`) }).toEqual({ where, before: true });
          await expect(links.verify(match[0])).resolves.toMatchObject({ reference });
          withDecisionLink.add(`${email.to} ${email.subject}`);
        }
        // Every address is the case's plain page or a decision link: nothing else is linked.
        for (const [url] of body.matchAll(URL_IN_TEXT)) {
          expect({ where, url }).toEqual({ where, url: expect.stringMatching(new RegExp(`^(${escape(caseUrl)}|${escape(system.baseUrl)}/respond/[\\w-]+\\.[\\w-]+\\.[\\w-]+)$`)) });
        }
      }
    }
    // The four invitations (two at each stage) and the request to confirm the agreed outcome (issue 11), nothing else, carry a decision link.
    expect(withDecisionLink.size).toBe(5);
    for (const email of emails) {
      const where = `${email.subject} to ${email.to}`;
      // A link's words are never an address or a token: the decision link is a "Record the outcome"
      // button, the case's page "Open the case" (issue 11).
      const anchors = [...email.html.matchAll(/<a href="([^"]+)"[^>]*>([^<]*)<\/a>/g)].map(([, href, words]) => ({ href, words }));
      for (const { href, words } of anchors) {
        expect({ where, words }).toEqual({ where, words: href === caseUrl ? 'Open the case' : 'Record the outcome' });
      }
      expect({ where, toCase: anchors.some((a) => a.href === caseUrl) }).toEqual({ where, toCase: true });
      expect({ where, text: email.text.includes(`Open the case: ${caseUrl}`) }).toEqual({ where, text: true });
      // Each names the other side: the two practitioners, by name and agency, never the child.
      expect({ where, names: /(Ann Teacher|Bob Social-Worker) \([a-z ]+, [^)]+\)/.test(email.text) }).toEqual({ where, names: true });
    }
    for (const email of [chairNotice, ...confirmations]) {
      expect(email.text).toContain(caseUrl);
      expect(email.html).toContain(`href="${caseUrl}"`);
    }
    for (const email of [raiserInvite, managerInvite]) expect(email.html).toMatch(/<a href="[^"]+\/respond\/[^"]+" style="[^"]*">Record the outcome<\/a>/);
  });

  it('confirms a raised case to the browser that raised it, with no token in the address', async () => {
    const { suite, system } = ctx;
    const raiser = await system.as('ann.teacher@example.org');
    const { html } = await raiser.get('/raise/bromley');
    const field = (name: string) => html.match(new RegExp(`name="${name}" value="([^"]+)"`))![1];
    const sent = await raiser.request('/raise/bromley', {
      follow: false,
      form: {
        _csrf: field('_csrf'),
        _submission: field('_submission'),
        'raiser.name': 'Ann Teacher',
        'raiser.email': 'ann.teacher@example.org',
        'raiser.agency': 'hillside-primary',
        'raiser.phone': '020 7946 0555',
        'other.name': 'Bob Social-Worker',
        'other.email': 'bob.sw@example.org',
        'other.agency': 'bromley-csc',
        childReference: 'UPN-F123456789012',
        category: 'levels-of-need',
        description: 'School believes the threshold is met.',
        caseStatus: 'open',
        _confirm: 'yes', // past the check-your-answers page
      },
    });
    expect(sent.status).toBe(303);
    const location = sent.headers.get('location')!;
    const reference = location.match(/^\/raise\/raised\/([A-Z]+-\d{4}-[0-9A-Z]{6})$/)?.[1];
    expect(reference).toEqual(expect.any(String));
    const raised = sent.headers.getSetCookie().find((c) => c.startsWith('lscp.raised='))!;
    expect(raised).toMatch(/Path=\/raise\/raised; .*HttpOnly; SameSite=Lax/);

    const confirmation = await raiser.get(location);
    expect(confirmation.status).toBe(200);
    const page = confirmation.html;
    expect(page).toContain('Disagreement raised');
    expect(page).toContain(`<strong id="reference">${reference}</strong>`);
    expect(page).toContain(`href="/cases/${reference}"`);
    // Not signed in, someone else signed in, or the cookie for another case: nothing to see.
    expect((await fetch(`${system.baseUrl}${location}`, { redirect: 'manual' })).status).toBe(303);
    const bob = await system.as('bob.sw@example.org');
    expect((await bob.get(location)).status).toBe(404);
    // Even holding a copy of the raiser's cookie: it is bound to her.
    bob.setCookie('lscp.raised', raiser.cookies().get('lscp.raised')!);
    expect((await bob.get(location)).status).toBe(404);
    expect((await raiser.get('/raise/raised/BSCP-2026-ZZZZZZ')).status).toBe(404);

    // The telephone number is kept with the case for its pages, never in the workflow's input.
    const { rows } = await suite.db.query<{ phone: string; input_phone: string | null }>(
      `SELECT raiser->>'phone' AS phone, workflow_input->'raiser'->>'phone' AS input_phone FROM cases WHERE reference = $1`,
      [reference],
    );
    expect(rows).toEqual([{ phone: '020 7946 0555', input_phone: null }]);
    await suite.temporal.workflow.getHandle(reference!).terminate('test finished');
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
