/**
 * A new partnership is a new file: a fictional pack that uses what the seeds do not (hours,
 * routes by category, reminders, a prompt before escalating, the partnership told from a stage
 * onwards and on resolution, duties after a meeting) runs with no code of its own.
 */
import { join } from 'node:path';
import { loadPolicyPack } from '../../../shared/policy/load';
import { useTimeSkippingSystem } from '../../support/timeSkipping';
import { confirmAgreement, decide, emailTo, endCase, events, keepHistory, mailFor, openCase, recipientsOf } from '../../support/policyJourney';

const northshire = loadPolicyPack(join(__dirname, '..', '..', 'fixtures', 'packs', 'northshire.yaml'));
const body = (category: string) => ({
  partnership: 'northshire',
  raiser: { name: 'Ria Teacher', email: 'ria@northshire.example.org', agency: 'northshire-school' },
  other: { name: 'Sol Social-Worker', email: 'sol@northshire.example.org', agency: 'northshire-csc' },
  childReference: 'NS-0001',
  category,
  description: 'Conference decided no plan was needed.',
});

describe('a partnership whose policy is not one of the seeds', () => {
  const ctx = useTimeSkippingSystem((suite) => suite.policies.set(northshire.id, northshire));

  it('reminds before an hours deadline, prompts at it, and escalates only after the grace period', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, body('threshold'));
    await emailTo(suite, 'ria@northshire.example.org', reference, 'stage 1');
    await suite.skip('20 days');
    await emailTo(suite, 'csc.tm@northshire.example.org', reference, /^stage 3: Managers' meeting - action needed/);

    const history = await events(system, reference);
    const types = history.filter((e) => e.stage === 1).map((e) => e.type);
    expect(types).toEqual(['stageEntered', 'notified', 'reminderSent', 'deadlinePassed', 'reminderSent', 'escalated']);
    const [before, overdue] = history.filter((e) => e.type === 'reminderSent');
    const passed = history.find((e) => e.type === 'deadlinePassed')!;
    const escalated = history.find((e) => e.type === 'escalated')!;
    expect(new Date(before.at) < new Date(passed.at)).toBe(true);
    expect(overdue.detail).toMatchObject({ kind: 'overdue', mode: 'prompt' });
    // 8 working hours of grace: the escalation comes a working day after the deadline.
    expect(new Date(escalated.at).getTime() - new Date(passed.at).getTime()).toBeGreaterThanOrEqual(8 * 3600_000);
    expect(recipientsOf(suite, reference, /^stage 1: .* - reminder/)).toEqual(['ria@northshire.example.org', 'sol@northshire.example.org']);

    // Not about a conference: the conference chair's stage does not apply.
    expect(recipientsOf(suite, reference, /^stage 2/)).toEqual([]);
    // The partnership hears from the managers' stage onwards.
    expect(recipientsOf(suite, reference, /^stage 1: .*for your information/)).toEqual([]);
    await emailTo(suite, 'nscp@northshire.example.org', reference, /^stage 3: .*for your information/);
    await endCase(suite, reference);
  });

  it('routes a conference decision to the conference chair, sets the meeting duty, and tells the partnership of the resolution', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, body('conference-decision'));
    await decide(await emailTo(suite, 'sol@northshire.example.org', reference, 'stage 1'), { outcome: 'notResolved', reasons: 'Disagree.' });
    await decide(await emailTo(suite, 'conference.chair@northshire.example.org', reference, 'stage 2: Conference chair review'), {
      outcome: 'notResolved',
      reasons: 'Managers need to meet.',
    });
    const manager = await emailTo(suite, 'school.deputy@northshire.example.org', reference, 'stage 3');
    await decide(manager, { outcome: 'resolved', agreedOutcome: 'Plan agreed at the meeting.' });
    // Both sides decide (issue 11): social care's line manager confirms the school's agreed outcome.
    await confirmAgreement(suite, 'csc.tm@northshire.example.org', reference, 3);

    const duty = await emailTo(suite, 'school.deputy@northshire.example.org', reference, /action after the meeting/);
    expect(duty.text).toMatch(/circulate the minutes of the managers' meeting, by 5pm on \w+day/);
    await emailTo(suite, 'nscp@northshire.example.org', reference, /resolved at stage 3/);

    // The case waits for the duty's deadline, reminds its owner, then closes.
    await suite.temporal.workflow.getHandle(reference).result();
    await emailTo(suite, 'school.deputy@northshire.example.org', reference, /action due/);
    const history = await events(system, reference);
    expect(history.map((e) => e.type)).toEqual(expect.arrayContaining(['dutyAssigned', 'dutyDue', 'resolved', 'confirmationSent']));
    // Told of stage 3 already, the partnership is among those confirmed in writing: one email, no second notice (issue 11).
    const confirmed = history.find((e) => e.type === 'confirmationSent')!;
    expect(confirmed.detail.recipients).toEqual(expect.arrayContaining([expect.objectContaining({ role: 'partnershipMailbox' })]));
    expect(recipientsOf(suite, reference, /resolved at stage 3/)).toContain('nscp@northshire.example.org');
    expect(mailFor(suite, reference).filter((m) => m.to === 'nscp@northshire.example.org' && /resolved at stage 3/.test(m.subject))).toHaveLength(1);
    await keepHistory(suite, reference, 'v3-northshire-route-duty-notices');
  });
});
