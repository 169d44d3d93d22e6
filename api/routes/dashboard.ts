/**
 * A partnership's dashboard: the page for the business unit, and the same numbers as JSON and as
 * CSV for the board's report. All three take the same filter in the query string.
 */
import { lateBy } from '../../shared/overdue';
import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../app';
import { apiRule } from '../apiClients';
import type { PolicyPack } from '../../shared/policy/schema';
import { casesToCsv, dashboardFilterSchema, monthlyChartSvg, namesFrom, partnershipCaseLines, partnershipStats, type DashboardFilter } from '../dashboard';
import { sendProblem, sendValidationProblem, zodProblems, type FieldProblem } from '../problem';

export interface DashboardRouterOptions {
  /** The clock that decides what is overdue and which month is the last; tests fix it. */
  now?: () => Date;
}

type Checked = { ok: true; pack: PolicyPack; filter: DashboardFilter } | { ok: false; status: 404 } | { ok: false; status: 400; pack: PolicyPack; problems: FieldProblem[] };

export function dashboardRouter(deps: Pick<AppDeps, 'db' | 'policies'>, options: DashboardRouterOptions = {}): Router {
  const now = options.now ?? (() => new Date());
  const router = Router();

  /** The partnership, then the filter: the schema's rules, then the agency against the pack's directory. */
  function check(req: Request): Checked {
    const pack = deps.policies.get(String(req.params.id));
    if (!pack) return { ok: false, status: 404 };
    const parsed = dashboardFilterSchema.safeParse(req.query);
    if (!parsed.success) return { ok: false, status: 400, pack, problems: zodProblems(parsed.error) };
    const filter = parsed.data;
    if (filter.agency && !pack.directory.agencies.some((a) => a.id === filter.agency)) {
      return { ok: false, status: 400, pack, problems: [{ path: 'agency', message: `is not an agency in the ${pack.name} directory` }] };
    }
    return { ok: true, pack, filter };
  }

  const stats = (pack: PolicyPack, filter: DashboardFilter, at: Date) =>
    partnershipStats(deps.db, pack.id, filter, at, { timeZone: pack.calendar.timeZone });

  /** The /api answer to a request that failed its checks: problem details either way. */
  function refuse(checked: Exclude<Checked, { ok: true }>, req: Request, res: Response) {
    if (checked.status === 404) return sendProblem(res, 404, 'No such partnership', `There is no partnership ${String(req.params.id)}`);
    sendValidationProblem(res, checked.problems);
  }

  const readOwnPartnership = apiRule(deps, { scope: 'read', partnership: 'param' });

  router.get('/api/partnerships/:id/stats', readOwnPartnership, async (req, res) => {
    const checked = check(req);
    if (!checked.ok) return refuse(checked, req, res);
    res.json(await stats(checked.pack, checked.filter, now()));
  });

  router.get('/api/partnerships/:id/stats.csv', readOwnPartnership, async (req, res) => {
    const checked = check(req);
    if (!checked.ok) return refuse(checked, req, res);
    const at = now();
    // One row per case, in the words a spreadsheet user expects (the numbers are the JSON's).
    const lines = await partnershipCaseLines(deps.db, checked.pack.id, checked.filter, at, { timeZone: checked.pack.calendar.timeZone });
    const csv = casesToCsv(lines, checked.pack, at);
    res.attachment(`${checked.pack.id}-escalations-${at.toISOString().slice(0, 10)}.csv`);
    res.type('text/csv; charset=utf-8').send(csv);
  });

  router.get('/partnerships/:id/dashboard', async (req, res) => {
    const checked = check(req);
    if (!('pack' in checked)) return res.status(404).render('not-found.njk');
    const { pack } = checked;
    const agencies = pack.directory.agencies.map((a) => ({ id: a.id, name: a.name }));
    if (!checked.ok) {
      // Show the form again with what was typed, so it can be corrected, and no numbers.
      return res.status(400).render('dashboard.njk', {
        pack,
        stats: null,
        chart: null,
        filter: typedValues(req),
        agencies,
        csvUrl: null,
        jsonUrl: null,
        errors: checked.problems,
      });
    }
    const result = await stats(pack, checked.filter, now());
    const query = queryString(checked.filter);
    res.render('dashboard.njk', {
      pack,
      stats: result,
      names: namesFrom(pack),
      chart: monthlyChartSvg(result.monthly),
      filter: { from: checked.filter.from ?? '', to: checked.filter.to ?? '', agency: checked.filter.agency ?? '' },
      agencies,
      csvUrl: `/api/partnerships/${encodeURIComponent(pack.id)}/stats.csv${query}`,
      jsonUrl: `/api/partnerships/${encodeURIComponent(pack.id)}/stats${query}`,
      casesUrl: casesUrlFor(pack.id, checked.filter),
      // How late each overdue case is, judged when the numbers were (shared/overdue.ts).
      late: (deadline: string) => lateBy(new Date(deadline), new Date(result.generatedAt)),
      errors: [],
    });
  });

  return router;
}

/** The export links carry the filter the page shows, so the download matches what was seen. */
function queryString(filter: DashboardFilter): string {
  const params = new URLSearchParams();
  for (const key of ['from', 'to', 'agency'] as const) {
    const value = filter[key];
    if (value) params.set(key, value);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Drill-down: the list of the partnership's cases (api/routes/home.ts) behind a figure, with the
 * dashboard's filter (dates, agency) and the figure's own (status, stage, agency, overdue).
 */
function casesUrlFor(partnership: string, filter: DashboardFilter) {
  return (extra: Record<string, string | number> = {}) => {
    const params = new URLSearchParams();
    for (const key of ['from', 'to', 'agency'] as const) if (filter[key]) params.set(key, filter[key]);
    for (const [key, value] of Object.entries(extra)) params.set(key, String(value));
    const text = params.toString();
    return `/partnerships/${encodeURIComponent(partnership)}/cases${text ? `?${text}` : ''}`;
  };
}

/** The raw strings from the query, for refilling the form; anything else (a repeated field) is dropped. */
function typedValues(req: Request): { from: string; to: string; agency: string } {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return { from: text(req.query.from), to: text(req.query.to), agency: text(req.query.agency) };
}
