import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as q from '../../src/jobs/queries.ts';
import { PermanentJobError, scheduleJob } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { anActor } from '../support/factories.ts';
import { signInAs } from '../support/session.ts';
import { aJobKind, TestClock } from '../jobs/support.ts';

let rig: BrowserRig;
before(async () => {
  rig = await startBrowserRig();
});
after(() => rig.close());

test('an admin reads why a job failed on an accessible page and retries it', async () => {
  const admin = await anActor(rig.database, { roles: ['admin'] });
  const { kind, handlers } = aJobKind(async () => {
    throw new PermanentJobError('GOV.UK Notify refused the notification: Template not found');
  });
  const id = (await scheduleJob(rig.database.pool, { kind, tenantId: admin.tenantId }))!;
  await new JobWorker({ pool: rig.database.pool, clock: new TestClock(), handlers }).drain();

  const { context, page } = await rig.newPage();
  const cookies = await signInAs(rig.app, rig.database, admin);
  await context.addCookies(Object.entries(cookies).map(([name, value]) => ({ name, value, url: rig.baseUrl })));

  assert.equal(await visit(page, '/admin/jobs'), 200);
  assert.match((await page.locator(`#job-${id}`).textContent()) ?? '', /Template not found/);
  await page.getByRole('button', { name: `Retry job ${id}` }).click();
  await page.waitForURL(/\/admin\/jobs\?state=dead$/);
  assert.equal(await page.locator(`#job-${id}`).count(), 0, 'no longer listed as failed');
  assert.equal((await q.findJob(rig.database.pool, id))!.state, 'queued');

  assert.equal(await visit(page, '/admin/jobs?state=queued'), 200);
  assert.equal(await page.locator(`#job-${id}`).count(), 1);
  await context.close();
});
