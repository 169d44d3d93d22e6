/** The words a case list shows for a row (api/routes/home.ts): how late, the other side, the stage. */
import { caseListFilterSchema, lateness, showRow, type CaseRow } from '../../api/routes/home';
import { loadPolicyRegistry } from '../../shared/policy/load';

const policies = loadPolicyRegistry();
const NOW = new Date('2026-03-20T12:00:00Z');
const row = (over: Partial<CaseRow> = {}): CaseRow => ({
  reference: 'BSCP-2026-00001',
  partnershipId: 'bromley',
  status: 'open',
  stage: 2,
  stageName: 'Escalate to line manager',
  deadline: new Date('2026-03-23T17:00:00Z'),
  openedAt: new Date('2026-03-01T09:00:00Z'),
  raiserAgency: 'hillside-primary',
  otherAgency: 'bromley-csc',
  ...over,
});

describe('case lists', () => {
  it('says how late in days, then hours', () => {
    expect(lateness(new Date('2026-03-17T11:00:00Z'), NOW)).toBe('3 days late');
    expect(lateness(new Date('2026-03-19T11:00:00Z'), NOW)).toBe('1 day late');
    expect(lateness(new Date('2026-03-20T07:00:00Z'), NOW)).toBe('5 hours late');
    expect(lateness(new Date('2026-03-20T11:00:00Z'), NOW)).toBe('1 hour late');
    expect(lateness(new Date('2026-03-20T11:59:00Z'), NOW)).toBe('less than an hour late');
  });

  it('names the other side from where the person stands, and both agencies otherwise', () => {
    expect(showRow(row({ side: 'raiser' }), policies, NOW).otherSide).toBe("Bromley Children's Social Care");
    expect(showRow(row({ side: 'other' }), policies, NOW).otherSide).toBe('Hillside Primary School');
    expect(showRow(row(), policies, NOW).otherSide).toBe("Hillside Primary School and Bromley Children's Social Care");
  });

  it('shows an open case its stage and deadline in words, overdue only once the deadline has passed', () => {
    const open = showRow(row(), policies, NOW);
    expect(open).toMatchObject({ stage: '2: Escalate to line manager', deadline: '5pm on Monday 23 March', overdue: null, status: { label: 'Open' } });
    expect(showRow(row({ deadline: new Date('2026-03-16T17:00:00Z') }), policies, NOW).overdue).toBe('3 days late');
    // A closed case is never overdue, whatever its last deadline was.
    const closed = showRow(row({ status: 'resolved', deadline: new Date('2026-03-16T17:00:00Z') }), policies, NOW);
    expect(closed).toMatchObject({ overdue: null, stage: '', deadline: '', status: { label: 'Resolved' } });
  });

  it('reads the filter from a query string: blanks are "any", one flag or several', () => {
    expect(caseListFilterSchema.parse({ q: '', stage: '', flag: 'lookedAfter' })).toMatchObject({ flag: ['lookedAfter'], page: 1 });
    expect(caseListFilterSchema.parse({ flag: ['lookedAfter', 'immediateHarm'], stage: '3', page: '2' })).toMatchObject({ stage: 3, page: 2 });
    expect(caseListFilterSchema.safeParse({ q: "x' OR 1=1" }).success).toBe(false);
    expect(caseListFilterSchema.safeParse({ flag: 'description' }).success).toBe(false);
    expect(caseListFilterSchema.safeParse({ status: 'open', overdue: 'no' }).success).toBe(false);
  });
});
