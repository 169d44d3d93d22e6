import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  ENGLAND_OFFICE_HOURS,
  WorkingCalendar,
  addWorkingDays,
  addWorkingHours,
  describeDeadline,
  isBankHoliday,
  isWithinWorkingHours,
  isWorkingDay,
  localClock,
} from '../../shared/calendar/workingTime';

const cal = ENGLAND_OFFICE_HOURS;

/** A London wall-clock time ('2026-12-04T17:00') as an instant, so tests read like the policy documents. */
function london(wallTime: string): Date {
  const local = DateTime.fromISO(wallTime, { zone: 'Europe/London' });
  if (!local.isValid) throw new Error(`bad test time ${wallTime}`);
  return local.toJSDate();
}

/** The London wall-clock reading of an instant, for readable assertions. */
function inLondon(instant: Date): string {
  return DateTime.fromJSDate(instant, { zone: 'Europe/London' }).toFormat("cccc yyyy-MM-dd'T'HH:mm");
}

describe('bank holidays (England and Wales)', () => {
  it('treats Christmas Day 2026 and the Boxing Day substitute on Monday 28 December as bank holidays', () => {
    expect(isBankHoliday(london('2026-12-25T12:00'), cal)).toBe(true);
    expect(isBankHoliday(london('2026-12-26T12:00'), cal)).toBe(true);
    expect(isBankHoliday(london('2026-12-28T12:00'), cal)).toBe(true);
    expect(isBankHoliday(london('2026-12-29T12:00'), cal)).toBe(false);
  });

  it('knows Good Friday and Easter Monday 2027 (26 and 29 March) but not Easter Sunday, which is only an observance', () => {
    expect(isBankHoliday(london('2027-03-26T10:00'), cal)).toBe(true);
    expect(isBankHoliday(london('2027-03-29T10:00'), cal)).toBe(true);
    expect(isBankHoliday(london('2027-03-28T10:00'), cal)).toBe(false);
  });

  it('knows the early May bank holiday (Monday 4 May 2026, Monday 3 May 2027)', () => {
    expect(isBankHoliday(london('2026-05-04T10:00'), cal)).toBe(true);
    expect(isBankHoliday(london('2027-05-03T10:00'), cal)).toBe(true);
    expect(isBankHoliday(london('2026-05-05T10:00'), cal)).toBe(false);
  });

  it('includes one-off bank holidays such as the 2022 state funeral and the 2023 coronation', () => {
    expect(isBankHoliday(london('2022-09-19T10:00'), cal)).toBe(true);
    expect(isBankHoliday(london('2023-05-08T10:00'), cal)).toBe(true);
  });

  it('decides the date in the calendar zone, not in UTC', () => {
    // 23:30 UTC on Sunday 3 May 2026 is already 00:30 BST on the bank holiday.
    expect(isBankHoliday(new Date('2026-05-03T23:30:00Z'), cal)).toBe(true);
    expect(isBankHoliday(new Date('2026-05-04T23:30:00Z'), cal)).toBe(false);
  });

  it('has no bank holidays when the calendar says none', () => {
    const noHolidays: WorkingCalendar = { ...cal, holidays: 'none' };
    expect(isBankHoliday(london('2026-12-25T12:00'), noHolidays)).toBe(false);
    expect(isWorkingDay(london('2026-12-25T12:00'), noHolidays)).toBe(true);
  });

  it('refuses an unsupported holiday region rather than silently ignoring holidays', () => {
    const scotland = { ...cal, holidays: 'scotland' } as unknown as WorkingCalendar;
    expect(() => isBankHoliday(london('2026-12-25T12:00'), scotland)).toThrow(RangeError);
  });
});

describe('isWorkingDay', () => {
  it('is true Monday to Friday and false at weekends', () => {
    expect(isWorkingDay(london('2026-11-30T10:00'), cal)).toBe(true); // Monday
    expect(isWorkingDay(london('2026-12-04T23:59'), cal)).toBe(true); // Friday
    expect(isWorkingDay(london('2026-12-05T10:00'), cal)).toBe(false); // Saturday
    expect(isWorkingDay(london('2026-12-06T10:00'), cal)).toBe(false); // Sunday
  });

  it('is false on a bank holiday that falls on a weekday', () => {
    expect(isWorkingDay(london('2026-12-28T10:00'), cal)).toBe(false);
  });
});

describe('isWithinWorkingHours', () => {
  it('includes the start time and excludes the end time', () => {
    expect(isWithinWorkingHours(london('2026-12-01T08:59'), cal)).toBe(false);
    expect(isWithinWorkingHours(london('2026-12-01T09:00'), cal)).toBe(true);
    expect(isWithinWorkingHours(london('2026-12-01T16:59'), cal)).toBe(true);
    expect(isWithinWorkingHours(london('2026-12-01T17:00'), cal)).toBe(false);
  });

  it('follows local time in summer (09:00 BST is 08:00 UTC)', () => {
    expect(isWithinWorkingHours(new Date('2026-06-01T08:00:00Z'), cal)).toBe(true);
    expect(isWithinWorkingHours(new Date('2026-06-01T16:30:00Z'), cal)).toBe(false);
  });

  it('is false all day at weekends and on bank holidays', () => {
    expect(isWithinWorkingHours(london('2026-12-05T11:00'), cal)).toBe(false);
    expect(isWithinWorkingHours(london('2026-12-25T11:00'), cal)).toBe(false);
  });
});

describe('addWorkingDays', () => {
  it('counts the receiving day as day 0: 5 working days from Monday 10:00 is next Monday 17:00', () => {
    expect(inLondon(addWorkingDays(london('2026-11-30T10:00'), 5, cal))).toBe('Monday 2026-12-07T17:00');
  });

  it('gives the end of the same working day for n = 0, even before the office opens', () => {
    expect(inLondon(addWorkingDays(london('2026-12-01T07:00'), 0, cal))).toBe('Tuesday 2026-12-01T17:00');
    expect(inLondon(addWorkingDays(london('2026-12-01T16:59'), 0, cal))).toBe('Tuesday 2026-12-01T17:00');
  });

  it('treats a start at or after the end time as arriving next working day', () => {
    expect(inLondon(addWorkingDays(london('2026-12-01T17:00'), 0, cal))).toBe('Wednesday 2026-12-02T17:00');
    expect(inLondon(addWorkingDays(london('2026-12-04T19:00'), 0, cal))).toBe('Monday 2026-12-07T17:00');
    expect(inLondon(addWorkingDays(london('2026-12-04T19:00'), 1, cal))).toBe('Tuesday 2026-12-08T17:00');
    expect(inLondon(addWorkingDays(london('2026-12-04T18:00'), 5, cal))).toBe('Monday 2026-12-14T17:00');
  });

  it('treats a weekend start as arriving on Monday', () => {
    expect(inLondon(addWorkingDays(london('2026-12-05T10:00'), 0, cal))).toBe('Monday 2026-12-07T17:00');
    expect(inLondon(addWorkingDays(london('2026-12-05T10:00'), 1, cal))).toBe('Tuesday 2026-12-08T17:00');
  });

  it('treats a bank-holiday start as arriving on the next working day', () => {
    expect(inLondon(addWorkingDays(london('2026-12-28T10:00'), 1, cal))).toBe('Wednesday 2026-12-30T17:00');
  });

  it('skips Christmas, the Boxing Day substitute and New Year’s Day', () => {
    const christmasEve = london('2026-12-24T10:00');
    expect(inLondon(addWorkingDays(christmasEve, 1, cal))).toBe('Tuesday 2026-12-29T17:00');
    expect(inLondon(addWorkingDays(christmasEve, 3, cal))).toBe('Thursday 2026-12-31T17:00');
    expect(inLondon(addWorkingDays(christmasEve, 4, cal))).toBe('Monday 2027-01-04T17:00');
  });

  it('lands at 17:00 BST across the March 2027 clock change and Easter', () => {
    // Thursday 25 March is GMT; Good Friday, the clocks going forward on
    // Sunday 28 March and Easter Monday all intervene.
    const deadline = addWorkingDays(new Date('2027-03-25T10:00:00Z'), 1, cal);
    expect(deadline.toISOString()).toBe('2027-03-30T16:00:00.000Z');
  });

  it('lands at 17:00 GMT across the October 2026 clock change', () => {
    // Friday 23 October 10:00 BST; clocks go back on Sunday 25 October.
    const deadline = addWorkingDays(new Date('2026-10-23T09:00:00Z'), 1, cal);
    expect(deadline.toISOString()).toBe('2026-10-26T17:00:00.000Z');
  });

  it('uses the calendar’s own zone and working day', () => {
    const newYork: WorkingCalendar = { timeZone: 'America/New_York', holidays: 'none', workingDay: { start: '08:30', end: '16:30' } };
    // Friday 4 December 2026, 22:00 UTC = 17:00 EST, after close.
    expect(addWorkingDays(new Date('2026-12-04T22:00:00Z'), 0, newYork).toISOString()).toBe('2026-12-07T21:30:00.000Z');
  });

  it('rejects negative or fractional day counts', () => {
    expect(() => addWorkingDays(london('2026-12-01T10:00'), -1, cal)).toThrow(RangeError);
    expect(() => addWorkingDays(london('2026-12-01T10:00'), 1.5, cal)).toThrow(RangeError);
  });

  it('rejects a malformed or empty working day', () => {
    const bad: WorkingCalendar = { ...cal, workingDay: { start: '17:00', end: '09:00' } };
    expect(() => addWorkingDays(london('2026-12-01T10:00'), 1, bad)).toThrow(RangeError);
    const malformed: WorkingCalendar = { ...cal, workingDay: { start: '9am', end: '17:00' } };
    expect(() => addWorkingDays(london('2026-12-01T10:00'), 1, malformed)).toThrow(RangeError);
  });
});

describe('addWorkingHours', () => {
  it('adds hours within the same working day', () => {
    expect(inLondon(addWorkingHours(london('2026-11-30T10:00'), 4, cal))).toBe('Monday 2026-11-30T14:00');
    expect(inLondon(addWorkingHours(london('2026-11-30T09:00'), 8, cal))).toBe('Monday 2026-11-30T17:00');
  });

  it('stops exactly at the end of the day rather than rolling to the next morning', () => {
    expect(inLondon(addWorkingHours(london('2026-11-30T16:00'), 1, cal))).toBe('Monday 2026-11-30T17:00');
  });

  it('carries the remainder into the next working day', () => {
    expect(inLondon(addWorkingHours(london('2026-11-30T16:00'), 2, cal))).toBe('Tuesday 2026-12-01T10:00');
    expect(inLondon(addWorkingHours(london('2026-11-30T09:00'), 16, cal))).toBe('Tuesday 2026-12-01T17:00');
  });

  it('counts from Monday 09:00 when started on Friday evening or at the weekend', () => {
    expect(inLondon(addWorkingHours(london('2026-12-04T19:00'), 2, cal))).toBe('Monday 2026-12-07T11:00');
    expect(inLondon(addWorkingHours(london('2026-12-05T10:00'), 1.5, cal))).toBe('Monday 2026-12-07T10:30');
  });

  it('counts from the next working day when started on a bank holiday', () => {
    expect(inLondon(addWorkingHours(london('2026-12-28T10:00'), 1, cal))).toBe('Tuesday 2026-12-29T10:00');
  });

  it('returns the start for zero hours in hours, and the next opening time out of hours', () => {
    expect(inLondon(addWorkingHours(london('2026-12-01T11:15'), 0, cal))).toBe('Tuesday 2026-12-01T11:15');
    expect(inLondon(addWorkingHours(london('2026-12-01T17:00'), 0, cal))).toBe('Wednesday 2026-12-02T09:00');
  });

  it('supports fractional hours', () => {
    expect(inLondon(addWorkingHours(london('2026-12-01T09:00'), 0.25, cal))).toBe('Tuesday 2026-12-01T09:15');
  });

  it('opens at 09:00 BST after the March 2027 clock change and Easter', () => {
    // One hour on Thursday 25 March (GMT), one on Tuesday 30 March (BST).
    expect(addWorkingHours(new Date('2027-03-25T16:00:00Z'), 2, cal).toISOString()).toBe('2027-03-30T09:00:00.000Z');
  });

  it('opens at 09:00 GMT after the October 2026 clock change', () => {
    // One hour on Friday 23 October (BST), one on Monday 26 October (GMT).
    expect(addWorkingHours(new Date('2026-10-23T15:00:00Z'), 2, cal).toISOString()).toBe('2026-10-26T10:00:00.000Z');
  });

  it('rejects negative or non-finite hours', () => {
    expect(() => addWorkingHours(london('2026-12-01T10:00'), -1, cal)).toThrow(RangeError);
    expect(() => addWorkingHours(london('2026-12-01T10:00'), Number.NaN, cal)).toThrow(RangeError);
    expect(() => addWorkingHours(london('2026-12-01T10:00'), Number.POSITIVE_INFINITY, cal)).toThrow(RangeError);
  });
});

describe('describeDeadline', () => {
  const now = london('2026-11-30T10:00');

  it('writes the hour alone when on the hour', () => {
    expect(describeDeadline(london('2026-12-04T17:00'), 'Europe/London', now)).toBe('by 5pm on Friday 4 December');
  });

  it('shows minutes when not on the hour', () => {
    expect(describeDeadline(london('2026-12-07T09:30'), 'Europe/London', now)).toBe('by 9:30am on Monday 7 December');
    expect(describeDeadline(london('2026-12-07T14:05'), 'Europe/London', now)).toBe('by 2:05pm on Monday 7 December');
  });

  it('adds the year when it differs from now’s year, or when now is not given', () => {
    expect(describeDeadline(london('2027-01-04T17:00'), 'Europe/London', now)).toBe('by 5pm on Monday 4 January 2027');
    expect(describeDeadline(london('2026-12-04T17:00'), 'Europe/London', london('2025-06-01T12:00'))).toBe(
      'by 5pm on Friday 4 December 2026',
    );
    expect(describeDeadline(london('2026-12-04T17:00'), 'Europe/London')).toBe('by 5pm on Friday 4 December 2026');
  });

  it('reads the deadline in local time during British Summer Time', () => {
    expect(describeDeadline(new Date('2026-06-05T16:00:00Z'), 'Europe/London', now)).toBe('by 5pm on Friday 5 June');
  });

  it('says midday and midnight instead of 12pm and 12am, with midnight belonging to the day that ends', () => {
    expect(describeDeadline(london('2026-12-04T12:00'), 'Europe/London', now)).toBe('by midday on Friday 4 December');
    expect(describeDeadline(london('2026-12-05T00:00'), 'Europe/London', now)).toBe('by midnight on Friday 4 December');
    expect(describeDeadline(london('2026-12-05T00:30'), 'Europe/London', now)).toBe('by 12:30am on Saturday 5 December');
  });

  it('uses the zone it is given', () => {
    expect(describeDeadline(new Date('2026-12-04T22:00:00Z'), 'America/New_York', now)).toBe('by 5pm on Friday 4 December');
  });
});

describe('localClock', () => {
  it('reports weekday, wall time and date in the calendar zone', () => {
    expect(localClock(new Date('2026-06-01T08:30:00Z'), cal)).toEqual({
      weekday: 1,
      time: '09:30',
      date: '2026-06-01',
      bankHoliday: false,
    });
  });

  it('rolls into the next local day when UTC is still on the previous one', () => {
    // 23:15 UTC on Sunday 3 May 2026 is 00:15 BST on the early May bank holiday.
    expect(localClock(new Date('2026-05-03T23:15:00Z'), cal)).toEqual({
      weekday: 1,
      time: '00:15',
      date: '2026-05-04',
      bankHoliday: true,
    });
  });

  it('numbers Sunday as 7 and flags Christmas Day', () => {
    expect(localClock(london('2026-12-06T20:00'), cal).weekday).toBe(7);
    expect(localClock(london('2026-12-25T20:00'), cal)).toMatchObject({ weekday: 5, bankHoliday: true });
  });
});

describe('working-time properties', () => {
  // A second calendar keeps the properties honest about reading the zone and
  // working day from the calendar rather than assuming London office hours.
  const calendars: WorkingCalendar[] = [
    ENGLAND_OFFICE_HOURS,
    { timeZone: 'America/New_York', holidays: 'england-and-wales', workingDay: { start: '08:30', end: '16:45' } },
  ];
  const anyCalendar = fc.constantFrom(...calendars);
  const anyInstant = fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2030-12-31T23:59:59Z'), noInvalidDate: true });
  const anyDayCount = fc.integer({ min: 0, max: 25 });
  // Whole minutes keep the millisecond arithmetic exact, so equalities are fair.
  const anyMinutes = fc.integer({ min: 0, max: 60 * 60 });
  const params = { numRuns: 150 };

  const localDate = (instant: Date, c: WorkingCalendar) => DateTime.fromJSDate(instant, { zone: c.timeZone }).toISODate()!;

  /** Independent count of working dates d with after < d <= through, stepping civil dates at local noon. */
  function workingDatesBetween(after: Date, through: Date, c: WorkingCalendar): number {
    const last = localDate(through, c);
    let day = DateTime.fromJSDate(after, { zone: c.timeZone }).set({ hour: 12, minute: 0, second: 0, millisecond: 0 });
    let count = 0;
    for (;;) {
      day = day.plus({ days: 1 });
      if (day.toISODate()! > last) return count;
      if (isWorkingDay(day.toJSDate(), c)) count += 1;
    }
  }

  function startsOnWorkingDayBeforeClose(from: Date, c: WorkingCalendar): boolean {
    const clock = localClock(from, c);
    return isWorkingDay(from, c) && clock.time < c.workingDay.end;
  }

  it('always lands addWorkingDays on a working day at exactly the end of the working day', () => {
    fc.assert(
      fc.property(anyInstant, anyDayCount, anyCalendar, (from, n, c) => {
        const deadline = addWorkingDays(from, n, c);
        const clock = localClock(deadline, c);
        expect(isWorkingDay(deadline, c)).toBe(true);
        expect(clock.time).toBe(c.workingDay.end);
        expect(deadline.getTime() % 60_000).toBe(0);
      }),
      params,
    );
  });

  it('always puts the addWorkingDays deadline strictly after the start, even for n = 0', () => {
    fc.assert(
      fc.property(anyInstant, anyDayCount, anyCalendar, (from, n, c) => {
        expect(addWorkingDays(from, n, c).getTime()).toBeGreaterThan(from.getTime());
      }),
      params,
    );
  });

  it('makes each extra working day a later deadline', () => {
    fc.assert(
      fc.property(anyInstant, anyDayCount, anyCalendar, (from, n, c) => {
        expect(addWorkingDays(from, n + 1, c).getTime()).toBeGreaterThan(addWorkingDays(from, n, c).getTime());
      }),
      params,
    );
  });

  it('leaves exactly n - 1 working days strictly between a working-day start and the deadline day', () => {
    fc.assert(
      fc.property(anyInstant, fc.integer({ min: 1, max: 25 }), anyCalendar, (from, n, c) => {
        fc.pre(startsOnWorkingDayBeforeClose(from, c));
        const deadline = addWorkingDays(from, n, c);
        // Working dates in (from's day, deadline's day) = those in (from's day, deadline's day] minus the deadline day.
        expect(workingDatesBetween(from, deadline, c) - 1).toBe(n - 1);
      }),
      params,
    );
  });

  it('counts one extra working day when starting out of hours after close, at a weekend or on a bank holiday', () => {
    fc.assert(
      fc.property(anyInstant, anyDayCount, anyCalendar, (from, n, c) => {
        fc.pre(!startsOnWorkingDayBeforeClose(from, c));
        expect(workingDatesBetween(from, addWorkingDays(from, n, c), c)).toBe(n + 1);
      }),
      params,
    );
  });

  it('always lands addWorkingHours inside working hours or exactly at the end of a working day', () => {
    fc.assert(
      fc.property(anyInstant, anyMinutes, anyCalendar, (from, minutes, c) => {
        const deadline = addWorkingHours(from, minutes / 60, c);
        const atClose = isWorkingDay(deadline, c) && localClock(deadline, c).time === c.workingDay.end && deadline.getTime() % 60_000 === 0;
        expect(isWithinWorkingHours(deadline, c) || atClose).toBe(true);
        expect(deadline.getTime()).toBeGreaterThanOrEqual(from.getTime());
      }),
      params,
    );
  });

  it('makes addWorkingHours strictly increasing in the number of hours', () => {
    fc.assert(
      fc.property(anyInstant, anyMinutes, anyMinutes, anyCalendar, (from, a, b, c) => {
        fc.pre(a !== b);
        const [fewer, more] = a < b ? [a, b] : [b, a];
        expect(addWorkingHours(from, more / 60, c).getTime()).toBeGreaterThan(addWorkingHours(from, fewer / 60, c).getTime());
      }),
      params,
    );
  });

  it('gives the same deadline when a period is split into two non-empty parts', () => {
    fc.assert(
      fc.property(anyInstant, anyMinutes, fc.integer({ min: 1, max: 60 * 60 }), anyCalendar, (from, a, b, c) => {
        const stepwise = addWorkingHours(addWorkingHours(from, a / 60, c), b / 60, c);
        expect(stepwise.toISOString()).toBe(addWorkingHours(from, (a + b) / 60, c).toISOString());
      }),
      params,
    );
  });

  it('agrees with addWorkingDays: k full working days of hours from opening time end at close of day k - 1', () => {
    const london9to5 = ENGLAND_OFFICE_HOURS;
    fc.assert(
      fc.property(anyInstant, fc.integer({ min: 1, max: 20 }), (instant, k) => {
        // Move to 09:00 on the first working day at or after the instant.
        const opening = addWorkingHours(instant, 0, london9to5);
        const openingOfDay = DateTime.fromJSDate(opening, { zone: 'Europe/London' }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 }).toJSDate();
        expect(addWorkingHours(openingOfDay, 8 * k, london9to5).toISOString()).toBe(addWorkingDays(openingOfDay, k - 1, london9to5).toISOString());
      }),
      params,
    );
  });
});
