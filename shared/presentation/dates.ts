/**
 * Dates and times as people read them, in one place for pages, emails, PDFs and spreadsheets.
 * Instants are shown in the partnership's zone (Europe/London unless its pack says otherwise).
 */
export const LONDON = 'Europe/London';

/** "2 March 2026 at 09:15" in the zone: how the case page, the record and its PDF show instants. */
export function formatDateTime(iso: string | Date, timeZone: string = LONDON): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

/** A calendar date (yyyy-mm-dd, a review date) as "15 June 2026"; no zone applies. */
export function formatDate(date: string): string {
  const parsed = new Date(`${date.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(parsed.getTime()) ? date : new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'long' }).format(parsed);
}

/** An instant's day in the zone as dd/mm/yyyy, as a spreadsheet in England reads a date. */
export function formatShortDate(iso: string | Date, timeZone: string = LONDON): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, day: '2-digit', month: '2-digit', year: 'numeric' }).format(new Date(iso));
}

/** "3:27pm on Wednesday 25 November 2026" in the zone: GOV.UK style, for lists of things that happened. */
export function timeInWords(iso: string | Date, timeZone: string = LONDON): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit', hour12: true })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  const hour = parts.hour === '0' ? '12' : parts.hour;
  const time = parts.minute === '00' ? `${hour}${parts.dayPeriod.toLowerCase()}` : `${hour}:${parts.minute}${parts.dayPeriod.toLowerCase()}`;
  return `${time.replace(/\s/g, '')} on ${parts.weekday} ${parts.day} ${parts.month} ${parts.year}`;
}

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A month as the numbers hold it (yyyy-mm) in words: { name: 'March', year: '2026' }. */
export function monthParts(month: string): { name: string; year: string } {
  const [year, number] = month.split('-');
  return { name: MONTH_NAMES[Number(number) - 1] ?? month, year: year ?? '' };
}

/** "March 2026" for 2026-03. */
export const monthInWords = (month: string) => {
  const { name, year } = monthParts(month);
  return `${name} ${year}`.trim();
};
