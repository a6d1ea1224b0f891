import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import * as q from '../../src/jobs/queries.ts';
import { PermanentJobError, scheduleJob } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { asForm, formSession, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { signInAs } from '../support/session.ts';
import { aJobKind, TestClock } from './support.ts';

let database: Database;
let app: FastifyInstance;
let admin: Actor;
let cookies: Record<string, string>;

before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  admin = await anActor(database, { roles: ['admin'] });
  cookies = await signInAs(app, database, admin);
});
after(async () => {
  await app.close();
  await database.close();
});

async function aDeadJob(tenantId: string, error = 'Template not found') {
  const { kind, handlers } = aJobKind(async () => {
    throw new PermanentJobError(error);
  });
  const id = (await scheduleJob(database.pool, { kind, tenantId }))!;
  await new JobWorker({ pool: database.pool, clock: new TestClock(), handlers }).drain();
  return { id, kind };
}

async function post(url: string, body: Record<string, string> = {}) {
  const { token, cookies: jar } = await formSession(app, '/admin/jobs', cookies);
  return app.inject({ method: 'POST', url, cookies: jar, ...asForm({ _csrf: token!, ...body }) });
}

test("an admin sees failed jobs with their errors and retry and cancel buttons, and no other tenant's", async () => {
  const mine = await aDeadJob(admin.tenantId, 'Template not found: appointment reminder');
  const other = await anActor(database, { roles: ['admin'] });
  const theirs = await aDeadJob(other.tenantId, 'secret of another tenant');
  const page = await app.inject({ method: 'GET', url: '/admin/jobs', cookies });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<h1>Background jobs<\/h1>/);
  assert.match(page.body, new RegExp(mine.kind));
  assert.match(page.body, /Template not found: appointment reminder/);
  assert.match(page.body, new RegExp(`action="/admin/jobs/${mine.id}/retry"`));
  assert.match(page.body, new RegExp(`action="/admin/jobs/${mine.id}/cancel"`));
  assert.match(page.body, /name="_csrf"/);
  assert.doesNotMatch(page.body, new RegExp(theirs.kind));
  assert.doesNotMatch(page.body, /secret of another tenant/);
});

test('retry puts a dead job back in the queue with fresh attempts, and a queued job cannot be retried again', async () => {
  const { id } = await aDeadJob(admin.tenantId);
  const res = await post(`/admin/jobs/${id}/retry`, { returnState: 'dead' });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/admin/jobs?state=dead');
  const job = (await q.findJob(database.pool, id))!;
  assert.equal(job.state, 'queued');
  assert.equal(job.attempts, 0);

  const again = await post(`/admin/jobs/${id}/retry`);
  assert.equal(again.statusCode, 409);
  assert.match(again.body, /Only a dead or cancelled job can be retried/);
});

test('cancel stops a waiting job from running', async () => {
  const { kind } = aJobKind(async () => {});
  const id = (await scheduleJob(database.pool, { kind, tenantId: admin.tenantId, runAt: new Date(Date.now() + 86_400_000) }))!;
  const res = await post(`/admin/jobs/${id}/cancel`, { returnState: 'queued' });
  assert.equal(res.statusCode, 303);
  assert.equal((await q.findJob(database.pool, id))!.state, 'cancelled');
  const list = await app.inject({ method: 'GET', url: '/admin/jobs?state=cancelled', cookies });
  assert.match(list.body, new RegExp(kind));
});

test("another tenant's job cannot be retried or cancelled and is reported as not found", async () => {
  const other = await anActor(database, { roles: ['admin'] });
  const { id } = await aDeadJob(other.tenantId);
  for (const action of ['retry', 'cancel']) {
    const res = await post(`/admin/jobs/${id}/${action}`);
    assert.equal(res.statusCode, 404);
  }
  assert.equal((await q.findJob(database.pool, id))!.state, 'dead');
});

test('people who are not admins cannot see or change jobs', async () => {
  const linkWorker = await anActor(database, { roles: ['link_worker'] });
  const theirCookies = await signInAs(app, database, linkWorker);
  assert.equal((await app.inject({ method: 'GET', url: '/admin/jobs', cookies: theirCookies })).statusCode, 403);
  const anonymous = await app.inject({ method: 'GET', url: '/admin/jobs' });
  assert.notEqual(anonymous.statusCode, 200);
  const { id } = await aDeadJob(admin.tenantId);
  const { token, cookies: jar } = await formSession(app, '/', theirCookies);
  const res = await app.inject({ method: 'POST', url: `/admin/jobs/${id}/retry`, cookies: jar, ...asForm({ _csrf: token ?? '' }) });
  assert.equal(res.statusCode, 403);
  assert.equal((await q.findJob(database.pool, id))!.state, 'dead');
});

test('a retry without its CSRF token is refused and changes nothing', async () => {
  const { id } = await aDeadJob(admin.tenantId);
  const res = await app.inject({ method: 'POST', url: `/admin/jobs/${id}/retry`, cookies, ...asForm({}) });
  assert.equal(res.statusCode, 403);
  assert.equal((await q.findJob(database.pool, id))!.state, 'dead');
});

test('bad addresses get a 4xx, not a 500', async () => {
  assert.equal((await app.inject({ method: 'GET', url: '/admin/jobs?state=exploded', cookies })).statusCode, 400);
  const res = await post('/admin/jobs/not-a-number/retry');
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `got ${res.statusCode}`);
  const missing = await post('/admin/jobs/999999999/retry');
  assert.equal(missing.statusCode, 404);
});
