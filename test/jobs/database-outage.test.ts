import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { openPostgres } from '../../src/db/database.ts';
import * as q from '../../src/jobs/queries.ts';
import { scheduleJob } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { backend, freshDatabase } from '../support/database.ts';
import { aJobKind } from './support.ts';

/** A TCP relay to the test server that can drop every connection and refuse new ones. */
async function startRelay(target: URL) {
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) { client.destroy(); return; }
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
    goDown() { down = true; for (const s of sockets) s.destroy(); },
    comeBack() { down = false; },
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); for (const s of sockets) s.destroy(); }),
  };
}

test('a worker backs off while the database is unreachable and resumes when it returns', {
  skip: backend === 'pglite' ? 'the embedded database runs inside the process and cannot go away' : false,
}, async () => {
  const database = await freshDatabase();
  const target = new URL(database.url!);
  const relay = await startRelay(target);
  const relayed = new URL(database.url!);
  relayed.hostname = '127.0.0.1';
  relayed.port = String(relay.port);
  const workerDb = openPostgres(relayed.toString(), 2);
  let runs = 0;
  const { kind, handlers } = aJobKind(async () => { runs++; });
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
});
