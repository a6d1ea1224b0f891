import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { loadEpisode } from '../assessment/episode.ts';
import type { Actor } from '../identity/actor.ts';
import { recordAudit, recordAuditBy } from '../identity/audit.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { scheduleJob, type JobContext } from '../jobs/service.ts';
import { addDays, localDate, mondayOf } from '../calendar/london.ts';
import { hasRole } from '../identity/actor.ts';
import { ALLOCATED_STATUSES } from '../referrals/lifecycle.ts';
import { CONTACT_MODES } from '../referrals/schema.ts';
import { personChannel } from '../people/service.ts';
import { Forbidden, InvalidInput, NotFound, RuleBroken, type FieldError } from '../web/errors.ts';
import { appointmentCalendar } from './icalendar.ts';
import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';

export type { AppointmentRow, AppointmentMode } from './queries.ts';

export const APPOINTMENT_MODES: Record<q.AppointmentMode, string> = {
  phone: CONTACT_MODES.phone,
  face_to_face: CONTACT_MODES.face_to_face,
  home_visit: CONTACT_MODES.home_visit,
  video: CONTACT_MODES.video,
  group: CONTACT_MODES.group,
};

/** How long before an appointment the person is reminded. */
export const REMINDER_HOURS_BEFORE = 24;
/** An appointment booked closer than this gets no reminder: the person has just agreed it. */
const NO_REMINDER_WITHIN_HOURS = 3;
/** How far ahead an appointment may be booked. */
const LATEST_MONTHS_AHEAD = 12;

export const APPOINTMENT_REMINDER_KIND = 'appointments.remind';
export const APPOINTMENT_REMINDER_TEMPLATE = 'appointment_reminder' as const;

export interface BookingInput {
  date: string;
  time: string;
  mode: string;
  place: string;
}

/** The shape of a booking; whether the time is in the future is checked once it is an instant. */
export function checkBooking(input: BookingInput): { errors: FieldError[]; mode?: q.AppointmentMode; place: string | null } {
  const errors: FieldError[] = [];
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.date);
  if (!input.date) errors.push({ field: 'date', message: 'Enter the date of the appointment' });
  else if (!date || !isRealDate(Number(date[1]), Number(date[2]), Number(date[3])))
    errors.push({ field: 'date', message: 'Enter a real date, like 27 November 2026' });
  if (!input.time) errors.push({ field: 'time', message: 'Enter the time of the appointment' });
  else if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(input.time)) errors.push({ field: 'time', message: 'Enter a 24-hour time, like 14:30' });
  const mode = input.mode in APPOINTMENT_MODES ? (input.mode as q.AppointmentMode) : undefined;
  if (!mode) errors.push({ field: 'mode', message: 'Select how the appointment will happen' });
  const place = input.place.trim() || null;
  if ((mode === 'face_to_face' || mode === 'group') && !place)
    errors.push({ field: 'place', message: 'Enter where the appointment is, like "Woodhouse Surgery, room 2"' });
  if (place && place.length > 200) errors.push({ field: 'place', message: 'Where must be 200 characters or fewer' });
  return { errors, mode, place };
}

function isRealDate(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** The referral's appointments, newest first, for its link worker or a lead. */
export async function appointmentsForReferral(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  const episode = await loadEpisode(pool, actor, referralId, context);
  const appointments = await withTenant(pool, actor.tenantId, (tx) => q.appointmentsOfReferral(tx, actor.tenantId, referralId));
  const canBook = ALLOCATED_STATUSES.includes(episode.referral.status);
  return { referral: episode.referral, appointments, canBook };
}

export interface Booked {
  id: string;
  startsAt: Date;
  /** How the person will be reminded; undefined when they cannot be (no channel, no consent, too soon). */
  reminder?: { channel: 'email' | 'sms'; at: Date };
}

/**
 * Books an appointment on an allocated referral and, in the same transaction, schedules the
 * person's reminder for the day before. The reminder job carries the appointment's time, so a
 * cancelled or moved appointment reminds no one.
 */
export async function bookAppointment(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: BookingInput,
  options: { now?: Date } & RequestContext = {},
): Promise<Booked> {
  const { referral } = await loadEpisode(pool, actor, referralId, options);
  if (!ALLOCATED_STATUSES.includes(referral.status)) {
    throw new RuleBroken('Appointments can be booked once the referral is allocated and while it is open.');
  }
  const checked = checkBooking(input);
  if (checked.errors.length) throw new InvalidInput(checked.errors);
  const now = options.now ?? new Date();
  return withTenant(pool, actor.tenantId, async (tx) => {
    const startsAt = await q.londonInstant(tx, input.date, input.time);
    if (startsAt <= now) throw new InvalidInput([{ field: 'date', message: 'The appointment must be in the future' }]);
    const latest = new Date(now);
    latest.setMonth(latest.getMonth() + LATEST_MONTHS_AHEAD);
    if (startsAt > latest)
      throw new InvalidInput([{ field: 'date', message: `The appointment must be within the next ${LATEST_MONTHS_AHEAD} months` }]);
    const id = await q.insertAppointment(tx, actor.tenantId, {
      referralId,
      startsAt,
      mode: checked.mode!,
      place: checked.place,
      bookedBy: actor.userId,
    });
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'appointment.book',
      entityType: 'appointment',
      entityId: id,
      personId: referral.personId,
      requestId: options.requestId,
    });
    const booked: Booked = { id, startsAt };
    const reach = await personChannel(tx, actor.tenantId, referral.personId);
    if (reach && startsAt.getTime() - now.getTime() > NO_REMINDER_WITHIN_HOURS * 3_600_000) {
      const at = new Date(Math.max(now.getTime(), startsAt.getTime() - REMINDER_HOURS_BEFORE * 3_600_000));
      await scheduleJob(tx, {
        kind: APPOINTMENT_REMINDER_KIND,
        tenantId: actor.tenantId,
        runAt: at,
        payload: { appointmentId: id, startsAt: startsAt.toISOString() },
        idempotencyKey: `appointment-reminder:${id}:${startsAt.toISOString()}`,
      });
      booked.reminder = { channel: reach.channel, at };
    }
    return booked;
  });
}

export async function cancelAppointment(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  appointmentId: string,
  reason: string,
  context: RequestContext = {},
): Promise<void> {
  const { referral } = await loadEpisode(pool, actor, referralId, context);
  if (reason.length > 500) throw new InvalidInput([{ field: 'reason', message: 'The reason must be 500 characters or fewer' }]);
  await withTenant(pool, actor.tenantId, async (tx) => {
    const appointment = isUuid(appointmentId) ? await q.findAppointment(tx, actor.tenantId, appointmentId) : undefined;
    if (!appointment || appointment.referralId !== referralId) throw new NotFound('appointment');
    if (!(await q.cancelAppointment(tx, actor.tenantId, appointmentId, actor.userId, reason || null))) {
      throw new RuleBroken('This appointment was already cancelled.');
    }
    await recordAuditBy(tx, actor, context, {
      action: 'appointment.cancel',
      entityType: 'appointment',
      entityId: appointmentId,
      personId: referral.personId,
      reason: reason || undefined,
    });
  });
}

const WHEN_DATE = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'Europe/London' });
const WHEN_YEAR = new Intl.DateTimeFormat('en-GB', { year: 'numeric', timeZone: 'Europe/London' });
const WHEN_TIME = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: '2-digit', hour12: true, timeZone: 'Europe/London' });

/** "Tuesday 1 December", its year and "2:30pm" in London, as a reminder and the pages say them. */
export function describeWhen(at: Date): { date: string; year: string; time: string } {
  return {
    date: WHEN_DATE.format(at).replace(',', ''),
    year: WHEN_YEAR.format(at),
    time: WHEN_TIME.format(at).replace(/\s/g, '').toLowerCase(),
  };
}

function describeHow(appointment: q.AppointmentRow): string {
  switch (appointment.mode) {
    case 'phone':
      return 'by phone: your link worker will call you';
    case 'video':
      return 'by video call';
    case 'home_visit':
      return 'at your home';
    default:
      return `at ${appointment.place}`;
  }
}

/**
 * The day-before reminder: sent only if the appointment is still booked for the time the job was
 * scheduled for, still ahead, and the person can still be reached (consent and channel read now).
 */
export async function sendAppointmentReminder(
  tx: Db,
  tenantId: string,
  appointmentId: string,
  startsAtIso: string,
  now: Date,
): Promise<boolean> {
  const appointment = await q.findAppointment(tx, tenantId, appointmentId);
  if (!appointment || appointment.status !== 'booked') return false;
  if (appointment.startsAt.toISOString() !== startsAtIso || appointment.startsAt <= now) return false;
  const reach = await personChannel(tx, tenantId, appointment.personId);
  if (!reach) return false;
  const when = describeWhen(appointment.startsAt);
  const id = await queueNotification(tx, {
    tenantId,
    channel: reach.channel,
    recipient: reach.recipient,
    template: APPOINTMENT_REMINDER_TEMPLATE,
    personalisation: { date: when.date, time: when.time, how: describeHow(appointment) },
    idempotencyKey: `appointment-reminder:${appointmentId}:${startsAtIso}`,
  });
  return !!id;
}

export async function appointmentReminderJob(job: JobContext<{ appointmentId: string; startsAt: string }>): Promise<void> {
  const tenantId = job.tenantId!;
  await withTenant(job.pool, tenantId, (tx) =>
    sendAppointmentReminder(tx, tenantId, job.payload.appointmentId, job.payload.startsAt, job.clock.now()),
  );
}

/** Appointments booked and cancelled, for the person page's timeline. */
export async function appointmentTimeline(tx: Db, tenantId: string, personIds: string[]) {
  const rows = await q.appointmentsOfPeople(tx, tenantId, personIds);
  return rows.flatMap((a) => {
    const when = describeWhen(a.startsAt);
    const what = `${APPOINTMENT_MODES[a.mode]}, ${when.date} at ${when.time}${a.place ? `, ${a.place}` : ''}`;
    return [
      {
        at: a.bookedAt,
        kind: 'appointment',
        title: 'Appointment booked',
        detail: what,
        referralId: a.referralId,
        href: `/referrals/${a.referralId}/appointments`,
      },
      ...(a.cancelledAt
        ? [
            {
              at: a.cancelledAt,
              kind: 'appointment',
              title: 'Appointment cancelled',
              detail: `${what}${a.cancelReason ? `: ${a.cancelReason}` : ''}`,
              referralId: a.referralId,
              href: `/referrals/${a.referralId}/appointments`,
            },
          ]
        : []),
    ];
  });
}

// ---------------------------------------------------------------------------------------------
// A link worker's own appointments: today, a week, and the calendar file

function requireLinkWorker(actor: Actor) {
  if (!hasRole(actor, 'link_worker')) throw new Forbidden('Only a link worker has appointments of their own.');
}

/** The link worker's booked appointments on one London date. */
export async function appointmentsOn(pool: pg.Pool, actor: Actor, date: string) {
  requireLinkWorker(actor);
  return withTenant(pool, actor.tenantId, (tx) =>
    q.appointmentsOfWorker(tx, actor.tenantId, actor.userId, date, addDays(date, 1), { includeCancelled: false }),
  );
}

/** Monday to Sunday of the week `date` falls in, each day with its booked appointments. */
export async function appointmentWeek(pool: pg.Pool, actor: Actor, date: string, context: RequestContext = {}) {
  requireLinkWorker(actor);
  const monday = mondayOf(date);
  const rows = await withTenant(pool, actor.tenantId, async (tx) => {
    const found = await q.appointmentsOfWorker(tx, actor.tenantId, actor.userId, monday, addDays(monday, 7), { includeCancelled: false });
    await recordAuditBy(tx, actor, context, {
      action: 'appointments.week',
      entityType: 'appointment',
      reason: `${found.length} appointments in the week of ${monday}`,
    });
    return found;
  });
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i)).map((day) => ({
    date: day,
    appointments: rows.filter((a) => localDate(a.startsAt) === day),
  }));
  return { monday, days, total: rows.length };
}

/** How far back and ahead the calendar file reaches: bookings go up to 12 months ahead. */
const CALENDAR_DAYS_BACK = 30;
const CALENDAR_DAYS_AHEAD = 366;

/**
 * The link worker's appointments as an iCalendar file: the last 30 days and everything booked
 * ahead, cancelled ones included (marked cancelled) so a calendar that imported them drops them.
 */
export async function appointmentCalendarFile(pool: pg.Pool, actor: Actor, options: { baseUrl: string; now: Date } & RequestContext) {
  requireLinkWorker(actor);
  const today = localDate(options.now);
  const rows = await withTenant(pool, actor.tenantId, async (tx) => {
    const found = await q.appointmentsOfWorker(
      tx,
      actor.tenantId,
      actor.userId,
      addDays(today, -CALENDAR_DAYS_BACK),
      addDays(today, CALENDAR_DAYS_AHEAD),
      { includeCancelled: true },
    );
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'appointments.export',
      entityType: 'appointment',
      reason: `${found.length} appointments in a calendar file`,
      requestId: options.requestId,
    });
    return found;
  });
  return appointmentCalendar(
    rows.map((a) => ({ ...a, modeLabel: APPOINTMENT_MODES[a.mode] })),
    { baseUrl: options.baseUrl, now: options.now, calendarName: 'Signpost appointments' },
  );
}
