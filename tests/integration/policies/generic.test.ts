/** The generic guidance: four stages with expected outcomes, ending in a referral to the Heads of Safeguarding. */
import { settled, useTimeSkippingSystem } from '../../support/timeSkipping';
import { caseState, withdrawCase } from '../../../shared/contract';
import { proformaIdFor } from '../../../records/proformaStore';
import { confirmAgreement, decide, emailTo, events, keepHistory, mailFor, openCase, recipientsOf } from '../../support/policyJourney';

const genericCase = () => ({
  partnership: 'generic',
  raiser: { name: 'Tia Teacher', email: 'tia.teacher@example.org', agency: 'primary-school' },
  other: { name: 'Cal Social-Worker', email: 'cal.sw@example.org', agency: 'childrens-social-care' },
  childReference: 'MC-55512',
  category: 'referral-threshold',
  description: 'Referral not considered to meet the threshold for assessment.',
});

describe('the generic guidance', () => {
  const ctx = useTimeSkippingSystem();
  const body = genericCase();

  it('is resolved at stage two by the line managers, the DSLs involved and the partnership told', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, body);
    await decide(await emailTo(suite, 'cal.sw@example.org', reference, 'stage 1'), { outcome: 'notResolved', reasons: 'Still disagree.' });
    const manager = await emailTo(suite, 'school.phase.leader@example.org', reference, /^stage 2: .* - action needed/);
    expect(manager.text).toContain('Expected outcome: ');
    await emailTo(suite, 'csc.safeguarding@example.org', reference, /^stage 2: .* - for your information/);
    await decide(manager, { outcome: 'resolved', agreedOutcome: 'Assessment to be opened.' });
    // Both sides decide (issue 11): social care's line manager confirms the school's agreed outcome.
    await confirmAgreement(suite, 'csc.team.manager@example.org', reference, 2);
    await emailTo(suite, 'tia.teacher@example.org', reference, 'resolved at stage 2');
    // Numbers for the partnership: the anonymised proforma on resolution, as a link by its own id (no case reference).
    const proformaId = await proformaIdFor(suite.db, reference);
    const proforma = await suite.mail.waitFor((m) => m.to.includes('lscp@example.org') && m.text.includes(`/partnerships/generic/proformas/${proformaId}`));
    expect(proforma.subject + proforma.text + proforma.html).not.toContain(reference);
    expect(proforma.text).not.toContain(body.childReference);
    expect(proforma.text).not.toContain('Assessment to be opened');
  });

  it('ends, by deadlines alone, in a referral to the Head of Safeguarding of each agency involved', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, body);
    await emailTo(suite, 'tia.teacher@example.org', reference, 'stage 1');
    await suite.skip('40 days');
    await emailTo(suite, 'csc.head.safeguarding@example.org', reference, /^stage 4: .* - action needed/);
    await emailTo(suite, 'trust.safeguarding@example.org', reference, /^stage 4: .* - action needed/);

    expect(recipientsOf(suite, reference, /^stage 2: .* - action needed/)).toEqual(['csc.team.manager@example.org', 'school.phase.leader@example.org']);
    expect(recipientsOf(suite, reference, /^stage 3: .* - action needed/)).toEqual(['csc.service.manager@example.org', 'school.head@example.org']);
    expect(recipientsOf(suite, reference, /^stage 4: .* - action needed/)).toEqual(['csc.head.safeguarding@example.org', 'trust.safeguarding@example.org']);
    expect(mailFor(suite, reference).some((m) => /^stage 5/.test(m.subject))).toBe(false);
    const history = await events(system, reference);
    expect(history.filter((e) => e.type === 'escalated').map((e) => e.stage)).toEqual([1, 2, 3]);
    expect(history.filter((e) => e.type === 'stageEntered').pop()!.detail.name).toMatch(/Head of Safeguarding/);
    // The Heads of Safeguarding are the last stage: when its time runs out too, they are reminded
    // once and the case is closed unresolved, rather than waiting for ever.
    await expect(suite.temporal.workflow.getHandle(reference).result()).resolves.toMatchObject({ status: 'unresolved', endedAtStage: 4 });
    expect(recipientsOf(suite, reference, /^stage 4: .* - deadline passed/)).toEqual(['csc.head.safeguarding@example.org', 'trust.safeguarding@example.org']);
    expect((await events(system, reference)).map((e) => e.type).slice(-3)).toEqual(['closedUnresolved', 'confirmationSent', 'closed']);
    await keepHistory(suite, reference, 'v3-generic-deadlines-closed-unresolved');
  });

  it('is withdrawn by the raiser at stage two: everyone involved or told is told, and the record says why', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, body);
    await decide(await emailTo(suite, 'cal.sw@example.org', reference, 'stage 1'), { outcome: 'notResolved', reasons: 'Still disagree.' });
    await emailTo(suite, 'school.phase.leader@example.org', reference, /^stage 2: .* - action needed/);
    const handle = suite.temporal.workflow.getHandle(reference);
    await settled(suite, reference);
    await handle.executeUpdate(withdrawCase, { args: [{ reference, by: 'raiser', actor: 'raiser.worker.0', reason: 'The family moved out of the area.' }] });
    await expect(handle.result()).resolves.toMatchObject({ status: 'withdrawn', endedAtStage: 2 });
    expect(recipientsOf(suite, reference, /case ended/)).toEqual(
      // The designated safeguarding leads told of stage 2 hear it ended too (issue 11).
      ['cal.sw@example.org', 'csc.safeguarding@example.org', 'csc.team.manager@example.org', 'school.deputy@example.org', 'school.phase.leader@example.org', 'tia.teacher@example.org'].sort(),
    );
    const withdrawn = (await events(system, reference)).find((e) => e.type === 'withdrawn')!;
    expect(withdrawn).toMatchObject({ stage: 2, detail: { by: 'raiser', reason: 'The family moved out of the area.' } });
    expect((await system.getJson(`/api/disagreements/${reference}`)).body).toMatchObject({ status: 'withdrawn', closedAt: expect.any(String) });
    await keepHistory(suite, reference, 'v3-generic-withdrawn');
  });

  it('keeps everyone informed: each person told exactly once of each escalation and once of the resolution', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, body);
    // Stage 1: the social worker records "not resolved" (the page confirms it to them).
    await decide(await emailTo(suite, 'cal.sw@example.org', reference, 'stage 1'), { outcome: 'notResolved', reasons: 'Still disagree.' });
    await emailTo(suite, 'school.phase.leader@example.org', reference, /^stage 2: .* - action needed/);
    const toTia = await emailTo(suite, 'tia.teacher@example.org', reference, /^stage 2: .* - escalated, for your information/);
    expect(toTia.text).toContain('Why: the practitioner at stage 1 recorded that it was not resolved.');
    expect(toTia.text).toMatch(/Who has it now: the line manager \((Meadow Primary School|Local Authority Children's Social Care)\) and the line manager \((Meadow Primary School|Local Authority Children's Social Care)\)\./);
    expect(toTia.text).toMatch(/By when: they are asked to record an outcome by \S+ on \w+day \d+ \w+/);
    expect(toTia.html).toContain('">Why: the practitioner at stage 1');
    for (const part of [toTia.subject, toTia.text, toTia.html]) {
      expect(part).not.toContain(body.childReference);
      expect(part).not.toContain('Referral not considered');
      expect(part).not.toContain('Still disagree');
    }

    // Stage 2's line managers let the deadline pass: it escalates to the senior managers.
    const handle = suite.temporal.workflow.getHandle(reference);
    const deadline = new Date((await handle.query(caseState)).stage!.deadline).getTime();
    await suite.skip(deadline - (await suite.now()).getTime() + 60_000);
    const head = await emailTo(suite, 'school.head@example.org', reference, /^stage 3: .* - action needed/);
    const moved = await emailTo(suite, 'csc.safeguarding@example.org', reference, /^stage 3: .* - escalated, for your information/);
    expect(moved.text).toMatch(/Why: stage 2 ran out of time \(.+\) with no outcome recorded/);
    await decide(head, { outcome: 'resolved', agreedOutcome: 'Assessment to be opened.' });
    await confirmAgreement(suite, 'csc.service.manager@example.org', reference, 3);
    await expect(handle.result()).resolves.toMatchObject({ status: 'resolved' });

    const count = (subject: RegExp) => {
      const counts: Record<string, number> = {};
      for (const m of mailFor(suite, reference).filter((x) => subject.test(x.subject))) counts[m.to] = (counts[m.to] ?? 0) + 1;
      return counts;
    };
    const once = (addresses: string[]) => Object.fromEntries(addresses.map((a) => [a, 1]));
    expect(count(/^stage 2: .* - escalated/)).toEqual(once(['tia.teacher@example.org']));
    expect(count(/^stage 3: .* - escalated/)).toEqual(
      once(['tia.teacher@example.org', 'cal.sw@example.org', 'school.phase.leader@example.org', 'csc.team.manager@example.org', 'school.deputy@example.org', 'csc.safeguarding@example.org']),
    );
    // Everyone involved or told hears of the resolution once (the partnership gets its proforma, which names no case).
    expect(count(/^resolved at stage 3/)).toEqual(
      once([
        'tia.teacher@example.org',
        'cal.sw@example.org',
        'school.phase.leader@example.org',
        'csc.team.manager@example.org',
        'school.deputy@example.org',
        'csc.safeguarding@example.org',
        'school.head@example.org',
        'csc.service.manager@example.org',
      ]),
    );
    // The outcomes the pack tells the practitioners of are in those emails, not in notices of their own.
    expect(count(/outcome recorded/)).toEqual({});
    await keepHistory(suite, reference, 'v3-generic-everyone-informed');
  });
});
