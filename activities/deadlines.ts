/**
 * Deadline arithmetic runs here, in an activity, so the workflow sleeps until an instant recorded
 * in its history: a holiday-calendar update can never make a replay diverge.
 */
import { DateTime, Duration } from 'luxon';
import { ApplicationFailure } from '@temporalio/common';
import type { DeadlineRequest, ReviewInstantRequest } from '../shared/events';
import { addWorkingDays, addWorkingHours } from '../shared/calendar/workingTime';

export function computeDeadline({ from, timescale, calendar, backwards }: DeadlineRequest): string {
  const start = new Date(from);
  if (backwards) {
    if (!('period' in timescale)) throw ApplicationFailure.nonRetryable('Only a plain period can be counted backwards', 'InvalidTimescale');
    return DateTime.fromJSDate(start, { zone: calendar.timeZone }).minus(Duration.fromISO(timescale.period)).toJSDate().toISOString();
  }
  if ('workingDays' in timescale) return addWorkingDays(start, timescale.workingDays, calendar).toISOString();
  if ('workingHours' in timescale) return addWorkingHours(start, timescale.workingHours, calendar).toISOString();
  // A plain period is elapsed time in the pack's zone, so P1D across a clock change is still "same time tomorrow".
  return DateTime.fromJSDate(start, { zone: calendar.timeZone }).plus(Duration.fromISO(timescale.period)).toJSDate().toISOString();
}

/** The start of the working day on a review date (or the next working day, if it is not one). */
export function reviewInstant({ date, calendar }: ReviewInstantRequest): string {
  const midnight = DateTime.fromISO(date, { zone: calendar.timeZone }).startOf('day');
  if (!midnight.isValid) throw ApplicationFailure.nonRetryable(`Not a date: ${date}`, 'InvalidDate');
  return addWorkingHours(midnight.toJSDate(), 0, calendar).toISOString();
}
