// Dates and times as people read them, in London time: the one place pages, letters, PDFs and
// messages take their wording of a date from.

const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'Europe/London',
});
const DATE_TIME_IN_WORDS = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hour12: true,
  timeZone: 'Europe/London',
});

/** A Date, an ISO string, or a bare YYYY-MM-DD (that calendar date); undefined for anything else. */
function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'string' && value) {
    const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T12:00:00Z` : value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

/** "24 November 2026" in London time; '' for nothing. */
export function formatDate(value: unknown): string {
  const date = toDate(value);
  return date ? DATE.format(date) : '';
}

/** "24 Nov 2026, 14:05": a moment in a list or a record's history. */
export function formatDateTime(value: unknown): string {
  const date = toDate(value);
  return date ? DATE_TIME.format(date) : '';
}

/** "24 November 2026, 2:05pm": a moment in a sentence (the pages' `dateTime` filter). */
export function formatDateTimeInWords(value: unknown): string {
  const date = toDate(value);
  return date ? DATE_TIME_IN_WORDS.format(date).replace(' at ', ', ') : '';
}
