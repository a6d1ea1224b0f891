import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTenant, withTransaction } from '../../src/db/transaction.ts';
import * as q from '../../src/jobs/queries.ts';
import { PermanentJobError, scheduleJob } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { aJobKind, TestClock } from './support.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const job = async (id: number) => (await q.findJob(database.pool, id))!;

test('a failing job is retried with exponential backoff and dead-lettered with its last error', async () => {
  const clock = new TestClock();
  let runs = 0;
  const { kind, handlers } = aJobKind(
    async () => {
      runs++;
      throw new Error(`provider unavailable (run ${runs})`);
    },
    { maxAttempts: 3, backoffSeconds: 10 },
  );
  const worker = new JobWorker({ pool: database.pool, clock, handlers });
  const id = (await scheduleJob(database.pool, { kind }))!;

  assert.equal(await worker.drain(), 1);
  let row = await job(id);
  assert.equal(row.state, 'queued');
  assert.equal(row.attempts, 1);
  assert.match(row.lastError!, /provider unavailable \(run 1\)/);
  assert.equal(row.runAt.getTime(), clock.now().getTime() + 10_000);

  clock.advance(9);
  assert.equal(await worker.drain(), 0, 'not due before the first backoff has passed');
  clock.advance(1);
  assert.equal(await worker.drain(), 1);
  row = await job(id);
  assert.equal(row.attempts, 2);
  assert.equal(row.runAt.getTime(), clock.now().getTime() + 20_000, 'the second delay doubles');

  clock.advance(20);
  assert.equal(await worker.drain(), 1);
  row = await job(id);
  assert.equal(row.state, 'dead');
  assert.equal(row.attempts, 3);
  assert.match(row.lastError!, /run 3/);
  assert.ok(row.finishedAt);

  clock.advance(3600);
  assert.equal(await worker.drain(), 0, 'a dead job is never run again by itself');
  assert.equal(runs, 3);
});

test('a job that fails then succeeds runs until it succeeds and never again', async () => {
  const clock = new TestClock();
  let runs = 0;
  const { kind, handlers } = aJobKind(async () => {
    runs++;
    if (runs === 1) throw new Error('temporary');
  });
  const worker = new JobWorker({ pool: database.pool, clock, handlers });
  const id = (await scheduleJob(database.pool, { kind }))!;
  await worker.drain();
  clock.advance(10);
  await worker.drain();
  clock.advance(86_400);
  await worker.drain();
  const row = await job(id);
  assert.equal(row.state, 'succeeded');
  assert.equal(row.attempts, 2);
  assert.equal(runs, 2);
});

test('a permanent error dead-letters the job at once', async () => {
  const clock = new TestClock();
  const { kind, handlers } = aJobKind(
    async () => {
      throw new PermanentJobError('template does not exist');
    },
    { maxAttempts: 5 },
  );
  const id = (await scheduleJob(database.pool, { kind }))!;
  await new JobWorker({ pool: database.pool, clock, handlers }).drain();
  const row = await job(id);
  assert.equal(row.state, 'dead');
  assert.equal(row.attempts, 1);
  assert.match(row.lastError!, /template does not exist/);
});

test('a job scheduled for later waits until its time', async () => {
  const clock = new TestClock();
  let runs = 0;
  const { kind, handlers } = aJobKind(async () => {
    runs++;
  });
  const worker = new JobWorker({ pool: database.pool, clock, handlers });
  await scheduleJob(database.pool, { kind, runAt: new Date(clock.now().getTime() + 3 * 86_400_000) });
  clock.advance(3 * 86_400 - 1);
  assert.equal(await worker.drain(), 0);
  clock.advance(1);
  assert.equal(await worker.drain(), 1);
  assert.equal(runs, 1);
});

test('the job of a worker that died is claimed again once its lock expires, and the dead worker cannot finish it', async () => {
  const clock = new TestClock();
  let runs = 0;
  const { kind, handlers } = aJobKind(async () => {
    runs++;
  });
  const id = (await scheduleJob(database.pool, { kind }))!;
  // The first worker claims the job and then dies without a word.
  const [claimed] = await q.claimJobs(database.pool, { workerId: 'died', kinds: [kind], now: clock.now(), lockSeconds: 60, limit: 1 });
  assert.equal(claimed!.id, id);

  const survivor = new JobWorker({ pool: database.pool, clock, handlers, lockSeconds: 60 });
  clock.advance(59);
  assert.equal(await survivor.drain(), 0, 'still locked by the first worker');
  clock.advance(2);
  assert.equal(await survivor.drain(), 1);
  const row = await job(id);
  assert.equal(row.state, 'succeeded');
  assert.equal(row.attempts, 2);
  assert.equal(runs, 1);
  assert.equal(await q.markSucceeded(database.pool, id, 'died', clock.now()), false, 'a late finish by the dead worker changes nothing');
});

test('a job whose workers die on every attempt ends dead rather than looping', async () => {
  const clock = new TestClock();
  const { kind, handlers } = aJobKind(async () => {});
  const id = (await scheduleJob(database.pool, { kind, maxAttempts: 2 }))!;
  for (const workerId of ['died-1', 'died-2']) {
    await q.claimJobs(database.pool, { workerId, kinds: [kind], now: clock.now(), lockSeconds: 10, limit: 1 });
    clock.advance(11);
  }
  await new JobWorker({ pool: database.pool, clock, handlers }).drain();
  const row = await job(id);
  assert.equal(row.state, 'dead');
  assert.match(row.lastError!, /stopped before it finished/);
});

test('four workers claiming side by side run each of 120 jobs exactly once', async () => {
  const runs = new Map<number, number>();
  const { kind, handlers } = aJobKind(async (ctx) => {
    runs.set(ctx.id, (runs.get(ctx.id) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
  });
  const ids: number[] = [];
  for (let i = 0; i < 120; i++) ids.push((await scheduleJob(database.pool, { kind, payload: { n: i } }))!);
  // The clock starts after scheduling, however long that took, so every job is due.
  const clock = new TestClock();
  const workers = Array.from(
    { length: 4 },
    (_, i) => new JobWorker({ pool: database.pool, clock, handlers, concurrency: 3, workerId: `w${i}` }),
  );
  const counts = await Promise.all(workers.map((w) => w.drain()));
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    120,
  );
  assert.deepEqual(
    [...runs.keys()].sort((a, b) => a - b),
    ids,
  );
  assert.ok(
    [...runs.values()].every((n) => n === 1),
    'no job ran twice',
  );
  const { rows } = await database.pool.query(`SELECT count(*) AS n FROM job WHERE kind = $1 AND state = 'succeeded'`, [kind]);
  assert.equal(rows[0].n, 120);
});

test('scheduling inside a transaction: one job per idempotency key, and none if the transaction rolls back', async () => {
  const tenant = await aTenant(database);
  const { kind } = aJobKind(async () => {});
  const key = `reminder:${tenant.id}:2026-12-01`;
  const first = await withTenant(database.pool, tenant.id, (tx) =>
    scheduleJob(tx, { kind, tenantId: tenant.id, payload: { referralId: 'r1' }, idempotencyKey: key }),
  );
  const second = await withTenant(database.pool, tenant.id, (tx) =>
    scheduleJob(tx, { kind, tenantId: tenant.id, payload: { referralId: 'r1' }, idempotencyKey: key }),
  );
  assert.ok(first);
  assert.equal(second, undefined);
  await assert.rejects(
    withTransaction(database.pool, async (tx) => {
      await scheduleJob(tx, { kind, idempotencyKey: `${key}:rolled-back` });
      throw new Error('the change failed');
    }),
  );
  assert.equal(await q.findJobByKey(database.pool, `${key}:rolled-back`), undefined);
});

test("request code sees and schedules only its own tenant's jobs", async () => {
  const mine = await aTenant(database);
  const theirs = await aTenant(database);
  const { kind } = aJobKind(async () => {});
  await scheduleJob(database.pool, { kind, tenantId: theirs.id });
  await assert.rejects(
    withTenant(database.pool, mine.id, (tx) => scheduleJob(tx, { kind, tenantId: theirs.id })),
    /row-level security/,
  );
  const visible = await withTenant(database.pool, mine.id, (tx) => tx.query('SELECT tenant_id FROM job'));
  assert.ok(visible.rows.every((r) => r.tenant_id === mine.id));
});

test('a recurring schedule makes one job per due run however many workers tick, in London time', async () => {
  // 06:59 GMT on a winter morning; the schedule is 7am London time.
  const clock = new TestClock(new Date('2026-11-24T06:59:00Z'));
  let runs = 0;
  const { kind, handlers } = aJobKind(async () => {
    runs++;
  });
  const schedules = [{ name: `test-morning-scan-${kind}`, cron: '0 7 * * *', kind }];
  const workers = [1, 2].map(() => new JobWorker({ pool: database.pool, clock, handlers, schedules }));
  await Promise.all(workers.map((w) => w.drain()));
  assert.equal(runs, 0);
  clock.advance(90);
  await Promise.all(workers.map((w) => w.drain()));
  await Promise.all(workers.map((w) => w.drain()));
  assert.equal(runs, 1);
  const { rows } = await database.pool.query('SELECT next_run_at FROM job_schedule WHERE name = $1', [schedules[0]!.name]);
  assert.equal(rows[0].next_run_at.toISOString(), '2026-11-25T07:00:00.000Z');
  clock.advance(86_400);
  await workers[0]!.drain();
  assert.equal(runs, 2);
});
