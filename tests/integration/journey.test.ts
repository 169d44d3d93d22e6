/**
 * The whole journey on real services: a disagreement opened over HTTP, the emails read off a real
 * SMTP server, links followed over HTTP, escalation on "not resolved", resolution confirmed.
 */
import { Worker } from '@temporalio/worker';
import { linkOpeningsOf } from '../../db/linkOpenings';
import { databaseKinds } from '../support/databases';
import { codec, linkIn, newCase, openLink, to, toWithSubject, useSystem, waitForEvent } from '../support/system';

describe.each(databaseKinds)('a disagreement under the Bromley policy (%s)', (kind) => {
  const ctx = useSystem(kind);

  it('runs from opening through an escalation to a confirmed resolution', async () => {
    const { suite, system } = ctx;
    const body = newCase({ flags: { childProtectionPlan: true, lookedAfter: false, immediateHarm: false } });
    const opened = await system.postJson('/api/disagreements', body);
    expect(opened.status).toBe(201);
    const reference: string = opened.body.reference;
    expect(reference).toMatch(/^BSCP-\d{4}-[0-9A-Z]{6}$/);
    // A plain pointer to the case's page: no token to forward or leak.
    expect(opened.body.url).toBe(`${system.baseUrl}/cases/${reference}`);
    expect(opened.body.policy).toMatchObject({ partnership: 'bromley', version: '1.5' });
    expect(opened.headers.get('location')).toBe(`/api/disagreements/${reference}`);

    const stored = await suite.db.query<{ child_reference: string; status: string }>('SELECT child_reference, status FROM cases WHERE reference = $1', [reference]);
    expect(stored.rows).toEqual([{ child_reference: body.childReference, status: 'open' }]);

    // Stage 1: both workers are invited, each with a link of their own.
    const raiserInvite = await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`)));
    const otherInvite = await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${reference}: stage 1`)));
    expect(raiserInvite.subject).toMatch(/Discuss with the other worker - action needed by \d{1,2}(:\d\d)?[ap]m on \w+day \d{1,2} \w+/);
    expect(linkIn(raiserInvite)).not.toBe(linkIn(otherInvite));
    expect(raiserInvite.html).toContain(linkIn(raiserInvite));

    // Opening the link shows the case and changes nothing.
    const page = await openLink(linkIn(otherInvite));
    expect(page.status).toBe(200);
    expect(page.html).toContain(reference);
    expect(page.html).toContain('Discuss with the other worker');
    expect(page.html).toContain('Levels of need');
    const beforePost = await system.getJson(`/api/disagreements/${reference}`);
    expect(beforePost.body.events.map((e: { type: string }) => e.type)).not.toContain('outcomeRecorded');

    const notResolved = await page.submit({ outcome: 'notResolved', reasons: 'Social care still says the threshold is not met.' });
    expect(notResolved.status).toBe(200);
    expect(notResolved.html).toContain('not resolved at stage 1');

    // Stage 2: the line managers of both agencies, and the CP chair because of the plan.
    const schoolManager = await suite.mail.waitFor(toWithSubject('school.deputy@example.org', new RegExp(`${reference}: stage 2`)));
    const cscManager = await suite.mail.waitFor(toWithSubject('csc.team.manager@example.org', new RegExp(`${reference}: stage 2`)));
    const cpChair = await suite.mail.waitFor(toWithSubject('cp.chairs@example.org', new RegExp(`${reference}: stage 2`)));
    expect(schoolManager.text).toContain('recorded that it was not resolved');
    expect(cpChair.subject).toContain('for your information');
    expect(cpChair.text).not.toMatch(/respond\//);
    expect(suite.mail.messages().filter(to('iro.service@example.org'))).toHaveLength(0);

    const managerPage = await openLink(linkIn(cscManager));
    const resolved = await managerPage.submit({
      outcome: 'resolved',
      agreedOutcome: 'Strategy discussion to be held; section 47 enquiry to start.',
      agreedPlan: 'Team manager convenes strategy discussion within 2 working days.',
      reviewDate: '2027-01-15',
      lessons: 'trainingNeed',
      lessonsNotes: 'Threshold training for school DSLs.',
    });
    expect(resolved.status).toBe(200);
    // Both sides decide (issue 11): this is the agreed outcome proposed; the school's line manager confirms it.
    expect(resolved.html).toContain('You recorded the agreed outcome at stage 2');
    const ask = await suite.mail.waitFor(toWithSubject('school.deputy@example.org', new RegExp(`${reference}: stage 2: .* - confirm or dispute the proposed resolution`)));
    const confirmed = await (await openLink(linkIn(ask))).submit({ answer: 'confirm' });
    expect(confirmed.status).toBe(200);
    expect(confirmed.html).toContain('the disagreement is resolved at stage 2');

    // Written confirmation to everyone involved, the raiser included.
    for (const address of ['ann.teacher@example.org', 'bob.sw@example.org', 'school.deputy@example.org', 'csc.team.manager@example.org']) {
      const confirmation = await suite.mail.waitFor(toWithSubject(address, new RegExp(`${reference}: resolved at stage 2`)));
      expect(confirmation.text).toContain('reviewed on 15 January 2027');
    }

    await waitForEvent(system, reference, 'closed');
    // Resolved and closed: the agreed plan's review date waits in a reminder of its own.
    const handle = suite.temporal.workflow.getHandle(reference);
    await expect(handle.result()).resolves.toMatchObject({ status: 'resolved', endedAtStage: 2 });
    const review = suite.temporal.workflow.getHandle(`${reference}-review`);
    expect((await review.describe()).status.name).toBe('RUNNING');

    const view = await system.getJson(`/api/disagreements/${reference}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ reference, status: 'resolved', stage: { number: 2, name: 'Escalate to line manager', deadline: null } });
    // Opening a link is kept by the API (once per link), outside the workflow and its events.
    const linksOpened = (await linkOpeningsOf(suite.db, reference)).map((o) => [o.stage, o.recipientId]);
    expect(linksOpened).toEqual(expect.arrayContaining([[1, 'other.worker.0'], [2, 'other.lineManager.0']]));
    // The steps that cause one another come in that order; emails and the notes of them may
    // interleave with a quick decision, so their place is not asserted.
    const types: string[] = view.body.events.map((e: { type: string }) => e.type);
    const milestones = ['opened', 'stageEntered', 'outcomeRecorded', 'escalated', 'stageEntered', 'outcomeProposed', 'outcomeConfirmed', 'resolved', 'confirmationSent', 'reviewScheduled', 'closed'];
    expect(types.filter((t) => milestones.includes(t))).toEqual(milestones);
    const notified = view.body.events.filter((e: { type: string }) => e.type === 'notified');
    expect(notified.map((e: { stage: number; detail: { kind: string } }) => `${e.stage} ${e.detail.kind}`).sort()).toEqual(['1 stageInvitation', '2 caseMoved', '2 confirmationRequest', '2 stageInvitation']);
    // The move to stage 2 was told to the raiser; the social worker who recorded "not resolved" saw it on the page (issue 11).
    expect(notified.find((e: { detail: { kind: string } }) => e.detail.kind === 'caseMoved').detail.told).toEqual([expect.objectContaining({ id: 'raiser.worker.0' })]);
    expect(view.body.events.map((e: { seq: number }) => e.seq)).toEqual(types.map((_, i) => i));
    const decisionEvent = view.body.events.find((e: { type: string; stage: number }) => e.type === 'outcomeProposed' && e.stage === 2);
    expect(decisionEvent).toMatchObject({
      actor: 'other.lineManager.0',
      detail: {
        outcome: 'resolved',
        reviewDate: '2027-01-15',
        lessons: { trainingNeed: true, commissioningNeed: false, agencyGuidance: false, partnershipGuidance: false, notes: 'Threshold training for school DSLs.' },
      },
    });
    const inDb = await suite.db.query<{ n: number }>('SELECT count(*)::int AS n FROM case_events WHERE reference = $1', [reference]);
    expect(inDb.rows[0].n).toBe(view.body.events.length);

    // Nothing about the child travels by email.
    for (const message of suite.mail.messages().filter((m) => m.subject.startsWith(reference))) {
      expect(message.text + message.html + message.subject).not.toContain(body.childReference);
      expect(message.text + message.html).not.toContain('threshold');
    }

    // The history replays against today's workflow code without nondeterminism.
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: suite.bundle, dataConverter: suite.dataConverter }, history, reference);

    // In Temporal the payloads are encrypted: nobody's name or email is readable in the history.
    const input = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    expect(Buffer.from(input.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(input.data!).toString('latin1')).not.toContain('ann.teacher@example.org');
    const [plain] = await codec.decode([input]);
    expect(Buffer.from(plain.data!).toString()).toContain('ann.teacher@example.org');
    await review.terminate('test finished');
  });

  it('refuses a link that was used, and one for a stage the case has left', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    const raiserLink = linkIn(await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`))));
    const otherLink = linkIn(await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${reference}: stage 1`))));

    const first = await openLink(raiserLink);
    // Both pages opened before either decides: the second decision must lose.
    const second = await openLink(otherLink);
    expect((await first.submit({ outcome: 'notResolved', reasons: 'Still disagree.' })).status).toBe(200);

    const late = await second.submit({ outcome: 'resolved', agreedOutcome: 'We agree after all.' });
    expect(late.status).toBe(410);
    expect(late.html).toContain('This case has moved on');
    expect(late.html).toMatch(/recorded by the practitioner: <strong>not resolved/);

    const reused = await openLink(raiserLink);
    expect(reused.status).toBe(409);
    expect(reused.html).toContain('This link has already been used');

    await suite.mail.waitFor(toWithSubject('school.deputy@example.org', new RegExp(`${reference}: stage 2`)));
    const stale = await openLink(otherLink);
    expect(stale.status).toBe(410);
    expect(stale.html).toContain('This case has moved on');
    expect(stale.html).toMatch(/now at stage 2: Escalate to line manager/);

    const outcomes = await suite.db.query('SELECT seq FROM case_events WHERE reference = $1 AND type = $2', [reference, 'outcomeRecorded']);
    expect(outcomes.rows).toHaveLength(1);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it('records nothing from a form posted without its CSRF token, or with no choice made', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    const link = linkIn(await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`))));
    const page = await openLink(link);

    const forged = await page.submit({ outcome: 'notResolved', reasons: 'Scanner says so' }, { csrf: null });
    expect(forged.status).toBe(403);
    const empty = await page.submit({});
    expect(empty.status).toBe(400);
    expect(empty.html).toContain('There is a problem');
    const noReasons = await page.submit({ outcome: 'notResolved', reasons: '  ' });
    expect(noReasons.status).toBe(400);
    expect(noReasons.html).toContain('Enter why it is not resolved');

    const view = await system.getJson(`/api/disagreements/${reference}`);
    expect(view.body.events.map((e: { type: string }) => e.type)).not.toContain('outcomeRecorded');
    expect(view.body.stage.number).toBe(1);
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });

  it('shows a clear page for a tampered or expired link', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    const reference: string = opened.body.reference;
    const link = linkIn(await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`))));
    const tampered = await openLink(link.slice(0, -3) + (link.endsWith('AAA') ? 'BBB' : 'AAA'));
    expect(tampered.status).toBe(404);
    expect(tampered.html).toContain('This link is not valid');
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });
});
