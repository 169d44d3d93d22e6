/**
 * Agreement means agreement (issue 11), through the pages on the dev server: at Bromley's stages
 * where the two sides meet, the first records the agreed outcome, and the other side is emailed to
 * confirm or dispute it on the respond page (GOV.UK radios, reasons for a dispute, check your
 * answers). A dispute escalates with its reasons; a confirmation resolves the case. Links read off
 * a real SMTP server, the case run by the real workflow, recorded in PGlite.
 */
import { keepHistory } from '../support/policyJourney';
import { linkIn, newCase, openLink, toWithSubject, useSystem, waitForEvent } from '../support/system';
import { csrfIn, textOf } from '../support/visitor';

describe('both sides decide: a proposed resolution, confirmed or disputed through the respond page', () => {
  const ctx = useSystem('pglite');

  it('a dispute escalates with its reasons; at the next stage the other side confirms and the case is resolved', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    expect(opened.status).toBe(201);
    const reference: string = opened.body.reference;

    // Stage 1: the raiser records the agreed outcome. The form said both sides decide.
    const annInvite = await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`)));
    const annPage = await openLink(linkIn(annInvite));
    expect(textOf(annPage.html)).toContain('Both sides decide this stage: the other side will be asked to confirm or dispute the agreed outcome');
    const proposed = await annPage.submit({ outcome: 'resolved', agreedOutcome: 'Social care will reopen the referral.', agreedPlan: 'Strategy discussion by Friday.' });
    expect(proposed.status).toBe(200);
    expect(textOf(proposed.html)).toContain('Agreed outcome recorded');
    expect(textOf(proposed.html)).toContain('the other side has been emailed to confirm or dispute it');

    // The other practitioner is asked, in an email that carries no words of the proposal.
    const ask = await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${reference}: stage 1: .* - confirm or dispute the proposed resolution`)));
    expect(ask.text).toContain('the practitioner (Hillside Primary School) has recorded an agreed outcome');
    expect(ask.text).not.toContain('reopen the referral');
    const bob = await openLink(linkIn(ask));
    expect(bob.status).toBe(200);
    const bobText = textOf(bob.html);
    expect(bobText).toContain('Confirm or dispute the proposed outcome of stage 1');
    expect(bobText).toContain('Social care will reopen the referral.');
    expect(bobText).toContain('Strategy discussion by Friday.');
    expect(bob.html).toContain('data-module="govuk-radios"');
    expect(bob.html).toMatch(/id="conditional-answer-2"/);

    // GOV.UK errors: nothing chosen, then a dispute with no reasons.
    const post = (form: Record<string, string>, page: { html: string }) =>
      bob.visitor.request(linkIn(ask), { form: { _csrf: csrfIn(page.html) ?? '', ...form }, follow: false });
    const nothing = await post({}, bob);
    expect(nothing.status).toBe(400);
    expect(nothing.html).toContain('Select whether you confirm or dispute the proposed outcome');
    const noReasons = await post({ answer: 'dispute', disputeReasons: '  ' }, nothing);
    expect(noReasons.status).toBe(400);
    expect(noReasons.html).toContain('Enter why you dispute the proposed outcome');
    expect(noReasons.html).toContain('<title>Error:');

    // Check your answer (nothing sent yet), then dispute.
    const reasons = 'Reopening without a strategy meeting today leaves the child at risk tonight.';
    const check = await post({ answer: 'dispute', disputeReasons: reasons }, noReasons);
    expect(check.status).toBe(200);
    expect(textOf(check.html)).toContain('Check your answer before sending it');
    expect(textOf(check.html)).toContain(reasons);
    expect(check.html).toContain('Change<span class="govuk-visually-hidden"> whether you agree</span>');
    expect((await system.getJson(`/api/disagreements/${reference}`)).body.events.map((e: { type: string }) => e.type)).not.toContain('outcomeDisputed');
    const done = await post({ answer: 'dispute', disputeReasons: reasons, _confirm: 'yes' }, check);
    expect(done.status).toBe(200);
    expect(textOf(done.html)).toContain('Proposed outcome disputed');

    // The case escalates to the line managers, "not resolved" because of the dispute, with the reasons on the record.
    const deputyInvite = await suite.mail.waitFor(toWithSubject('school.deputy@example.org', new RegExp(`${reference}: stage 2: .* - action needed`)));
    const view = await system.getJson(`/api/disagreements/${reference}`);
    const disputed = view.body.events.find((e: { type: string }) => e.type === 'outcomeDisputed');
    expect(disputed).toMatchObject({ stage: 1, detail: { role: 'worker', reasons, proposedByRole: 'worker' } });
    expect(view.body.events.find((e: { type: string }) => e.type === 'escalated')).toMatchObject({ detail: { reason: { kind: 'notResolved', disputed: true } } });
    // Bob's link is spent.
    expect((await bob.visitor.get(linkIn(ask))).status).toBe(409);

    // Stage 2: the school's line manager proposes; the social care manager confirms from the email asking them.
    const deputy = await openLink(linkIn(deputyInvite));
    expect((await deputy.submit({ outcome: 'resolved', agreedOutcome: 'Strategy meeting today; referral reopened.' })).status).toBe(200);
    const managerAsk = await suite.mail.waitFor(toWithSubject('csc.team.manager@example.org', new RegExp(`${reference}: stage 2: .* - confirm or dispute`)));
    const manager = await openLink(linkIn(managerAsk));
    expect(textOf(manager.html)).toContain('Strategy meeting today; referral reopened.');
    const confirmed = await manager.submit({ answer: 'confirm' });
    expect(confirmed.status).toBe(200);
    expect(textOf(confirmed.html)).toContain('Proposed outcome confirmed');
    await expect(suite.temporal.workflow.getHandle(reference).result()).resolves.toMatchObject({ status: 'resolved', endedAtStage: 2 });
    await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: resolved at stage 2`)));
    await waitForEvent(system, reference, 'closed');

    const types = (await system.getJson(`/api/disagreements/${reference}`)).body.events.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t.startsWith('outcome'))).toEqual(['outcomeProposed', 'outcomeDisputed', 'outcomeProposed', 'outcomeConfirmed']);
    await keepHistory(suite, reference, 'v3-bromley-agreement-both-sides');
  });
});
