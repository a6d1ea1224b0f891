import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bookAppointment, cancelAppointment, APPOINTMENT_REMINDER_KIND } from '../../src/appointments/service.ts';
import type { Database } from '../../src/db/database.ts';
import { registeredHandlers } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { getPerson, personPage, withdrawConsent } from '../../src/people/service.ts';
import { localDate } from '../../src/calendar/london.ts';
import { asForm, formSession, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { aReferral } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';
import { TestClock } from '../jobs/support.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const DAY = 86_400;
const inDays = (days: number) => localDate(new Date(Date.now() + days * DAY * 1000));

async function reminders(referralId: string) {
  const { rows } = await database.pool.query<{ channel: string; recipient: string; personalisation: Record<string, string> }>(
    `SELECT n.channel, n.recipient, n.personalisation FROM notification n
      WHERE n.template = 'appointment_reminder' AND n.idempotency_key LIKE 'appointment-reminder:%'
        AND split_part(n.idempotency_key, ':', 2)::uuid IN (SELECT id FROM appointment WHERE referral_id = $1)`,
    [referralId],
  );
  return rows;
}

/** Runs due appointment reminder jobs as the worker would at the clock's time. */
function runJobs(clock: TestClock) {
  const handlers = new Map([[APPOINTMENT_REMINDER_KIND, registeredHandlers().get(APPOINTMENT_REMINDER_KIND)!]]);
  return new JobWorker({ pool: database.pool, clock, handlers }).drain();
}

async function appointmentCount(referralId: string) {
  const { rows } = await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM appointment WHERE referral_id = $1', [
    referralId,
  ]);
  return rows[0]!.n;
}

test('a booked appointment reminds the person by their chosen channel the day before, once, and not before', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team, { givenName: 'Ada', familyName: 'Appointment' });
  const booked = await bookAppointment(database.pool, team.worker, referralId, {
    date: inDays(3),
    time: '10:30',
    mode: 'face_to_face',
    place: 'Woodhouse Surgery, room 2',
  });
  assert.equal(booked.reminder?.channel, 'email');
  assert.equal(booked.startsAt.getTime() - booked.reminder!.at.getTime(), 24 * 3_600_000, 'reminded 24 hours before');

  const clock = new TestClock(new Date());
  await runJobs(clock);
  assert.deepEqual(await reminders(referralId), [], 'nothing three days before');
  clock.advance((booked.reminder!.at.getTime() - clock.now().getTime()) / 1000 - 60);
  await runJobs(clock);
  assert.deepEqual(await reminders(referralId), [], 'nothing a minute before the reminder is due');
  clock.advance(120);
  await runJobs(clock);
  const sent = await reminders(referralId);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.channel, 'email');
  assert.equal(sent[0]!.recipient, 'alex@example.com');
  assert.equal(sent[0]!.personalisation.time, '10:30am');
  assert.equal(sent[0]!.personalisation.how, 'at Woodhouse Surgery, room 2');
  assert.match(sent[0]!.personalisation.date, /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d{1,2} [A-Z][a-z]+$/);
  clock.advance(3600);
  await runJobs(clock);
  assert.equal((await reminders(referralId)).length, 1, 'never twice');
});

test('a cancelled or moved appointment reminds no one of the old time; withdrawn consent stops reminders already scheduled', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId, personId } = await anEpisodeInContact(database, team, { givenName: 'Cai', familyName: 'Cancelled' });
  const first = await bookAppointment(database.pool, team.worker, referralId, { date: inDays(4), time: '09:00', mode: 'phone', place: '' });
  await cancelAppointment(database.pool, team.worker, referralId, first.id, 'Moved to the afternoon');
  await assert.rejects(cancelAppointment(database.pool, team.worker, referralId, first.id, ''), /already cancelled/);
  const moved = await bookAppointment(database.pool, team.worker, referralId, { date: inDays(4), time: '15:00', mode: 'phone', place: '' });
  // The moment the old time's reminder would have gone, and then the new one's.
  const clock = new TestClock(new Date(first.reminder!.at.getTime() + 60_000));
  await runJobs(clock);
  assert.deepEqual(await reminders(referralId), []);
  clock.advance((moved.reminder!.at.getTime() - clock.now().getTime()) / 1000 + 60);
  await runJobs(clock);
  const sent = await reminders(referralId);
  assert.deepEqual(
    sent.map((s) => [s.personalisation.time, s.personalisation.how]),
    [['3:00pm', 'by phone: your link worker will call you']],
  );
  assert.ok(moved.reminder);

  // Another person withdraws consent to be contacted after the booking: the reminder is not sent.
  const other = await anEpisodeInContact(database, team, { givenName: 'Wyn', familyName: 'Withdrawn' });
  const video = await bookAppointment(database.pool, team.worker, other.referralId, {
    date: inDays(2),
    time: '11:00',
    mode: 'video',
    place: '',
  });
  const person = await getPerson(database.pool, team.lead, other.personId);
  await withdrawConsent(
    database.pool,
    team.lead,
    other.personId,
    person.consents.find((c) => c.kind === 'contact')!.id,
    'Asked not to be contacted',
  );
  await runJobs(new TestClock(new Date(video.reminder!.at.getTime() + 60_000)));
  assert.deepEqual(await reminders(other.referralId), []);
  // and a booking now says no reminder will go.
  assert.equal(
    (await bookAppointment(database.pool, team.worker, other.referralId, { date: inDays(5), time: '11:00', mode: 'video', place: '' }))
      .reminder,
    undefined,
  );

  const { timeline } = await personPage(database.pool, team.worker, personId);
  const titles = timeline
    .filter((e) => e.kind === 'appointment')
    .map((e) => e.title)
    .sort();
  assert.deepEqual(titles, ['Appointment booked', 'Appointment booked', 'Appointment cancelled']);
});

test('bad bookings are refused with a reason and save nothing; unallocated referrals and other tenants cannot book', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ date: '', time: '10:00', mode: 'phone', place: '' }, /Enter the date of the appointment/],
    [{ date: '2026-02-30', time: '10:00', mode: 'phone', place: '' }, /Enter a real date/],
    [{ date: inDays(2), time: '25:00', mode: 'phone', place: '' }, /Enter a 24-hour time/],
    [{ date: inDays(2), time: '10:00', mode: 'telepathy', place: '' }, /Select how the appointment will happen/],
    [{ date: inDays(2), time: '10:00', mode: 'group', place: '' }, /Enter where the appointment is/],
    [{ date: inDays(-1), time: '10:00', mode: 'phone', place: '' }, /must be in the future/],
    [{ date: inDays(400), time: '10:00', mode: 'phone', place: '' }, /within the next 12 months/],
  ];
  for (const [input, message] of cases) {
    await assert.rejects(bookAppointment(database.pool, team.worker, referralId, input as never), message);
  }
  assert.equal(await appointmentCount(referralId), 0);

  const waiting = await aReferral(database, team.lead);
  await assert.rejects(
    bookAppointment(database.pool, team.lead, waiting.referralId, { date: inDays(2), time: '10:00', mode: 'phone', place: '' }),
    /once the referral is allocated/,
  );
  const stranger = await aSocialPrescribingTeam(database);
  await assert.rejects(
    bookAppointment(database.pool, stranger.worker, referralId, { date: inDays(2), time: '10:00', mode: 'phone', place: '' }),
    /could not find that referral/,
  );
  assert.equal(await appointmentCount(referralId), 0);
});

test('the appointments page books with a confirmation, shows form errors with nothing saved, and cancels', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team, { givenName: 'Pip', familyName: 'Pages' });
  const app = await testApp(database);
  try {
    const cookies = await signInAs(app, database, team.worker);
    const url = `/referrals/${referralId}/appointments`;
    const empty = await app.inject({ url, cookies });
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /No appointments booked/);
    const { token, cookies: jar } = await formSession(app, url, cookies);
    const bad = await app.inject({
      method: 'POST',
      url,
      cookies: jar,
      ...asForm({ _csrf: token!, date: inDays(2), time: '10:00', mode: 'group', place: '' }),
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /There is a problem/);
    assert.match(bad.body, /href="#place">\s*Enter where the appointment is/);
    assert.equal(await appointmentCount(referralId), 0);

    const good = await app.inject({
      method: 'POST',
      url,
      cookies: jar,
      ...asForm({ _csrf: token!, date: inDays(2), time: '14:30', mode: 'group', place: 'Hyde Park Community Centre' }),
    });
    assert.equal(good.statusCode, 303);
    const shown = await app.inject({ url: good.headers.location as string, cookies });
    assert.match(shown.body, /Appointment booked: Group, .*2:30pm, Hyde Park Community Centre/);
    assert.match(shown.body, /We will send an email the day before/);
    const id = /appointments\/([0-9a-f-]{36})\/cancel/.exec(shown.body)![1]!;
    const cancelled = await app.inject({
      method: 'POST',
      url: `${url}/${id}/cancel`,
      cookies: jar,
      ...asForm({ _csrf: token!, reason: 'Unwell' }),
    });
    assert.equal(cancelled.statusCode, 303);
    const after = await app.inject({ url: cancelled.headers.location as string, cookies });
    assert.match(after.body, /Appointment cancelled/);
    assert.match(after.body, /cancelled by [^:]+: Unwell/);
    const again = await app.inject({ method: 'POST', url: `${url}/${id}/cancel`, cookies: jar, ...asForm({ _csrf: token!, reason: '' }) });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /already cancelled/);
  } finally {
    await app.close();
  }
});
