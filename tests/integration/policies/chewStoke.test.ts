/** Chew Stoke's guidelines: five stages, immediate harm starting later, the board manager kept informed, a panel. */
import { useTimeSkippingSystem } from '../../support/timeSkipping';
import { confirmAgreement, decide, emailTo, events, keepHistory, mailFor, openCase, recipientsOf } from '../../support/policyJourney';
import { linkIn, openLink } from '../../support/system';

const chewCase = (overrides: Record<string, unknown> = {}) => ({
  partnership: 'chew-stoke',
  raiser: { name: 'Olly Playworker', email: 'olly.playworker@example.org', agency: 'chew-stoke-osc' },
  other: { name: 'Sara Social-Worker', email: 'sara.sw@example.org', agency: 'banes-childrens-services' },
  childReference: 'OSC-2026-14',
  category: 'need-for-action',
  description: 'Club staff believe a referral should have been accepted.',
  ...overrides,
});

describe('the Chew Stoke policy', () => {
  const ctx = useTimeSkippingSystem();

  it('is resolved at stage two, with written confirmation of how outstanding issues will be pursued and a debrief suggested', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, chewCase());
    // Stage one: the raiser consults their own supervisor.
    await emailTo(suite, 'osc.manager@example.org', reference, 'stage 1: ');
    await decide(await emailTo(suite, 'olly.playworker@example.org', reference, 'stage 1'), { outcome: 'notResolved', reasons: 'Supervisor agrees it should be raised.' });

    const other = await emailTo(suite, 'sara.sw@example.org', reference, /^stage 2: .* - action needed/);
    const page = await openLink(linkIn(other));
    const refused = await page.submit({ outcome: 'resolved', agreedOutcome: 'Referral to be reconsidered.' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Enter how outstanding issues will be pursued');
    expect((await page.submit({ outcome: 'resolved', agreedOutcome: 'Referral to be reconsidered.', outstandingIssues: 'Team manager reviews by Friday.' })).status).toBe(200);
    // Both sides decide (issue 11): the playworker who raised it confirms.
    await confirmAgreement(suite, 'olly.playworker@example.org', reference, 2);

    const confirmation = await emailTo(suite, 'olly.playworker@example.org', reference, 'resolved at stage 2');
    expect(confirmation.text).toContain('how outstanding issues will be pursued');
    expect(confirmation.text).toContain('debrief');
  });

  it('starts a case of immediate harm at stage three, where the board manager is told', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, chewCase({ flags: { immediateHarm: true, childProtectionPlan: false, lookedAfter: false } }));
    await emailTo(suite, 'osc.manager@example.org', reference, /^stage 3: .* - action needed/);
    await emailTo(suite, 'banes.team.manager@example.org', reference, /^stage 3: .* - action needed/);
    await emailTo(suite, 'lscb.manager@example.org', reference, /^stage 3: .* - for your information/);
    expect(recipientsOf(suite, reference, /^stage [12]/)).toEqual([]);
    expect((await events(system, reference)).find((e) => e.type === 'stageEntered')!.stage).toBe(3);
  });

  it('lets the raiser choose a later stage the policy allows, and refuses one it does not', async () => {
    const { system } = ctx;
    const harm = { immediateHarm: true, childProtectionPlan: false, lookedAfter: false };
    const refused = await system.postJson('/api/disagreements', chewCase({ flags: harm, startAtStage: 'consult-supervisor' }));
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: 'startAtStage' })]);
    const withoutHarm = await system.postJson('/api/disagreements', chewCase({ startAtStage: 'chair' }));
    expect(withoutHarm.status).toBe(400);
    const reference = await openCase(system, chewCase({ flags: harm, startAtStage: 'chair' }));
    expect(await waitForStage(system, reference)).toBe(5);
  });

  it('escalates by deadlines alone to the LSCB chair, who convenes a panel of three agencies including those concerned', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, chewCase());
    await emailTo(suite, 'olly.playworker@example.org', reference, 'stage 1');
    await suite.skip('45 days');
    const chair = await emailTo(suite, 'lscb.chair@example.org', reference, /^stage 5: .* - action needed/);

    const invited = (stage: number) => recipientsOf(suite, reference, new RegExp(`^stage ${stage}: .* - action needed`));
    expect(invited(2)).toEqual(['olly.playworker@example.org', 'sara.sw@example.org']);
    expect(invited(3)).toEqual(['banes.team.manager@example.org', 'osc.manager@example.org']);
    expect(invited(4)).toEqual(['banes.operations@example.org', 'osc.committee@example.org']);
    // The board manager keeps a record of ongoing disagreements: told at stage 3.
    expect(recipientsOf(suite, reference, /^stage 3: .* - for your information/)).toContain('lscb.manager@example.org');

    await decide(chair, { outcome: 'panelConvened', reasons: 'Needs a panel.' });
    // The agencies concerned sit on it (the club and children's services), with a third agency; the chair too.
    const invitation = /^stage 6: Resolution panel - action needed/i;
    for (const address of ['lscb.chair@example.org', 'osc.committee@example.org', 'banes.lscb@example.org', 'police.lscb@example.org']) {
      await emailTo(suite, address, reference, invitation);
    }
    expect(recipientsOf(suite, reference, invitation)).toHaveLength(4);
    const convened = (await events(system, reference)).find((e) => e.type === 'panelConvened')!;
    expect(convened.detail.members.map((m: { agencyId: string }) => m.agencyId).slice(0, 2)).toEqual(['chew-stoke-osc', 'banes-childrens-services']);

    // Any panel member records the panel's decision; the board manager is told of the outcome, in the
    // one confirmation of the resolution everyone told of the case gets (issue 11), not in a notice of its own.
    const member = await emailTo(suite, 'banes.lscb@example.org', reference, /^stage 6: Resolution panel - action needed/i);
    await decide(member, { outcome: 'resolved', agreedOutcome: 'Panel decision: referral accepted.', outstandingIssues: 'None.' });
    await emailTo(suite, 'olly.playworker@example.org', reference, 'resolved at stage 6');
    await emailTo(suite, 'lscb.manager@example.org', reference, 'resolved at stage 6');
    await suite.temporal.workflow.getHandle(reference).result();
    expect(mailFor(suite, reference).filter((m) => m.to === 'lscb.manager@example.org' && /^resolved at stage 6/.test(m.subject))).toHaveLength(1);
    expect(recipientsOf(suite, reference, /outcome recorded/)).toEqual([]);
    await keepHistory(suite, reference, 'v3-chew-stoke-deadlines-panel');
    // Forty-five days of five stages' real activities (PGlite, SMTP): minutes on a machine busy with other work.
  }, 600_000);
});

async function waitForStage(system: { getJson(path: string): Promise<{ body: any }> }, reference: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const stage = (await system.getJson(`/api/disagreements/${reference}`)).body.stage?.number;
    if (stage) return stage;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return 0;
}
