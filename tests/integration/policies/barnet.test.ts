/** Barnet's ladders: by the other agency's type, by open case or new referral, and by the clock. */
import { DateTime } from 'luxon';
import { useTimeSkippingSystem } from '../../support/timeSkipping';
import { confirmAgreement, decide, emailTo, endCase, events, keepHistory, openCase, recipientsOf } from '../../support/policyJourney';

const barnetCase = (other: { agency: string; email: string }, overrides: Record<string, unknown> = {}) => ({
  partnership: 'barnet',
  raiser: { name: 'Hattie Health-Visitor', email: 'hattie.hv@example.org', agency: 'barnet-health-visiting' },
  other: { name: 'Other Practitioner', email: other.email, agency: other.agency },
  childReference: 'HV-22-0917',
  category: 'levels-of-need',
  description: 'Health visitor believes the response does not safeguard the child.',
  ...overrides,
});
const police = { agency: 'met-police-barnet', email: 'pc.officer@example.org' };
const familyServices = { agency: 'barnet-family-services', email: 'fs.worker@example.org' };

describe('the Barnet policy', () => {
  const ctx = useTimeSkippingSystem();

  it('is resolved at stage two, first line, by the police duty officer', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, barnetCase(police));
    await decide(await emailTo(suite, 'hattie.hv@example.org', reference, 'stage 1'), { outcome: 'notResolved', reasons: 'No agreement.' });
    // Police have no "initial resolution" line: the case goes to the first line of escalation.
    const duty = await emailTo(suite, 'duty.officer@example.org', reference, /^stage 3: .* - action needed/);
    await decide(duty, { outcome: 'resolved', agreedOutcome: 'Officer will attend a strategy meeting.' });
    // Both sides decide (issue 11): the health visitor who raised it confirms the police's agreed outcome.
    await confirmAgreement(suite, 'hattie.hv@example.org', reference, 3);
    await emailTo(suite, 'hattie.hv@example.org', reference, 'resolved at stage 3');
    expect((await events(system, reference)).filter((e) => e.type === 'stageEntered').map((e) => e.stage)).toEqual([1, 3]);
    await endCase(suite, reference);
  });

  it('sends a police escalation at 23:00 to the night duty superintendent, and at 10:00 to the senior leader on call', async () => {
    const { suite, system } = ctx;
    for (const [time, expected] of [
      ['23:00', 'night.superintendent@example.org'],
      ['10:00', 'slt.oncall@example.org'],
    ] as const) {
      const reference = await openCase(system, barnetCase(police));
      const first = await emailTo(suite, 'hattie.hv@example.org', reference, 'stage 1');
      const at = await suite.skipToLocal(time, 3);
      await decide(first, { outcome: 'notResolved', reasons: `Still apart at ${time}.` });
      await decide(await emailTo(suite, 'hattie.hv@example.org', reference, /^stage 3: .* - action needed/), { outcome: 'notResolved', reasons: 'Still apart.' });
      await emailTo(suite, expected, reference, /^stage 4: .* - action needed/);
      await emailTo(suite, 'hattie.hv@example.org', reference, /^stage 4: .* - action needed/);
      const second = recipientsOf(suite, reference, /^stage 4: .* - action needed/);
      expect(second).toEqual(['hattie.hv@example.org', expected].sort());
      const entered = (await events(system, reference)).find((e) => e.type === 'stageEntered' && e.stage === 4)!;
      expect(DateTime.fromISO(entered.at, { zone: 'Europe/London' }).toFormat('HH')).toBe(time.slice(0, 2));
      expect(new Date(entered.at).getTime() - at.getTime()).toBeLessThan(10 * 60_000);
      await endCase(suite, reference);
    }
  });

  it('sends a weekend escalation about family services to the emergency duty team', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, barnetCase(familyServices));
    const first = await emailTo(suite, 'hattie.hv@example.org', reference, 'stage 1');
    await suite.skipToLocal('11:00', 6);
    await decide(first, { outcome: 'notResolved', reasons: 'Saturday and the child is at risk.' });
    await emailTo(suite, 'edt@example.org', reference, /^stage 2: .* - action needed/);
    await emailTo(suite, 'hattie.hv@example.org', reference, /^stage 2: .* - action needed/);
    expect(recipientsOf(suite, reference, /^stage 2: .* - action needed/)).toEqual(['edt@example.org', 'hattie.hv@example.org']);
    await endCase(suite, reference);
  });

  it('takes a new referral in office hours to the MASH social worker', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, barnetCase(familyServices, { caseStatus: 'newReferral' }));
    const first = await emailTo(suite, 'hattie.hv@example.org', reference, 'stage 1');
    await suite.skipToLocal('10:30', 2);
    await decide(first, { outcome: 'notResolved', reasons: 'MASH decision disputed.' });
    await emailTo(suite, 'mash.sw@example.org', reference, /^stage 2: .* - action needed/);
    await endCase(suite, reference);
  });

  it('bypasses a head teacher who is also the DSL to the safeguarding governor', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, barnetCase({ agency: 'oakhill-primary', email: 'teacher@example.org' }));
    await decide(await emailTo(suite, 'hattie.hv@example.org', reference, 'stage 1'), { outcome: 'notResolved', reasons: 'No.' });
    await emailTo(suite, 'safeguarding.governor@example.org', reference, /^stage 3: .* - action needed/);
    expect(recipientsOf(suite, reference, /oakhill/)).toEqual([]);
    expect(recipientsOf(suite, reference, /^stage 3: .* - action needed/)).not.toContain('oakhill.head@example.org');
    await endCase(suite, reference);
  });

  it('escalates a family-services case by deadlines alone through every line to the senior leaders, out of hours at 5pm', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, barnetCase(familyServices));
    await emailTo(suite, 'hattie.hv@example.org', reference, 'stage 1');
    await suite.skip('45 days');
    await emailTo(suite, 'dcs@example.org', reference, /^stage 6: .* - deadline passed/);

    const invited = (stage: number) => recipientsOf(suite, reference, new RegExp(`^stage ${stage}: .* - action needed`)).filter((a) => a !== 'hattie.hv@example.org');
    // Deadlines fall at 5pm, when the out-of-hours routes apply: EDT, then the head of service on duty.
    expect(invited(2)).toEqual(['edt@example.org']);
    expect(invited(3)).toEqual(['hos.on.duty@example.org']);
    expect(invited(4)).toEqual(['hos.service.area@example.org']);
    expect(invited(5)).toEqual(['operational.director@example.org']);
    expect(invited(6)).toEqual(['dcs@example.org']);
    expect(recipientsOf(suite, reference, /^stage 6: .* - for your information/)).toEqual(['bscp.barnet@example.org']);
    const escalated = (await events(system, reference)).filter((e) => e.type === 'escalated');
    expect(escalated.map((e) => e.detail.reason.kind)).toEqual(['deadline', 'deadline', 'deadline', 'deadline', 'deadline']);
    await keepHistory(suite, reference, 'v3-barnet-out-of-hours-ladder');
    await endCase(suite, reference);
  });
});
