/**
 * "I'm not the right person" and notes, through the pages on the dev server: the school's line
 * manager hands stage 2 to the role the policy names next, the head teacher is invited once (with a
 * link of their own, told who passed it on) and decides, the line manager's link stops deciding;
 * the raiser adds a note, everyone else taking part is emailed once (no note text), and the note is
 * on the timeline with its author. Refused: another partnership's admin, someone taking no part, a
 * colleague not in the directory, a form without its CSRF token.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { addNote, handOver } from '../../shared/contract';
import { MESSAGE_FOR_ANOTHER_CASE } from '../../workflows/interceptors';
import { keepHistory } from '../support/policyJourney';
import { linkIn, newCase, openLink, toWithSubject, useSystem, waitForEvent } from '../support/system';
import { csrfIn, textOf } from '../support/visitor';
import type { CaughtMessage } from '../../mail/catcher';

describe('handing a stage over and adding notes, through the pages', () => {
  const ctx = useSystem('pglite');

  it('hands stage 2 on, refuses the old link, lets the new person decide; a note is told to everyone else once; intruders are refused', async () => {
    const { suite, system } = ctx;
    const opened = await system.postJson('/api/disagreements', newCase());
    expect(opened.status).toBe(201);
    const reference: string = opened.body.reference;
    const mails = (pred: (m: CaughtMessage) => boolean) => suite.mail.messages().filter(pred);

    // Stage 1: the raiser records "not resolved"; stage 2 goes to the line managers.
    const annInvite = await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`)));
    expect((await (await openLink(linkIn(annInvite))).submit({ outcome: 'notResolved', reasons: 'Still apart.' })).status).toBe(200);
    const moInvite = await suite.mail.waitFor(toWithSubject('school.deputy@example.org', new RegExp(`${reference}: stage 2`)));
    await suite.mail.waitFor(toWithSubject('csc.team.manager@example.org', new RegExp(`${reference}: stage 2`)));
    const moLink = linkIn(moInvite);
    const mo = await openLink(moLink);
    expect(mo.status).toBe(200);
    expect(textOf(mo.html)).toContain("I'm not the right person to decide this");
    const handOverPath = `${new URL(moLink).pathname}/hand-over`;

    // The form: a colleague from the school's directory, or the role the policy names next.
    const form = await mo.visitor.get(handOverPath);
    expect(form.status).toBe(200);
    const words = textOf(form.html);
    expect(words).toContain('Who should decide this instead?');
    expect(words).toContain('Kim Head-Teacher (senior manager)');
    expect(words).toContain('The senior manager: Kim Head-Teacher');
    expect(words).not.toContain('Tara Team-Manager');
    expect(words).toMatch(/The deadline does not change: it is still by/);

    // GOV.UK errors; a forged colleague; no CSRF token.
    const empty = await mo.visitor.submit(handOverPath, form, {});
    expect(empty.status).toBe(400);
    expect(textOf(empty.html)).toContain('Select who should decide this instead');
    expect(textOf(empty.html)).toContain('Enter why you are not the right person to decide this');
    const forged = await mo.visitor.submit(handOverPath, form, { to: 'colleague', colleague: 'attacker@evil.example.org', reason: 'Trust me.' });
    expect(forged.status).toBe(400);
    expect(textOf(forged.html)).toContain('Select a colleague from the list');
    const noCsrf = await mo.visitor.request(handOverPath, { form: { to: 'fallback', reason: 'x', _confirm: 'yes' } });
    expect(noCsrf.status).toBe(403);
    // Someone else signed in cannot use Mo's link to hand the stage over.
    const stranger = await system.as('stranger@example.org');
    expect((await stranger.get(handOverPath)).status).toBe(403);

    // Check your answers, then pass it on.
    const reason = 'The head teacher decides escalations at this school.';
    const check = await mo.visitor.submit(handOverPath, form, { to: 'fallback', reason });
    expect(check.status).toBe(200);
    expect(textOf(check.html)).toContain('Check your answers before passing this on');
    expect(textOf(check.html)).toContain('Change who should decide it');
    const done = await mo.visitor.submit(handOverPath, check, { to: 'fallback', reason, _confirm: 'yes' });
    expect(done.status).toBe(200);
    expect(textOf(done.html)).toContain('Kim Head-Teacher (senior manager) now decides stage 2');
    expect(textOf(done.html)).toContain('The deadline has not changed');

    // Kim is invited once, told who passed it on; the reason is not in the email.
    const kimInvite = await suite.mail.waitFor(toWithSubject('school.head@example.org', new RegExp(`${reference}: stage 2`)));
    expect(kimInvite.text).toContain('Mo Deputy-Head (line manager, Hillside Primary School)');
    expect(kimInvite.text).toContain('The deadline has not changed.');
    expect(kimInvite.text).not.toContain(reason);
    await waitForEvent(system, reference, 'handedOver');

    // Mo's link no longer decides, and nothing waits for Mo's decision; it waits for Kim's.
    expect(textOf((await mo.visitor.get('/my-cases')).html)).toContain('Nothing is waiting for your decision.');
    const stale = await mo.visitor.get(moLink);
    expect(stale.status).toBe(410);
    expect(textOf(stale.html)).toContain('This stage was passed to someone else');
    expect(textOf(stale.html)).toContain('Kim Head-Teacher (senior manager)');
    const staleDecision = await mo.visitor.request(moLink, { form: { _csrf: csrfIn(mo.html) ?? '', outcome: 'resolved', agreedOutcome: 'Old link.', _confirm: 'yes' } });
    expect(staleDecision.status).toBe(410);

    // Kim decides: "not resolved" moves the case to the senior managers.
    expect((await (await openLink(linkIn(kimInvite))).submit({ outcome: 'notResolved', reasons: 'Still apart at head teacher level.' })).status).toBe(200);
    await suite.mail.waitFor(toWithSubject('school.head@example.org', new RegExp(`${reference}: stage 3`)));

    // A note by the raiser, signed in.
    const ann = await system.as('ann.teacher@example.org');
    const noteForm = await ann.get(`/cases/${reference}/notes/new`);
    expect(noteForm.status).toBe(200);
    const blank = await ann.submit(`/cases/${reference}/notes`, noteForm, { note: '  ' });
    expect(blank.status).toBe(400);
    expect(textOf(blank.html)).toContain('Enter your note');
    const noteText = 'A strategy meeting is booked for Thursday; please hold off until then.';
    const before = suite.mail.messages().length;
    const added = await ann.submit(`/cases/${reference}/notes`, noteForm, { note: noteText });
    expect(added.status).toBe(200);
    expect(textOf(added.html)).toContain('Your note was added');
    await waitForEvent(system, reference, 'noteAdded');
    const noteMail = (m: CaughtMessage) => suite.mail.messages().indexOf(m) >= before && new RegExp(`${reference}: .* - a note was added`).test(m.subject);
    const expected = ['bob.sw@example.org', 'school.deputy@example.org', 'csc.team.manager@example.org', 'school.head@example.org'];
    for (const address of expected) await suite.mail.waitFor((m) => noteMail(m) && m.to.includes(address));
    const notices = mails(noteMail);
    for (const address of expected) expect(notices.filter((m) => m.to.includes(address))).toHaveLength(1);
    expect(notices.filter((m) => m.to.includes('ann.teacher@example.org'))).toHaveLength(0);
    for (const m of notices) {
      expect(m.text).not.toContain(noteText);
      expect(m.text).toContain(`/cases/${reference}`);
    }

    // On the timeline: the hand-over with its reason, the note with its author.
    const page = await ann.get(`/cases/${reference}`);
    const timeline = textOf(page.html);
    expect(timeline).toContain("Stage 2: Escalate to line manager passed on: \"I'm not the right person\"");
    expect(timeline).toContain(`Reason: ${reason}`);
    expect(timeline).toContain('The deadline did not change.');
    expect(timeline).toContain('Note by Ann Teacher (the practitioner who raised it)');
    expect(timeline).toContain(noteText);

    // The record for the child's file has them too.
    const record = textOf((await ann.get(`/cases/${reference}/record`)).html);
    expect(record).toContain(noteText);
    expect(record).toContain(`Reason: ${reason}`);

    // Refused: another partnership's admin, and someone taking no part.
    const otherAdmin = await system.asAdmin('generic');
    const intruded = await otherAdmin.request(`/cases/${reference}/notes`, { form: { _csrf: csrfIn(noteForm.html) ?? '', note: 'Intrusion.' } });
    expect(intruded.status).toBe(403);
    expect((await stranger.request(`/cases/${reference}/notes`, { form: { note: 'Intrusion.' } })).status).toBe(403);
    // The partnership's own admin may add one.
    const admin = await system.asAdmin('bromley');
    const adminForm = await admin.get(`/cases/${reference}/notes/new`);
    expect((await admin.submit(`/cases/${reference}/notes`, adminForm, { note: 'The partnership is aware.' })).status).toBe(200);

    // Withdrawn: notes are refused from then on.
    const withdrawForm = await ann.get(`/cases/${reference}/withdraw`);
    expect((await ann.submit(`/cases/${reference}/withdraw`, withdrawForm, { reason: 'Resolved outside the process.' })).status).toBe(200);
    await suite.temporal.workflow.getHandle(reference).result();
    expect((await ann.get(`/cases/${reference}/notes/new`)).status).toBe(409);
    const events = (await system.getJson(`/api/disagreements/${reference}`)).body.events as { type: string }[];
    expect(events.filter((e) => e.type === 'noteAdded')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'handedOver')).toHaveLength(1);
    await keepHistory(suite, reference, 'v3-bromley-hand-over-and-notes');
  });

  it("refuses a sealed hand-over or note naming another partnership's case, and a note about a case by someone with a session but no part in it", async () => {
    const { suite, system } = ctx;
    const bromley = (await system.postJson('/api/disagreements', newCase())).body.reference as string;
    const generic = (
      await system.postJson(
        '/api/disagreements',
        newCase({
          partnership: 'generic',
          category: 'level-of-risk-or-need',
          raiser: { name: 'Tia Teacher', email: 'tia.teacher@example.org', agency: 'primary-school' },
          other: { name: 'Cal Social-Worker', email: 'cal.sw@example.org', agency: 'childrens-social-care' },
        }),
      )
    ).body.reference as string;
    await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${bromley}: stage 1`)));
    await suite.mail.waitFor(toWithSubject('tia.teacher@example.org', new RegExp(`${generic}: stage 1`)));
    const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => (e instanceof WorkflowUpdateFailedError ? (e.cause as { type?: string }).type : String(e)));
    // Sealed with the service's key (as the API would), but naming the Bromley case while sent to the generic one.
    const genericHandle = suite.temporal.workflow.getHandle(generic);
    expect(await refusal(genericHandle.executeUpdate(handOver, { args: [{ reference: bromley, stage: 1, recipientId: 'raiser.worker.0', to: { kind: 'fallback' }, reason: 'x' }] }))).toBe(MESSAGE_FOR_ANOTHER_CASE);
    expect(
      await refusal(genericHandle.executeUpdate(addNote, { args: [{ reference: bromley, noteId: '0b7e5f4c-3f2a-4d61-9a8b-2c1d0e9f8a7b', digest: 'a'.repeat(64), author: { kind: 'participant', email: 'ann.teacher@example.org' } }] })),
    ).toBe(MESSAGE_FOR_ANOTHER_CASE);
    // A Bromley practitioner, signed in, cannot open or write to the generic case's notes.
    const ann = await system.as('ann.teacher@example.org');
    expect((await ann.get(`/cases/${generic}/notes/new`)).status).toBe(403);
    expect((await ann.request(`/cases/${generic}/notes`, { form: { note: 'Not mine.' } })).status).toBe(403);
    const events = (await system.getJson(`/api/disagreements/${generic}`)).body.events as { type: string }[];
    expect(events.filter((e) => e.type === 'noteAdded' || e.type === 'handedOver')).toEqual([]);
  });
});
