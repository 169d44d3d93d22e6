/** The pages' words: policy versions said properly, the decision form's date input, GOV.UK error messages. */
import { policyWithVersion } from '../../shared/policyWording';
import { decisionBody, dateInWords } from '../../api/routes/respond';
import { govukMessage } from '../../api/formWording';

describe('the words on the pages', () => {
  it('never shows raw pack version text', () => {
    expect(policyWithVersion('Escalation policy', '1.5')).toBe('Escalation policy, version 1.5');
    expect(policyWithVersion('Escalation policy', 'unversioned')).toBe('Escalation policy (no version number)');
    expect(policyWithVersion('Escalation policy', '2012, as reviewed')).toBe('Escalation policy, 2012 edition, as reviewed');
    expect(policyWithVersion('Escalation policy', 'v2012, as reviewed')).not.toContain('v2012');
  });

  it('makes the day, month and year one date, and refuses a past, partial or unreal one in plain words', () => {
    const today = '2026-11-25';
    const form = (d: string, m: string, y: string) => ({ outcome: 'resolved', agreedOutcome: 'Agreed.', 'reviewDate-day': d, 'reviewDate-month': m, 'reviewDate-year': y });
    expect(decisionBody(form('15', '1', '2027'), today)).toMatchObject({ fields: { reviewDate: '2027-01-15' }, problems: [] });
    expect(decisionBody(form('1', '1', '2020'), today).problems).toEqual([{ path: 'reviewDate', message: 'The review date must be in the future' }]);
    expect(decisionBody(form('25', '11', '2026'), today).problems).toEqual([{ path: 'reviewDate', message: 'The review date must be in the future' }]);
    expect(decisionBody(form('31', '2', '2027'), today).problems[0].message).toMatch(/^The review date must be a real date/);
    expect(decisionBody(form('15', '', '2027'), today).problems[0].message).toBe('The review date must include a month');
    // The check page sends the date back whole; shown again, it is back in its boxes.
    expect(decisionBody({ outcome: 'resolved', reviewDate: '2027-01-15' }, today).values).toMatchObject({ 'reviewDate-day': '15', 'reviewDate-month': '1', 'reviewDate-year': '2027' });
    expect(dateInWords('2027-01-15')).toBe('15 January 2027');
  });

  it('words errors as GOV.UK does, never "Your name: is required"', () => {
    expect(govukMessage({ path: 'raiser.name', message: 'is required' }, { name: 'your name' })).toBe('Enter your name');
    expect(govukMessage({ path: 'category', message: 'is required' }, { name: 'what the disagreement is about', choice: true })).toBe('Select what the disagreement is about');
    expect(govukMessage({ path: 'reasons', message: 'must be 5000 characters or fewer' }, { name: 'why it is not resolved' })).toBe('Why it is not resolved must be 5,000 characters or fewer');
    expect(govukMessage({ path: 'other.email', message: 'must be an email address' }, { name: 'their work email address', like: 'name@example.org' })).toBe(
      'Enter their work email address in the correct format, like name@example.org',
    );
  });
});
