import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { PRUNE_JOBS } from '../../src/jobs/maintenance.ts';
import * as q from '../../src/jobs/queries.ts';
import { registeredHandlers, registeredRecurringJobs, scheduleJob } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { freshDatabase } from '../support/database.ts';
import { TestClock } from './support.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

test('the nightly prune removes jobs finished over 30 days ago, keeping dead ones for admins and reminder keys', async () => {
  const at = async (state: string, daysAgo: number, idempotencyKey?: string) => {
    const id = (await scheduleJob(database.pool, { kind: 'test.pruned', idempotencyKey }))!;
    await database.pool.query(`UPDATE job SET state = $2, updated_at = now() - make_interval(days => $3) WHERE id = $1`, [
      id,
      state,
      daysAgo,
    ]);
    return id;
  };
  const oldDone = await at('succeeded', 31);
  const oldCancelled = await at('cancelled', 40);
  const recentDone = await at('succeeded', 20);
  const oldDead = await at('dead', 90);
  const oldReminder = await at('succeeded', 60, 'plan-review:plan-1:2026-09-01');

  const clock = new TestClock();
  const handlers = new Map([[PRUNE_JOBS, registeredHandlers().get(PRUNE_JOBS)!]]);
  const schedules = registeredRecurringJobs().filter((s) => s.kind === PRUNE_JOBS);
  const worker = new JobWorker({ pool: database.pool, clock, handlers, schedules });
  await worker.drain(); // writes the schedule: its first run is the next 3:30am
  clock.advance(86_400);
  await worker.drain();

  assert.equal(await q.findJob(database.pool, oldDone), undefined);
  assert.equal(await q.findJob(database.pool, oldCancelled), undefined);
  assert.ok(await q.findJob(database.pool, recentDone), 'kept: finished 21 days before the prune ran');
  assert.ok(await q.findJob(database.pool, oldDead));
  assert.ok(await q.findJob(database.pool, oldReminder), "an area's reminder key is kept so it is never used twice");
});
