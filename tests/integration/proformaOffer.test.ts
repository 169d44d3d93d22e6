/**
 * Free text reaches a proforma only when its author offers it, having seen it redacted: on the
 * check-your-answers page of a decision, driven over HTTP with the link read off a real SMTP
 * server, the case run by the real workflow and PGlite keeping the offer.
 */
import { linkIn, newCase, openLink, toWithSubject, useSystem } from '../support/system';
import { Visitor, csrfIn, textOf } from '../support/visitor';


/** The redacted text the page shows for one field. */
const shownFor = (html: string, field: string) => textOf(new RegExp(`data-redacted="${field}">([^<]*)<`).exec(html)?.[1] ?? '').trim();

describe('offering redacted text for the proforma from the decision page', () => {
  const ctx = useSystem('pglite');

  it('shows the author how their words would appear to the board, and keeps only what they tick, as they saw it', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    expect(opened.status).toBe(201);
    const reference: string = opened.body.reference;
    const offers = async () =>
      (await suite.db.query<{ stage: number; field: string; offered_text: string; offered_by_id: string; status: string }>('SELECT stage, field, offered_text, offered_by_id, status FROM proforma_texts WHERE reference = $1 ORDER BY id', [reference])).rows;

    // Stage 1: the social worker writes reasons as practitioners do, and offers them.
    const invite = await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${reference}: stage 1`)));
    const link = linkIn(invite);
    const person = new Visitor(new URL(link).origin);
    const page = await openLink(link, person);
    expect(page.status).toBe(200);
    // With what the case itself holds (Ann Teacher raised it; the child's reference) removed as known values too.
    const reasons = 'met kayden and his mum stacey at 14 acacia avenue on 3 april 2015, he is in yr 3 at hillside primary (UPN-A123456789012); ann teacher agrees; we think the threshold is not met';
    const check = await person.request(link, { form: { _csrf: csrfIn(page.html)!, outcome: 'notResolved', reasons }, follow: false });
    expect(check.status).toBe(200);
    expect(textOf(check.html)).toContain('This is how your words would appear to the board');
    const shown = shownFor(check.html, 'reasons');
    expect(shown).toContain('we think the threshold is not met');
    for (const identifying of ['kayden', 'stacey', 'acacia', '3 april 2015', 'yr 3', 'hillside', 'UPN-A123456789012', 'ann', 'teacher agrees']) expect(shown.toLowerCase()).not.toContain(identifying);
    // Their own words are still there in full, in "your answers" (the record keeps them).
    expect(textOf(check.html)).toContain(reasons);

    const done = await person.request(link, { form: { _csrf: csrfIn(check.html)!, outcome: 'notResolved', reasons, _offer: 'reasons', _confirm: 'yes' }, follow: false });
    expect(done.status).toBe(200);
    expect(await offers()).toEqual([{ stage: 1, field: 'reasons', offered_text: shown, offered_by_id: 'other.worker.0', status: 'offered' }]);

    // Stage 2: a manager resolves without ticking anything: nothing of theirs is offered.
    const managerInvite = await suite.mail.waitFor(toWithSubject('csc.team.manager@example.org', new RegExp(`${reference}: stage 2`)));
    const managerPage = await openLink(linkIn(managerInvite));
    const resolved = await managerPage.submit({ outcome: 'resolved', agreedOutcome: 'Assessment to be opened for kayden by Friday.' });
    expect(resolved.status).toBe(200);
    expect((await offers()).map((o) => o.field)).toEqual(['reasons']);
  });
});
