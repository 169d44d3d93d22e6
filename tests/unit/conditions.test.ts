import { caseMatches, clockMatches } from '../../shared/policy/conditions';

const facts = {
  flags: { childProtectionPlan: true, lookedAfter: false, immediateHarm: false },
  category: 'levels-of-need',
  caseStatus: 'open' as const,
  raiserAgencyType: 'school',
  otherAgencyType: 'police',
};
const clock = (time: string, weekday = 3, bankHoliday = false, officeHours = true) => ({ time, weekday, bankHoliday, officeHours });

describe('policy conditions', () => {
  it('holds with no condition, and needs every condition given', () => {
    expect(caseMatches(undefined, facts)).toBe(true);
    expect(caseMatches({ flags: ['childProtectionPlan'], otherAgencyType: ['police'] }, facts)).toBe(true);
    expect(caseMatches({ flags: ['childProtectionPlan'], otherAgencyType: ['school'] }, facts)).toBe(false);
  });

  it('reads the short form, a list of flags, as any of them', () => {
    expect(caseMatches(['lookedAfter', 'childProtectionPlan'], facts)).toBe(true);
    expect(caseMatches(['lookedAfter'], facts)).toBe(false);
  });

  it('matches categories and open cases versus new referrals', () => {
    expect(caseMatches({ category: ['levels-of-need'], caseStatus: ['open'] }, facts)).toBe(true);
    expect(caseMatches({ caseStatus: ['newReferral'] }, facts)).toBe(false);
  });

  it('wraps a night window past midnight', () => {
    const night = { time: { from: '21:00', to: '07:00' } };
    expect(clockMatches(night, clock('23:00'))).toBe(true);
    expect(clockMatches(night, clock('06:59'))).toBe(true);
    expect(clockMatches(night, clock('07:00'))).toBe(false);
    expect(clockMatches(night, clock('21:00'))).toBe(true);
    expect(clockMatches({ time: { from: '07:00', to: '21:00' } }, clock('20:59'))).toBe(true);
  });

  it('knows office hours, days and bank holidays', () => {
    expect(clockMatches({ officeHours: false }, clock('10:00', 6, false, false))).toBe(true);
    expect(clockMatches({ days: ['sat', 'sun'] }, clock('10:00', 7))).toBe(true);
    expect(clockMatches({ days: ['sat', 'sun'] }, clock('10:00', 5))).toBe(false);
    expect(clockMatches({ bankHoliday: true }, clock('10:00', 1, true, false))).toBe(true);
  });
});
