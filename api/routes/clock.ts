/**
 * The stage's clock from the case page (issue 11): pause it with a reason, resume it, or extend or
 * shorten its deadline with a reason. Each is a form, a check-your-answers page and a confirmation,
 * and becomes a Temporal Update (shared/contract.ts pauseClock, resumeClock, changeDeadline) whose
 * validator decides (workflows/rules.ts clockRefusal).
 *
 * Who may: a person invited to decide the case's current stage (named to the workflow by the
 * recipient id they were invited under) or an admin of the case's partnership. caseAccess (api/app.ts)
 * has already let the person see the case; this decides whether they may change its clock.
 */
import { Router, type Request, type Response } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DateTime } from 'luxon';
import { z } from 'zod';
import {
  MAX_DEADLINE_AHEAD_DAYS,
  Refusal,
  changeDeadline,
  pauseClock,
  resumeClock,
  type ClockRequest,
  type StageView,
} from '../../shared/contract';
import type { ClockActorKind } from '../../shared/events';
import { describeDeadline } from '../../shared/calendar/workingTime';
import { overdueSince, lateBy } from '../../shared/overdue';
import type { PolicyPack } from '../../shared/policy/schema';
import type { AppDeps } from '../app';
import { RETRY_AFTER_SECONDS } from '../availability';
import { formProtection } from '../csrf';
import { viewerOf } from '../identity/access';
import { isPartnershipAdmin, principalOf } from '../identity/principal';
import { referenceSchema } from '../schemas';

export const CLOCK_REASON_MAX = 2_000;

export type ClockAction = 'pause' | 'resume' | 'change';
const ACTIONS: ClockAction[] = ['pause', 'resume', 'change'];

/** The case's clock as its row keeps it. */
interface ClockRow {
  reference: string;
  partnership_id: string;
  status: string;
  current_stage: number | null;
  stage_name: string | null;
  stage_deadline: Date | null;
  stage_last_chance: Date | null;
  clock_paused_at: Date | null;
}

/** What the case page's actions partial (views/partials/case-actions.njk) shows. */
export interface ClockPanel {
  overdue: { late: string; wasDue: string } | null;
  lastChance: string | null;
  paused: { since: string; reason?: string } | null;
  /** The person may change the clock of the current stage. */
  may: boolean;
  canPause: boolean;
  canResume: boolean;
  canChange: boolean;
}

async function clockRow(deps: Pick<AppDeps, 'db'>, reference: string): Promise<ClockRow | undefined> {
  const { rows } = await deps.db.query<ClockRow>(
    `SELECT reference, partnership_id, status, current_stage, stage_name, stage_deadline, stage_last_chance, clock_paused_at
       FROM cases WHERE reference = $1`,
    [reference],
  );
  return rows[0];
}

/** Who the signed-in person is to this stage's clock: a participant (by their latest invitation, so someone a stage was handed to acts as themselves) or an admin; undefined when neither. */
export async function clockActorFor(deps: Pick<AppDeps, 'db'>, res: Response, row: ClockRow): Promise<{ by: ClockActorKind; actor: string } | undefined> {
  const principal = principalOf(res);
  if (principal?.kind !== 'person' || row.status !== 'open' || !row.current_stage) return undefined;
  const { rows } = await deps.db.query<{ recipient_id: string }>(
    `SELECT recipient_id FROM notifications
      WHERE reference = $1 AND stage = $2 AND kind = 'stageInvitation' AND lower(email) = $3
      ORDER BY created_at DESC LIMIT 1`,
    [row.reference, row.current_stage, principal.email.toLowerCase()],
  );
  if (rows[0]) return { by: 'participant', actor: rows[0].recipient_id };
  if (isPartnershipAdmin(principal, row.partnership_id)) return { by: 'partnershipAdmin', actor: 'partnershipAdmin' };
  return undefined;
}

/** The clock for the case page: overdue and how late (shared/overdue.ts), the last chance, a pause, and what the person may do. */
export async function clockPanelFor(deps: Pick<AppDeps, 'db' | 'policies'>, res: Response, reference: string, now = new Date()): Promise<ClockPanel | undefined> {
  const row = await clockRow(deps, reference);
  if (!row || row.status !== 'open' || !row.current_stage) return undefined;
  const zone = deps.policies.get(row.partnership_id)?.calendar.timeZone ?? 'Europe/London';
  const words = (d: Date) => describeDeadline(d, zone, now).replace(/^by /, '');
  const since = overdueSince({ status: row.status, deadline: row.stage_deadline, pausedAt: row.clock_paused_at }, now);
  let paused: ClockPanel['paused'] = null;
  if (row.clock_paused_at) {
    const { rows } = await deps.db.query<{ reason: string }>(
      `SELECT detail->>'reason' AS reason FROM case_events WHERE reference = $1 AND type = 'clockPaused' ORDER BY seq DESC LIMIT 1`,
      [reference],
    );
    paused = { since: words(new Date(row.clock_paused_at)), reason: rows[0]?.reason };
  }
  const actor = await clockActorFor(deps, res, row);
  const lastChance = row.stage_last_chance && new Date(row.stage_last_chance) > now ? words(new Date(row.stage_last_chance)) : null;
  // Before the deadline only (a stage past it is escalating or in its last chance); the workflow decides in the end.
  const running = !row.clock_paused_at && row.stage_deadline !== null && new Date(row.stage_deadline) > now;
  return {
    overdue: since ? { late: lateBy(since, now), wasDue: words(since) } : null,
    lastChance,
    paused,
    may: Boolean(actor),
    canPause: Boolean(actor) && running,
    canResume: Boolean(actor) && Boolean(row.clock_paused_at),
    canChange: Boolean(actor) && running,
  };
}

/** The GOV.UK date input's three fields, as text (blank allowed: the checks below say what is missing). */
const part = z.preprocess((v) => (typeof v === 'string' ? v.trim() : ''), z.string().max(8));

export const clockFormSchema = z.object({
  reason: z.preprocess((v) => (typeof v === 'string' ? v : undefined), z.string().optional()),
  'deadline-day': part.optional(),
  'deadline-month': part.optional(),
  'deadline-year': part.optional(),
});

export interface ClockForm {
  reason?: string;
  /** yyyy-MM-dd, for a change. */
  date?: string;
  /** The new deadline: the end of the working day on that date in the pack's zone. */
  deadline?: string;
}

/** The form in GOV.UK words: "Enter why you are pausing the clock", "The new deadline must be a real date". */
export function readClockForm(action: ClockAction, raw: Record<string, unknown>, pack: Pick<PolicyPack, 'calendar'>, now = new Date()): { form: ClockForm; errors: { path: string; text: string }[] } {
  const errors: { path: string; text: string }[] = [];
  const parsed = clockFormSchema.safeParse(raw);
  const values = parsed.success ? parsed.data : {};
  const form: ClockForm = {};
  const text = typeof values.reason === 'string' ? values.reason.trim() : '';
  if (text.length > CLOCK_REASON_MAX) errors.push({ path: 'reason', text: `The reason must be ${CLOCK_REASON_MAX.toLocaleString('en-GB')} characters or fewer` });
  else if (!text && action !== 'resume') errors.push({ path: 'reason', text: REASON_MISSING[action] });
  else if (text) form.reason = text;
  if (action === 'change') {
    const [day, month, year] = [values['deadline-day'] ?? '', values['deadline-month'] ?? '', values['deadline-year'] ?? ''];
    const missing = [!day && 'a day', !month && 'a month', !year && 'a year'].filter(Boolean);
    const [d, m, y] = [Number(day), Number(month), Number(year)];
    const real = [day, month, year].every((v) => /^\d+$/.test(v)) && y >= 1000 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
    if (!day && !month && !year) errors.unshift({ path: 'deadline', text: 'Enter the new deadline' });
    else if (missing.length) errors.unshift({ path: 'deadline', text: `The new deadline must include ${missing.join(' and ')}` });
    else if (!real) errors.unshift({ path: 'deadline', text: 'The new deadline must be a real date' });
    else {
      const date = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
      const deadline = endOfWorkingDay(date, pack.calendar);
      if (Date.parse(deadline) <= now.getTime()) errors.unshift({ path: 'deadline', text: 'The new deadline must be today or in the future' });
      else if (Date.parse(deadline) > now.getTime() + MAX_DEADLINE_AHEAD_DAYS * 86_400_000) {
        errors.unshift({ path: 'deadline', text: `The new deadline must be within ${MAX_DEADLINE_AHEAD_DAYS / 7} weeks from today` });
      } else Object.assign(form, { date, deadline });
    }
  }
  return { form, errors };
}

const REASON_MISSING: Record<Exclude<ClockAction, 'resume'>, string> = {
  pause: 'Enter why you are pausing the clock',
  change: 'Enter why you are changing the deadline',
};

/** The end of the working day on a date, in the pack's zone: "by 5pm on Friday 27 March". */
export function endOfWorkingDay(date: string, calendar: PolicyPack['calendar']): string {
  const [hour, minute] = calendar.workingDay.end.split(':').map(Number);
  return DateTime.fromISO(date, { zone: calendar.timeZone }).set({ hour, minute, second: 0, millisecond: 0 }).toUTC().toISO()!;
}

type ClockResult = { ok: true; view: StageView } | { ok: false; status: number; message: string };

async function sendClockUpdate(deps: AppDeps, action: ClockAction, request: ClockRequest & { deadline?: string }): Promise<ClockResult> {
  const handle = deps.temporal.workflow.getHandle(request.reference);
  try {
    const view =
      action === 'pause'
        ? await handle.executeUpdate(pauseClock, { args: [request] })
        : action === 'resume'
          ? await handle.executeUpdate(resumeClock, { args: [request] })
          : await handle.executeUpdate(changeDeadline, { args: [{ ...request, reason: request.reason ?? '', deadline: request.deadline! }] });
    return { ok: true, view };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { ok: false, status: 409, message: 'The case has ended, so its clock cannot be changed.' };
    if (!(error instanceof WorkflowUpdateFailedError)) throw error;
    const cause = error.cause;
    const refusal = cause instanceof ApplicationFailure ? cause.type : undefined;
    if (/No registered handler for update/.test(cause?.message ?? '')) {
      return { ok: false, status: 503, message: 'The clock cannot be changed just now: try again after the service is updated.' };
    }
    const status = refusal === Refusal.notAllowed || refusal === Refusal.notParticipant ? 403 : 409;
    return { ok: false, status, message: cause?.message || 'The clock could not be changed.' };
  }
}

const TITLES: Record<ClockAction, string> = { pause: 'Pause the clock', resume: 'Resume the clock', change: 'Change the deadline' };
const DONE: Record<ClockAction, string> = { pause: 'Clock paused', resume: 'Clock resumed', change: 'Deadline changed' };

export function clockRouter(deps: AppDeps, options: { now?: () => Date } = {}): Router {
  const now = options.now ?? (() => new Date());
  const router = Router();
  const { generateCsrfToken, validateRequest } = formProtection({
    secret: deps.csrfSecret,
    secure: deps.publicUrl.startsWith('https:'),
    cookiePath: '/cases',
    cookieName: 'lscp.csrf.cases.clock',
    boundTo: (req) => {
      const p = principalOf(req.res!);
      return `clock:${String(req.params.reference ?? '')}:${p?.kind === 'person' ? p.sessionRef : ''}`;
    },
  });

  /** The case, its pack and who the person is to its clock; otherwise the right page has been sent. */
  const load = async (req: Request, res: Response) => {
    const action = String(req.params.action) as ClockAction;
    const reference = referenceSchema.safeParse(req.params.reference);
    const row = ACTIONS.includes(action) && reference.success && viewerOf(res) ? await clockRow(deps, reference.data) : undefined;
    const pack = row && deps.policies.get(row.partnership_id);
    if (!row || !pack) {
      res.status(404).render('not-found.njk');
      return undefined;
    }
    if (row.status !== 'open' || !row.current_stage) {
      res.status(409).render('clock-not-allowed.njk', { title: 'The case has ended', text: `Case ${row.reference} has ended, so its clock cannot be paused or its deadline changed.`, reference: row.reference });
      return undefined;
    }
    const who = await clockActorFor(deps, res, row);
    if (!who) {
      res.status(403).render('clock-not-allowed.njk', {
        title: 'Only the people taking part in the stage can do this',
        text: "Only the people asked to decide the case's current stage, and the partnership's admins, can pause its clock or change its deadline.",
        reference: row.reference,
      });
      return undefined;
    }
    return { action, row, pack, who };
  };

  const zoneWords = (pack: PolicyPack, iso: string | Date) => describeDeadline(new Date(iso), pack.calendar.timeZone, now()).replace(/^by /, '');

  const showForm = (req: Request, res: Response, ctx: NonNullable<Awaited<ReturnType<typeof load>>>, values: Record<string, unknown>, errors: { path: string; text: string }[], status = 200) =>
    res.status(status).render('clock-form.njk', {
      action: ctx.action,
      title: TITLES[ctx.action],
      reference: ctx.row.reference,
      stage: { number: ctx.row.current_stage, name: ctx.row.stage_name },
      deadline: ctx.row.stage_deadline ? zoneWords(ctx.pack, ctx.row.stage_deadline) : null,
      pausedSince: ctx.row.clock_paused_at ? zoneWords(ctx.pack, ctx.row.clock_paused_at) : null,
      endOfDay: ctx.pack.calendar.workingDay.end,
      maxWeeks: MAX_DEADLINE_AHEAD_DAYS / 7,
      reasonMax: CLOCK_REASON_MAX,
      csrfToken: generateCsrfToken(req, res),
      values,
      errors: errors.map((e) => ({ ...e, href: e.path === 'deadline' ? '#deadline-day' : `#${e.path || 'reason'}` })),
    });

  router.get('/cases/:reference/clock/:action', async (req, res) => {
    const ctx = await load(req, res);
    if (ctx) showForm(req, res, ctx, {}, []);
  });

  // The form: checked, then shown back to check before anything changes.
  router.post('/cases/:reference/clock/:action', async (req, res) => {
    const ctx = await load(req, res);
    if (!ctx) return;
    const values = (req.body ?? {}) as Record<string, unknown>;
    if (!validateRequest(req)) return showForm(req, res, ctx, values, [{ path: '', text: 'Your form had expired. Check your answers and send them again.' }], 403);
    const { form, errors } = readClockForm(ctx.action, values, ctx.pack, now());
    if (errors.length) return showForm(req, res, ctx, values, errors, 400);
    if (values.edit === 'yes') return showForm(req, res, ctx, values, []);
    res.render('clock-check.njk', {
      action: ctx.action,
      title: `Check your answers: ${TITLES[ctx.action].toLowerCase()}`,
      reference: ctx.row.reference,
      stage: { number: ctx.row.current_stage, name: ctx.row.stage_name },
      current: ctx.row.stage_deadline ? zoneWords(ctx.pack, ctx.row.stage_deadline) : null,
      newDeadline: form.deadline ? zoneWords(ctx.pack, form.deadline) : null,
      reason: form.reason,
      values: { reason: values.reason ?? '', 'deadline-day': values['deadline-day'] ?? '', 'deadline-month': values['deadline-month'] ?? '', 'deadline-year': values['deadline-year'] ?? '' },
      csrfToken: generateCsrfToken(req, res),
    });
  });

  router.post('/cases/:reference/clock/:action/confirm', async (req, res) => {
    const ctx = await load(req, res);
    if (!ctx) return;
    const values = (req.body ?? {}) as Record<string, unknown>;
    if (!validateRequest(req)) return showForm(req, res, ctx, values, [{ path: '', text: 'Your form had expired. Check your answers and send them again.' }], 403);
    const { form, errors } = readClockForm(ctx.action, values, ctx.pack, now());
    if (errors.length) return showForm(req, res, ctx, values, errors, 400);
    const result = await sendClockUpdate(deps, ctx.action, {
      reference: ctx.row.reference,
      stage: ctx.row.current_stage!,
      by: ctx.who.by,
      actor: ctx.who.actor,
      ...(form.reason ? { reason: form.reason } : {}),
      ...(form.deadline ? { deadline: form.deadline } : {}),
    });
    if (!result.ok) {
      if (result.status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      return showForm(req, res, ctx, values, [{ path: '', text: result.message }], result.status);
    }
    res.render('clock-done.njk', {
      title: DONE[ctx.action],
      action: ctx.action,
      reference: ctx.row.reference,
      deadline: zoneWords(ctx.pack, result.view.deadline),
    });
  });

  return router;
}
