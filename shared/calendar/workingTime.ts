/**
 * Working-time arithmetic for safeguarding escalation deadlines.
 *
 * Statutory and partnership timescales are expressed in working days or
 * working hours, so every function here interprets instants in the calendar's
 * IANA zone (via luxon) rather than in UTC or the host's zone. That keeps a
 * "17:00" deadline at 17:00 on the wall clock whether the UK is on GMT or BST.
 *
 * All functions are pure with respect to their arguments: nothing reads the
 * system clock, and callers always pass the instants to reason about. The only
 * module state is a memo of bank-holiday dates, which never changes the answer.
 */
import { DateTime } from 'luxon';
import Holidays from 'date-holidays';

export interface WorkingCalendar {
  /** IANA zone, e.g. 'Europe/London'. */
  timeZone: string;
  /** Whose bank holidays are non-working days. England and Wales share one list. */
  holidays: 'england-and-wales' | 'none';
  /** Local wall-clock working window, 'HH:mm' 24-hour; end must be after start. */
  workingDay: { start: string; end: string };
}

export const ENGLAND_OFFICE_HOURS: WorkingCalendar = Object.freeze({
  timeZone: 'Europe/London',
  holidays: 'england-and-wales',
  workingDay: Object.freeze({ start: '09:00', end: '17:00' }),
});

// ---------------------------------------------------------------------------
// Bank holidays
// ---------------------------------------------------------------------------

// Building a Holidays instance parses a large rules file, so do it once, and
// only when a caller first needs it.
let englandAndWales: Holidays | undefined;
// Per-year sets of 'yyyy-MM-dd'; a deadline loop asks about the same year
// hundreds of times and date-holidays recomputes its rules on every call.
const bankHolidayDatesByYear = new Map<number, ReadonlySet<string>>();

function englandAndWalesHolidays(): Holidays {
  // England and Wales share one statutory list (date-holidays' 'WLS' data is
  // identical), so the England state stands for both.
  englandAndWales ??= new Holidays('GB', 'ENG');
  return englandAndWales;
}

function bankHolidayDates(year: number): ReadonlySet<string> {
  const cached = bankHolidayDatesByYear.get(year);
  if (cached) return cached;

  const dates = new Set<string>();
  for (const holiday of englandAndWalesHolidays().getHolidays(year)) {
    // The library also lists 'observance' days (Mother's Day, Easter Sunday,
    // ...) on which offices are open; only public/bank holidays close them.
    if (holiday.type !== 'public' && holiday.type !== 'bank') continue;
    // `date` is the civil date in the country's own zone ("2026-12-28 00:00:00"),
    // which is what a bank holiday is; `start`/`end` are instants and would
    // shift if read in a different zone.
    const first = DateTime.fromISO(holiday.date.slice(0, 10), { zone: 'UTC' });
    // Guard against multi-day entries (none in the GB data today) by expanding
    // the span; rounding absorbs 23/25-hour days at the clock changes.
    const days = Math.max(1, Math.round((holiday.end.getTime() - holiday.start.getTime()) / 86_400_000));
    for (let i = 0; i < days; i += 1) dates.add(first.plus({ days: i }).toISODate()!);
  }
  bankHolidayDatesByYear.set(year, dates);
  return dates;
}

// ---------------------------------------------------------------------------
// Calendar helpers
// ---------------------------------------------------------------------------

/** A local calendar date with no zone attached, so day-stepping never meets a clock change. */
type CivilDate = DateTime; // always in UTC, at midnight

interface WorkingWindow {
  start: DateTime;
  end: DateTime;
}

function parseClock(value: string, label: string): { hour: number; minute: number } {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!match) throw new RangeError(`workingDay.${label} must be 'HH:mm' (00:00-23:59), got '${value}'`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

function workingClock(cal: WorkingCalendar): { start: { hour: number; minute: number }; end: { hour: number; minute: number } } {
  const start = parseClock(cal.workingDay.start, 'start');
  const end = parseClock(cal.workingDay.end, 'end');
  // An empty or inverted window would make every deadline search loop forever.
  if (end.hour * 60 + end.minute <= start.hour * 60 + start.minute) {
    throw new RangeError(`workingDay.end (${cal.workingDay.end}) must be after workingDay.start (${cal.workingDay.start})`);
  }
  return { start, end };
}

/** Reads an instant in a zone, failing loudly on bad input rather than yielding "Invalid DateTime". */
function inZone(instant: Date, timeZone: string): DateTime {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw new TypeError('Expected a valid Date instant');
  }
  const local = DateTime.fromJSDate(instant, { zone: timeZone });
  if (!local.isValid) throw new RangeError(`Unknown time zone '${timeZone}'`);
  return local;
}

function civilDateOf(local: DateTime): CivilDate {
  return DateTime.utc(local.year, local.month, local.day);
}

function isBankHolidayDate(date: CivilDate, cal: WorkingCalendar): boolean {
  switch (cal.holidays) {
    case 'none':
      return false;
    case 'england-and-wales':
      return bankHolidayDates(date.year).has(date.toISODate()!);
    default:
      // Calendars usually arrive from configuration, so an unsupported region
      // must not silently fall back to "no bank holidays".
      throw new RangeError(`Unsupported holiday calendar '${String(cal.holidays)}'`);
  }
}

function isWorkingDate(date: CivilDate, cal: WorkingCalendar): boolean {
  return date.weekday <= 5 && !isBankHolidayDate(date, cal);
}

function nextWorkingDate(date: CivilDate, cal: WorkingCalendar): CivilDate {
  let next = date.plus({ days: 1 });
  while (!isWorkingDate(next, cal)) next = next.plus({ days: 1 });
  return next;
}

/**
 * The working window of a date as real instants. Luxon resolves a wall time
 * that does not exist (inside a spring-forward gap) by moving it forward, and
 * an ambiguous one (autumn fall-back) to one of its two instants; neither can
 * happen for office hours in the UK, where the clocks change at 01:00/02:00.
 */
function windowOn(date: CivilDate, cal: WorkingCalendar): WorkingWindow {
  const { start, end } = workingClock(cal);
  const at = (t: { hour: number; minute: number }) =>
    DateTime.fromObject({ year: date.year, month: date.month, day: date.day, ...t }, { zone: cal.timeZone });
  return { start: at(start), end: at(end) };
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/** Whether the local date of `instant` (in cal's zone) is a bank holiday. */
export function isBankHoliday(instant: Date, cal: WorkingCalendar): boolean {
  return isBankHolidayDate(civilDateOf(inZone(instant, cal.timeZone)), cal);
}

/** Whether the local date of `instant` is Monday-Friday and not a bank holiday. */
export function isWorkingDay(instant: Date, cal: WorkingCalendar): boolean {
  return isWorkingDate(civilDateOf(inZone(instant, cal.timeZone)), cal);
}

/**
 * Whether `instant` is inside working hours on a working day. The window is
 * half-open, [start, end): 17:00 itself is out of hours, so work "received at
 * 17:00" is treated like work received overnight.
 */
export function isWithinWorkingHours(instant: Date, cal: WorkingCalendar): boolean {
  const local = inZone(instant, cal.timeZone);
  const date = civilDateOf(local);
  if (!isWorkingDate(date, cal)) return false;
  const { start, end } = windowOn(date, cal);
  return local >= start && local < end;
}

/**
 * Deadline `n` working days after `from`, always at the end of a working day
 * (cal.workingDay.end, local time, so 17:00 BST or GMT as the date requires).
 *
 * Semantics:
 * - Day 0 ("the receiving day") is the local date of `from` when that date is
 *   a working day and `from` is strictly before its end time (so a start at
 *   07:00 on a working day counts that day). Otherwise - a weekend, a bank
 *   holiday, or at/after the end time - day 0 is the next working day, as if
 *   the matter had arrived at its start.
 * - The result is the end of the n-th working day after day 0; n = 0 is the
 *   end of day 0 itself.
 * - Examples (09:00-17:00): Monday 10:00 + 5 -> next Monday 17:00;
 *   Friday 18:00 + 0 -> Monday 17:00; Friday 18:00 + 5 -> the Monday after
 *   next, 17:00; Saturday + 1 -> Tuesday 17:00.
 * - Consequently the result is always strictly after `from`, even for n = 0.
 *
 * @throws RangeError when n is not a non-negative integer.
 */
export function addWorkingDays(from: Date, n: number, cal: WorkingCalendar): Date {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  const local = inZone(from, cal.timeZone);

  let day = civilDateOf(local);
  if (!isWorkingDate(day, cal) || local >= windowOn(day, cal).end) day = nextWorkingDate(day, cal);
  for (let i = 0; i < n; i += 1) day = nextWorkingDate(day, cal);

  return windowOn(day, cal).end.toJSDate();
}

/**
 * The instant after `hours` of working time has elapsed from `from`, counting
 * only real elapsed time inside working windows on working days.
 *
 * Semantics:
 * - A `from` outside working hours (including exactly at the end time) starts
 *   counting at the next working window's start.
 * - When the time runs out exactly at a window's end, the result is that end
 *   (16:00 + 1h -> 17:00 the same day), not the next morning.
 * - hours = 0 returns `from` when it is within working hours, otherwise the
 *   next window's start.
 * - Fractional hours are allowed and resolved to the nearest millisecond.
 *
 * @throws RangeError when hours is negative or not finite.
 */
export function addWorkingHours(from: Date, hours: number, cal: WorkingCalendar): Date {
  if (!Number.isFinite(hours) || hours < 0) throw new RangeError(`hours must be a finite non-negative number, got ${hours}`);
  let remainingMs = Math.round(hours * 3_600_000);
  const local = inZone(from, cal.timeZone);

  // Find the first window that still has time left after `from`.
  let day = civilDateOf(local);
  let window = windowOn(day, cal);
  if (!isWorkingDate(day, cal) || local >= window.end) {
    day = nextWorkingDate(day, cal);
    window = windowOn(day, cal);
  }
  let cursor = local < window.start ? window.start : local;

  for (;;) {
    // Subtracting instants (not wall times) means a window that straddled a
    // clock change would contribute its true length.
    const availableMs = window.end.toMillis() - cursor.toMillis();
    if (remainingMs <= availableMs) return new Date(cursor.toMillis() + remainingMs);
    remainingMs -= availableMs;
    day = nextWorkingDate(day, cal);
    window = windowOn(day, cal);
    cursor = window.start;
  }
}

/**
 * Plain-English deadline in GOV.UK style, in `timeZone`:
 * 'by 5pm on Friday 4 December', 'by 9:30am on Monday 7 December'.
 *
 * - The year is appended when the deadline's local year differs from `now`'s
 *   local year; with no `now` it is always appended, because this module
 *   never reads the system clock and an unqualified date could be misread.
 * - 12:00 is written 'midday' (GOV.UK style, avoids the 12pm/12am confusion).
 * - 00:00 is written as 'midnight' on the day that is ending, so a deadline of
 *   00:00 on Saturday 5 December reads 'by midnight on Friday 4 December'.
 */
export function describeDeadline(deadline: Date, timeZone: string, now?: Date): string {
  const local = inZone(deadline, timeZone).setLocale('en-GB');

  let time: string;
  let shownDate = local;
  if (local.hour === 0 && local.minute === 0) {
    time = 'midnight';
    shownDate = local.minus({ days: 1 });
  } else if (local.hour === 12 && local.minute === 0) {
    time = 'midday';
  } else {
    const hour12 = local.hour % 12 === 0 ? 12 : local.hour % 12;
    const minutes = local.minute === 0 ? '' : `:${String(local.minute).padStart(2, '0')}`;
    time = `${hour12}${minutes}${local.hour < 12 ? 'am' : 'pm'}`;
  }

  const showYear = now === undefined || inZone(now, timeZone).year !== shownDate.year;
  const date = shownDate.toFormat(showYear ? 'cccc d LLLL yyyy' : 'cccc d LLLL');
  return `by ${time} on ${date}`;
}

/**
 * The local reading of an instant used to pick day-time or out-of-hours
 * contacts: ISO weekday (1 = Monday ... 7 = Sunday), 'HH:mm' wall time,
 * 'yyyy-MM-dd' local date, and whether that date is a bank holiday.
 */
export function localClock(
  instant: Date,
  cal: WorkingCalendar,
): { weekday: number; time: string; date: string; bankHoliday: boolean } {
  const local = inZone(instant, cal.timeZone);
  const date = civilDateOf(local);
  return {
    weekday: local.weekday,
    time: local.toFormat('HH:mm'),
    date: date.toISODate()!,
    bankHoliday: isBankHolidayDate(date, cal),
  };
}
