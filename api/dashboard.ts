/**
 * A partnership's dashboard: how many disagreements, where they stand, how long they take to
 * resolve. Counts only: nothing here names a person, a child or what the disagreement is about
 * beyond its category, so the numbers can go to the partnership board and into its annual report.
 */
import { z } from 'zod';
import { overdueSince, overdueSql } from '../shared/overdue';
import type { Database, Queryable } from '../db/database';
import type { PolicyPack } from '../shared/policy/schema';
import { FLAG_LABELS, FLAG_NAMES, statusTitle, yesNo, type FlagName } from '../shared/presentation/labels';
import { formatShortDate, monthInWords, monthParts } from '../shared/presentation/dates';

/** A query string sends an empty field for a blank form input: that means "no filter". */
const blankAsMissing = (value: unknown) => (value === '' ? undefined : value);

const isoDate = z.preprocess(
  blankAsMissing,
  z.iso
    .date({ error: 'must be a date in the form YYYY-MM-DD', abort: true }) // one problem per field, not two
    // Bounded so a typo cannot ask for a zero-filled chart of a thousand years.
    .refine((d) => d >= '2000-01-01' && d <= '2099-12-31', 'must be between 2000 and 2099')
    .optional(),
);

export const dashboardFilterSchema = z
  .object({
    /** First day (inclusive, in the partnership's time zone) a case was opened. */
    from: isoDate,
    /** Last day (inclusive) a case was opened. */
    to: isoDate,
    /** Only cases where this agency is one of the two sides. */
    agency: z.preprocess(
      blankAsMissing,
      z.string({ error: 'must be an agency id such as bromley-csc' }).regex(/^[a-z][a-zA-Z0-9-]*$/, 'must be an agency id such as bromley-csc').optional(),
    ),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { path: ['to'], message: 'must be the same as or after the from date' });

export type DashboardFilter = z.output<typeof dashboardFilterSchema>;

export interface MonthlyCount {
  /** yyyy-MM in the partnership's time zone. */
  month: string;
  opened: number;
  resolved: number;
}

export interface PartnershipStats {
  partnership: string;
  filter: { from: string | null; to: string | null; agency: string | null };
  /** The instant "open", "overdue" and the last month were judged at. */
  generatedAt: string;
  /** Stage null: opened moments ago, its first stage not yet entered. */
  openByStage: { stage: number | null; name: string | null; count: number }[];
  openByAgency: { agencyId: string; count: number }[];
  overdue: { reference: string; stage: number | null; name: string | null; deadline: string }[];
  byCategory: { category: string; total: number; resolved: number }[];
  byStageReached: { stage: number; count: number }[];
  /** Escalation events by why they happened; panels are counted by case. */
  escalations: { deadline: number; notResolved: number; panelConvened: number };
  resolution: { count: number; medianDays: number | null; p90Days: number | null };
  monthly: MonthlyCount[];
  /** Every case of the cohort still open, oldest deadline first: the dashboard's list, with drill-down. */
  openCases: CaseLine[];
  /** How many cases carry each flag: all of the cohort, and those still open. */
  flags: { flag: FlagName; label: string; all: number; open: number }[];
}

/** One case as the dashboard lists it and the spreadsheet has it: ids here, names added for people. */
export interface CaseLine {
  reference: string;
  category: string;
  status: string;
  stage: number | null;
  stageName: string | null;
  deadline: string | null;
  overdue: boolean;
  openedAt: string;
  closedAt: string | null;
  raiserAgency: string | null;
  otherAgency: string | null;
  flags: Record<FlagName, boolean>;
  /** The highest stage the case reached (its events), else where it is. */
  reached: number | null;
}

export interface StatsOptions {
  /** Where a day and a month begin: the partnership's calendar. */
  timeZone?: string;
}

/*
 * Every query starts from the same cases: the partnership's, opened within the dates, with the
 * agency on either side. The filter picks a cohort by when cases were opened, so every number on
 * the dashboard (open, overdue, resolved) is about the same set of cases. Only the columns the
 * numbers need are selected, so no name, email, child reference or description ever leaves the
 * database on this path.
 *
 * Parameters: $1 partnership, $2 from, $3 to, $4 agency, $5 time zone; queries add $6 (now).
 */
const SCOPED = `
  scoped AS (
    SELECT c.reference, c.category, c.status, c.current_stage, c.stage_name, c.stage_deadline, c.clock_paused_at,
           c.opened_at, c.closed_at, c.flags,
           c.raiser->>'agencyId' AS raiser_agency, c.other_party->>'agencyId' AS other_agency
    FROM cases c
    WHERE c.partnership_id = $1
      -- A date's day starts at local midnight: the bound is that instant, not UTC midnight.
      AND ($2::date IS NULL OR c.opened_at >= $2::date::timestamp AT TIME ZONE $5::text)
      AND ($3::date IS NULL OR c.opened_at < ($3::date + 1)::timestamp AT TIME ZONE $5::text)
      AND ($4::text IS NULL OR c.raiser->>'agencyId' = $4::text OR c.other_party->>'agencyId' = $4::text)
  )`;

const OPEN_BY_STAGE = `WITH ${SCOPED}
  SELECT current_stage AS stage, stage_name AS name, count(*)::int AS count
  FROM scoped WHERE status = 'open'
  GROUP BY current_stage, stage_name
  ORDER BY current_stage NULLS FIRST, stage_name`;

// A case sits with two agencies; it counts once for each, and once only when both sides are the same agency.
const OPEN_BY_AGENCY = `WITH ${SCOPED}
  SELECT side.agency_id AS "agencyId", count(DISTINCT s.reference)::int AS count
  FROM scoped s CROSS JOIN LATERAL (VALUES (s.raiser_agency), (s.other_agency)) AS side (agency_id)
  WHERE s.status = 'open' AND side.agency_id IS NOT NULL
  GROUP BY side.agency_id
  ORDER BY count DESC, side.agency_id`;

const OVERDUE = `WITH ${SCOPED}
  SELECT reference, current_stage AS stage, stage_name AS name, stage_deadline AS deadline
  FROM scoped WHERE ${overdueSql('', '$6')}
  ORDER BY stage_deadline, reference`;

const BY_CATEGORY = `WITH ${SCOPED}
  SELECT category, count(*)::int AS total, (count(*) FILTER (WHERE status = 'resolved'))::int AS resolved
  FROM scoped GROUP BY category ORDER BY category`;

// The events are the history; current_stage only covers a case whose stageEntered events are missing.
const BY_STAGE_REACHED = `WITH ${SCOPED}
  SELECT reached AS stage, count(*)::int AS count
  FROM (
    SELECT COALESCE(
      (SELECT max(e.stage) FROM case_events e WHERE e.reference = s.reference AND e.type = 'stageEntered'),
      s.current_stage) AS reached
    FROM scoped s
  ) r
  WHERE reached IS NOT NULL
  GROUP BY reached ORDER BY reached`;

// The workflow records a panel as an outcome and enters the panel stage directly; an escalated
// event with that reason is counted too, but each case's panel only once.
const ESCALATIONS = `WITH ${SCOPED}
  SELECT
    (count(*) FILTER (WHERE e.type = 'escalated' AND e.detail->'reason'->>'kind' = 'deadline'))::int AS deadline,
    (count(*) FILTER (WHERE e.type = 'escalated' AND e.detail->'reason'->>'kind' = 'notResolved'))::int AS "notResolved",
    (count(DISTINCT e.reference) FILTER (WHERE
        (e.type = 'outcomeRecorded' AND e.detail->>'outcome' = 'panelConvened')
        OR (e.type = 'escalated' AND e.detail->'reason'->>'kind' = 'panelConvened')))::int AS "panelConvened"
  FROM case_events e JOIN scoped s ON s.reference = e.reference`;

// Elapsed days, not working days: this is how long the child waited. percentile_cont interpolates
// between the two middle cases, as a spreadsheet's MEDIAN and PERCENTILE do; no rows gives nulls.
const RESOLUTION = `WITH ${SCOPED}
  SELECT count(*)::int AS count,
    round((percentile_cont(0.5) WITHIN GROUP (ORDER BY days))::numeric, 1)::float8 AS "medianDays",
    round((percentile_cont(0.9) WITHIN GROUP (ORDER BY days))::numeric, 1)::float8 AS "p90Days"
  FROM (
    SELECT (extract(epoch FROM closed_at - opened_at) / 86400)::float8 AS days
    FROM scoped WHERE status = 'resolved' AND closed_at IS NOT NULL
  ) d`;

// Every month from the filter's start (or the first case) to its end (or now), so a quiet month
// shows as zero rather than vanishing from the chart. Months are the partnership's local months.
const MONTHLY = `WITH ${SCOPED},
  bounds AS (
    SELECT
      date_trunc('month', COALESCE($2::date::timestamp,
        (SELECT min(opened_at AT TIME ZONE $5::text) FROM scoped),
        $6::timestamptz AT TIME ZONE $5::text)) AS first_month,
      date_trunc('month', COALESCE($3::date::timestamp, $6::timestamptz AT TIME ZONE $5::text)) AS last_month
  ),
  months AS (
    SELECT generate_series(LEAST(first_month, last_month), last_month, interval '1 month') AS month FROM bounds
  ),
  opened AS (
    SELECT date_trunc('month', opened_at AT TIME ZONE $5::text) AS month, count(*)::int AS n
    FROM scoped GROUP BY 1
  ),
  resolved AS (
    SELECT date_trunc('month', closed_at AT TIME ZONE $5::text) AS month, count(*)::int AS n
    FROM scoped WHERE status = 'resolved' AND closed_at IS NOT NULL GROUP BY 1
  )
  SELECT to_char(m.month, 'YYYY-MM') AS month, COALESCE(o.n, 0) AS opened, COALESCE(r.n, 0) AS resolved
  FROM months m
  LEFT JOIN opened o ON o.month = m.month
  LEFT JOIN resolved r ON r.month = m.month
  ORDER BY m.month`;

// Every case of the cohort, one row each: the list of open cases and the spreadsheet. Flags are
// not personal data; names and the child's reference are not selected.
const CASES = `WITH ${SCOPED}
  SELECT s.reference, s.category, s.status, s.current_stage AS stage, s.stage_name AS "stageName", s.stage_deadline AS deadline, s.clock_paused_at AS "pausedAt",
         s.opened_at AS "openedAt", s.closed_at AS "closedAt", s.raiser_agency AS "raiserAgency", s.other_agency AS "otherAgency",
         s.flags,
         COALESCE((SELECT max(e.stage) FROM case_events e WHERE e.reference = s.reference AND e.type = 'stageEntered'), s.current_stage) AS reached
  FROM scoped s
  ORDER BY s.opened_at, s.reference`;

type Cell = string | number | null;

const iso = (value: string | Date) => new Date(value).toISOString();

type CaseRow = Omit<CaseLine, 'overdue' | 'flags' | 'deadline' | 'openedAt' | 'closedAt'> & {
  deadline: string | Date | null;
  pausedAt: string | Date | null;
  openedAt: string | Date;
  closedAt: string | Date | null;
  flags: Partial<Record<FlagName, boolean>> | null;
};

function caseLine(row: CaseRow, now: Date): CaseLine {
  const deadline = row.deadline ? iso(row.deadline) : null;
  const flags = Object.fromEntries(FLAG_NAMES.map((f) => [f, row.flags?.[f] === true])) as Record<FlagName, boolean>;
  const { pausedAt, ...line } = row;
  return {
    ...line,
    deadline,
    openedAt: iso(row.openedAt),
    closedAt: row.closedAt ? iso(row.closedAt) : null,
    flags,
    overdue: overdueSince({ status: row.status, deadline, pausedAt }, now) !== null,
  };
}

export async function partnershipStats(
  db: Database,
  partnershipId: string,
  filter: DashboardFilter,
  now: Date,
  options: StatsOptions = {},
): Promise<PartnershipStats> {
  const scope = [partnershipId, filter.from ?? null, filter.to ?? null, filter.agency ?? null, options.timeZone ?? 'Europe/London'];
  const withNow = [...scope, now.toISOString()];

  // One snapshot for every query, so the numbers agree with each other (open by stage and open by
  // agency describe the same open cases) even while workflows are writing.
  return db.transaction(async (tx: Queryable) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const openByStage = await tx.query<PartnershipStats['openByStage'][number]>(OPEN_BY_STAGE, scope);
    const openByAgency = await tx.query<PartnershipStats['openByAgency'][number]>(OPEN_BY_AGENCY, scope);
    const overdue = await tx.query<{ reference: string; stage: number | null; name: string | null; deadline: string | Date }>(OVERDUE, withNow);
    const byCategory = await tx.query<PartnershipStats['byCategory'][number]>(BY_CATEGORY, scope);
    const byStageReached = await tx.query<PartnershipStats['byStageReached'][number]>(BY_STAGE_REACHED, scope);
    const escalations = await tx.query<PartnershipStats['escalations']>(ESCALATIONS, scope);
    const resolution = await tx.query<PartnershipStats['resolution']>(RESOLUTION, scope);
    const monthly = await tx.query<MonthlyCount>(MONTHLY, withNow);
    const cases = (await tx.query<CaseRow>(CASES, scope)).rows.map((row) => caseLine(row, now));
    return {
      partnership: partnershipId,
      filter: { from: filter.from ?? null, to: filter.to ?? null, agency: filter.agency ?? null },
      generatedAt: now.toISOString(),
      openByStage: openByStage.rows,
      openByAgency: openByAgency.rows,
      overdue: overdue.rows.map((o) => ({ ...o, deadline: iso(o.deadline) })),
      byCategory: byCategory.rows,
      byStageReached: byStageReached.rows,
      escalations: escalations.rows[0],
      resolution: resolution.rows[0],
      monthly: monthly.rows,
      openCases: cases
        .filter((c) => c.status === 'open')
        .sort((a, b) => (a.deadline ?? '9999').localeCompare(b.deadline ?? '9999') || a.reference.localeCompare(b.reference)),
      flags: FLAG_NAMES.map((flag) => ({
        flag,
        label: FLAG_LABELS[flag],
        all: cases.filter((c) => c.flags[flag]).length,
        open: cases.filter((c) => c.flags[flag] && c.status === 'open').length,
      })),
    };
  });
}

/** Every case of the cohort, for the spreadsheet: the same scope and snapshot as the numbers. */
export async function partnershipCaseLines(db: Database, partnershipId: string, filter: DashboardFilter, now: Date, options: StatsOptions = {}): Promise<CaseLine[]> {
  const scope = [partnershipId, filter.from ?? null, filter.to ?? null, filter.agency ?? null, options.timeZone ?? 'Europe/London'];
  const { rows } = await db.query<CaseRow>(CASES, scope);
  return rows.map((row) => caseLine(row, now));
}

/** The names a pack gives the ids a case line holds, for pages and the spreadsheet. */
export function namesFrom(pack: Pick<PolicyPack, 'directory' | 'categories' | 'stages'>) {
  const agency = (id: string | null) => (id ? (pack.directory.agencies.find((a) => a.id === id)?.name ?? id) : '');
  const category = (id: string) => pack.categories.find((c) => c.id === id)?.label ?? id;
  // A panel sits one stage beyond the final stage.
  const stage = (n: number | null) => (n === null ? '' : (pack.stages[n - 1]?.name ?? pack.stages.at(-1)?.panel?.name ?? `Stage ${n}`));
  return { agency, category, stage };
}

/** The spreadsheet's columns, in the words a spreadsheet user expects: never an id. */
export const CASE_COLUMNS = [
  'Reference',
  'Partnership',
  'Raised on',
  'Raising agency',
  'Other agency',
  'About',
  'Stage',
  'Stage name',
  'Highest stage reached',
  'Status',
  'Deadline',
  'Overdue',
  ...FLAG_NAMES.map((f) => FLAG_LABELS[f]),
  'Closed on',
  'Days open',
] as const;

/**
 * The cases as one wide table, one row per case (RFC 4180, CRLF), for a spreadsheet: names not
 * ids, dates as dd/mm/yyyy in the partnership's zone, flags as Yes or No. Nothing identifies a
 * child, a family or a practitioner.
 */
export function casesToCsv(cases: CaseLine[], pack: Pick<PolicyPack, 'name' | 'directory' | 'categories' | 'stages' | 'calendar'>, now: Date): string {
  const names = namesFrom(pack);
  const zone = pack.calendar.timeZone;
  const day = (value: string | null) => (value ? formatShortDate(value, zone) : '');
  const rows: Cell[][] = [[...CASE_COLUMNS]];
  for (const c of cases) {
    const end = c.closedAt ? new Date(c.closedAt) : now;
    rows.push([
      c.reference,
      pack.name,
      day(c.openedAt),
      names.agency(c.raiserAgency),
      names.agency(c.otherAgency),
      names.category(c.category),
      c.stage,
      names.stage(c.stage),
      c.reached,
      statusTitle(c.status),
      c.status === 'open' ? day(c.deadline) : '',
      yesNo(c.overdue),
      ...FLAG_NAMES.map((f) => yesNo(c.flags[f])),
      day(c.closedAt),
      Math.floor((end.getTime() - new Date(c.openedAt).getTime()) / 86_400_000),
    ]);
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  // A cell that starts like a formula is run by spreadsheets; the apostrophe keeps it text.
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const COLOURS = { opened: '#1d70b8', resolved: '#00703c', text: '#0b0c0c', grid: '#b1b4b6' };


function escapeXml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A round step for the value axis (1, 2 or 5 times a power of ten) giving about five gridlines. */
function axisStep(max: number): number {
  const rough = Math.max(max, 1) / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  return Math.max(1, step);
}

/**
 * Opened and resolved cases per month as a grouped bar chart. Screen readers get the numbers from
 * the <desc>; sighted readers get a value over every bar, so nothing depends on telling the two
 * colours apart. `id` keeps the title and description ids unique when a page has several charts.
 */
export function monthlyChartSvg(monthly: MonthlyCount[], id = 'monthly-chart'): string {
  const title = 'Cases opened and resolved each month';
  const label = monthInWords;
  const desc =
    monthly.length === 0
      ? 'No months to show.'
      : `${monthly.length === 1 ? label(monthly[0].month) : `${label(monthly[0].month)} to ${label(monthly[monthly.length - 1].month)}`}. ` +
        monthly.map((m) => `${label(m.month)}: ${m.opened} opened, ${m.resolved} resolved.`).join(' ');

  const bar = 22;
  const group = bar * 2 + 20;
  const left = 44;
  const right = 16;
  const top = 48;
  const plot = 200;
  const bottom = 44;
  // Wide enough for the legend (two swatches and their words) however few months there are, so
  // it is never cut off by the chart's own box.
  const legendWidth = left + 110 + 22 + 80;
  const width = Math.max(left + Math.max(monthly.length, 1) * group + right, legendWidth);
  const height = top + plot + bottom;
  const step = axisStep(Math.max(0, ...monthly.flatMap((m) => [m.opened, m.resolved])));
  const ceiling = Math.max(step, Math.ceil(Math.max(0, ...monthly.flatMap((m) => [m.opened, m.resolved])) / step) * step);
  // Rounded so the markup stays readable; a tenth of a pixel is invisible.
  const y = (value: number) => Math.round((top + plot - (value / ceiling) * plot) * 10) / 10;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${escapeXml(id)}-title ${escapeXml(id)}-desc" ` +
      `width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" class="app-chart" font-size="14">`,
  );
  parts.push(`<title id="${escapeXml(id)}-title">${escapeXml(title)}</title>`);
  parts.push(`<desc id="${escapeXml(id)}-desc">${escapeXml(desc)}</desc>`);

  // Legend: a swatch and a word for each series.
  const legend = [
    ['opened', 'Opened'],
    ['resolved', 'Resolved'],
  ] as const;
  legend.forEach(([series, text], i) => {
    const x = left + i * 110;
    parts.push(`<rect x="${x}" y="12" width="16" height="16" fill="${COLOURS[series]}"/>`);
    parts.push(`<text x="${x + 22}" y="25" fill="${COLOURS.text}">${escapeXml(text)}</text>`);
  });

  for (let value = 0; value <= ceiling; value += step) {
    const gy = y(value);
    parts.push(`<line x1="${left}" y1="${gy}" x2="${width - right}" y2="${gy}" stroke="${COLOURS.grid}" stroke-width="1"/>`);
    parts.push(`<text x="${left - 8}" y="${gy + 5}" text-anchor="end" fill="${COLOURS.text}">${value}</text>`);
  }

  monthly.forEach((m, i) => {
    const x0 = left + i * group + 10;
    (['opened', 'resolved'] as const).forEach((series, j) => {
      const value = m[series];
      const x = x0 + j * bar;
      const by = y(value);
      parts.push(
        `<rect class="bar bar-${series}" data-month="${escapeXml(m.month)}" x="${x}" y="${by}" width="${bar - 2}" height="${Math.round((top + plot - by) * 10) / 10}" fill="${COLOURS[series]}"/>`,
      );
      parts.push(`<text x="${x + (bar - 2) / 2}" y="${by - 4}" text-anchor="middle" font-size="12" fill="${COLOURS.text}">${value}</text>`);
    });
    const { name, year } = monthParts(m.month);
    const cx = x0 + bar;
    parts.push(
      `<text x="${cx}" y="${top + plot + 18}" text-anchor="middle" font-size="12" fill="${COLOURS.text}">` +
        `<tspan x="${cx}">${escapeXml(name.slice(0, 3))}</tspan><tspan x="${cx}" dy="15">${escapeXml(year)}</tspan></text>`,
    );
  });
  if (monthly.length === 0) {
    parts.push(`<text x="${left + 8}" y="${top + plot / 2}" fill="${COLOURS.text}">No months to show</text>`);
  }
  parts.push(`<line x1="${left}" y1="${top + plot}" x2="${width - right}" y2="${top + plot}" stroke="${COLOURS.text}" stroke-width="1"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}
