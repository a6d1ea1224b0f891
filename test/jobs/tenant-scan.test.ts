import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import { fanOutToTenants } from '../../src/jobs/fan-out.ts';
import { registeredHandlers, registeredRecurringJobs, registerTenantScan, TENANT_FAN_OUT } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { aJobKind, TestClock } from './support.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

test('a tenant scan runs its job once per tenant at each due time, each inside its own tenant', async () => {
  const first = await aTenant(database, { settings: { waitingTargetDays: 14 } });
  const second = await aTenant(database, { settings: { waitingTargetDays: 21 } });
  const seen: Array<{ tenantId: string | null; visibleTenants: string[] }> = [];
  const { kind, handlers } = aJobKind(async (job) => {
    // What an area's scan does: read its tenant's rows under row-level security.
    const visible = await withTenant(job.pool, job.tenantId, (tx) => tx.query<{ id: string }>('SELECT id FROM tenant'));
    seen.push({ tenantId: job.tenantId, visibleTenants: visible.rows.map((r) => r.id) });
  });
  const name = `test-waiting-scan-${kind}`;
  registerTenantScan({ name, cron: '0 6 * * *', kind });
  handlers.set(TENANT_FAN_OUT, registeredHandlers().get(TENANT_FAN_OUT)!);
  const schedules = registeredRecurringJobs().filter((s) => s.name === name);
  const clock = new TestClock(new Date('2026-11-24T05:59:00Z'));
  const workers = [1, 2].map(() => new JobWorker({ pool: database.pool, clock, handlers, schedules, concurrency: 2 }));

  await Promise.all(workers.map((w) => w.drain()));
  assert.equal(seen.length, 0, 'not before 6am');
  clock.advance(120);
  await Promise.all(workers.map((w) => w.drain()));
  await Promise.all(workers.map((w) => w.drain()));

  const ours = seen.filter((s) => s.tenantId === first.id || s.tenantId === second.id);
  assert.equal(ours.length, 2, 'once for each tenant');
  for (const run of ours) assert.deepEqual(run.visibleTenants, [run.tenantId], 'the job sees only its own tenant');
  const total = seen.length;
  clock.advance(3600);
  await workers[0]!.drain();
  assert.equal(seen.length, total, 'nothing more until the next day');
  clock.advance(86_400);
  await workers[0]!.drain();
  assert.equal(seen.filter((s) => s.tenantId === first.id).length, 2);
});

test('a fan-out that runs again after its worker died schedules nothing twice', async () => {
  await aTenant(database);
  const { kind } = aJobKind(async () => {});
  const clock = new TestClock();
  const context = {
    id: 987_654,
    kind: TENANT_FAN_OUT,
    tenantId: null,
    payload: { kind, scan: `rerun-${kind}` },
    attempt: 1,
    maxAttempts: 5,
    pool: database.pool,
    clock,
    log: { info() {}, warn() {}, error() {} },
  };
  await fanOutToTenants(context);
  const count = async () => (await database.pool.query('SELECT count(*) AS n FROM job WHERE kind = $1', [kind])).rows[0].n as number;
  const once = await count();
  assert.ok(once >= 1);
  await fanOutToTenants({ ...context, attempt: 2 });
  assert.equal(await count(), once);
});
