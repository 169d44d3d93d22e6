/**
 * The partnership dashboard against a real database: a quarter of Bromley's disagreements written
 * the way the workflow writes them, and every number worked out by hand below.
 */
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import nunjucks from 'nunjucks';
import type { Database } from '../../db/database';
import { appendEvent } from '../../db/record';
import { casesToCsv, dashboardFilterSchema, monthlyChartSvg, partnershipCaseLines, partnershipStats, type DashboardFilter, type PartnershipStats } from '../../api/dashboard';
import { dashboardRouter } from '../../api/routes/dashboard';
import { apiClientAuth, createApiClient } from '../../api/apiClients';
import { addViewHelpers } from '../../api/viewHelpers';
import { loadPolicyRegistry } from '../../shared/policy/load';
import { databaseKinds, freshDatabase } from '../support/databases';
import { bearer } from '../support/system';

/** "Now" for every test: a Friday in March 2026, still GMT, so UTC and London agree on days. */
const NOW = new Date('2026-03-20T12:00:00Z');

const STAGES = ['Discuss with the other worker', 'Escalate to line manager', 'Escalate to senior managers', 'Agency members of the partnership board', 'Resolution by the BSCP Chair', 'Resolution Panel'];

/** One step of a case's history, in the order the workflow records them. */
type Step =
  | { enter: number; at: string; deadline: string; reason?: string }
  | { outcome: 'resolved' | 'notResolved' | 'panelConvened'; at: string; stage: number }
  | { escalate: 'deadline' | 'notResolved'; at: string; from: number; to: number }
  | { deadlinePassed: number; at: string }
  | { resolved: number; at: string };

interface Seed {
  reference: string;
  partnership?: string;
  category: string;
  raiser: string;
  other: string;
  opened: string;
  steps: Step[];
  flags?: { childProtectionPlan?: boolean; lookedAfter?: boolean; immediateHarm?: boolean };
}

/**
 * Writes a case and its events directly, with the case row's projection (stage, deadline, status)
 * derived from the steps just as recordEvent keeps it. The personal fields hold realistic values
 * so the test can check none of them reach the numbers.
 */
async function seed(db: Database, c: Seed) {
  let stage: number | null = null;
  let deadline: string | null = null;
  let closed: string | null = null;
  const events: { type: string; at: string; stage: number | null; detail: Record<string, unknown> }[] = [{ type: 'opened', at: c.opened, stage: null, detail: { category: c.category } }];
  for (const s of c.steps) {
    if ('enter' in s) {
      stage = s.enter;
      deadline = s.deadline;
      events.push({ type: 'stageEntered', at: s.at, stage: s.enter, detail: { name: STAGES[s.enter - 1], deadline: s.deadline, reason: { kind: s.reason ?? 'start' } } });
    } else if ('outcome' in s) {
      events.push({ type: 'outcomeRecorded', at: s.at, stage: s.stage, detail: { outcome: s.outcome, role: 'worker', reasons: 'Agreed a joint visit to Sam Smith at 4 Acacia Avenue' } });
    } else if ('escalate' in s) {
      events.push({ type: 'escalated', at: s.at, stage: s.from, detail: { toStage: s.to, reason: { kind: s.escalate, fromStage: s.from } } });
    } else if ('deadlinePassed' in s) {
      events.push({ type: 'deadlinePassed', at: s.at, stage: s.deadlinePassed, detail: {} });
    } else {
      closed = s.at;
      deadline = null;
      events.push({ type: 'resolved', at: s.at, stage: s.resolved, detail: { outcome: 'resolved' } });
    }
  }
  await db.query(
    `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags,
                        status, current_stage, stage_name, stage_deadline, opened_at, closed_at)
     VALUES ($1, $2, '1.5', $3, $4, $5, 'NHS 943 476 5919', 'Sam Smith was sent home from school with bruising', $12, $6, $7, $8, $9, $10, $11)`,
    [
      c.reference,
      c.partnership ?? 'bromley',
      c.category,
      JSON.stringify({ name: 'Ann Teacher', email: 'ann.teacher@example.org', agencyId: c.raiser }),
      JSON.stringify({ name: 'Bob Social-Worker', email: 'bob.sw@example.org', agencyId: c.other }),
      closed ? 'resolved' : 'open',
      stage,
      stage ? STAGES[stage - 1] : null,
      deadline,
      c.opened,
      closed,
      JSON.stringify(c.flags ?? {}),
    ],
  );
  // Through the record's own writer, which chains each event to the one before.
  for (const [seq, e] of events.entries()) await appendEvent(db, { reference: c.reference, seq, ...e });
}

const SCHOOL = 'hillside-primary';
const CSC = 'bromley-csc';
const POLICE = 'met-police-sn';
const HEALTH = 'bromley-health';

/*
 * Ten Bromley cases, January to March 2026 (all times UTC = GMT), and one of Hull's that must not
 * count. Days to resolve (closed - opened) in the last column.
 *
 *   ref     category                   raiser -> other   opened     stages            end                      days
 *   R1      levels-of-need             school -> csc     05 Jan     1                 resolved 07 Jan 10:00    2.0
 *   R2      need-for-action            police -> csc     12 Jan     1 >d 2 >n 3       resolved 26 Jan 09:00   14.0
 *   R9      roles-and-responsibilities health -> police  08 Jan     1>n2>n3>d4>n5>P6  resolved 19 Feb 10:00   42.0
 *   R4      plans-and-communication    csc -> police     02 Feb     1                 resolved 05 Feb 15:00    3.1667 (3 d 4 h)
 *   R5      roles-and-responsibilities school -> health  10 Feb     1 >d 2 >d 3 >n 4  resolved 06 Mar 09:00   24.0
 *   R6      levels-of-need             police -> school  23 Feb     1 >d 2            open, deadline 09 Mar: overdue
 *   R7      need-for-action            csc -> health     02 Mar     1                 resolved 03 Mar 09:30    1.0
 *   R3      levels-of-need             health -> school  11 Mar     1 >n 2            open, deadline 23 Mar
 *   R8      levels-of-need             school -> csc     16 Mar     1                 open, deadline 23 Mar
 *   R10     need-for-action            csc -> police     20 Mar     (none yet)        open, just raised
 *
 * (>d escalated at a deadline, >n escalated as not resolved, >P a panel convened at stage 5.)
 */
const R = (n: number) => `BSCP-2026-R${String(n).padStart(5, '0')}`;
const bromley: Seed[] = [
  {
    reference: R(1), category: 'levels-of-need', raiser: SCHOOL, other: CSC, opened: '2026-01-05T10:00:00Z', flags: { childProtectionPlan: true, immediateHarm: true },
    steps: [
      { enter: 1, at: '2026-01-05T10:00:01Z', deadline: '2026-01-12T17:00:00Z' },
      { outcome: 'resolved', at: '2026-01-07T10:00:00Z', stage: 1 },
      { resolved: 1, at: '2026-01-07T10:00:00Z' },
    ],
  },
  {
    reference: R(2), category: 'need-for-action', raiser: POLICE, other: CSC, opened: '2026-01-12T09:00:00Z',
    steps: [
      { enter: 1, at: '2026-01-12T09:00:01Z', deadline: '2026-01-19T17:00:00Z' },
      { deadlinePassed: 1, at: '2026-01-19T17:00:00Z' },
      { escalate: 'deadline', at: '2026-01-19T17:00:00Z', from: 1, to: 2 },
      { enter: 2, at: '2026-01-19T17:00:01Z', deadline: '2026-01-26T17:00:00Z', reason: 'deadline' },
      { outcome: 'notResolved', at: '2026-01-21T11:00:00Z', stage: 2 },
      { escalate: 'notResolved', at: '2026-01-21T11:00:00Z', from: 2, to: 3 },
      { enter: 3, at: '2026-01-21T11:00:01Z', deadline: '2026-01-28T17:00:00Z', reason: 'notResolved' },
      { outcome: 'resolved', at: '2026-01-26T09:00:00Z', stage: 3 },
      { resolved: 3, at: '2026-01-26T09:00:00Z' },
    ],
  },
  {
    reference: R(9), category: 'roles-and-responsibilities', raiser: HEALTH, other: POLICE, opened: '2026-01-08T10:00:00Z',
    steps: [
      { enter: 1, at: '2026-01-08T10:00:01Z', deadline: '2026-01-15T17:00:00Z' },
      { outcome: 'notResolved', at: '2026-01-09T10:00:00Z', stage: 1 },
      { escalate: 'notResolved', at: '2026-01-09T10:00:00Z', from: 1, to: 2 },
      { enter: 2, at: '2026-01-09T10:00:01Z', deadline: '2026-01-16T17:00:00Z', reason: 'notResolved' },
      { outcome: 'notResolved', at: '2026-01-14T10:00:00Z', stage: 2 },
      { escalate: 'notResolved', at: '2026-01-14T10:00:00Z', from: 2, to: 3 },
      { enter: 3, at: '2026-01-14T10:00:01Z', deadline: '2026-01-21T17:00:00Z', reason: 'notResolved' },
      { deadlinePassed: 3, at: '2026-01-21T17:00:00Z' },
      { escalate: 'deadline', at: '2026-01-21T17:00:00Z', from: 3, to: 4 },
      { enter: 4, at: '2026-01-21T17:00:01Z', deadline: '2026-01-28T17:00:00Z', reason: 'deadline' },
      { outcome: 'notResolved', at: '2026-01-27T10:00:00Z', stage: 4 },
      { escalate: 'notResolved', at: '2026-01-27T10:00:00Z', from: 4, to: 5 },
      { enter: 5, at: '2026-01-27T10:00:01Z', deadline: '2026-02-10T17:00:00Z', reason: 'notResolved' },
      { outcome: 'panelConvened', at: '2026-02-03T10:00:00Z', stage: 5 },
      { enter: 6, at: '2026-02-03T10:00:01Z', deadline: '2026-02-24T17:00:00Z', reason: 'panelConvened' },
      { outcome: 'resolved', at: '2026-02-19T10:00:00Z', stage: 6 },
      { resolved: 6, at: '2026-02-19T10:00:00Z' },
    ],
  },
  {
    reference: R(4), category: 'plans-and-communication', raiser: CSC, other: POLICE, opened: '2026-02-02T11:00:00Z',
    steps: [
      { enter: 1, at: '2026-02-02T11:00:01Z', deadline: '2026-02-09T17:00:00Z' },
      { outcome: 'resolved', at: '2026-02-05T15:00:00Z', stage: 1 },
      { resolved: 1, at: '2026-02-05T15:00:00Z' },
    ],
  },
  {
    reference: R(5), category: 'roles-and-responsibilities', raiser: SCHOOL, other: HEALTH, opened: '2026-02-10T09:00:00Z',
    steps: [
      { enter: 1, at: '2026-02-10T09:00:01Z', deadline: '2026-02-17T17:00:00Z' },
      { deadlinePassed: 1, at: '2026-02-17T17:00:00Z' },
      { escalate: 'deadline', at: '2026-02-17T17:00:00Z', from: 1, to: 2 },
      { enter: 2, at: '2026-02-17T17:00:01Z', deadline: '2026-02-24T17:00:00Z', reason: 'deadline' },
      { deadlinePassed: 2, at: '2026-02-24T17:00:00Z' },
      { escalate: 'deadline', at: '2026-02-24T17:00:00Z', from: 2, to: 3 },
      { enter: 3, at: '2026-02-24T17:00:01Z', deadline: '2026-03-03T17:00:00Z', reason: 'deadline' },
      { outcome: 'notResolved', at: '2026-03-02T12:00:00Z', stage: 3 },
      { escalate: 'notResolved', at: '2026-03-02T12:00:00Z', from: 3, to: 4 },
      { enter: 4, at: '2026-03-02T12:00:01Z', deadline: '2026-03-09T17:00:00Z', reason: 'notResolved' },
      { outcome: 'resolved', at: '2026-03-06T09:00:00Z', stage: 4 },
      { resolved: 4, at: '2026-03-06T09:00:00Z' },
    ],
  },
  {
    // The stage prompts at its deadline rather than escalating, and nobody has answered yet.
    reference: R(6), category: 'levels-of-need', raiser: POLICE, other: SCHOOL, opened: '2026-02-23T10:00:00Z', flags: { childProtectionPlan: true, lookedAfter: true },
    steps: [
      { enter: 1, at: '2026-02-23T10:00:01Z', deadline: '2026-03-02T17:00:00Z' },
      { deadlinePassed: 1, at: '2026-03-02T17:00:00Z' },
      { escalate: 'deadline', at: '2026-03-02T17:00:00Z', from: 1, to: 2 },
      { enter: 2, at: '2026-03-02T17:00:01Z', deadline: '2026-03-09T17:00:00Z', reason: 'deadline' },
      { deadlinePassed: 2, at: '2026-03-09T17:00:00Z' },
    ],
  },
  {
    reference: R(7), category: 'need-for-action', raiser: CSC, other: HEALTH, opened: '2026-03-02T09:30:00Z',
    steps: [
      { enter: 1, at: '2026-03-02T09:30:01Z', deadline: '2026-03-09T17:00:00Z' },
      { outcome: 'resolved', at: '2026-03-03T09:30:00Z', stage: 1 },
      { resolved: 1, at: '2026-03-03T09:30:00Z' },
    ],
  },
  {
    reference: R(3), category: 'levels-of-need', raiser: HEALTH, other: SCHOOL, opened: '2026-03-11T14:00:00Z', flags: { childProtectionPlan: true },
    steps: [
      { enter: 1, at: '2026-03-11T14:00:01Z', deadline: '2026-03-18T17:00:00Z' },
      { outcome: 'notResolved', at: '2026-03-16T10:00:00Z', stage: 1 },
      { escalate: 'notResolved', at: '2026-03-16T10:00:00Z', from: 1, to: 2 },
      { enter: 2, at: '2026-03-16T10:00:01Z', deadline: '2026-03-23T17:00:00Z', reason: 'notResolved' },
    ],
  },
  {
    reference: R(8), category: 'levels-of-need', raiser: SCHOOL, other: CSC, opened: '2026-03-16T13:00:00Z',
    steps: [{ enter: 1, at: '2026-03-16T13:00:01Z', deadline: '2026-03-23T17:00:00Z' }],
  },
  { reference: R(10), category: 'need-for-action', raiser: CSC, other: POLICE, opened: '2026-03-20T11:55:00Z', steps: [] },
];
const hull: Seed = {
  reference: 'HULL-2026-R00001', partnership: 'hull', category: 'levels-of-need', raiser: 'hull-csc', other: 'hull-police', opened: '2026-01-10T10:00:00Z',
  steps: [{ enter: 1, at: '2026-01-10T10:00:01Z', deadline: '2026-01-15T17:00:00Z' }],
};

const stats = (db: Database, filter: DashboardFilter = {}, partnership = 'bromley') => partnershipStats(db, partnership, filter, NOW);

describe.each(databaseKinds)('partnership dashboard (%s)', (kind) => {
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await freshDatabase(kind));
    for (const c of [...bromley, hull]) await seed(db, c);
  });
  afterAll(async () => {
    await drop?.();
  });

  describe('partnershipStats', () => {
    let all: PartnershipStats;
    beforeAll(async () => {
      all = await stats(db);
    });

    it('says what it covers', () => {
      expect(all.partnership).toBe('bromley');
      expect(all.filter).toEqual({ from: null, to: null, agency: null });
      expect(all.generatedAt).toBe(NOW.toISOString());
    });

    it('counts open cases by stage, a just-raised case first', () => {
      // Open: R10 (no stage yet), R8 at stage 1, R3 and R6 at stage 2.
      expect(all.openByStage).toEqual([
        { stage: null, name: null, count: 1 },
        { stage: 1, name: 'Discuss with the other worker', count: 1 },
        { stage: 2, name: 'Escalate to line manager', count: 2 },
      ]);
    });

    it('counts an open case for both its agencies', () => {
      // R3 health+school, R6 police+school, R8 school+csc, R10 csc+police.
      expect(all.openByAgency).toEqual([
        { agencyId: SCHOOL, count: 3 },
        { agencyId: CSC, count: 2 },
        { agencyId: POLICE, count: 2 },
        { agencyId: HEALTH, count: 1 },
      ]);
    });

    it('lists open cases past their deadline, and not another partnership’s', () => {
      // R6's stage 2 deadline (9 March) has passed; R3 and R8 are due 23 March; Hull's is not ours.
      expect(all.overdue).toEqual([{ reference: R(6), stage: 2, name: 'Escalate to line manager', deadline: '2026-03-09T17:00:00.000Z' }]);
    });

    it('counts cases and resolutions by category', () => {
      expect(all.byCategory).toEqual([
        { category: 'levels-of-need', total: 4, resolved: 1 }, // R1 resolved; R3, R6, R8 open
        { category: 'need-for-action', total: 3, resolved: 2 }, // R2, R7 resolved; R10 open
        { category: 'plans-and-communication', total: 1, resolved: 1 }, // R4
        { category: 'roles-and-responsibilities', total: 2, resolved: 2 }, // R5, R9
      ]);
    });

    it('counts the highest stage each case entered', () => {
      // 1: R1, R4, R7, R8; 2: R3, R6; 3: R2; 4: R5; 6 (the panel): R9. R10 has entered none.
      expect(all.byStageReached).toEqual([
        { stage: 1, count: 4 },
        { stage: 2, count: 2 },
        { stage: 3, count: 1 },
        { stage: 4, count: 1 },
        { stage: 6, count: 1 },
      ]);
    });

    it('counts escalations by why they happened', () => {
      // deadline: R2 1, R5 2, R6 1, R9 1 = 5. notResolved: R2 1, R3 1, R5 1, R9 3 = 6. Panel: R9.
      expect(all.escalations).toEqual({ deadline: 5, notResolved: 6, panelConvened: 1 });
    });

    it('gives the median and 90th percentile days to resolve', () => {
      // Sorted days: 1.0 (R7), 2.0 (R1), 3.1667 (R4), 14.0 (R2), 24.0 (R5), 42.0 (R9); n = 6.
      // Median at position (n-1)*0.5 = 2.5: 3.1667 + 0.5*(14 - 3.1667) = 8.5833 -> 8.6.
      // 90th at position (n-1)*0.9 = 4.5: 24 + 0.5*(42 - 24) = 33.0.
      expect(all.resolution).toEqual({ count: 6, medianDays: 8.6, p90Days: 33 });
    });

    it('counts each month from the first case to now, opened and resolved', () => {
      // Opened: Jan R1 R2 R9; Feb R4 R5 R6; Mar R3 R7 R8 R10.
      // Resolved (by closing date): Jan R1 R2; Feb R4 R9; Mar R5 R7.
      expect(all.monthly).toEqual([
        { month: '2026-01', opened: 3, resolved: 2 },
        { month: '2026-02', opened: 3, resolved: 2 },
        { month: '2026-03', opened: 4, resolved: 2 },
      ]);
    });

    it('holds no personal data', () => {
      const text = JSON.stringify(all);
      for (const secret of ['Ann', 'Bob', 'example.org', 'NHS 943', 'Sam Smith', 'bruising', 'Acacia']) expect(text).not.toContain(secret);
    });

    it('filters by the dates cases were opened, in a cohort', async () => {
      // February: R4, R5, R6.
      const feb = await stats(db, { from: '2026-02-01', to: '2026-02-28' });
      expect(feb.filter).toEqual({ from: '2026-02-01', to: '2026-02-28', agency: null });
      expect(feb.openByStage).toEqual([{ stage: 2, name: 'Escalate to line manager', count: 1 }]);
      expect(feb.openByAgency).toEqual([
        { agencyId: SCHOOL, count: 1 },
        { agencyId: POLICE, count: 1 },
      ]);
      expect(feb.overdue.map((o) => o.reference)).toEqual([R(6)]);
      expect(feb.byCategory).toEqual([
        { category: 'levels-of-need', total: 1, resolved: 0 },
        { category: 'plans-and-communication', total: 1, resolved: 1 },
        { category: 'roles-and-responsibilities', total: 1, resolved: 1 },
      ]);
      expect(feb.byStageReached).toEqual([
        { stage: 1, count: 1 },
        { stage: 2, count: 1 },
        { stage: 4, count: 1 },
      ]);
      // deadline: R5 2, R6 1. notResolved: R5 1.
      expect(feb.escalations).toEqual({ deadline: 3, notResolved: 1, panelConvened: 0 });
      // Days: 3.1667 (R4), 24.0 (R5). Median (3.1667 + 24) / 2 = 13.5833 -> 13.6.
      // 90th at position 0.9: 3.1667 + 0.9*(24 - 3.1667) = 21.9167 -> 21.9.
      expect(feb.resolution).toEqual({ count: 2, medianDays: 13.6, p90Days: 21.9 });
      // Only the range's months; R5 was resolved in March, outside it.
      expect(feb.monthly).toEqual([{ month: '2026-02', opened: 3, resolved: 1 }]);
    });

    it('includes the whole of the last day', async () => {
      // R8 was opened at 13:00 on 16 March.
      const day = await stats(db, { from: '2026-03-16', to: '2026-03-16' });
      expect(day.byCategory).toEqual([{ category: 'levels-of-need', total: 1, resolved: 0 }]);
      const before = await stats(db, { to: '2026-03-15' });
      // Up to 15 March: all but R8 (16 March) and R10 (20 March).
      expect(before.byCategory.reduce((n, c) => n + c.total, 0)).toBe(8);
    });

    it('filters by an agency on either side', async () => {
      // Police on either side: R2, R4, R6, R9, R10.
      const police = await stats(db, { agency: POLICE });
      expect(police.openByStage).toEqual([
        { stage: null, name: null, count: 1 },
        { stage: 2, name: 'Escalate to line manager', count: 1 },
      ]);
      // R6 police+school, R10 csc+police.
      expect(police.openByAgency).toEqual([
        { agencyId: POLICE, count: 2 },
        { agencyId: CSC, count: 1 },
        { agencyId: SCHOOL, count: 1 },
      ]);
      expect(police.byCategory).toEqual([
        { category: 'levels-of-need', total: 1, resolved: 0 },
        { category: 'need-for-action', total: 2, resolved: 1 },
        { category: 'plans-and-communication', total: 1, resolved: 1 },
        { category: 'roles-and-responsibilities', total: 1, resolved: 1 },
      ]);
      // deadline: R2 1, R6 1, R9 1. notResolved: R2 1, R9 3.
      expect(police.escalations).toEqual({ deadline: 3, notResolved: 4, panelConvened: 1 });
      // Days: 3.1667 (R4), 14 (R2), 42 (R9). Median 14.0. 90th at position 1.8: 14 + 0.8*(42 - 14) = 36.4.
      expect(police.resolution).toEqual({ count: 3, medianDays: 14, p90Days: 36.4 });
      expect(police.monthly).toEqual([
        { month: '2026-01', opened: 2, resolved: 1 },
        { month: '2026-02', opened: 2, resolved: 2 },
        { month: '2026-03', opened: 1, resolved: 0 },
      ]);
    });

    it('gives zeros and nulls, and still this month, when nothing matches', async () => {
      const none = await stats(db, { agency: 'nobody-here' });
      expect(none).toMatchObject({
        openByStage: [],
        openByAgency: [],
        overdue: [],
        byCategory: [],
        byStageReached: [],
        escalations: { deadline: 0, notResolved: 0, panelConvened: 0 },
        resolution: { count: 0, medianDays: null, p90Days: null },
        monthly: [{ month: '2026-03', opened: 0, resolved: 0 }],
      });
    });

    it('zero-fills every month of the range', async () => {
      const range = await stats(db, { from: '2025-11-15', to: '2026-04-30' });
      expect(range.monthly.map((m) => [m.month, m.opened, m.resolved])).toEqual([
        ['2025-11', 0, 0],
        ['2025-12', 0, 0],
        ['2026-01', 3, 2],
        ['2026-02', 3, 2],
        ['2026-03', 4, 2],
        ['2026-04', 0, 0],
      ]);
    });

    it('keeps days and months in the partnership’s time zone', async () => {
      // 23:30 UTC on 30 June is 00:30 BST on 1 July.
      await seed(db, { reference: 'TZ-2026-R00001', partnership: 'summer', category: 'levels-of-need', raiser: SCHOOL, other: CSC, opened: '2026-06-30T23:30:00Z', steps: [] });
      const at = new Date('2026-07-15T12:00:00Z');
      const london = await partnershipStats(db, 'summer', { from: '2026-07-01', to: '2026-07-31' }, at, { timeZone: 'Europe/London' });
      expect(london.monthly).toEqual([{ month: '2026-07', opened: 1, resolved: 0 }]);
      const june = await partnershipStats(db, 'summer', { to: '2026-06-30' }, at, { timeZone: 'Europe/London' });
      expect(june.byCategory).toEqual([]);
      const utc = await partnershipStats(db, 'summer', {}, at, { timeZone: 'UTC' });
      expect(utc.monthly).toEqual([
        { month: '2026-06', opened: 1, resolved: 0 },
        { month: '2026-07', opened: 0, resolved: 0 },
      ]);
    });
  });

  describe('the open cases and the flags', () => {
    it('lists every open case (not only the overdue one), nearest deadline first, and marks the overdue', async () => {
      const all = await stats(db);
      expect(all.openCases.map((c) => [c.reference, c.stage, c.overdue])).toEqual([
        [R(6), 2, true],
        [R(3), 2, false],
        [R(8), 1, false],
        [R(10), null, false],
      ]);
      expect(all.openCases[0].flags).toEqual({ childProtectionPlan: true, lookedAfter: true, immediateHarm: false });
    });

    it('counts each flag over all the cases and the open ones', async () => {
      expect((await stats(db)).flags).toEqual([
        { flag: 'childProtectionPlan', label: 'Child protection plan', all: 3, open: 2 },
        { flag: 'lookedAfter', label: 'Looked after child', all: 1, open: 1 },
        { flag: 'immediateHarm', label: 'Thought to be at risk of immediate harm', all: 1, open: 0 },
      ]);
      expect((await stats(db, { from: '2026-03-01' })).flags.map((f) => f.all)).toEqual([1, 0, 0]);
    });
  });

  describe('casesToCsv', () => {
    const pack = () => loadPolicyRegistry().get('bromley')!;

    it('writes one row per case with the columns a spreadsheet user expects: names, dd/mm/yyyy dates, Yes and No, never ids', async () => {
      const csv = casesToCsv(await partnershipCaseLines(db, 'bromley', {}, NOW), pack(), NOW);
      expect(csv.endsWith('\r\n')).toBe(true);
      const rows = parseCsv(csv);
      expect(rows[0]).toEqual([
        'Reference', 'Partnership', 'Raised on', 'Raising agency', 'Other agency', 'About', 'Stage', 'Stage name', 'Highest stage reached',
        'Status', 'Deadline', 'Overdue', 'Child protection plan', 'Looked after child', 'Thought to be at risk of immediate harm', 'Closed on', 'Days open',
      ]);
      expect(rows.slice(1).map((r) => r[0]).sort()).toEqual(bromley.map((c) => c.reference).sort());
      expect(rows.every((r) => r.length === rows[0].length)).toBe(true);
      const byRef = (ref: string) => Object.fromEntries(rows[0].map((h, i) => [h, rows.find((r) => r[0] === ref)![i]]));
      expect(byRef(R(6))).toEqual({
        Reference: R(6),
        Partnership: 'Bromley Safeguarding Children Partnership',
        'Raised on': '23/02/2026',
        'Raising agency': expect.stringMatching(/Police/),
        'Other agency': 'Hillside Primary School',
        About: 'Levels of need',
        Stage: '2',
        'Stage name': 'Escalate to line manager',
        'Highest stage reached': '2',
        Status: 'Open',
        Deadline: '09/03/2026',
        Overdue: 'Yes',
        'Child protection plan': 'Yes',
        'Looked after child': 'Yes',
        'Thought to be at risk of immediate harm': 'No',
        'Closed on': '',
        'Days open': '25',
      });
      expect(byRef(R(1))).toMatchObject({ Status: 'Resolved', 'Closed on': '07/01/2026', Deadline: '', Overdue: 'No', 'Days open': '2', 'Thought to be at risk of immediate harm': 'Yes' });
      expect(byRef(R(10))).toMatchObject({ Stage: '', 'Stage name': '', Status: 'Open', Deadline: '', Overdue: 'No' });
      // No ids and nothing personal.
      for (const id of [SCHOOL, CSC, POLICE, HEALTH, 'levels-of-need', 'bromley,', 'open,', 'true', 'false']) expect(csv).not.toContain(id);
      for (const personal of ['Ann Teacher', 'ann.teacher', 'Sam Smith', '943 476 5919']) expect(csv).not.toContain(personal);
      expect(csv).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    });

    it('quotes commas and quotes, and keeps formula-like text as text', async () => {
      const [line] = await partnershipCaseLines(db, 'bromley', {}, NOW);
      const odd = { ...pack(), name: 'Talk, then "agree"', categories: [{ id: line.category, label: '=HYPERLINK("x")' }] } as ReturnType<typeof pack>;
      const csv = casesToCsv([line], odd, NOW);
      expect(csv).toContain(',"Talk, then ""agree""",');
      expect(parseCsv(csv)[1][5]).toBe(`'=HYPERLINK("x")`);
    });
  });

  describe('monthlyChartSvg', () => {
    it('draws an accessible, well-formed bar per month per series', async () => {
      const svg = monthlyChartSvg((await stats(db)).monthly);
      expect(svg).toMatch(/^<svg [^>]*role="img"/);
      expect(svg).toMatch(/aria-labelledby="monthly-chart-title monthly-chart-desc"/);
      expect(svg).toContain('<title id="monthly-chart-title">Cases opened and resolved each month</title>');
      expect(svg).toContain('January 2026: 3 opened, 2 resolved.');
      expect(svg).toContain('March 2026: 4 opened, 2 resolved.');
      expect(svg.match(/class="bar bar-opened"/g)).toHaveLength(3);
      expect(svg.match(/class="bar bar-resolved"/g)).toHaveLength(3);
      expect(svg.match(/fill="#1d70b8"/g)!.length).toBeGreaterThanOrEqual(4); // three bars and the legend
      expect(svg.match(/fill="#00703c"/g)!.length).toBeGreaterThanOrEqual(4);
      expect(svg).toContain('>Opened</text>');
      expect(svg).toMatch(/>Jan<\/tspan><tspan [^>]*>2026<\/tspan>/);
      expectWellFormed(svg);
    });

    it('scales bars to the largest month', () => {
      const svg = monthlyChartSvg([
        { month: '2026-01', opened: 10, resolved: 5 },
        { month: '2026-02', opened: 0, resolved: 0 },
      ]);
      const heights = [...svg.matchAll(/class="bar bar-(\w+)" data-month="([\d-]+)"[^>]* height="([\d.]+)"/g)].map((m) => [m[1], m[2], Number(m[3])]);
      expect(heights).toEqual([
        ['opened', '2026-01', 200],
        ['resolved', '2026-01', 100],
        ['opened', '2026-02', 0],
        ['resolved', '2026-02', 0],
      ]);
      expectWellFormed(svg);
    });

    it('escapes what it is given and copes with no months', () => {
      const svg = monthlyChartSvg([], 'chart"<&>');
      expect(svg).toContain('id="chart&#34;&#60;&#38;&#62;-title"');
      expect(svg).toContain('No months to show');
      expect(svg).not.toContain('class="bar');
      expectWellFormed(svg);
    });
  });

  describe('dashboardRouter', () => {
    let server: Server;
    let base: string;
    let readKey = '';
    const get = (path: string) => fetch(`${base}${path}`, { headers: bearer(readKey) });

    beforeAll(async () => {
      // The app's view setup, in brief: our views, GOV.UK Frontend's, and the helpers they use.
      const app = express();
      const govuk = join(require.resolve('govuk-frontend/package.json'), '..', 'dist');
      const views = nunjucks.configure([join(__dirname, '..', '..', 'api', 'views'), govuk], { autoescape: true, express: app });
      addViewHelpers(views);
      app.set('view engine', 'njk');
      app.use(express.json());
      // The API's numbers need a read key of the partnership, as api/app.ts mounts it.
      app.use('/api', apiClientAuth({ db }));
      app.use(dashboardRouter({ db, policies: loadPolicyRegistry() }, { now: () => NOW }));
      readKey = (await createApiClient(db, { partnership: 'bromley', scope: 'read', name: 'Bromley dashboard test' })).key;
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
    });

    it('answers the numbers as JSON', async () => {
      const res = await get('/api/partnerships/bromley/stats');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body: any = await res.json();
      expect(body.resolution).toEqual({ count: 6, medianDays: 8.6, p90Days: 33 });
      expect(body.overdue).toHaveLength(1);
    });

    it('applies the filter from the query string', async () => {
      const res = await get(`/api/partnerships/bromley/stats?from=2026-02-01&to=2026-02-28&agency=`);
      expect(res.status).toBe(200);
      const body: any = await res.json();
      expect(body.filter).toEqual({ from: '2026-02-01', to: '2026-02-28', agency: null });
      expect(body.resolution.medianDays).toBe(13.6);
    });

    it('refuses a bad filter with problem details naming each field', async () => {
      const res = await get('/api/partnerships/bromley/stats?from=not-a-date&agency=Not%20An%20Id');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body: any = await res.json();
      expect(body).toMatchObject({ status: 400, title: expect.any(String) });
      expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['agency', 'from']);

      const backwards: any = await (await get('/api/partnerships/bromley/stats?from=2026-03-01&to=2026-02-01')).json();
      expect(backwards.errors).toEqual([{ path: 'to', message: expect.stringMatching(/after the from date/) }]);
      const stranger = await get(`/api/partnerships/bromley/stats?agency=hull-police`);
      expect(stranger.status).toBe(400);
      expect(((await stranger.json()) as any).errors).toEqual([{ path: 'agency', message: expect.stringMatching(/not an agency in the Bromley/) }]);
    });

    it('answers 404 for a partnership it does not know', async () => {
      const api = await get('/api/partnerships/atlantis/stats');
      expect(api.status).toBe(404);
      expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await api.json()) as any).title).toBe('No such partnership');
      expect((await get('/api/partnerships/atlantis/stats.csv')).status).toBe(404);
      const page = await get('/partnerships/atlantis/dashboard');
      expect(page.status).toBe(404);
      expect(await page.text()).toContain('Page not found');
    });

    it('downloads the numbers as CSV', async () => {
      const res = await get(`/api/partnerships/bromley/stats.csv?agency=${POLICE}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="?bromley-escalations-2026-03-20\.csv"?$/);
      const rows = parseCsv(await res.text());
      expect(rows[0].slice(0, 3)).toEqual(['Reference', 'Partnership', 'Raised on']);
      // The filter applies: only the cases with the police on either side.
      expect(rows.slice(1).map((r) => r[0]).sort()).toEqual(bromley.filter((c) => c.raiser === POLICE || c.other === POLICE).map((c) => c.reference).sort());
    });

    it('shows the dashboard page with the chart and the export links', async () => {
      const res = await get('/partnerships/bromley/dashboard?from=2026-02-01&to=2026-02-28');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain('Escalations dashboard');
      expect(html).toMatch(/<svg [^>]*role="img"/);
      expect(html).toContain('Escalate to line manager');
      expect(html).toContain('Hillside Primary School'); // agency names, not ids
      expect(html).toContain('Progressing plans and communication'); // category labels, not ids
      expect(html).toContain('13.6 days');
      expect(html).toContain('href="/api/partnerships/bromley/stats.csv?from=2026-02-01&amp;to=2026-02-28"');
      expect(html).toContain('href="/api/partnerships/bromley/stats?from=2026-02-01&amp;to=2026-02-28"');
      expect(html).toContain(`href="/cases/${R(6)}"`);
      // Every open case of the cohort is listed with drill-down, the overdue one tagged; flags are counted.
      const open = html.slice(html.indexOf('id="open-cases"'), html.indexOf('id="flags"'));
      expect(open).toContain(`href="/cases/${R(6)}"`);
      expect(open).toContain('Overdue');
      expect(open).toContain('Child protection plan; Looked after child');
      expect(html).toMatch(/id="flags"[\s\S]*Child protection plan[\s\S]*href="\/partnerships\/bromley\/cases\?from=2026-02-01&amp;to=2026-02-28&amp;status=open&amp;flag=childProtectionPlan"/);
      expect(html).toMatch(/<input[^>]*id="from"[^>]*value="2026-02-01"/);
      expect(html).not.toContain('Ann Teacher');
    });

    it('shows a bad filter as an error summary on the form, with what was typed', async () => {
      const res = await get(`/partnerships/bromley/dashboard?from=not-a-date&agency=${POLICE}`);
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('govuk-error-summary');
      expect(html).toContain('There is a problem');
      expect(html).toContain('href="#from"');
      expect(html).toContain('<a href="#from">Opened from must be a date in the form YYYY-MM-DD</a>');
      expect(html).toMatch(/<p id="from-error" class="govuk-error-message">\s*<span class="govuk-visually-hidden">Error:<\/span> Opened from must be a date/);
      expect(html).toContain('<title>Error: Escalations dashboard');
      expect(html).toMatch(/<input[^>]*id="from"[^>]*value="not-a-date"/);
      expect(html).toMatch(new RegExp(`<option value="${POLICE}" selected>`));
      expect(html).not.toContain('<svg');
    });
  });
});

describe('dashboardFilterSchema', () => {
  it('reads the query string, a blank field meaning no filter', () => {
    expect(dashboardFilterSchema.parse({ from: '2026-01-01', to: '', agency: 'bromley-csc', page: '2' })).toEqual({ from: '2026-01-01', agency: 'bromley-csc' });
    expect(dashboardFilterSchema.parse({})).toEqual({});
  });

  it.each([
    [{ from: '2026-02-30' }, 'from'],
    [{ to: '20260101' }, 'to'],
    [{ from: ['2026-01-01', '2026-02-01'] }, 'from'],
    [{ from: '1066-10-14' }, 'from'],
    [{ from: '2026-02-01', to: '2026-01-31' }, 'to'],
    [{ agency: 'Bromley CSC' }, 'agency'],
  ])('names the field for %j', (input, path) => {
    const result = dashboardFilterSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual([path]);
  });
});

/** RFC 4180 reading, enough to check the export: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

/** Every tag closed in order, one root, and no bare ampersand or angle bracket in text. */
function expectWellFormed(svg: string) {
  const stack: string[] = [];
  let roots = 0;
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  const text = svg.replace(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g, '');
  expect(text).not.toMatch(/[<>]/);
  expect(svg).not.toMatch(/&(?!#\d+;|[a-z]+;)/);
}
