/**
 * A home for each person (issue 11): "My cases" for anyone signed in, and every case of a
 * partnership for its admins, with search, filters and paging. A list is not a read of a case's
 * file: it shows the reference, stage, deadline, status and agencies only (never the description,
 * the child's reference or anyone's name), so listing records nothing in case_reads; opening a
 * case (/cases/<reference>) goes through the case's access rule and is recorded there.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import type { PolicyPack } from '../../shared/policy/schema';
import { describeDeadline } from '../../shared/calendar/workingTime';
import { requirePerson } from '../identity/access';
import { principalOf } from '../identity/principal';
import { statusTitle as statusLabel, STATUSES } from '../../shared/presentation/labels';
import type { CaseStatus } from '../../shared/contract';
import { lateBy, overdueSql, overdueWords } from '../../shared/overdue';

export interface HomeRouterOptions {
  /** The clock that decides what is overdue; tests fix it. */
  now?: () => Date;
}

/** One row of a list: nothing that identifies a child or says what the disagreement is about. */
export interface CaseRow {
  reference: string;
  partnershipId: string;
  status: string;
  stage: number | null;
  stageName: string | null;
  deadline: Date | null;
  /** When the stage's clock was paused; null while it runs. */
  pausedAt?: Date | null;
  openedAt: Date;
  raiserAgency: string | null;
  otherAgency: string | null;
  side?: 'raiser' | 'other' | null;
  awaitingMe?: boolean;
}

/** What a list shows for a row: words, not ids. */
export interface ShownRow {
  reference: string;
  status: { label: string; tag: string };
  stage: string;
  deadline: string;
  overdue: string | null;
  /** The stage's clock is paused: not overdue while it is. */
  paused: boolean;
  otherSide: string;
  awaitingMe: boolean;
  partnership: string;
}

const blank = (value: unknown) => (value === '' ? undefined : value);

/** Overdue, the one definition (shared/overdue.ts) the dashboard counts by too; used by both lists. */
const OVERDUE_SQL = overdueSql('c', '$now');

const COLUMNS = `c.reference, c.partnership_id AS "partnershipId", c.status, c.current_stage AS stage, c.stage_name AS "stageName",
  c.stage_deadline AS deadline, c.clock_paused_at AS "pausedAt", c.opened_at AS "openedAt",
  c.raiser->>'agencyId' AS "raiserAgency", c.other_party->>'agencyId' AS "otherAgency"`;

/**
 * The signed-in person's cases, by the same facts as the access rule (caseFactsFor): a party, or
 * anyone emailed about the case, from that email on. "Awaiting me": the case is open and I was
 * invited to decide its current stage under a recipient id that has not recorded an outcome there.
 */
/** My cases come a page at a time, what awaits the person and the overdue first (issue 11: once only the first 500). */
export const MY_CASES_PAGE_SIZE = 25;

/** The person's cases: three index look-ups (db/migrations/0010_my_cases.sql, notifications_email), not a scan. */
const MINE = `(SELECT reference FROM cases WHERE lower(raiser->>'email') = $1
        UNION SELECT reference FROM cases WHERE lower(other_party->>'email') = $1
        UNION SELECT reference FROM notifications WHERE lower(email) = $1 AND created_at <= $2::timestamptz)`;

const MY_CASES_COUNT = `SELECT count(*)::int AS n FROM ${MINE} mine WHERE $2::timestamptz IS NOT NULL`;

const MY_CASES = `
  SELECT ${COLUMNS},
    -- My side: a party's own, or the side an email to me was for (recipient ids start raiser. or other.).
    CASE WHEN lower(c.raiser->>'email') = $1 THEN 'raiser' WHEN lower(c.other_party->>'email') = $1 THEN 'other'
         ELSE (SELECT split_part(n.recipient_id, '.', 1) FROM notifications n
                WHERE n.reference = c.reference AND lower(n.email) = $1 AND split_part(n.recipient_id, '.', 1) IN ('raiser', 'other')
                ORDER BY n.stage DESC, n.created_at DESC LIMIT 1) END AS side,
    (c.status = 'open' AND c.current_stage IS NOT NULL AND EXISTS (
      SELECT 1 FROM notifications n
       WHERE n.reference = c.reference AND lower(n.email) = $1 AND n.kind = 'stageInvitation' AND n.stage = c.current_stage
         AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.reference = c.reference AND e.type IN ('outcomeRecorded', 'outcomeProposed', 'outcomeConfirmed', 'outcomeDisputed')
                                                       AND e.stage = c.current_stage AND e.actor = n.recipient_id)
         -- Nor a stage I handed to someone else ("I'm not the right person").
         AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.reference = c.reference AND e.type = 'handedOver'
                                                       AND e.stage = c.current_stage AND e.actor = n.recipient_id))) AS "awaitingMe"
  FROM cases c
  JOIN ${MINE} mine ON mine.reference = c.reference
  ORDER BY "awaitingMe" DESC, ${OVERDUE_SQL.replace('$now', '$2')} DESC, (c.status = 'open') DESC,
           c.stage_deadline ASC NULLS LAST, c.opened_at DESC, c.reference
  LIMIT $3::int OFFSET $4::int`;

/** My cases' query string: only a page number. */
export const myCasesQuerySchema = z.object({
  page: z.preprocess(blank, z.coerce.number({ error: 'must be a page number' }).int('must be a page number').min(1, 'must be a page number').max(100000, 'must be a page number').default(1)),
});

const isoDate = z.preprocess(blank, z.iso.date({ error: 'must be a date in the form YYYY-MM-DD' }).optional());

/** The admin list's query string: every field optional; a blank form field means "any". */
export const caseListFilterSchema = z.object({
  q: z.preprocess(blank, z.string().trim().max(40, 'must be 40 characters or fewer').regex(/^[A-Za-z0-9-]*$/, 'must only include letters, numbers and hyphens').optional()),
  status: z.preprocess(blank, z.enum(Object.keys(STATUSES) as [CaseStatus, ...CaseStatus[]], { error: 'must be one of the statuses listed' }).optional()),
  stage: z.preprocess(blank, z.coerce.number({ error: 'must be a stage number' }).int('must be a stage number').min(1, 'must be a stage number').max(20, 'must be a stage number').optional()),
  agency: z.preprocess(blank, z.string().regex(/^[a-z][a-zA-Z0-9-]*$/, 'must be an agency in the directory').optional()),
  overdue: z.preprocess(blank, z.literal('yes', { error: 'must be yes or blank' }).optional()),
  flag: z.preprocess(
    (v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]),
    z.array(z.enum(['childProtectionPlan', 'lookedAfter', 'immediateHarm'], { error: 'must be one of the flags listed' })),
  ),
  from: isoDate,
  to: isoDate,
  page: z.preprocess(blank, z.coerce.number({ error: 'must be a page number' }).int('must be a page number').min(1, 'must be a page number').max(100000, 'must be a page number').default(1)),
});

export type CaseListFilter = z.output<typeof caseListFilterSchema>;

export const PAGE_SIZE = 25;

/** Every case of one partnership, filtered; the total for paging. Parameters are named, then numbered. */
export async function partnershipCases(deps: Pick<AppDeps, 'db'>, pack: PolicyPack, filter: CaseListFilter, now: Date): Promise<{ rows: CaseRow[]; total: number }> {
  const params: unknown[] = [pack.id];
  const where = ['c.partnership_id = $1'];
  const add = (value: unknown) => (params.push(value), `$${params.length}`);
  const overdue = (at: string) => OVERDUE_SQL.replace('$now', at);
  if (filter.q) where.push(`c.reference ILIKE ${add(`%${filter.q.replace(/[\\%_]/g, '\\$&')}%`)}`);
  if (filter.status) where.push(`c.status = ${add(filter.status)}::text`);
  if (filter.stage) where.push(`c.current_stage = ${add(filter.stage)}::int`);
  if (filter.agency) {
    const p = add(filter.agency);
    where.push(`(c.raiser->>'agencyId' = ${p}::text OR c.other_party->>'agencyId' = ${p}::text)`);
  }
  if (filter.overdue) where.push(overdue(add(now.toISOString())));
  for (const flag of filter.flag) where.push(`(c.flags->>${add(flag)}::text)::boolean IS TRUE`);
  // The dashboard's cohort: days in the partnership's time zone, as api/dashboard.ts counts them.
  if (filter.from || filter.to) {
    const zone = add(pack.calendar.timeZone);
    if (filter.from) where.push(`c.opened_at >= ${add(filter.from)}::date::timestamp AT TIME ZONE ${zone}::text`);
    if (filter.to) where.push(`c.opened_at < (${add(filter.to)}::date + 1)::timestamp AT TIME ZONE ${zone}::text`);
  }
  const clause = where.join(' AND ');
  const total = await deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases c WHERE ${clause}`, [...params]);
  const at = add(now.toISOString());
  const limit = add(PAGE_SIZE);
  const offset = add((filter.page - 1) * PAGE_SIZE);
  const { rows } = await deps.db.query<CaseRow>(
    `SELECT ${COLUMNS} FROM cases c WHERE ${clause}
      ORDER BY ${overdue(at)} DESC, (c.status = 'open') DESC, c.stage_deadline ASC NULLS LAST, c.opened_at DESC, c.reference
      LIMIT ${limit}::int OFFSET ${offset}::int`,
    params,
  );
  return { rows, total: total.rows[0]?.n ?? 0 };
}

/** How late, in whole days or hours (shared/overdue.ts): "3 days late", "5 hours late". */
export const lateness = lateBy;

/** A row in words, against the pack the case runs under. */
export function showRow(row: CaseRow, policies: Map<string, PolicyPack>, now: Date): ShownRow {
  const pack = policies.get(row.partnershipId);
  const agency = (id: string | null) => (id ? (pack?.directory.agencies.find((a) => a.id === id)?.name ?? id) : 'Not known');
  const open = row.status === 'open';
  const deadline = row.deadline ? new Date(row.deadline) : null;
  const overdue = overdueWords({ status: row.status, deadline, pausedAt: row.pausedAt }, now);
  const otherSide =
    row.side === 'raiser' ? agency(row.otherAgency) : row.side === 'other' ? agency(row.raiserAgency) : `${agency(row.raiserAgency)} and ${agency(row.otherAgency)}`;
  const tag = STATUSES[row.status as CaseStatus]?.tag ?? 'govuk-tag--grey';
  return {
    reference: row.reference,
    status: { label: statusLabel(row.status), tag },
    stage: open ? (row.stage ? `${row.stage}: ${row.stageName ?? ''}` : 'Starting') : '',
    deadline: open && deadline ? describeDeadline(deadline, pack?.calendar.timeZone ?? 'Europe/London', now).replace(/^by /, '') : '',
    overdue,
    paused: open && Boolean(row.pausedAt),
    otherSide,
    awaitingMe: Boolean(row.awaitingMe),
    partnership: pack?.name ?? row.partnershipId,
  };
}

/** The raw query values, for refilling the filter form; anything not a string is dropped. */
function typed(req: Request) {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const flags = ([] as unknown[]).concat(req.query.flag ?? []).filter((v): v is string => typeof v === 'string');
  return { q: text(req.query.q), status: text(req.query.status), stage: text(req.query.stage), agency: text(req.query.agency), overdue: text(req.query.overdue), from: text(req.query.from), to: text(req.query.to), flag: flags };
}

/** The query string for the same filter on another page. */
function pageHref(base: string, filter: ReturnType<typeof typed>, page: number) {
  const params = new URLSearchParams();
  for (const key of ['q', 'status', 'stage', 'agency', 'overdue', 'from', 'to'] as const) if (filter[key]) params.set(key, filter[key]);
  for (const f of filter.flag) params.append('flag', f);
  if (page > 1) params.set('page', String(page));
  const text = params.toString();
  return text ? `${base}?${text}` : base;
}

export function homeRouter(deps: Pick<AppDeps, 'db' | 'policies'>, options: HomeRouterOptions = {}): Router {
  const now = options.now ?? (() => new Date());
  const router = Router();

  router.get('/my-cases', requirePerson('case'), async (req, res) => {
    const principal = principalOf(res);
    if (principal?.kind !== 'person') return res.status(404).render('not-found.njk');
    const at = now();
    const adminOf = (res.locals.signedIn?.adminOf ?? []).map((id: string) => ({ id, name: deps.policies.get(id)?.name ?? id }));
    const query = myCasesQuerySchema.safeParse(req.query);
    if (!query.success) return res.status(400).render('my-cases.njk', { awaiting: [], others: [], adminOf, errors: [{ text: 'Page must be a page number', href: '#main-content' }], total: 0 });
    const email = principal.email.toLowerCase();
    const total = (await deps.db.query<{ n: number }>(MY_CASES_COUNT, [email, at.toISOString()])).rows[0]?.n ?? 0;
    const pages = Math.max(1, Math.ceil(total / MY_CASES_PAGE_SIZE));
    const page = Math.min(query.data.page, pages);
    const { rows } = await deps.db.query<CaseRow>(MY_CASES, [email, at.toISOString(), MY_CASES_PAGE_SIZE, (page - 1) * MY_CASES_PAGE_SIZE]);
    const shown = rows.map((r) => showRow(r, deps.policies, at));
    const href = (n: number) => (n > 1 ? `/my-cases?page=${n}` : '/my-cases');
    res.render('my-cases.njk', {
      awaiting: shown.filter((r) => r.awaitingMe),
      others: shown.filter((r) => !r.awaitingMe),
      adminOf,
      errors: [],
      total,
      page,
      pages,
      first: total ? (page - 1) * MY_CASES_PAGE_SIZE + 1 : 0,
      last: Math.min(total, page * MY_CASES_PAGE_SIZE),
      previous: page > 1 ? href(page - 1) : null,
      next: page < pages ? href(page + 1) : null,
    });
  });

  // Behind partnershipAdminOnly (mounted on /partnerships/:id in api/app.ts).
  router.get('/partnerships/:id/cases', async (req, res) => {
    const pack = deps.policies.get(String(req.params.id));
    if (!pack) return res.status(404).render('not-found.njk');
    const base = `/partnerships/${encodeURIComponent(pack.id)}/cases`;
    const values = typed(req);
    // A panel sits one stage beyond the final stage (see workflows/disagreement.ts), as the dashboard counts it.
    const panel = pack.stages.at(-1)?.panel;
    const stages = [...pack.stages.map((s, i) => ({ number: i + 1, name: s.name })), ...(panel ? [{ number: pack.stages.length + 1, name: panel.name }] : [])];
    const agencies = pack.directory.agencies.map((a) => ({ id: a.id, name: a.name }));
    const view = { pack, values, stages, agencies, statuses: Object.entries(STATUSES).map(([id, s]) => ({ id, label: s.label })), base };
    const parsed = caseListFilterSchema.safeParse(req.query);
    const problems: { path: string; message: string }[] = parsed.success ? [] : parsed.error.issues.map((i) => ({ path: String(i.path[0] ?? 'q'), message: i.message }));
    if (values.agency && !problems.some((p) => p.path === 'agency') && !agencies.some((a) => a.id === values.agency)) problems.push({ path: 'agency', message: 'must be an agency in the directory' });
    if (!parsed.success || problems.length) return res.status(400).render('partnership-cases.njk', { ...view, errors: problems, rows: [], total: 0 });
    const at = now();
    const { rows, total } = await partnershipCases(deps, pack, parsed.data, at);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const page = parsed.data.page;
    res.render('partnership-cases.njk', {
      ...view,
      errors: [],
      rows: rows.map((r) => showRow(r, deps.policies, at)),
      total,
      page,
      pages,
      first: total ? (page - 1) * PAGE_SIZE + 1 : 0,
      last: Math.min(total, page * PAGE_SIZE),
      previous: page > 1 ? pageHref(base, values, page - 1) : null,
      next: page < pages ? pageHref(base, values, page + 1) : null,
    });
  });

  return router;
}
