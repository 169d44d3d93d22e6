/** Hull's guidance as written: counterparts, DSLs told before the senior managers, the proforma from the board stage. */
import { useTimeSkippingSystem } from '../../support/timeSkipping';
import { proformaIdFor } from '../../../records/proformaStore';
import { confirmAgreement, decide, emailTo, endCase, events, keepHistory, openCase, recipientsOf } from '../../support/policyJourney';

const hullCase = (overrides: Record<string, unknown> = {}) => ({
  partnership: 'hull',
  raiser: { name: 'Gina GP', email: 'gina.gp@example.org', agency: 'city-health-care-partnership', role: 'gp' },
  other: { name: 'Sid Social-Worker', email: 'sid.sw@example.org', agency: 'hull-childrens-social-care', role: 'socialWorker' },
  childReference: 'NHS-943 476 5919',
  category: 'eligibility-or-threshold',
  description: 'GP believes the family meets the threshold; social care disagrees.',
  ...overrides,
});

describe('the Hull policy', () => {
  const ctx = useTimeSkippingSystem();

  it('takes each practitioner to their counterpart and, resolved at stage two, requires an agreed plan with a review date', async () => {
    const { suite, system } = ctx;
    const reference = await openCase(system, hullCase());
    await decide(await emailTo(suite, 'sid.sw@example.org', reference, 'stage 1'), { outcome: 'notResolved', reasons: 'Threshold not met in our view.' });

    // Section 5's counterparts: the GP's named doctor, the social worker's team manager.
    const doctor = await emailTo(suite, 'chcp.named.gp@example.org', reference, 'stage 2');
    await emailTo(suite, 'hull.csc.team.manager@example.org', reference, 'stage 2');

    // An agreed plan must be confirmed in writing with a date for review.
    const { openLink, linkIn } = await import('../../support/system');
    const page = await openLink(linkIn(doctor));
    const refused = await page.submit({ outcome: 'resolved', agreedOutcome: 'Agreed to assess.' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Enter the agreed plan');
    expect(refused.html).toContain('Enter the review date');

    const accepted = await page.submit({ outcome: 'resolved', agreedOutcome: 'Agreed to assess.', agreedPlan: 'Single assessment within 10 days.', reviewDate: '2027-03-01' });
    expect(accepted.status).toBe(200);
    // Both sides decide (issue 11): social care's team manager confirms the named GP's agreed plan.
    await confirmAgreement(suite, 'hull.csc.team.manager@example.org', reference, 2);
    await emailTo(suite, 'gina.gp@example.org', reference, 'resolved at stage 2');
    // Before the board stage no proforma goes to the board.
    const proformaLink = `/partnerships/hull/proformas/${await proformaIdFor(suite.db, reference)}`;
    expect(suite.mail.messages().filter((m) => m.text.includes(proformaLink))).toEqual([]);
    await suite.temporal.workflow.getHandle(reference).result();
    await keepHistory(suite, reference, 'v3-hull-counterparts-resolved');
    await endCase(suite, reference);
  });

  it('escalates by deadlines alone to mediation, telling every DSL before the senior managers and sending the board an anonymised proforma', async () => {
    const { suite, system } = ctx;
    const body = hullCase();
    const reference = await openCase(system, body);
    await emailTo(suite, 'gina.gp@example.org', reference, 'stage 1');
    await suite.skip('60 days');
    await emailTo(suite, 'hscb.chair@example.org', reference, /^stage 6: .* - deadline passed/);

    const invited = (stage: number) => recipientsOf(suite, reference, new RegExp(`^stage ${stage}: .* - action needed`));
    expect(invited(2)).toEqual(['chcp.named.gp@example.org', 'hull.csc.team.manager@example.org']);
    expect(invited(3)).toEqual(['chcp.service.manager@example.org', 'hull.csc.service.manager@example.org']);
    expect(invited(4)).toEqual(['chcp.safeguarding.lead@example.org', 'hull.csc.ahos@example.org']);
    expect(invited(5)).toEqual(['chcp.board@example.org', 'hull.csc.director@example.org']);
    expect(invited(6)).toEqual(['hscb.chair@example.org']);

    // Every organisation's DSL is told before the case reaches the senior managers.
    expect(recipientsOf(suite, reference, /^stage 3: .* - escalating/)).toEqual(['chcp.safeguarding.lead@example.org', 'hull.csc.safeguarding@example.org']);
    const history = await events(system, reference);
    const toldBefore = history.findIndex((e) => e.type === 'notified' && e.detail.kind === 'beforeEntry');
    const enteredThree = history.findIndex((e) => e.type === 'stageEntered' && e.stage === 3);
    expect(toldBefore).toBeGreaterThan(-1);
    expect(toldBefore).toBeLessThan(enteredThree);

    // The anonymised proforma goes to the board from stage 4 (board members) on, not before: a
    // link to it by its own id, with no case reference, no dates and nobody's name (issue 10).
    const proformaId = await proformaIdFor(suite.db, reference);
    const proformas = suite.mail.messages().filter((m) => m.text.includes(`/partnerships/hull/proformas/${proformaId}`));
    expect(proformas.map((m) => m.to)).toEqual([['hscb@example.org'], ['hscb@example.org']]);
    for (const proforma of proformas) {
      for (const identifying of [reference, body.childReference, body.description, body.raiser.name, body.other.name, body.raiser.email, body.other.email, 'Gina', 'Sid']) {
        expect(proforma.subject + proforma.text + proforma.html).not.toContain(identifying);
      }
      expect(proforma.text).not.toMatch(/\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December)\b|\d{4}-\d{2}-\d{2}/);
    }
    // The link opens the one proforma (records/proforma.ts) for the board's mailbox holder, signed in: months, roles, no reference.
    const board = await system.asStaff('hscb@example.org');
    const page = await board.get(new URL(/https?:\/\/\S+\/proformas\/PF-[\w-]+/.exec(proformas[1].text)![0]).pathname);
    expect(page.status).toBe(200);
    expect(page.html).toContain(proformaId);
    expect(page.html).toContain('Stage 5: ');
    expect(page.html).not.toContain(reference);
    expect(page.html).not.toContain(body.childReference);
    await keepHistory(suite, reference, 'v3-hull-deadlines-notices-before-proforma');
    await endCase(suite, reference);
  });
});
