import { createRequire } from 'node:module';
import type HolidaysClass from 'date-holidays';

// The calendar targets are counted in: working days are Monday to Friday in England, less the
// bank holidays of England and Wales (substitute days included), from the maintained
// date-holidays data rather than a list kept here. Its data for every country takes about 130 ms
// to load, so it is loaded when working days are first counted, not when the app starts.
const require = createRequire(import.meta.url);
let englandAndWales: HolidaysClass | undefined;
const holidaysByYear = new Map<number, Set<string>>();

const LONDON_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  weekday: 'short',
});

/** A moment's date in London (YYYY-MM-DD) and whether it is a Saturday or Sunday there. */
function londonDay(at: Date): { date: string; weekend: boolean } {
  const parts = LONDON_DATE.formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = get('weekday');
  return { date: `${get('year')}-${get('month')}-${get('day')}`, weekend: weekday === 'Sat' || weekday === 'Sun' };
}

/** A moment's date in England (YYYY-MM-DD): what "today", "due" and "this month" are judged by. */
export function localDate(at: Date): string {
  return londonDay(at).date;
}

/** Bank holidays in England and Wales in a year, as YYYY-MM-DD dates. */
export function bankHolidays(year: number): Set<string> {
  let dates = holidaysByYear.get(year);
  if (!dates) {
    englandAndWales ??= new (require('date-holidays') as typeof HolidaysClass)('GB', 'ENG');
    dates = new Set(
      englandAndWales
        .getHolidays(year)
        .filter((h) => h.type === 'public')
        .map((h) => h.date.slice(0, 10)),
    );
    holidaysByYear.set(year, dates);
  }
  return dates;
}

/** Whether a moment falls on a working day in England: a weekday that is not a bank holiday. */
export function isWorkingDay(at: Date): boolean {
  const day = londonDay(at);
  return !day.weekend && !bankHolidays(Number(day.date.slice(0, 4))).has(day.date);
}

/** The moment `days` working days after `from` (same time of day), skipping weekends and bank holidays. */
export function addWorkingDays(from: Date, days: number): Date {
  const at = new Date(from.getTime());
  let left = days;
  while (left > 0) {
    at.setTime(at.getTime() + 86_400_000);
    if (isWorkingDay(at)) left -= 1;
  }
  return at;
}

/** A calendar date (YYYY-MM-DD) moved by whole days; plain date arithmetic, no time zone involved. */
export function addDays(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** The Monday of the week a date (YYYY-MM-DD) falls in: weeks in England start on Monday. */
export function mondayOf(date: string): string {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((weekday + 6) % 7));
}

/** Whether text is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const at = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === text;
}
