import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { pruneIdentityRecords, PRUNE_IDENTITY } from '../../src/identity/maintenance.ts';
import { registeredHandlers, registeredRecurringJobs } from '../../src/jobs/queue.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';

let database: Database;

before(async () => {
  database = await freshDatabase();
});
after(async () => {
  await database.close();
});

test('old ended sessions, used links and stale sign-in and rate-limit counts are pruned nightly; live ones stay', async () => {
  const user = await anActor(database);
  const insertSession = (id: string, ended: string | null, expires: string) =>
    database.pool.query(
      `INSERT INTO user_session (id, user_id, tenant_id, expires_at, ended_at) VALUES ($1, $2, $3, now() + $4::interval, now() + $5::interval)`,
      [id, user.userId, user.tenantId, expires, ended],
    );
  await insertSession('live', null, '1 hour');
  await insertSession('ended-recently', '-2 days', '1 hour');
  await insertSession('ended-long-ago', '-40 days', '-39 days');
  await insertSession('expired-long-ago', null, '-31 days');
  await database.pool.query(
    `INSERT INTO user_token (id, user_id, tenant_id, purpose, expires_at, used_at) VALUES
       ('t-open', $1, $2, 'invitation', now() + interval '5 days', NULL),
       ('t-used-old', $1, $2, 'password_reset', now() - interval '40 days', now() - interval '40 days')`,
    [user.userId, user.tenantId],
  );
  await database.pool.query(
    `INSERT INTO sign_in_throttle (email_key, failures, last_failure_at, locked_until) VALUES
       ('locked-now', 0, now(), now() + interval '10 minutes'), ('stale', 3, now() - interval '3 days', NULL)`,
  );
  await database.pool.query(
    `INSERT INTO rate_limit_counter (key, window_start, hits) VALUES ('this-hour', now() - interval '10 minutes', 4), ('last-week', now() - interval '7 days', 9)`,
  );

  const removed = await pruneIdentityRecords(database.pool, new Date());
  assert.deepEqual(removed, { sessions: 2, tokens: 1, throttles: 1, rateLimits: 1 });
  const left = async (sql: string) => (await database.pool.query<{ id: string }>(sql)).rows.map((r) => r.id).sort();
  assert.deepEqual(await left('SELECT id FROM user_session'), ['ended-recently', 'live']);
  assert.deepEqual(await left('SELECT id FROM user_token'), ['t-open']);
  assert.deepEqual(await left('SELECT email_key AS id FROM sign_in_throttle'), ['locked-now']);
  assert.deepEqual(await left('SELECT key AS id FROM rate_limit_counter'), ['this-hour']);
  assert.ok(registeredHandlers().has(PRUNE_IDENTITY));
  assert.ok(registeredRecurringJobs().some((r) => r.kind === PRUNE_IDENTITY));
});
