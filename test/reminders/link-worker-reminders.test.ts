import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { registeredHandlers, registeredRecurringJobs, TENANT_FAN_OUT } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { addGoal, updateGoalProgress } from '../../src/plans/service.ts';
import { allocateReferral, getReferral, recordContact, setNextAction } from '../../src/referrals/service.ts';
import { addWorkingDays } from '../../src/calendar/london.ts';
import { localDate } from '../../src/calendar/london.ts';
import { REMINDER_SCAN, REMINDER_SCAN_KIND, scanReminders } from '../../src/reminders/service.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';
import { TestClock } from '../jobs/support.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const DAY = 86_400;

function scan(actor: Actor, clock: TestClock) {
  return withTenant(database.pool, actor.tenantId, (tx) => scanReminders(tx, actor.tenantId, clock.now()));
}

async function openReminders(referralId: string) {
  const { rows } = await database.pool.query<{ kind: string; key: string; resolved: boolean }>(
    `SELECT kind, reminder_key AS key, resolved_at IS NOT NULL AS resolved FROM reminder WHERE referral_id = $1 ORDER BY created_at, reminder_key`,
    [referralId],
  );
  return rows;
}

async function receivedAt(referralId: string): Promise<Date> {
  const { rows } = await database.pool.query<{ at: Date }>('SELECT received_at AS at FROM referral WHERE id = $1', [referralId]);
  return rows[0]!.at;
}

async function notifications(tenantId: string, template: string) {
  const { rows } = await database.pool.query<{ recipient: string; personalisation: Record<string, string>; idempotency_key: string }>(
    'SELECT recipient, personalisation, idempotency_key FROM notification WHERE tenant_id = $1 AND template = $2 ORDER BY created_at',
    [tenantId, template],
  );
  return rows;
}

test('a follow-up reminder appears when the next action falls due, is written once however often the scan runs, and resolves when the next action moves', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team, { givenName: 'Fola', familyName: 'Followup' });
  const clock = new TestClock(new Date());
  const due = localDate(new Date(clock.now().getTime() + 2 * DAY * 1000));
  const { referral } = await getReferral(database.pool, team.worker, referralId);
  await setNextAction(database.pool, team.worker, referralId, {
    nextAction: 'Ring about the walking group',
    due,
    version: referral.version,
  });

  assert.equal((await scan(team.worker, clock)).created, 0, 'nothing before the due date');
  assert.deepEqual(await openReminders(referralId), []);

  clock.advance(2 * DAY);
  const first = await scan(team.worker, clock);
  assert.equal(first.created, 1);
  assert.deepEqual(await openReminders(referralId), [{ kind: 'follow_up', key: `follow-up:${referralId}:${due}`, resolved: false }]);
  clock.advance(3600);
  const again = await scan(team.worker, clock);
  assert.equal(again.created, 0, 'the second scan writes nothing');
  assert.equal((await openReminders(referralId)).length, 1);
  const emails = await notifications(team.tenantId, 'link_worker_reminders');
  assert.equal(emails.length, 1, 'the link worker is emailed once');
  assert.equal(emails[0]!.recipient, team.worker.email);
  assert.deepEqual(emails[0]!.personalisation, { count: '1', reminders: 'reminder', link: '/caseload' });

  const later = localDate(new Date(clock.now().getTime() + 7 * DAY * 1000));
  const { referral: now } = await getReferral(database.pool, team.worker, referralId);
  await setNextAction(database.pool, team.worker, referralId, { nextAction: 'Ring again', due: later, version: now.version });
  const cleared = await scan(team.worker, clock);
  assert.equal(cleared.resolved, 1);
  assert.deepEqual(
    (await openReminders(referralId)).map((r) => r.resolved),
    [true],
  );
});

test('a goal review reminder appears on its review date and resolves when the goal is achieved', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  const clock = new TestClock(new Date());
  const review = localDate(new Date(clock.now().getTime() + 10 * DAY * 1000));
  const goalId = await addGoal(database.pool, team.worker, referralId, { goal: 'Join a choir', reviewDate: review });
  clock.advance(9 * DAY);
  await scan(team.worker, clock);
  assert.equal((await openReminders(referralId)).filter((r) => r.kind === 'plan_review').length, 0, 'not the day before');
  clock.advance(DAY);
  await scan(team.worker, clock);
  await scan(team.worker, clock);
  assert.deepEqual(
    (await openReminders(referralId)).filter((r) => r.kind === 'plan_review'),
    [{ kind: 'plan_review', key: `plan-review:${goalId}:${review}`, resolved: false }],
  );
  await updateGoalProgress(database.pool, team.worker, goalId, { progress: 'achieved' });
  await scan(team.worker, clock);
  assert.deepEqual(
    (await openReminders(referralId)).filter((r) => r.kind === 'plan_review').map((r) => r.resolved),
    [true],
  );
});

test('a referral waiting past the tenant’s target without first contact is flagged, by the default of 10 working days or the tenant’s own', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await aReferral(database, team.lead);
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  const received = await receivedAt(referralId);
  // Counted in working days (weekends and bank holidays left out), whatever today's date.
  await scan(team.worker, new TestClock(new Date(addWorkingDays(received, 10).getTime() - 3_600_000)));
  assert.equal((await openReminders(referralId)).length, 0, 'an hour short of 10 working days');
  const clock = new TestClock(new Date(addWorkingDays(received, 10).getTime() + 3_600_000));
  await scan(team.worker, clock);
  assert.deepEqual(await openReminders(referralId), [{ kind: 'waiting', key: `waiting:${referralId}`, resolved: false }]);

  // A tenant with a target of 2 working days flags a referral after 2 working days.
  const other = await aSocialPrescribingTeam(database);
  await database.pool.query(`UPDATE tenant SET settings = settings || '{"firstContactTargetWorkingDays": 2}' WHERE id = $1`, [
    other.tenantId,
  ]);
  const { referralId: quick } = await aReferral(database, other.lead);
  await allocateReferral(database.pool, other.lead, quick, { linkWorkerId: other.worker.userId });
  const otherClock = new TestClock(new Date(addWorkingDays(await receivedAt(quick), 2).getTime() + 3_600_000));
  await scan(other.worker, otherClock);
  assert.deepEqual(
    (await openReminders(quick)).map((r) => r.kind),
    ['waiting'],
  );

  await recordContact(database.pool, other.worker, quick, aContact({ outcome: 'made' }));
  await scan(other.worker, otherClock);
  assert.deepEqual(
    (await openReminders(quick)).map((r) => r.resolved),
    [true],
    'first contact clears it',
  );
});

test('the unable to contact prompt appears after the tenant’s number of failed attempts and clears once contact is made', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await aReferral(database, team.lead);
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  const clock = new TestClock(new Date());
  for (let i = 0; i < 2; i++) await recordContact(database.pool, team.worker, referralId, aContact());
  await scan(team.worker, clock);
  assert.equal((await openReminders(referralId)).length, 0, 'two attempts are fewer than the default three');
  await recordContact(database.pool, team.worker, referralId, aContact());
  await scan(team.worker, clock);
  await scan(team.worker, clock);
  assert.deepEqual(await openReminders(referralId), [
    { kind: 'unable_to_contact', key: `unable-to-contact:${referralId}`, resolved: false },
  ]);
  await recordContact(database.pool, team.worker, referralId, aContact({ outcome: 'made' }));
  await scan(team.worker, clock);
  assert.deepEqual(
    (await openReminders(referralId)).map((r) => r.resolved),
    [true],
  );
});

test('the caseload shows a reminder count and a marker on each affected row, and hides a reminder as soon as its condition clears', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await aReferral(database, team.lead, { person: { givenName: 'Rhian', familyName: 'Reminded' } });
  const { referralId: quiet } = await aReferral(database, team.lead, { person: { givenName: 'Quinn', familyName: 'Quiet' } });
  for (const id of [referralId, quiet]) await allocateReferral(database.pool, team.lead, id, { linkWorkerId: team.worker.userId });
  for (let i = 0; i < 3; i++) await recordContact(database.pool, team.worker, referralId, aContact());
  await scan(team.worker, new TestClock(new Date()));

  const app = await testApp(database);
  try {
    const cookies = await signInAs(app, database, team.worker);
    const page = await app.inject({ url: '/caseload', cookies });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="reminder-count">1 referral with reminders/);
    const rows = page.body.split('<tr class="nhsuk-table__row">');
    const reminded = rows.find((r) => r.includes('Rhian Reminded'))!;
    const other = rows.find((r) => r.includes('Quinn Quiet'))!;
    assert.match(reminded, /data-reminder="unable_to_contact">Consider &quot;unable to contact&quot;/);
    assert.doesNotMatch(other, /data-reminder=/);

    // Contact made: the marker goes at once, before the next scan resolves the row.
    await recordContact(database.pool, team.worker, referralId, aContact({ outcome: 'made' }));
    const after = await app.inject({ url: '/caseload', cookies });
    assert.match(after.body, /id="reminder-count">0 referrals with reminders/);
    assert.doesNotMatch(after.body, /data-reminder=/);
  } finally {
    await app.close();
  }
});

test('a referral nobody has been allocated yet shows its waiting reminder on the triage page, and only there until it is allocated', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId: waiting } = await aReferral(database, team.lead, { person: { givenName: 'Wren', familyName: 'Waiting' } });
  await aReferral(database, team.lead, { person: { givenName: 'Nell', familyName: 'Newcomer' } });
  // Back-date one referral past the 10 working-day target; the other arrived today.
  await database.pool.query(`UPDATE referral SET received_at = received_at - interval '20 days' WHERE id = $1`, [waiting]);
  await scan(team.lead, new TestClock(new Date()));
  assert.deepEqual(
    (await openReminders(waiting)).map((r) => r.kind),
    ['waiting'],
  );

  const app = await testApp(database);
  try {
    const cookies = await signInAs(app, database, team.lead);
    const page = await app.inject({ url: '/triage', cookies });
    assert.equal(page.statusCode, 200);
    const rows = page.body.split('<tr class="nhsuk-table__row">');
    assert.match(
      rows.find((r) => r.includes('Wren Waiting'))!,
      /data-reminder="waiting">Waiting past target for first contact/,
    );
    assert.doesNotMatch(
      rows.find((r) => r.includes('Nell Newcomer'))!,
      /data-reminder=/,
    );
  } finally {
    await app.close();
  }
});

test('the reminder scan is a weekday tenant scan: the worker runs it once per tenant at 7am and reminders follow', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await aReferral(database, team.lead);
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  for (let i = 0; i < 3; i++) await recordContact(database.pool, team.worker, referralId, aContact());
  const schedules = registeredRecurringJobs().filter((s) => s.name === REMINDER_SCAN);
  assert.equal(schedules.length, 1);
  const handlers = new Map([REMINDER_SCAN_KIND, TENANT_FAN_OUT].map((k) => [k, registeredHandlers().get(k)!]));
  // A Wednesday morning in the far future, so no other schedule run of this database interferes.
  const clock = new TestClock(new Date('2031-01-08T06:30:00Z'));
  const worker = new JobWorker({ pool: database.pool, clock, handlers, schedules, concurrency: 2 });
  await worker.drain();
  assert.equal((await openReminders(referralId)).length, 0, 'not before 7am');
  clock.advance(3600);
  await worker.drain();
  await worker.drain();
  // Years after the referral came in, it is also waiting far past the first-contact target.
  assert.deepEqual((await openReminders(referralId)).map((r) => r.kind).sort(), ['unable_to_contact', 'waiting']);
  const { rows } = await database.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM job WHERE kind = $1 AND tenant_id = $2 AND state = 'succeeded'`,
    [REMINDER_SCAN_KIND, team.tenantId],
  );
  assert.equal(rows[0]!.n, 1, 'one scan for this tenant');
});

test('a link worker with many new reminders gets one email a day saying how many, not one each', async () => {
  const team = await aSocialPrescribingTeam(database);
  // 9am today, so the hour later is the same day wherever in the day the test runs.
  const clock = new TestClock(new Date(`${localDate(new Date())}T09:00:00Z`));
  for (let i = 0; i < 3; i++) {
    const { referralId } = await aReferral(database, team.lead);
    await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
    for (let a = 0; a < 3; a++) await recordContact(database.pool, team.worker, referralId, aContact());
  }
  const result = await scan(team.worker, clock);
  assert.equal(result.created, 3);
  const { referralId: later } = await aReferral(database, team.lead);
  await allocateReferral(database.pool, team.lead, later, { linkWorkerId: team.worker.userId });
  for (let a = 0; a < 3; a++) await recordContact(database.pool, team.worker, later, aContact());
  clock.advance(3600);
  assert.equal((await scan(team.worker, clock)).created, 1, 'a new reminder later the same day');
  let emails = await notifications(team.tenantId, 'link_worker_reminders');
  assert.deepEqual(
    emails.map((e) => e.personalisation.count),
    ['3'],
    'but no second email that day',
  );
  const { referralId: tomorrow } = await aReferral(database, team.lead);
  await allocateReferral(database.pool, team.lead, tomorrow, { linkWorkerId: team.worker.userId });
  for (let a = 0; a < 3; a++) await recordContact(database.pool, team.worker, tomorrow, aContact());
  clock.advance(DAY);
  await scan(team.worker, clock);
  emails = await notifications(team.tenantId, 'link_worker_reminders');
  assert.deepEqual(
    emails.map((e) => e.personalisation.count),
    ['3', '1'],
  );
});
