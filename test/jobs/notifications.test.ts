import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import { queueNotification, type NewNotification } from '../../src/jobs/outbox.ts';
import * as q from '../../src/jobs/queries.ts';
import { CHECK_NOTIFICATION_STATUS, registerNotificationJobs, SEND_NOTIFICATION, type NotifySettings } from '../../src/jobs/notify.ts';
import { registeredHandlers, type RegisteredHandler } from '../../src/jobs/queue.ts';
import { failingContactDetails } from '../../src/jobs/service.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { startNotifyStub, type NotifyStub } from '../support/notify-stub.ts';
import { TestClock } from './support.ts';

const TEMPLATES = {
  appointment_reminder: '8f0c7c5e-3b3a-4c6e-9d49-1d8c1f9d2a01',
  outcome_measure_link: '2b1e4f7a-6c5d-4e3f-8a9b-0c1d2e3f4a5b',
};

let database: Database;
let stub: NotifyStub;
let tenantId: string;
let handlers: Map<string, RegisteredHandler>;

function settings(overrides: Partial<NotifySettings> = {}): NotifySettings {
  return { apiKey: stub.apiKey, baseUrl: stub.url, templates: TEMPLATES, demo: false, statusCheckDelaySeconds: 300, ...overrides };
}

function useSettings(s: NotifySettings) {
  registerNotificationJobs(s);
  handlers = new Map([SEND_NOTIFICATION, CHECK_NOTIFICATION_STATUS].map((k) => [k, registeredHandlers().get(k)!]));
}

before(async () => {
  database = await freshDatabase();
  stub = await startNotifyStub();
  tenantId = (await aTenant(database)).id;
  useSettings(settings());
});
after(async () => {
  await stub.close();
  await database.close();
});

let keys = 0;
function queue(overrides: Partial<NewNotification> = {}) {
  return withTenant(database.pool, overrides.tenantId ?? tenantId, (tx) =>
    queueNotification(tx, {
      tenantId,
      channel: 'email',
      recipient: 'sam.taylor@example.com',
      template: 'appointment_reminder',
      personalisation: { first_name: 'Sam', appointment_time: '10:30 on 2 December' },
      idempotencyKey: `test:${++keys}`,
      ...overrides,
    }),
  );
}
const notification = async (id: string, tenant = tenantId) => (await q.findNotification(database.pool, tenant, id))!;
const worker = (clock: TestClock) => new JobWorker({ pool: database.pool, clock, handlers });

test('a queued email goes through notifications-node-client to the Notify endpoint with its template and personalisation, once', async () => {
  const clock = new TestClock();
  const before = stub.received.length;
  const key = `appointment:${++keys}`;
  const id = (await queue({ idempotencyKey: key }))!;
  assert.equal(await queue({ idempotencyKey: key }), undefined, 'the same key queues nothing more');

  await worker(clock).drain();
  const sent = stub.received.slice(before);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.type, 'email');
  assert.equal(sent[0]!.templateId, TEMPLATES.appointment_reminder);
  assert.equal(sent[0]!.recipient, 'sam.taylor@example.com');
  assert.deepEqual(sent[0]!.personalisation, { first_name: 'Sam', appointment_time: '10:30 on 2 December' });
  assert.equal(sent[0]!.reference, id);
  const row = await notification(id);
  assert.equal(row.state, 'sent');
  assert.equal(row.providerReference, sent[0]!.id);
  assert.equal(row.attempts, 1);

  clock.advance(299);
  await worker(clock).drain();
  assert.equal((await notification(id)).state, 'sent', 'delivery is checked only after the delay');
  clock.advance(1);
  await worker(clock).drain();
  assert.equal((await notification(id)).state, 'delivered');
  assert.equal(stub.received.length, before + 1, 'never sent twice');
});

test('a text message is sent with its own template and personalisation', async () => {
  const clock = new TestClock();
  const before = stub.received.length;
  const id = (await queue({
    channel: 'sms',
    recipient: '07700 900123',
    template: 'outcome_measure_link',
    personalisation: { link: 'https://example.org/m/abc' },
  }))!;
  await worker(clock).drain();
  const sent = stub.received.slice(before);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.type, 'sms');
  assert.equal(sent[0]!.templateId, TEMPLATES.outcome_measure_link);
  assert.deepEqual(sent[0]!.personalisation, { link: 'https://example.org/m/abc' });
  assert.equal((await notification(id)).state, 'sent');
});

test('a secret in the personalisation (a link with a token) reaches Notify and is then removed from the outbox; other values stay', async () => {
  const before = stub.received.length;
  const id = (await queue({
    template: 'outcome_measure_link',
    personalisation: { link: 'https://example.org/outcomes/complete/SeCrEtToKeN123456789', expires: '14 days' },
    secretKeys: ['link'],
  }))!;
  assert.equal(
    (await notification(id)).personalisation.link,
    'https://example.org/outcomes/complete/SeCrEtToKeN123456789',
    'kept until sent',
  );
  await worker(new TestClock()).drain();
  assert.equal(
    stub.received.slice(before)[0]!.personalisation.link,
    'https://example.org/outcomes/complete/SeCrEtToKeN123456789',
    'Notify gets the link',
  );
  const stored = await notification(id);
  assert.equal(stored.state, 'sent');
  assert.deepEqual(stored.personalisation, { link: '(removed once sent)', expires: '14 days' });
  const { rows } = await database.pool.query(`SELECT 1 FROM notification WHERE personalisation::text LIKE '%SeCrEtToKeN%'`);
  assert.equal(rows.length, 0, 'the token is nowhere in the outbox');
});

test('a bounced email and an invalid number are marked failed and flag the contact details, for that tenant only', async () => {
  const clock = new TestClock();
  const bounced = (await queue({ recipient: 'perm-fail@simulator.notify' }))!;
  const invalid = (await queue({ channel: 'sms', recipient: '0123', template: 'outcome_measure_link' }))!;
  const fine = (await queue({ recipient: 'alex@example.com' }))!;
  await worker(clock).drain();
  assert.equal((await notification(invalid)).state, 'failed', 'Notify rejected the number outright');
  assert.equal((await notification(bounced)).state, 'sent');
  clock.advance(300);
  await worker(clock).drain();
  const bouncedRow = await notification(bounced);
  assert.equal(bouncedRow.state, 'failed');
  assert.equal(bouncedRow.failureKind, 'permanent');
  assert.equal((await notification(fine)).state, 'delivered');

  const failing = await withTenant(database.pool, tenantId, (tx) =>
    failingContactDetails(tx, tenantId, ['Perm-Fail@simulator.notify', '0123', 'alex@example.com', 'never-used@example.com']),
  );
  assert.deepEqual(failing.map((f) => f.recipient).sort(), ['0123', 'Perm-Fail@simulator.notify']);
  assert.match(failing.find((f) => f.recipient === '0123')!.reason, /not a valid mobile number/);
  assert.match(failing.find((f) => f.channel === 'email')!.reason, /cannot be delivered/);

  const other = (await aTenant(database)).id;
  const seenByOther = await withTenant(database.pool, other, (tx) =>
    failingContactDetails(tx, other, ['perm-fail@simulator.notify', '0123']),
  );
  assert.deepEqual(seenByOther, []);
});

test('Notify being unavailable makes the send retry with backoff, and the retry sends it once', async () => {
  const clock = new TestClock();
  const before = stub.received.length;
  const id = (await queue())!;
  stub.failNext(2, 503);
  await worker(clock).drain();
  const job = (await q.findJobByKey(database.pool, `notification.send:${id}`))!;
  assert.equal(job.state, 'queued');
  assert.match(job.lastError!, /could not be reached/);
  assert.equal((await notification(id)).state, 'sending');
  clock.advance(30);
  await worker(clock).drain();
  assert.equal(stub.received.length, before, 'still failing');
  clock.advance(59);
  await worker(clock).drain();
  assert.equal(stub.received.length, before, 'the second delay is twice the first');
  clock.advance(1);
  await worker(clock).drain();
  assert.equal(stub.received.length, before + 1);
  assert.equal((await notification(id)).state, 'sent');
});

test('a worker that stalls after Notify accepted the message is taken over without sending it again', async () => {
  const clock = new TestClock();
  const before = stub.received.length;
  const id = (await queue())!;
  stub.hold();
  const stalled = new JobWorker({ pool: database.pool, clock, handlers, lockSeconds: 60, workerId: 'stalled' });
  const stalledRun = stalled.drain(1);
  await stub.waitForReceived(before + 1);
  clock.advance(61);
  await new JobWorker({ pool: database.pool, clock, handlers, workerId: 'taker' }).drain(1);
  const row = await notification(id);
  assert.equal(row.state, 'sent');
  assert.equal(row.providerReference, stub.received[before]!.id, 'found by its reference instead of sent again');
  stub.release();
  await stalledRun;
  assert.equal(stub.received.length, before + 1);
  const job = (await q.findJobByKey(database.pool, `notification.send:${id}`))!;
  assert.equal(job.state, 'succeeded');
  assert.equal(job.attempts, 2);
});

test('a template with no Notify id dead-letters the job and keeps the notification queued for a retry', async () => {
  const clock = new TestClock();
  const before = stub.received.length;
  const id = (await queue({ template: 'discharge_summary_ready' }))!;
  await worker(clock).drain();
  const job = (await q.findJobByKey(database.pool, `notification.send:${id}`))!;
  assert.equal(job.state, 'dead');
  assert.match(job.lastError!, /NOTIFY_TEMPLATE_DISCHARGE_SUMMARY_READY/);
  assert.equal((await notification(id)).state, 'queued');
  assert.equal(stub.received.length, before);
});

test('in demo mode without a Notify key notifications stay in the outbox', async () => {
  useSettings(settings({ apiKey: undefined, demo: true }));
  try {
    const clock = new TestClock();
    const before = stub.received.length;
    const id = (await queue())!;
    await worker(clock).drain();
    assert.equal((await notification(id)).state, 'queued');
    assert.equal(stub.received.length, before);
  } finally {
    useSettings(settings());
  }
});
