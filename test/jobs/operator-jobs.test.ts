import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import * as q from '../../src/jobs/queries.ts';
import { PermanentJobError, scheduleJob } from '../../src/jobs/queue.ts';
import { cancelJob, installationJobs, retryJob } from '../../src/jobs/service.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { backend, freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { aJobKind, TestClock } from './support.ts';

let database: Database & { url?: string };
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

async function aDeadJob(tenantId: string | null, error: string) {
  const { kind, handlers } = aJobKind(async () => {
    throw new PermanentJobError(error);
  });
  const id = (await scheduleJob(database.pool, { kind, tenantId }))!;
  await new JobWorker({ pool: database.pool, clock: new TestClock(), handlers }).drain();
  return { id, kind };
}

test("the operator sees system jobs that belong to no tenant, and every tenant's, and can retry or cancel them; a tenant admin cannot touch a system job", async () => {
  const system = await aDeadJob(null, 'ORUK feed answered 503');
  const admin = await anActor(database, { roles: ['admin'] });
  const tenants = await aDeadJob(admin.tenantId, 'Template not found');

  const systemOnly = await installationJobs(database.pool, 'dead', true);
  assert.ok(systemOnly.some((j) => j.id === system.id && j.lastError === 'ORUK feed answered 503'));
  assert.ok(!systemOnly.some((j) => j.id === tenants.id), 'a tenant job is not a system job');
  const all = await installationJobs(database.pool, 'dead', false);
  assert.ok(all.some((j) => j.id === system.id) && all.some((j) => j.id === tenants.id));

  await assert.rejects(retryJob(database.pool, admin, system.id), /could not find that job/, 'a tenant admin cannot retry a system job');
  await retryJob(database.pool, 'installation', system.id);
  assert.equal((await q.findJob(database.pool, system.id))!.state, 'queued');
  assert.equal((await q.findJob(database.pool, system.id))!.attempts, 0);
  await assert.rejects(
    retryJob(database.pool, 'installation', system.id),
    /Only a dead or cancelled job can be retried; this one is queued/,
  );
  await cancelJob(database.pool, 'installation', system.id);
  assert.equal((await q.findJob(database.pool, system.id))!.state, 'cancelled');
  await assert.rejects(cancelJob(database.pool, 'installation', 999_999_999), /could not find that job/);
});

test(
  '`signpost jobs` lists failed system jobs with their errors and retries one by number; bad input gets a usage message',
  { skip: backend !== 'postgres' && 'the command line opens the database itself: a PostgreSQL URL is needed' },
  async () => {
    const system = await aDeadJob(null, 'Feed import failed: not an ORUK feed');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['bin/signpost.mjs', 'jobs', ...args], {
        env: {
          ...process.env,
          DATABASE_URL: database.url!,
          LOG_LEVEL: 'warn',
          SIGNPOST_DEMO: 'false',
          SESSION_SECRET: 'operator-test-secret-that-is-long-enough-00',
        },
        encoding: 'utf8',
      });
    const listed = run('list', '--system');
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${system.id}\\s+${system.kind}\\s+system`));
    assert.match(listed.stdout, /Feed import failed: not an ORUK feed/);

    const retried = run('retry', String(system.id));
    assert.equal(retried.status, 0, retried.stderr);
    assert.match(retried.stdout, new RegExp(`Job ${system.id} is queued again`));
    assert.equal((await q.findJob(database.pool, system.id))!.state, 'queued');

    const again = run('retry', String(system.id));
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /Only a dead or cancelled job can be retried; this one is queued/);
    const bad = run('list', '--state', 'finished');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--state must be one of dead, queued, running, succeeded, cancelled/);
  },
);
