/**
 * Cases for "My cases" and the partnership's list (api/routes/home.ts), written the way the
 * workflow writes them (the case row, its invitations in `notifications`, decisions in the
 * record), with deadlines around the real clock so "overdue" is judged by the app's own now.
 */
import type { Database } from '../../db/database';
import { appendEvent } from '../../db/record';

export const ANN = 'ann.teacher@example.org'; // a school's practitioner in Bromley
export const BOB = 'bob.sw@example.org'; // a social worker, the other side of Ann's first case
export const TARA = 'csc.team.manager@example.org'; // children's social care's line manager (directory)
export const CHILD_REFERENCE = 'NHS 943 476 5919';
export const DESCRIPTION = 'Sam Smith was sent home from school with bruising';

const DAY = 86_400_000;
export const B = (n: number) => `BSCP-2026-H${String(n).padStart(5, '0')}`;
export const H1 = 'HSCP-2026-H00001';

interface Seed {
  reference: string;
  partnership: string;
  raiser: { email: string; agencyId: string };
  other: { email: string; agencyId: string };
  status?: string;
  stage?: number;
  stageName?: string;
  /** Days from now: negative is past. */
  deadlineDays?: number;
  flags?: Partial<Record<'childProtectionPlan' | 'lookedAfter' | 'immediateHarm', boolean>>;
  invited?: { email: string; recipientId: string; role: string; stage: number }[];
  decided?: { recipientId: string; role: string; stage: number }[];
}

async function seed(db: Database, c: Seed, now: number, index: number) {
  const flags = { childProtectionPlan: false, lookedAfter: false, immediateHarm: false, ...c.flags };
  const opened = new Date(now - 20 * DAY + index * 60_000).toISOString();
  const status = c.status ?? 'open';
  await db.query(
    `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags,
                        status, current_stage, stage_name, stage_deadline, opened_at, closed_at)
     VALUES ($1, $2, '1.5', 'levels-of-need', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      c.reference,
      c.partnership,
      JSON.stringify({ name: 'Ann Teacher', ...c.raiser }),
      JSON.stringify({ name: 'Bob Social-Worker', ...c.other }),
      CHILD_REFERENCE,
      DESCRIPTION,
      JSON.stringify(flags),
      status,
      status === 'open' ? (c.stage ?? null) : null,
      status === 'open' ? (c.stageName ?? null) : null,
      status === 'open' && c.deadlineDays !== undefined ? new Date(now + c.deadlineDays * DAY).toISOString() : null,
      opened,
      status === 'open' ? null : new Date(now - DAY).toISOString(),
    ],
  );
  let seq = 0;
  await appendEvent(db, { reference: c.reference, seq: seq++, type: 'opened', at: opened, detail: { category: 'levels-of-need' } });
  for (const [i, n] of (c.invited ?? []).entries()) {
    await db.query(
      `INSERT INTO notifications (key, reference, kind, stage, recipient_id, recipient_role, email, created_at, sent_at)
       VALUES ($1, $2, 'stageInvitation', $3, $4, $5, $6, $7, $7)`,
      [`${c.reference}:${n.stage}:${n.recipientId}:${i}`, c.reference, n.stage, n.recipientId, n.role, n.email, opened],
    );
  }
  for (const d of c.decided ?? []) {
    await appendEvent(db, { reference: c.reference, seq: seq++, type: 'outcomeRecorded', at: opened, stage: d.stage, actor: d.recipientId, detail: { role: d.role, outcome: 'notResolved', reasons: 'Not agreed' } });
  }
}

const SCHOOL = 'hillside-primary';
const CSC = 'bromley-csc';
const POLICE = 'met-police-sn';
const HEALTH = 'bromley-health';

/**
 *   B1  Ann (school) -> Bob (CSC), stage 2, due in 5 days, child protection plan; Tara invited, not decided
 *   B2  Ann (school) -> police, stage 1, 3 days overdue, immediate harm; Ann invited, not decided
 *   B3  police -> Bob (CSC), stage 2, due in 2 days; Tara invited and has decided
 *   B4  health -> school, resolved, looked after; nobody above told
 *   B5..B28  health -> police, resolved (for paging)
 *   H1  Hull: Ann is not in it
 */
export async function seedHomeCases(db: Database, now = Date.now()) {
  const cases: Seed[] = [
    {
      reference: B(1), partnership: 'bromley', raiser: { email: ANN, agencyId: SCHOOL }, other: { email: BOB, agencyId: CSC },
      stage: 2, stageName: 'Escalate to line manager', deadlineDays: 5, flags: { childProtectionPlan: true },
      invited: [{ email: TARA, recipientId: 'other.lineManager.0', role: 'lineManager', stage: 2 }],
    },
    {
      reference: B(2), partnership: 'bromley', raiser: { email: ANN, agencyId: SCHOOL }, other: { email: 'pc.officer@example.org', agencyId: POLICE },
      stage: 1, stageName: 'Discuss with the other worker', deadlineDays: -3.2, flags: { immediateHarm: true },
      invited: [{ email: ANN, recipientId: 'raiser.worker.0', role: 'worker', stage: 1 }],
    },
    {
      reference: B(3), partnership: 'bromley', raiser: { email: 'pc.officer@example.org', agencyId: POLICE }, other: { email: BOB, agencyId: CSC },
      stage: 2, stageName: 'Escalate to line manager', deadlineDays: 2,
      invited: [{ email: TARA, recipientId: 'other.lineManager.0', role: 'lineManager', stage: 2 }],
      decided: [{ recipientId: 'other.lineManager.0', role: 'lineManager', stage: 2 }],
    },
    {
      reference: B(4), partnership: 'bromley', raiser: { email: 'hv@example.org', agencyId: HEALTH }, other: { email: 'dsl@example.org', agencyId: SCHOOL },
      status: 'resolved', flags: { lookedAfter: true },
    },
    ...Array.from({ length: 24 }, (_, i): Seed => ({
      reference: B(5 + i), partnership: 'bromley', raiser: { email: 'hv@example.org', agencyId: HEALTH }, other: { email: 'pc.officer@example.org', agencyId: POLICE }, status: 'resolved',
    })),
    {
      reference: H1, partnership: 'hull', raiser: { email: 'hull.worker@example.org', agencyId: 'riverside-primary' }, other: { email: 'hull.sw@example.org', agencyId: 'hull-childrens-social-care' },
      stage: 1, stageName: 'Practitioner to practitioner', deadlineDays: 1,
    },
  ];
  for (const [i, c] of cases.entries()) await seed(db, c, now, i);
}
