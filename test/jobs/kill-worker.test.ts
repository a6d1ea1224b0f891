import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { pgliteDatabase, pgliteExtensions, type Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import { queueNotification } from '../../src/jobs/outbox.ts';
import * as q from '../../src/jobs/queries.ts';
import { backend, freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { startNotifyStub, type NotifyStub } from '../support/notify-stub.ts';
import { pgliteTemplatePath } from '../support/template.ts';

const TEMPLATE_ID = '5a8e1c2d-7b3f-4e6a-9c0d-1e2f3a4b5c6d';

function startWorker(env: Record<string, string>, stub: NotifyStub): ChildProcess {
  const child = spawn(process.execPath, ['bin/signpost.mjs', 'worker'], {
    env: {
      ...process.env,
      ...env,
      SIGNPOST_DEMO: 'false',
      SESSION_SECRET: 'kill-test-secret-that-is-long-enough-0000',
      NOTIFY_API_KEY: stub.apiKey,
      NOTIFY_BASE_URL: stub.url,
      NOTIFY_TEMPLATE_APPOINTMENT_REMINDER: TEMPLATE_ID,
      JOB_LOCK_SECONDS: '2',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c;
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c;
  });
  child.on('exit', (code, signal) => {
    if (code && code !== 0) console.error(`worker exited ${code ?? signal}:\n${output}`);
  });
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

async function until(check: () => boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test(
  `a worker killed with SIGKILL in the middle of sending is replaced and the notification is sent exactly once (${backend})`,
  { timeout: 90_000 },
  async () => {
    const stub = await startNotifyStub();
    let dataDir: string | undefined;
    let database: Database & { url?: string };
    if (backend === 'pglite') {
      // The worker process owns the on-disk database; the test opens it only while no worker runs.
      dataDir = mkdtempSync(path.join(tmpdir(), 'signpost-kill-'));
      database = pgliteDatabase(
        await PGlite.create(dataDir, {
          loadDataDir: new Blob([readFileSync(pgliteTemplatePath())]),
          extensions: pgliteExtensions,
        }),
      );
    } else {
      database = await freshDatabase();
    }
    const workerEnv: Record<string, string> = dataDir ? { PGLITE_DIR: dataDir } : { DATABASE_URL: database.url! };
    try {
      const tenantId = (await aTenant(database)).id;
      const notificationId = (await withTenant(database.pool, tenantId, (tx) =>
        queueNotification(tx, {
          tenantId,
          channel: 'email',
          recipient: 'jo.bloggs@example.com',
          template: 'appointment_reminder',
          personalisation: { first_name: 'Jo' },
          idempotencyKey: 'kill-test',
        }),
      ))!;
      if (dataDir) await database.close();

      stub.hold();
      const first = startWorker(workerEnv, stub);
      await stub.waitForReceived(1, 40_000);
      // Notify has the message; the worker has not recorded it yet. Kill it there.
      first.kill('SIGKILL');
      await exited(first);
      stub.release();

      const second = startWorker(workerEnv, stub);
      await until(
        () => stub.requests.some((r) => r.startsWith('GET /v2/notifications?') && r.includes(notificationId)),
        'the replacement worker to ask Notify about the earlier attempt',
      );
      // A graceful stop lets the job in hand finish and closes the database cleanly.
      await new Promise((resolve) => setTimeout(resolve, 500));
      second.kill('SIGTERM');
      await exited(second);

      if (dataDir) database = pgliteDatabase(await PGlite.create(dataDir, { extensions: pgliteExtensions }));
      const row = (await q.findNotification(database.pool, tenantId, notificationId))!;
      assert.equal(stub.received.length, 1, 'Notify was asked to send it once');
      assert.equal(row.state, 'sent');
      assert.equal(row.providerReference, stub.received[0]!.id);
      const job = (await q.findJobByKey(database.pool, `notification.send:${notificationId}`))!;
      assert.equal(job.state, 'succeeded');
      assert.equal(job.attempts, 2, 'the first attempt died with its worker; the second finished it');
    } finally {
      await database.close().catch(() => {});
      await stub.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
