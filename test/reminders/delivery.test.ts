import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { CHECK_NOTIFICATION_STATUS, registerNotificationJobs, SEND_NOTIFICATION } from '../../src/jobs/notify.ts';
import { registeredHandlers, registeredRecurringJobs, TENANT_FAN_OUT } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import '../../src/jobs/fan-out.ts';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { REMINDER_SCAN, REMINDER_SCAN_KIND } from '../../src/reminders/service.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { startNotifyStub, type NotifyStub } from '../support/notify-stub.ts';
import { aSocialPrescribingTeam } from '../support/plans-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { TestClock } from '../jobs/support.ts';

const TEMPLATES = {
  link_worker_reminders: '5d6c1a9e-7f2b-4c3d-8e9f-0a1b2c3d4e5f',
  referral_status_changed: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d',
};

let database: Database;
let stub: NotifyStub;
before(async () => {
  database = await freshDatabase();
  stub = await startNotifyStub();
  registerNotificationJobs({ apiKey: stub.apiKey, baseUrl: stub.url, templates: TEMPLATES, demo: false, statusCheckDelaySeconds: 300 });
});
after(async () => {
  await stub.close();
  await database.close();
});

test('reminder emails and referrer status emails reach the Notify endpoint through the client with their templates and personalisation, once each across repeated scans', async () => {
  const team = await aSocialPrescribingTeam(database);
  const gp = await anActor(database, { tenantId: team.tenantId, roles: ['referrer'] });
  const { referralId, reference } = await aReferral(database, gp);
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  for (let i = 0; i < 3; i++) await recordContact(database.pool, team.worker, referralId, aContact());

  const handlers = new Map(
    [REMINDER_SCAN_KIND, TENANT_FAN_OUT, SEND_NOTIFICATION, CHECK_NOTIFICATION_STATUS].map((k) => [k, registeredHandlers().get(k)!]),
  );
  const schedules = registeredRecurringJobs().filter((s) => s.name === REMINDER_SCAN);
  // Monday 6:59 in the far future; the scan runs at 7:00 and again at 8:00.
  const clock = new TestClock(new Date('2031-01-06T06:59:00Z'));
  const worker = new JobWorker({ pool: database.pool, clock, handlers, schedules, concurrency: 4 });
  await worker.drain();
  const statusEmails = stub.received.filter((n) => n.templateId === TEMPLATES.referral_status_changed && n.recipient === gp.email);
  assert.equal(statusEmails.length, 1);
  assert.deepEqual(statusEmails[0]!.personalisation, {
    reference,
    referrer_name: gp.name,
    status: 'Allocated',
    previous_status: 'Accepted, waiting for a link worker',
  });

  clock.advance(60);
  await worker.drain();
  clock.advance(3600);
  await worker.drain();
  const reminders = stub.received.filter((n) => n.templateId === TEMPLATES.link_worker_reminders);
  // The far-future clock makes this referral wait past its target too: two reminders, one email.
  assert.equal(reminders.length, 1);
  assert.equal(reminders[0]!.type, 'email');
  assert.equal(reminders[0]!.recipient, team.worker.email);
  assert.deepEqual(reminders[0]!.personalisation, { count: '2', reminders: 'reminders', link: '/caseload' });
  const { rows } = await database.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM job WHERE kind = $1 AND tenant_id = $2 AND state = 'succeeded'`,
    [REMINDER_SCAN_KIND, team.tenantId],
  );
  assert.equal(rows[0]!.n, 2, 'the scan ran twice');
});
