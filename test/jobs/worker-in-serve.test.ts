import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { ConfigError } from '../../src/config.ts';
import { withTenant } from '../../src/db/transaction.ts';
import { queueNotification } from '../../src/jobs/outbox.ts';
import * as q from '../../src/jobs/queries.ts';
import { testApp, testConfig } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { startNotifyStub, type NotifyStub } from '../support/notify-stub.ts';

const TEMPLATE_ID = '0d7e6f5a-4b3c-4d2e-8f1a-9b8c7d6e5f4a';
let database: Database;
let stub: NotifyStub;
before(async () => {
  database = await freshDatabase();
  stub = await startNotifyStub();
});
after(async () => {
  await stub.close();
  await database.close();
});

test('the app runs the job worker when SIGNPOST_WORKER is on: a queued message is sent with the configured template', async () => {
  const app = await testApp(database, {
    SIGNPOST_WORKER: 'true',
    NOTIFY_API_KEY: stub.apiKey,
    NOTIFY_BASE_URL: stub.url,
    NOTIFY_TEMPLATE_SELF_REFERRAL_CONFIRMATION: TEMPLATE_ID,
  });
  try {
    const tenantId = (await aTenant(database)).id;
    const id = (await withTenant(database.pool, tenantId, (tx) =>
      queueNotification(tx, {
        tenantId,
        channel: 'email',
        recipient: 'pat@example.com',
        template: 'self_referral_confirmation',
        personalisation: { first_name: 'Pat' },
        idempotencyKey: 'self-referral:1',
      }),
    ))!;
    await stub.waitForReceived(1, 15_000);
    assert.equal(stub.received[0]!.templateId, TEMPLATE_ID);
    assert.deepEqual(stub.received[0]!.personalisation, { first_name: 'Pat' });
    for (let i = 0; (await q.findNotification(database.pool, tenantId, id))!.state !== 'sent'; i++) {
      assert.ok(i < 100, 'the send should be recorded');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await app.close();
  }
});

test('Notify template ids and the job lock come from the environment and bad values stop start-up', () => {
  const config = testConfig({ NOTIFY_TEMPLATE_APPOINTMENT_REMINDER: TEMPLATE_ID.toUpperCase(), JOB_LOCK_SECONDS: '45' });
  assert.equal(config.notifyTemplates.appointment_reminder, TEMPLATE_ID);
  assert.equal(config.jobLockSeconds, 45);
  assert.equal(testConfig().jobLockSeconds, 300);
  assert.throws(
    () => testConfig({ NOTIFY_TEMPLATE_INVITATION: 'not-a-uuid' }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'NOTIFY_TEMPLATE_INVITATION',
  );
  assert.throws(
    () => testConfig({ JOB_LOCK_SECONDS: '0' }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'JOB_LOCK_SECONDS',
  );
  assert.throws(() => testConfig({ JOB_LOCK_SECONDS: 'ten' }), ConfigError);
});
