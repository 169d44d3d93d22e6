/** Bromley's policy as written, with its real timescales, on the time-skipping test server. */
import { DateTime } from 'luxon';
import { newCase } from '../../support/system';
import { useTimeSkippingSystem } from '../../support/timeSkipping';
import { confirmAgreement, decide, emailTo, endCase, events, keepHistory, openCase, recipientsOf } from '../../support/policyJourney';

const london = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/London' });

describe('the Bromley policy', () => {
  const ctx = useTimeSkippingSystem();

  it('is resolved at stage two by the line managers, who are reminded on the review date', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, newCase({ flags: { childProtectionPlan: true, lookedAfter: false, immediateHarm: false } }));
    await decide(await emailTo(suite, 'ann.teacher@example.org', reference, 'stage 1'), { outcome: 'notResolved', reasons: 'No agreement.' });

    const manager = await emailTo(suite, 'csc.team.manager@example.org', reference, 'stage 2: Escalate to line manager');
    await emailTo(suite, 'school.deputy@example.org', reference, 'stage 2');
    // 2.5: the child has a Child Protection Plan, so the CP chair is notified; not the IRO.
    await emailTo(suite, 'cp.chairs@example.org', reference, 'stage 2: Escalate to line manager - for your information');
    expect(recipientsOf(suite, reference, /iro/)).toEqual([]);

    const reviewDate = london((await suite.now()).toISOString()).plus({ days: 40 }).toISODate()!;
    await decide(manager, { outcome: 'resolved', agreedOutcome: 'Strategy discussion booked.', agreedPlan: 'Joint visit.', reviewDate });
    // Both sides decide (issue 11): the school's line manager confirms social care's agreed outcome.
    await confirmAgreement(suite, 'school.deputy@example.org', reference, 2);
    for (const address of ['ann.teacher@example.org', 'bob.sw@example.org', 'csc.team.manager@example.org', 'school.deputy@example.org']) {
      await emailTo(suite, address, reference, 'resolved at stage 2');
    }

    // The case closes; its review date waits in a reminder of its own (skipped here), which
    // reminds the people named in the plan.
    const result = await suite.temporal.workflow.getHandle(reference).result();
    expect(result).toMatchObject({ status: 'resolved', endedAtStage: 2 });
    await suite.temporal.workflow.getHandle(`${reference}-review`).result();
    expect(recipientsOf(suite, reference, /review date today/)).toEqual(
      ['ann.teacher@example.org', 'bob.sw@example.org', 'csc.team.manager@example.org', 'school.deputy@example.org'].sort(),
    );
    const reviewed = (await events(system, reference)).find((e) => e.type === 'reviewDateReached')!;
    expect(london(reviewed.at).toISODate()! >= reviewDate).toBe(true);
    await keepHistory(suite, reference, 'v3-bromley-resolved-review-date');
  });

  it('escalates through every stage to the BSCP chair by deadlines alone, one working week each', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, newCase());
    await emailTo(suite, 'ann.teacher@example.org', reference, 'stage 1');
    await suite.skip('60 days');
    await emailTo(suite, 'bscp.chair@example.org', reference, /^stage 5: .* - deadline passed/);

    const invited = (stage: number) => recipientsOf(suite, reference, new RegExp(`^stage ${stage}: .* - action needed`));
    expect(invited(2)).toEqual(['csc.team.manager@example.org', 'school.deputy@example.org']);
    expect(invited(3)).toEqual(['csc.service.manager@example.org', 'school.head@example.org']);
    expect(invited(4)).toEqual(['csc.director@example.org', 'education.board@example.org']);
    expect(invited(5)).toEqual(['bscp.chair@example.org']);
    // 2.11: the partnership mailbox hears of the referral to the chair.
    expect(recipientsOf(suite, reference, /^stage 5: .* - for your information/)).toEqual(['bscp@example.org']);
    // The chair's stage has nowhere to escalate to: the chair is reminded once, given another
    // week, and then the case is closed unresolved and everyone involved is told.
    expect(recipientsOf(suite, reference, /^stage 5: .* - deadline passed/)).toEqual(['bscp.chair@example.org']);
    await expect(suite.temporal.workflow.getHandle(reference).result()).resolves.toMatchObject({ status: 'unresolved', endedAtStage: 5 });
    expect(recipientsOf(suite, reference, /^stage 5: .* - case ended/)).toEqual(
      expect.arrayContaining(['ann.teacher@example.org', 'bob.sw@example.org', 'bscp.chair@example.org']),
    );

    const history = await events(system, reference);
    const escalations = history.filter((e) => e.type === 'escalated');
    expect(escalations.map((e) => [e.stage, e.detail.reason.kind])).toEqual([
      [1, 'deadline'],
      [2, 'deadline'],
      [3, 'deadline'],
      [4, 'deadline'],
    ]);
    // Each deadline is 5pm on a working day, five working days after the stage began.
    for (const entered of history.filter((e) => e.type === 'stageEntered' && e.stage! < 5)) {
      const deadline = london(entered.detail.deadline);
      expect(deadline.toFormat('HH:mm')).toBe('17:00');
      expect(deadline.weekday).toBeLessThanOrEqual(5);
      expect(deadline.diff(london(entered.at), 'days').days).toBeGreaterThanOrEqual(5);
    }
    await endCase(suite, reference);
  });

  it("tells MASH and the raiser's DSL at once when a child is thought to be at immediate harm", async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, newCase({ flags: { childProtectionPlan: false, lookedAfter: true, immediateHarm: true } }));
    await emailTo(suite, 'mash@example.org', reference, 'immediate harm reported');
    await emailTo(suite, 'school.deputy@example.org', reference, 'immediate harm reported');
    // Bromley does not let a case start later: stage 1 still comes first.
    await emailTo(suite, 'ann.teacher@example.org', reference, 'stage 1');
    await decide(await emailTo(suite, 'bob.sw@example.org', reference, 'stage 1'), { outcome: 'notResolved', reasons: 'Disagree.' });
    // Looked after: the IRO is notified at stage two.
    await emailTo(suite, 'iro.service@example.org', reference, 'stage 2: Escalate to line manager - for your information');
    await keepHistory(suite, reference, 'v3-bromley-immediate-harm');
    await endCase(suite, reference);
  });
});
