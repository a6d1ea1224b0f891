import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { registeredHandlers } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { REPORTING_REFRESH_KIND } from '../../src/reporting/service.ts';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { aReportedReferral } from '../support/reporting-factories.ts';
import { signInInBrowser } from '../support/session.ts';

let rig: BrowserRig | undefined;
let database: Database;
let lead: Actor;
const names: string[] = [];

before(async () => {
  database = await freshDatabase();
  const tenant = await aTenant(database, { name: 'Reports PCN' });
  lead = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['lead'], name: 'Rita Lead', email: 'lead@reports.example' });
  const oak = await aPractice(database, tenant.id, { name: 'Oak Surgery' });
  const elm = await aPractice(database, tenant.id, { name: 'Elm Surgery' });
  for (let i = 0; i < 7; i++) {
    const r = await aReportedReferral(database, tenant.id, {
      givenName: `Browsername${i}`,
      familyName: 'Counted',
      practiceId: oak.id,
      receivedAt: `2026-10-0${i + 1}T10:00:00Z`,
    });
    names.push(r.givenName, r.nhsNumber);
  }
  for (let i = 0; i < 2; i++) {
    const r = await aReportedReferral(database, tenant.id, {
      givenName: `Elmname${i}`,
      familyName: 'Counted',
      practiceId: elm.id,
      source: 'self',
      receivedAt: `2026-10-1${i}T10:00:00Z`,
    });
    names.push(r.givenName, r.nhsNumber);
  }
  rig = await startBrowserRig({ database });
});
after(() => (rig ? rig.close() : database.close()));

test('a lead opens Reports, refreshes, sees the figures, filters by practice and months, and downloads the CSV; every page passes the accessibility checks', async () => {
  const { context, page } = await rig!.newPage();
  await signInInBrowser(page, lead.email, TEST_PASSWORD);
  await page.getByRole('link', { name: 'Reports', exact: true }).click();
  await page.waitForURL('**/reports');
  await assertAccessible(page);
  assert.match(await page.locator('main').innerText(), /No figures yet/);

  await page.getByRole('button', { name: 'Refresh now' }).click();
  await page.waitForURL('**/reports?requested=1');
  await assertAccessible(page);
  assert.match(await page.locator('.nhsuk-notification-banner').innerText(), /A refresh has been asked for/);
  // The worker that `signpost serve` runs, here run by hand until the queue is empty.
  const handlers = new Map([[REPORTING_REFRESH_KIND, registeredHandlers().get(REPORTING_REFRESH_KIND)!]]);
  assert.equal(await new JobWorker({ pool: database.pool, handlers, schedules: [] }).drain(), 1);

  assert.equal(await visit(page, '/reports?from=2026-10&to=2026-10'), 200);
  assert.match(await page.locator('#figures-as-of').innerText(), /^Figures as of \d{1,2} \w+ \d{4}, /);
  assert.equal((await page.locator('#total-referrals').innerText()).trim(), '9');
  const gp = page.locator('#by-source tr').filter({ hasText: 'GP' });
  assert.equal((await gp.locator('td').innerText()).trim(), '7');
  const self = page.locator('#by-source tr').filter({ hasText: 'The person themself' });
  assert.equal((await self.locator('td').innerText()).trim(), '<5');

  await page.getByLabel('Practice').selectOption({ label: 'Oak Surgery' });
  await page.getByLabel('From month').fill('2026-09');
  await page.getByLabel('To month').fill('2026-10');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/practice=/);
  await assertAccessible(page);
  assert.equal((await page.locator('#total-referrals').innerText()).trim(), '7');
  assert.equal((await page.locator('#by-month tr').filter({ hasText: 'September 2026' }).locator('td').innerText()).trim(), '<5');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download these figures (CSV)' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'signpost-referrals-2026-09-to-2026-10.csv');
  const csv = await readFile((await download.path())!, 'utf8');
  assert.match(csv, /^table,category,value\r\n/);
  assert.match(csv, /\r\nReferrals,Total,7\r\n/);
  assert.match(csv, /\r\nFilter,Practice,Oak Surgery\r\n/);
  for (const text of names) assert.ok(!csv.includes(text) && !(await page.content()).includes(text), `${text} is never shown`);

  await page.getByLabel('From month').fill('last spring');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/from=last/);
  await assertAccessible(page);
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /Enter the start month as a year and month/);
  await context.close();
});
