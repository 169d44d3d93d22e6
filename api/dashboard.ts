/**
 * A partnership's dashboard: how many disagreements, where they stand, how long they take to
 * resolve. Counts only: nothing here names a person, a child or what the disagreement is about
 * beyond its category, so the numbers can go to the partnership board and into its annual report.
 */
import { z } from 'zod';
import { overdueSql } from '../shared/overdue';
import type { Database, Queryable } from '../db/database';

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
           c.opened_at, c.closed_at,
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

const iso = (value: string | Date) => new Date(value).toISOString();

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
    };
  });
}

type Cell = string | number | null;

/**
 * The dashboard as one long table (section, key, measure, value): every row stands alone, so a
 * spreadsheet can filter or pivot it without knowing the sections in advance. Key is empty for
 * numbers that describe the whole report.
 */
export function statsToCsv(stats: PartnershipStats): string {
  const rows: Cell[][] = [['section', 'key', 'measure', 'value']];
  const add = (section: string, key: Cell, measure: string, value: Cell) => rows.push([section, key, measure, value]);

  add('report', null, 'partnership', stats.partnership);
  add('report', null, 'from', stats.filter.from);
  add('report', null, 'to', stats.filter.to);
  add('report', null, 'agency', stats.filter.agency);
  add('report', null, 'generatedAt', stats.generatedAt);
  for (const s of stats.openByStage) {
    const key = s.stage ?? 'starting';
    add('openByStage', key, 'name', s.name);
    add('openByStage', key, 'open', s.count);
  }
  for (const a of stats.openByAgency) add('openByAgency', a.agencyId, 'open', a.count);
  for (const o of stats.overdue) {
    add('overdue', o.reference, 'stage', o.stage);
    add('overdue', o.reference, 'stageName', o.name);
    add('overdue', o.reference, 'deadline', o.deadline);
  }
  for (const c of stats.byCategory) {
    add('byCategory', c.category, 'total', c.total);
    add('byCategory', c.category, 'resolved', c.resolved);
  }
  for (const s of stats.byStageReached) add('byStageReached', s.stage, 'cases', s.count);
  add('escalations', null, 'deadline', stats.escalations.deadline);
  add('escalations', null, 'notResolved', stats.escalations.notResolved);
  add('escalations', null, 'panelConvened', stats.escalations.panelConvened);
  add('resolution', null, 'count', stats.resolution.count);
  add('resolution', null, 'medianDays', stats.resolution.medianDays);
  add('resolution', null, 'p90Days', stats.resolution.p90Days);
  for (const m of stats.monthly) {
    add('monthly', m.month, 'opened', m.opened);
    add('monthly', m.month, 'resolved', m.resolved);
  }
  // RFC 4180: CRLF between records, and after the last.
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  // A cell that starts like a formula is run by spreadsheets; the apostrophe keeps it text.
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const COLOURS = { opened: '#1d70b8', resolved: '#00703c', text: '#0b0c0c', grid: '#b1b4b6' };

function monthInWords(month: string): { name: string; year: string } {
  const [year, number] = month.split('-');
  return { name: MONTH_NAMES[Number(number) - 1] ?? month, year: year ?? '' };
}

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
  const label = (m: string) => {
    const { name, year } = monthInWords(m);
    return `${name} ${year}`;
  };
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
  const width = left + Math.max(monthly.length, 1) * group + right;
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
    const { name, year } = monthInWords(m.month);
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
