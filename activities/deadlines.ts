/**
 * Deadline arithmetic runs here, in an activity, so the workflow sleeps until an instant recorded
 * in its history: a holiday-calendar update can never make a replay diverge.
 */
import { DateTime, Duration } from 'luxon';
import type { DeadlineRequest } from '../shared/events';
import { addWorkingDays, addWorkingHours } from '../shared/calendar/workingTime';

export function computeDeadline({ from, timescale, calendar }: DeadlineRequest): string {
  const start = new Date(from);
  if ('workingDays' in timescale) return addWorkingDays(start, timescale.workingDays, calendar).toISOString();
  if ('workingHours' in timescale) return addWorkingHours(start, timescale.workingHours, calendar).toISOString();
  // A plain period is elapsed time in the pack's zone, so P1D across a clock change is still "same time tomorrow".
  return DateTime.fromJSDate(start, { zone: calendar.timeZone }).plus(Duration.fromISO(timescale.period)).toJSDate().toISOString();
}
