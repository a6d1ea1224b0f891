// An iCalendar (RFC 5545) file of a link worker's appointments, to add to their work calendar.
//
// The file leaves Signpost: it is synced to phones, shared calendars and mail servers we do not
// control, and a calendar's titles show on lock screens. So an event names no one: its title is the
// referral reference and the person's initials (enough for the link worker, who knows their
// caseload, to tell appointments apart) and how the appointment happens. A home visit's place is the
// person's address, so it is left out; the event links back to the appointment page, behind sign-in.

import type { AppointmentMode } from './queries.ts';

export interface CalendarAppointment {
  id: string;
  referralId: string;
  reference: string;
  givenName: string;
  familyName: string;
  startsAt: Date;
  mode: AppointmentMode;
  modeLabel: string;
  place: string | null;
  status: 'booked' | 'cancelled';
  bookedAt: Date;
  cancelledAt: Date | null;
}

/** How long an event blocks in the calendar: appointments are booked with a start time only. */
export const APPOINTMENT_MINUTES = 60;

/** Initials only ("M.W."), from the first letter of each name. */
export function initials(givenName: string, familyName: string): string {
  return [givenName, familyName]
    .map((name) => (Array.from(name.trim())[0] ?? '').toUpperCase())
    .filter(Boolean)
    .map((c) => `${c}.`)
    .join('');
}

/** RFC 5545 section 3.3.11: backslash, semicolon, comma and line breaks are escaped in TEXT. */
export function escapeText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/** UTC date-time form (section 3.3.5, form #2), so no time zone definition is needed. */
export function utcStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Section 3.1: lines longer than 75 octets are folded with CRLF and a space, never inside a UTF-8
 * character.
 */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    const limit = out.length === 0 ? 75 : 74; // a continuation line's leading space counts
    if (octets + size > limit) {
      out.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

export function appointmentCalendar(
  appointments: CalendarAppointment[],
  options: { baseUrl: string; now: Date; calendarName: string },
): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Signpost//Appointments//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(options.calendarName)}`,
  ];
  for (const a of appointments) {
    const end = new Date(a.startsAt.getTime() + APPOINTMENT_MINUTES * 60_000);
    const where = a.mode === 'home_visit' ? 'Home visit' : a.place;
    const link = `${options.baseUrl.replace(/\/$/, '')}/referrals/${a.referralId}/appointments`;
    lines.push(
      'BEGIN:VEVENT',
      // Stable per appointment, so importing the file again updates events instead of doubling them.
      `UID:${a.id}@signpost`,
      `DTSTAMP:${utcStamp(options.now)}`,
      `DTSTART:${utcStamp(a.startsAt)}`,
      `DTEND:${utcStamp(end)}`,
      `SUMMARY:${escapeText(`${a.reference} (${initials(a.givenName, a.familyName)}): ${a.modeLabel}`)}`,
      ...(where ? [`LOCATION:${escapeText(where)}`] : []),
      `DESCRIPTION:${escapeText(`Signpost appointment. Details: ${link}`)}`,
      `URL:${link}`,
      `STATUS:${a.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED'}`,
      // A cancellation must outrank the booking when a calendar re-imports the file.
      `SEQUENCE:${a.status === 'cancelled' ? 1 : 0}`,
      `LAST-MODIFIED:${utcStamp(a.cancelledAt ?? a.bookedAt)}`,
      'TRANSP:OPAQUE',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}
