/** The email that tells the stage's people and the practitioners of a change to the stage's clock: what, who by (a role), never the reason. */
import { renderNotification } from '../../mail/render';
import type { Notification } from '../../shared/events';
import { readClockForm, endOfWorkingDay } from '../../api/routes/clock';
import { loadPolicyRegistry } from '../../shared/policy/load';

const base: Notification = {
  key: 'BSCP-2026-ABC123/stage-2/raiser.worker.0/clockChanged-clock-1',
  kind: 'clockChanged',
  reference: 'BSCP-2026-ABC123',
  partnershipId: 'bromley',
  partnershipName: 'Bromley Safeguarding Children Partnership',
  timeZone: 'Europe/London',
  recipient: { id: 'raiser.worker.0', role: 'worker', name: 'Ann Teacher', email: 'ann@example.org' },
  stage: { number: 2, name: 'Escalate to line manager', deadline: '2026-12-04T17:00:00.000Z', isFinal: false },
  clock: { change: 'paused', by: 'participant', byRole: 'lineManager', from: '2026-12-04T17:00:00.000Z', to: '2026-12-04T17:00:00.000Z' },
};
const now = new Date('2026-11-27T12:00:00Z');
const ctx = { caseUrl: 'https://x.example/cases/BSCP-2026-ABC123', now };

describe('clock change emails', () => {
  it('says the clock was paused, by whom (a role), what it means, and where the reason is', () => {
    const email = renderNotification(base, ctx);
    expect(email.subject).toBe('BSCP-2026-ABC123: stage 2: Escalate to line manager - clock paused');
    expect(email.text).toContain('has been paused by the line manager');
    expect(email.text).toContain('it was due 5pm on Friday 4 December');
    expect(email.text).toContain('You are getting this as one of the two practitioners');
    expect(email.text).toContain('The reason is kept on the case record.');
    expect(email.text).toContain('Open the case: https://x.example/cases/BSCP-2026-ABC123');
  });

  it('gives the new deadline when the clock resumes or the deadline changes, and names an admin as the partnership', () => {
    const resumed = renderNotification({ ...base, clock: { ...base.clock!, change: 'resumed', to: '2026-12-09T17:00:00.000Z' } }, ctx);
    expect(resumed.subject).toBe('BSCP-2026-ABC123: stage 2: Escalate to line manager - clock resumed, new deadline');
    expect(resumed.text).toContain('the outcome is now due 5pm on Wednesday 9 December');
    const shortened = renderNotification(
      { ...base, recipient: { ...base.recipient, id: 'other.lineManager.0', role: 'lineManager' }, clock: { change: 'shortened', by: 'partnershipAdmin', byRole: 'partnershipAdmin', from: '2026-12-04T17:00:00.000Z', to: '2026-12-01T17:00:00.000Z' } },
      ctx,
    );
    expect(shortened.subject).toBe('BSCP-2026-ABC123: stage 2: Escalate to line manager - deadline brought forward');
    expect(shortened.text).toContain('brought forward by a partnership admin: it was 5pm on Friday 4 December, and the outcome is now due 5pm on Tuesday 1 December');
    expect(shortened.text).toContain('because you were asked to take part in stage 2');
    // The stage's people get a fresh link with the new deadline; the practitioners told for information do not.
    const withLink = renderNotification({ ...base, clock: { ...base.clock!, change: 'extended' }, linkExpiresAt: '2026-12-08T17:00:00.000Z' }, { ...ctx, link: 'https://x.example/respond/t2' });
    expect(withLink.text).toContain('this link replaces the one you had, and expires at 5pm on Tuesday 8 December');
    expect(withLink.text).toContain('https://x.example/respond/t2');
    expect(shortened.text).not.toContain('/respond/');
  });
});

describe('the clock forms', () => {
  const pack = loadPolicyRegistry().get('bromley')!;
  const NOW = new Date('2026-03-20T12:00:00Z');
  it('needs a reason to pause or change, in GOV.UK words; not to resume', () => {
    expect(readClockForm('pause', { reason: ' ' }, pack, NOW).errors).toEqual([{ path: 'reason', text: 'Enter why you are pausing the clock' }]);
    expect(readClockForm('resume', {}, pack, NOW).errors).toEqual([]);
    expect(readClockForm('pause', { reason: 'x'.repeat(2001) }, pack, NOW).errors[0].text).toBe('The reason must be 2,000 characters or fewer');
  });
  it('reads the GOV.UK date input: missing parts, real dates, not past, within eight weeks; due at the end of that working day', () => {
    const change = (day: string, month: string, year: string) => readClockForm('change', { reason: 'Moved', 'deadline-day': day, 'deadline-month': month, 'deadline-year': year }, pack, NOW);
    expect(change('', '', '').errors[0].text).toBe('Enter the new deadline');
    expect(change('27', '', '2026').errors[0].text).toBe('The new deadline must include a month');
    expect(change('31', '2', '2026').errors[0].text).toBe('The new deadline must be a real date');
    expect(change('19', '3', '2026').errors[0].text).toBe('The new deadline must be today or in the future');
    expect(change('20', '3', '2026').form.deadline).toBe('2026-03-20T17:00:00.000Z');
    expect(change('1', '6', '2026').errors[0].text).toBe('The new deadline must be within 8 weeks from today');
    expect(change('27', '3', '2026')).toEqual({ form: { reason: 'Moved', date: '2026-03-27', deadline: '2026-03-27T17:00:00.000Z' }, errors: [] });
    // Summer time: 5pm in London is 4pm UTC.
    expect(endOfWorkingDay('2026-04-02', pack.calendar)).toBe('2026-04-02T16:00:00.000Z');
  });
});
