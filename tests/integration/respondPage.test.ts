/**
 * The person deciding a stage sees the case on the page behind their decision link: the
 * description, the child's reference, who disagrees and how to reach them, who else is asked, and
 * every earlier stage's outcome and reasons. Driven over HTTP with the links read off a real SMTP
 * server, the case run by the real workflow and recorded in PostgreSQL.
 */
import { linkIn, newCase, openLink, toWithSubject, useSystem, waitForEvent } from '../support/system';
import { csrfIn, textOf } from '../support/visitor';


/** The HTML of one element with this id (summary lists and cards carry ids), up to its closing tag. */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  if (start < 0) throw new Error(`no element with id ${id} on the page`);
  const open = html.lastIndexOf('<', start);
  const tag = /^<(\w+)/.exec(html.slice(open))![1];
  // Count nested tags of the same name to find the element's own end.
  const pattern = new RegExp(`<${tag}[\\s>]|</${tag}>`, 'g');
  pattern.lastIndex = open + 1;
  let depth = 1;
  for (let m = pattern.exec(html); m; m = pattern.exec(html)) {
    depth += m[0].startsWith('</') ? -1 : 1;
    if (depth === 0) return html.slice(open, m.index + m[0].length);
  }
  throw new Error(`element ${id} is not closed`);
}

describe('the decision page shows the case', () => {
  const ctx = useSystem('pglite');

  it("shows a stage 2 manager the description, the child's reference, both sides with their contacts, and stage 1's outcome and reasons", async () => {
    const { suite, system } = ctx;
    const body = newCase({
      raiser: { name: 'Ann Teacher', email: 'ann.teacher@example.org', agency: 'hillside-primary', phone: '020 7946 0555' },
      other: { name: "Bob O'Social-Worker", email: 'bob.sw@example.org', agency: 'bromley-csc', phone: '020 7946 0666' },
      childReference: 'UPN-R123456789012',
      description: 'School believes the threshold is met.\nSocial care closed the referral <twice>.',
      flags: { childProtectionPlan: true, lookedAfter: false, immediateHarm: false },
    });
    const opened = await system.postJson('/api/disagreements', body);
    expect(opened.status).toBe(201);
    const reference: string = opened.body.reference;

    // Stage 1: the practitioners see the case too; there is nothing earlier.
    const raiserInvite = await suite.mail.waitFor(toWithSubject('ann.teacher@example.org', new RegExp(`${reference}: stage 1`)));
    const first = await openLink(linkIn(raiserInvite));
    expect(first.status).toBe(200);
    expect(textOf(first.html)).toContain('UPN-R123456789012');
    expect(textOf(first.html)).toContain('The people who disagree discuss the problem, by telephone or face to face, as soon as possible.');
    expect(textOf(section(first.html, 'no-earlier-stages'))).toContain('None: this is the first stage');
    const reasons = 'Social care still says the threshold is not met; a strategy discussion is not warranted.';
    expect((await first.submit({ outcome: 'notResolved', reasons })).status).toBe(200);

    // Stage 2: the children's social care team manager's decision link.
    const managerInvite = await suite.mail.waitFor(toWithSubject('csc.team.manager@example.org', new RegExp(`${reference}: stage 2`)));
    // The school's invitation is on record too (each is kept before it is sent).
    await suite.mail.waitFor(toWithSubject('school.deputy@example.org', new RegExp(`${reference}: stage 2`)));
    const page = await openLink(linkIn(managerInvite));
    expect(page.status).toBe(200);
    const html = page.html;
    const text = textOf(html);

    expect(text).toContain('Record the outcome of stage 2: Escalate to line manager');
    // Which case, about which child, and what it is about: in the raiser's own words, escaped.
    expect(textOf(section(html, 'case-summary'))).toEqual(expect.stringContaining(`Case reference ${reference}`));
    expect(textOf(section(html, 'case-summary'))).toContain("Child's reference UPN-R123456789012");
    expect(textOf(section(html, 'case-summary'))).toContain('Stage 2 of 5: Escalate to line manager');
    expect(textOf(section(html, 'case-summary'))).toMatch(/Deadline \d{1,2}(:\d\d)?[ap]m on \w+day \d{1,2} \w+/);
    expect(textOf(section(html, 'case-summary'))).toContain("You Tara Team-Manager, line manager, Bromley Children's Social Care");
    expect(section(html, 'description')).toContain('School believes the threshold is met.\nSocial care closed the referral &lt;twice&gt;.');
    expect(html).not.toContain('<twice>');
    expect(text).toContain('Levels of need');
    expect(text).toContain('Child protection plan');
    // What this stage asks, in the policy's words.
    expect(textOf(section(html, 'stage-guidance'))).toContain("Each worker's supervisor or manager discusses the case with the equivalent manager in the other agency.");

    // Both sides, with how to reach them.
    const raiser = textOf(section(html, 'raiser'));
    for (const fact of ['Ann Teacher', 'Hillside Primary School', 'ann.teacher@example.org', '020 7946 0555']) expect(raiser).toContain(fact);
    const other = textOf(section(html, 'other-party'));
    for (const fact of ["Bob O'Social-Worker", "Bromley Children's Social Care", 'bob.sw@example.org', '020 7946 0666']) expect(other).toContain(fact);
    expect(section(html, 'other-party')).toContain('href="mailto:bob.sw@example.org"');

    // Who else is asked at this stage: the school's line manager, with the address their
    // invitation went to and the directory's telephone number.
    const invited = textOf(section(html, 'invited'));
    expect(invited).toContain('Tara Team-Manager (you)');
    expect(invited).toContain('csc.team.manager@example.org');
    expect(invited).toContain('020 7946 0102');
    expect(invited).toContain('Mo Deputy-Head');
    expect(invited).toContain('Line manager, Hillside Primary School');
    expect(invited).toContain('school.deputy@example.org');
    expect(invited).toContain('020 7946 0871');

    // Stage 1: what was recorded, by whom, and why.
    const stageOne = textOf(section(html, 'stage-1'));
    expect(stageOne).toContain('Stage 1: Discuss with the other worker');
    expect(stageOne).toContain('Outcome Not resolved');
    expect(stageOne).toContain('Recorded by The practitioner, Hillside Primary School');
    expect(stageOne).toContain(`Reasons ${reasons}`);
    expect(stageOne).toContain('Because the practitioner recorded that stage 1 was not resolved.');
    // The form is still there, after the case.
    expect(html.indexOf('id="stage-1"')).toBeLessThan(html.indexOf('name="outcome"'));

    // The check-your-answers page and the done page name the case too; the done page points at
    // the case page plainly.
    expect(textOf(section(html, 'who-decides'))).toContain('Both sides decide: when one side records the agreed outcome, someone on the other side confirms or disputes it.');
    const resolved = await page.submit({ outcome: 'resolved', agreedOutcome: 'Strategy discussion within two working days.' });
    expect(resolved.status).toBe(200);
    // Both sides decide (issue 11): the agreed outcome is recorded, and the school's line manager is asked to confirm it.
    expect(resolved.html).toContain('Agreed outcome recorded');
    expect(textOf(section(resolved.html, 'case-summary'))).toContain("Child's reference UPN-R123456789012");
    expect(resolved.html).toMatch(new RegExp(`<a class="govuk-link" href="/cases/${reference}">See the case</a>`));
    expect(resolved.html).not.toContain('access=');
    const ask = await suite.mail.waitFor(toWithSubject('school.deputy@example.org', new RegExp(`${reference}: stage 2: .* - confirm or dispute`)));
    const confirm = await openLink(linkIn(ask));
    expect(textOf(section(confirm.html, 'proposal'))).toContain('Strategy discussion within two working days.');
    expect(textOf(section(confirm.html, 'case-summary'))).toContain("Child's reference UPN-R123456789012");
    expect((await confirm.submit({ answer: 'confirm' })).status).toBe(200);
    await waitForEvent(system, reference, 'closed');
    await suite.temporal.workflow.getHandle(`${reference}-review`).terminate('test finished').catch(() => undefined);
  });

  it('names the case on the check-your-answers page before anything is recorded', async () => {
    const { suite, system } = ctx;
    const raised = await system.postJson('/api/disagreements', newCase({ childReference: 'UPN-C999999999999' }));
    const reference: string = raised.body.reference;
    const link = linkIn(await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${reference}: stage 1`))));
    const opened = await openLink(link);
    const check = await opened.visitor.request(link, { form: { _csrf: csrfIn(opened.html)!, outcome: 'notResolved', reasons: 'We still disagree.' }, follow: false });
    const html = check.html;
    expect(check.status).toBe(200);
    expect(html).toContain('Check your answers');
    const summary = textOf(section(html, 'case-summary'));
    expect(summary).toContain("Child's reference UPN-C999999999999");
    expect(summary).toContain("Between Ann Teacher, Hillside Primary School (raised it), and Bob Social-Worker, Bromley Children's Social Care");
    expect(summary).toContain("You Bob Social-Worker, practitioner, Bromley Children's Social Care");
    const view = await system.getJson(`/api/disagreements/${reference}`);
    expect(view.body.events.map((e: { type: string }) => e.type)).not.toContain('outcomeRecorded');
    await suite.temporal.workflow.getHandle(reference).terminate('test finished');
  });
});
