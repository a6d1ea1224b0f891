import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { rolePolicy } from '../identity/policy.ts';
import { attempt, ctx, firstVisit, formStep, recordPage, sendFile, signedIn, view, type RecordPage } from '../web/pages.ts';
import { field } from '../web/forms.ts';
import { addDays, isIsoDate, localDate } from '../calendar/london.ts';
import { InvalidInput } from '../web/errors.ts';
import { FormBody, IdParams, TextQuery, FormField } from '../web/schemas.ts';
import * as appointments from './service.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');
const linkWorkers = rolePolicy('link worker', 'link_worker');

const CHANNEL_TEXT = { email: 'an email', sms: 'a text message' } as const;

/** Booking, listing and cancelling a referral's appointments with the person. */
export const appointmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  // A refused post draws the page without the notices its address may carry.
  const page: RecordPage = async (req, reply, referralId, form) => {
    const { status, values, errors } = form ?? firstVisit();
    const query = form ? {} : req.query;
    const {
      referral,
      appointments: rows,
      canBook,
    } = await appointments.appointmentsForReferral(pool, signedIn(req), referralId, { requestId: req.id });
    const now = Date.now();
    const describe = (a: appointments.AppointmentRow) => {
      const when = appointments.describeWhen(a.startsAt);
      return {
        id: a.id,
        when: `${when.date} ${when.year}, ${when.time}`,
        how: appointments.APPOINTMENT_MODES[a.mode],
        place: a.place ?? '',
        bookedBy: a.bookedByName ?? '',
      };
    };
    const upcoming = rows
      .filter((a) => a.status === 'booked' && a.startsAt.getTime() > now)
      .reverse()
      .map(describe);
    const past = rows.filter((a) => a.status === 'booked' && a.startsAt.getTime() <= now).map(describe);
    const cancelled = rows
      .filter((a) => a.status === 'cancelled')
      .map((a) => ({ ...describe(a), reason: a.cancelReason ?? '', cancelledBy: a.cancelledByName ?? '' }));
    const booked = rows.find((a) => a.id === field(query, 'booked'));
    const reminder = field(query, 'reminder');
    return view(
      reply,
      status,
      'appointments/views/appointments.njk',
      {
        r: referral,
        canBook,
        upcoming,
        past,
        cancelled,
        values,
        modeItems: Object.entries(appointments.APPOINTMENT_MODES).map(([value, text]) => ({ value, text, checked: values.mode === value })),
        bookedNotice: booked && {
          ...describe(booked),
          reminder:
            reminder === 'email' || reminder === 'sms'
              ? `We will send ${CHANNEL_TEXT[reminder]} the day before.`
              : 'No reminder will be sent: the person has not chosen email or text messages, has withdrawn consent to contact, or the appointment is too soon.',
        },
        cancelledNotice: field(query, 'cancelled') === 'yes',
      },
      errors,
    );
  };

  recordPage(app, '/referrals/:referralId/appointments', { policy: staff, query: ['booked', 'reminder', 'cancelled'], page });

  formStep(app, '/referrals/:referralId/appointments', {
    policy: staff,
    oncePerForm: true,
    body: { date: FormField, time: FormField, mode: FormField, place: FormField },
    page,
    field: 'date',
    act: (actor, referralId, body, req) =>
      appointments.bookAppointment(
        pool,
        actor,
        referralId,
        { date: field(body, 'date'), time: field(body, 'time'), mode: field(body, 'mode'), place: field(body, 'place') },
        ctx(req),
      ),
    next: (referralId, { id, reminder }) => `/referrals/${referralId}/appointments?booked=${id}&reminder=${reminder?.channel ?? 'none'}`,
  });

  app.post(
    '/referrals/:referralId/appointments/:appointmentId/cancel',
    { schema: { params: IdParams('referralId', 'appointmentId'), body: FormBody({ reason: FormField }) }, config: { policy: staff } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { referralId, appointmentId } = req.params;
      const cancelled = await attempt(
        () => appointments.cancelAppointment(pool, actor, referralId, appointmentId, field(req.body, 'reason'), ctx(req)),
        { field: `cancel-${appointmentId}` },
      );
      if (!cancelled.ok) return page(req, reply, referralId, cancelled.form);
      return reply.redirect(`/referrals/${referralId}/appointments?cancelled=yes`, 303);
    },
  );

  const DAY_HEADING = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long' });
  const WEEK_OF = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });
  const asDate = (iso: string) => new Date(`${iso}T00:00:00Z`);

  app.get('/appointments', { schema: { querystring: TextQuery('week') }, config: { policy: linkWorkers } }, async (req, reply) => {
    const today = localDate(new Date());
    const week = field(req.query, 'week', { max: 10, label: 'Week' }) || today;
    if (!isIsoDate(week)) throw new InvalidInput([{ field: 'week', message: 'Enter the week as a date, like 2026-12-07' }]);
    const result = await appointments.appointmentWeek(pool, signedIn(req), week, ctx(req));
    return view(reply, 200, 'appointments/views/week.njk', {
      total: result.total,
      weekOf: WEEK_OF.format(asDate(result.monday)),
      isThisWeek: result.days.some((d) => d.date === today),
      previous: {
        href: `/appointments?week=${addDays(result.monday, -7)}`,
        labelText: `Week of ${WEEK_OF.format(asDate(addDays(result.monday, -7)))}`,
      },
      next: {
        href: `/appointments?week=${addDays(result.monday, 7)}`,
        labelText: `Week of ${WEEK_OF.format(asDate(addDays(result.monday, 7)))}`,
      },
      days: result.days.map((d) => ({
        id: `day-${d.date}`,
        heading: DAY_HEADING.format(asDate(d.date)),
        isToday: d.date === today,
        appointments: d.appointments.map((a) => ({
          referralId: a.referralId,
          name: `${a.givenName} ${a.familyName}`,
          reference: a.reference,
          time: appointments.describeWhen(a.startsAt).time,
          how: appointments.APPOINTMENT_MODES[a.mode],
          place: a.place ?? '',
        })),
      })),
    });
  });

  app.get('/appointments/calendar.ics', { config: { policy: linkWorkers } }, async (req, reply) => {
    const file = await appointments.appointmentCalendarFile(pool, signedIn(req), {
      baseUrl: app.config.baseUrl,
      now: new Date(),
      ...ctx(req),
    });
    return sendFile(reply, { type: 'text/calendar; charset=utf-8', disposition: 'attachment', name: 'signpost-appointments.ics' }, file);
  });
};
