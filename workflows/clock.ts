/**
 * A stage's clock (issue 11): its participants or a partnership admin pause it with a reason (for
 * example while waiting for a meeting) and resume it, or extend or shorten its deadline with a
 * reason. Pausing stops the stage's timers (reminders, the deadline); resuming moves the due
 * deadline on by the time it was paused. Every change is on the record, shown on the timeline, and
 * told to the stage's people and the two practitioners.
 *
 * The stage waits with `untilOnClock`, which starts its wait again whenever the clock changes, so a
 * pause, a resume or a new deadline reaches a stage already waiting. Stages begun before this code
 * (no `stage-clock` marker in their history) keep their fixed timers and refuse changes.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { changeDeadline, pauseClock, resumeClock, type ChangeDeadlineRequest, type ClockRequest, type StageView } from '../shared/contract';
import type { ClockChange, Recipient } from '../shared/events';
import { computeDeadline } from './activityProxies';
import { except, ignoreCancellation, type CaseContext, type StageRun } from './case';
import { deliver } from './notices';
import { clockRefusal, type ClockAction } from './rules';

/** The patch behind the clock: a pausable, changeable wait, and the due deadline kept apart from the final stage's last chance. */
export const STAGE_CLOCK = 'stage-clock';

/** The state of the current stage's clock. */
export interface StageClock {
  /** While paused: since when. */
  pausedAt?: string;
  /** Counts every change, so a waiting stage knows to start its wait again. */
  changes: number;
  /** The due deadline has passed: the stage is escalating, or in its last chance. */
  passed: boolean;
}

export type ClockWait = 'decided' | 'reached' | 'past';

/**
 * Waits, while the clock runs, until the instant `at` gives (asked again after every change to the
 * clock). `decided` when an outcome arrives first; `reached` when the instant came; `past` when it
 * had already gone by when it was asked and `skipPast` is set (a reminder whose time went by).
 */
export async function untilOnClock(c: CaseContext, clock: StageClock, at: () => Promise<string>, skipPast = false): Promise<ClockWait> {
  for (;;) {
    if (c.decided()) return 'decided';
    const seen = clock.changes;
    const changed = () => c.decided() || clock.changes !== seen;
    if (clock.pausedAt) {
      await condition(changed);
      continue;
    }
    const instant = await at();
    if (clock.changes !== seen) continue;
    if (instant <= c.now()) {
      if (c.decided()) return 'decided';
      return skipPast ? 'past' : 'reached';
    }
    const interrupted = await condition(changed, untilInstant(instant));
    if (c.decided()) return 'decided';
    if (!interrupted && clock.changes === seen) return 'reached';
  }
}

function untilInstant(iso: string): number {
  return Math.max(new Date(iso).getTime() - Date.now(), 1);
}

/** The three clock Updates; their validators only call the pure rule (workflows/rules.ts). */
export function answerClockMessages(c: CaseContext): void {
  const validator = (action: ClockAction) => (request: ClockRequest) => {
    const cur = c.current;
    const refused = clockRefusal(
      action,
      {
        status: c.ending ? 'closed' : c.status,
        now: c.now(),
        stage: cur && {
          number: cur.run.number,
          participants: cur.run.participants,
          adjustable: cur.clock !== undefined,
          deadline: cur.view.deadline,
          pausedAt: cur.clock?.pausedAt,
          passed: cur.clock?.passed ?? false,
          decided: cur.decision !== undefined,
        },
      },
      request,
    );
    if (refused) throw ApplicationFailure.create({ type: refused.type, message: refused.message, nonRetryable: true });
  };

  setHandler(
    pauseClock,
    async (request) => {
      const { run, view, clock } = stageOf(c);
      const at = c.now();
      // Taken before the first await, so a second pause in the same moment is refused.
      clock.pausedAt = at;
      clock.changes += 1;
      view.pausedAt = at;
      c.showStage(view);
      const change: ClockChange = { change: 'paused', by: request.by, byRole: roleOf(run, request), from: view.deadline, to: view.deadline };
      const recorded = c.record({
        type: 'clockPaused',
        stage: run.number,
        actor: request.actor,
        detail: { by: request.by, role: change.byRole, reason: request.reason!.trim(), deadline: view.deadline },
        caseUpdate: { clockPausedAt: at },
      });
      tell(c, run, view, change, request, clock.changes);
      await recorded;
      return { ...view };
    },
    { validator: validator('pause') },
  );

  setHandler(
    resumeClock,
    async (request) => {
      const { run, view, clock } = stageOf(c);
      const at = c.now();
      const pausedAt = clock.pausedAt!;
      const from = view.deadline;
      const to = new Date(Date.parse(from) + Math.max(0, Date.parse(at) - Date.parse(pausedAt))).toISOString();
      clock.pausedAt = undefined;
      clock.changes += 1;
      view.deadline = to;
      delete view.pausedAt;
      c.showStage(view);
      const change: ClockChange = { change: 'resumed', by: request.by, byRole: roleOf(run, request), from, to };
      const reason = request.reason?.trim();
      const recorded = c.record({
        type: 'clockResumed',
        stage: run.number,
        actor: request.actor,
        detail: { by: request.by, role: change.byRole, pausedAt, from, to, ...(reason ? { reason } : {}) },
        caseUpdate: { stageDeadline: to, clockPausedAt: null },
      });
      tell(c, run, view, change, request, clock.changes);
      await recorded;
      return { ...view };
    },
    { validator: validator('resume') },
  );

  setHandler(
    changeDeadline,
    async (request: ChangeDeadlineRequest) => {
      const { run, view, clock } = stageOf(c);
      const from = view.deadline;
      const to = new Date(request.deadline).toISOString();
      clock.changes += 1;
      view.deadline = to;
      c.showStage(view);
      const change: ClockChange = { change: to > from ? 'extended' : 'shortened', by: request.by, byRole: roleOf(run, request), from, to };
      const recorded = c.record({
        type: 'deadlineChanged',
        stage: run.number,
        actor: request.actor,
        detail: { by: request.by, role: change.byRole, change: change.change as 'extended' | 'shortened', from, to, reason: request.reason.trim() },
        caseUpdate: { stageDeadline: to },
      });
      tell(c, run, view, change, request, clock.changes);
      await recorded;
      return { ...view };
    },
    { validator: validator('change') as (request: ChangeDeadlineRequest) => void },
  );
}

function stageOf(c: CaseContext): { run: StageRun; view: StageView; clock: StageClock } {
  const cur = c.current!;
  return { run: cur.run, view: cur.view, clock: cur.clock! };
}

function roleOf(run: StageRun, request: ClockRequest): string {
  if (request.by === 'partnershipAdmin') return 'partnershipAdmin';
  return run.participants.find((p) => p.id === request.actor)?.role ?? 'unknown';
}

/**
 * The stage's people and the two practitioners hear of the change (not whoever made it), once each,
 * alongside the case: the Update answers once the change is on the record. With a new deadline, the
 * stage's people get a fresh link to record the outcome, valid a grace period after it (their first
 * link expired with the old deadline's grace).
 */
function tell(c: CaseContext, run: StageRun, view: StageView, clock: ClockChange, request: ClockRequest, round: number): void {
  const notActor = (p: Recipient) => !(request.by === 'participant' && p.id === request.actor);
  const participants = run.participants.filter(notActor);
  const others = except(c.practitioners(), run.participants).filter(notActor);
  const summary = c.summary(run, view.deadline);
  const sent = (async () => {
    const linkExpiresAt =
      clock.change === 'paused' ? undefined : await computeDeadline({ from: view.deadline, timescale: c.policy.linkGrace, calendar: c.policy.calendar });
    await Promise.all([
      deliver(c, 'clockChanged', participants, summary, { clock, ...(linkExpiresAt ? { linkExpiresAt } : {}) }, `clock-${round}`),
      deliver(c, 'clockChanged', others, summary, { clock }, `clock-${round}`),
    ]);
  })();
  c.inFlight.push(sent.catch(ignoreCancellation));
}
