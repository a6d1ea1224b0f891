import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { openPostgres } from '../../src/db/database.ts';
import * as q from '../../src/jobs/queries.ts';
import { scheduleJob } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { testApp } from '../support/app.ts';
import { backend, freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { signInAs } from '../support/session.ts';
import { aJobKind } from './support.ts';

/** A TCP relay to the test server that can drop every connection and refuse new ones. */
async function startRelay(target: URL) {
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    goDown() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    comeBack() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

test(
  'a worker backs off while the database is unreachable and resumes when it returns',
  {
    skip: backend === 'pglite' ? 'the embedded database runs inside the process and cannot go away' : false,
  },
  async () => {
    const database = await freshDatabase();
    const target = new URL(database.url!);
    const relay = await startRelay(target);
    const relayed = new URL(database.url!);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(relay.port);
    const workerDb = openPostgres(relayed.toString(), 2);
    let runs = 0;
    const { kind, handlers } = aJobKind(async () => {
      runs++;
    });
    const worker = new JobWorker({ pool: workerDb.pool, handlers, pollMilliseconds: 20 });
    try {
      worker.start();
      relay.goDown();
      const id = (await scheduleJob(database.pool, { kind }))!;
      const deadline = Date.now() + 10_000;
      while (worker.consecutiveFailures < 3) {
        assert.ok(Date.now() < deadline, 'the worker should have noticed the outage');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(runs, 0);
      relay.comeBack();
      while ((await q.findJob(database.pool, id))!.state !== 'succeeded') {
        assert.ok(Date.now() < deadline + 20_000, 'the worker should have resumed');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(runs, 1);
      assert.equal(worker.consecutiveFailures, 0);
    } finally {
      await worker.stop();
      await workerDb.close();
      await relay.close();
      await database.close();
    }
  },
);

test(
  'while the database is unreachable pages answer 503 with Retry-After, logged once; the next request after it returns is 200',
  {
    skip: backend === 'pglite' ? 'the embedded database runs inside the process and cannot go away' : false,
  },
  async () => {
    const database = await freshDatabase();
    const relay = await startRelay(new URL(database.url!));
    const relayed = new URL(database.url!);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(relay.port);
    const appDb = openPostgres(relayed.toString(), 2);
    const logs: { level: number; msg: string }[] = [];
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const app = await testApp(appDb, { LOG_LEVEL: 'info' }, { logStream });
    try {
      const worker = await anActor(database, { roles: ['link_worker'], name: 'Outage Tester' });
      const cookies = await signInAs(app, database, worker);
      assert.equal((await app.inject({ url: '/caseload', cookies })).statusCode, 200);

      relay.goDown();
      const page = await app.inject({ url: '/caseload', cookies });
      assert.equal(page.statusCode, 503);
      assert.equal(page.headers['retry-after'], '30');
      assert.match(page.body, /Sorry, the service is unavailable/);
      assert.match(page.body, /nhsuk-header/, 'an NHS.UK page');
      assert.doesNotMatch(page.body, /Outage Tester|ECONN|Connection terminated/);
      const api = await app.inject({ url: '/api/oruk/services' });
      assert.equal(api.statusCode, 503);
      assert.equal(api.headers['retry-after'], '30');
      assert.equal(api.json().error, 'Service Unavailable');
      assert.equal((await app.inject({ url: '/caseload', cookies })).statusCode, 503);

      const unreachable = logs.filter((l) => l.msg.startsWith('database unreachable'));
      assert.equal(unreachable.length, 1, 'logged once for the outage, not per request');
      assert.ok(unreachable[0]!.level >= 50, 'at error level');
      assert.ok(!logs.some((l) => l.msg === 'unexpected error'));
      assert.ok(!JSON.stringify(logs).includes('Outage Tester'));

      relay.comeBack();
      const back = await app.inject({ url: '/caseload', cookies });
      assert.equal(back.statusCode, 200);
      assert.match(back.body, /Outage Tester/);
      assert.equal(logs.filter((l) => l.msg === 'database reachable again').length, 1);
    } finally {
      await app.close();
      await appDb.close();
      await relay.close();
      await database.close();
    }
  },
);
