/** Overdue, the one definition (shared/overdue.ts) the dashboard, the lists, the case page and the emails share. */
import { lateBy, overdueSince, overdueSql, overdueWords } from '../../shared/overdue';

const NOW = new Date('2026-03-20T12:00:00Z');

describe('overdue: one definition', () => {
  it('is overdue when open, running and past its due deadline, and says since when', () => {
    expect(overdueSince({ status: 'open', deadline: '2026-03-17T11:00:00Z' }, NOW)).toEqual(new Date('2026-03-17T11:00:00Z'));
    expect(overdueSince({ status: 'open', deadline: new Date('2026-03-20T11:59:59Z') }, NOW)).not.toBeNull();
  });
  it('is not overdue before or at its deadline', () => {
    expect(overdueSince({ status: 'open', deadline: '2026-03-23T17:00:00Z' }, NOW)).toBeNull();
    expect(overdueSince({ status: 'open', deadline: NOW }, NOW)).toBeNull();
  });
  it('is never overdue once ended, whatever its last deadline', () => {
    for (const status of ['resolved', 'withdrawn', 'closed', 'unresolved', 'referred']) {
      expect(overdueSince({ status, deadline: '2026-03-01T09:00:00Z' }, NOW)).toBeNull();
    }
  });
  it('is not overdue while its clock is paused, however long ago the deadline was', () => {
    expect(overdueSince({ status: 'open', deadline: '2026-03-01T09:00:00Z', pausedAt: '2026-02-28T09:00:00Z' }, NOW)).toBeNull();
    expect(overdueSince({ status: 'open', deadline: '2026-03-01T09:00:00Z', pausedAt: null }, NOW)).not.toBeNull();
  });
  it('is not overdue with no deadline (a stage not entered yet) or a deadline that is not a date', () => {
    expect(overdueSince({ status: 'open', deadline: null }, NOW)).toBeNull();
    expect(overdueSince({ status: 'open', deadline: 'soon' }, NOW)).toBeNull();
  });
  it('says how late in days, then hours', () => {
    expect(lateBy(new Date('2026-03-17T11:00:00Z'), NOW)).toBe('3 days late');
    expect(lateBy(new Date('2026-03-19T11:00:00Z'), NOW)).toBe('1 day late');
    expect(lateBy(new Date('2026-03-20T07:00:00Z'), NOW)).toBe('5 hours late');
    expect(lateBy(new Date('2026-03-20T11:00:00Z'), NOW)).toBe('1 hour late');
    expect(lateBy(new Date('2026-03-20T11:59:00Z'), NOW)).toBe('less than an hour late');
    expect(overdueWords({ status: 'open', deadline: '2026-03-17T11:00:00Z' }, NOW)).toBe('3 days late');
    expect(overdueWords({ status: 'resolved', deadline: '2026-03-17T11:00:00Z' }, NOW)).toBeNull();
  });
  it('is the same facts in SQL: open, not paused, due deadline passed', () => {
    expect(overdueSql('c', '$6')).toBe("(c.status = 'open' AND c.clock_paused_at IS NULL AND c.stage_deadline < $6::timestamptz)");
    expect(overdueSql('', 'now()')).toBe("(status = 'open' AND clock_paused_at IS NULL AND stage_deadline < now()::timestamptz)");
  });
});

describe('overdue in the case lists (api/routes/home.ts showRow)', () => {
  it('tags an overdue row with how late, and a paused one as paused, not overdue', async () => {
    const { showRow } = await import('../../api/routes/home');
    const { loadPolicyRegistry } = await import('../../shared/policy/load');
    const policies = loadPolicyRegistry();
    const row = { reference: 'BSCP-2026-00001', partnershipId: 'bromley', status: 'open', stage: 1, stageName: 'Discuss', deadline: new Date('2026-03-17T11:00:00Z'), openedAt: new Date('2026-03-01T09:00:00Z'), raiserAgency: null, otherAgency: null };
    expect(showRow(row, policies, NOW)).toMatchObject({ overdue: '3 days late', paused: false });
    expect(showRow({ ...row, pausedAt: new Date('2026-03-16T09:00:00Z') }, policies, NOW)).toMatchObject({ overdue: null, paused: true });
  });
});
