import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { dischargeReferral } from '../../src/discharge/service.ts';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { assertAccessible, startBrowserRig, type BrowserRig } from '../support/browser.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { signInInBrowser } from '../support/session.ts';

// MESH is configured but nothing listens there: no job runs in these journeys, they are about the pages.
const MESH = {
  MESH_URL: 'http://127.0.0.1:3269',
  MESH_MAILBOX_ID: 'X26ABC1',
  MESH_MAILBOX_PASSWORD: 'password',
  MESH_SHARED_KEY: 'TestKey',
  MESH_SENDER_ODS_CODE: 'X26',
};

let rig: BrowserRig;
before(async () => {
  rig = await startBrowserRig({ env: MESH });
});
after(async () => {
  await rig.close();
});

async function submit(page: Page, button: string) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: button, exact: true }).click()]);
  await assertAccessible(page);
}

async function fits(page: Page, width: number) {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `the page fits ${width} px (scroll width ${scroll})`);
}

test("a summary that could not go to the GP record says why; the admin adds the practice's mailbox at 375 px and the link worker sends it", async () => {
  const tenant = await aTenant(rig.database, { name: 'GP Record PCN' });
  const practice = await aPractice(rig.database, tenant.id, { name: 'Hillside Surgery', odsCode: 'B86002' });
  const admin = await aUserWithPassword(rig.database, { tenantId: tenant.id, roles: ['admin'] });
  const lead = await aUserWithPassword(rig.database, { tenantId: tenant.id, roles: ['lead'] });
  const worker = await aUserWithPassword(rig.database, { tenantId: tenant.id, roles: ['link_worker'] });
  const { referralId } = await aReferral(rig.database, lead, {
    person: { givenName: 'Harriet', familyName: 'Hillside', practiceId: practice.id },
  });
  await allocateReferral(rig.database.pool, lead, referralId, { linkWorkerId: worker.userId });
  await recordContact(rig.database.pool, worker, referralId, aContact({ outcome: 'made' }));
  await dischargeReferral(rig.database.pool, worker, referralId, {
    reason: 'goals_met',
    reasonNote: 'Confirmed with the person',
    summary: 'Walking group twice a week',
  });

  const desk = await rig.browser.newContext({ baseURL: rig.baseUrl });
  const workerPage = await desk.newPage();
  await signInInBrowser(workerPage, worker.email, TEST_PASSWORD, `/referrals/${referralId}`);
  await assertAccessible(workerPage);
  const section = workerPage.locator('#gp-record');
  assert.match(await section.innerText(), /Not sent electronically/);
  assert.match(await section.innerText(), /Hillside Surgery \(B86002\) has no MESH mailbox in the practice list/);

  const phone = await rig.browser.newContext({ baseURL: rig.baseUrl, viewport: { width: 375, height: 812 } });
  const adminPage = await phone.newPage();
  await signInInBrowser(adminPage, admin.email, TEST_PASSWORD, '/admin/practices');
  await assertAccessible(adminPage);
  await fits(adminPage, 375);
  await adminPage.getByLabel('Practice', { exact: true }).first().selectOption({ label: 'Hillside Surgery (B86002)' });
  await adminPage.getByLabel('MESH mailbox ID', { exact: true }).fill('bad id!');
  await submit(adminPage, 'Save MESH mailbox');
  assert.match(await adminPage.locator('.nhsuk-error-summary').innerText(), /MESH mailbox ID must be 3 to 20 letters and numbers/);
  await adminPage.getByLabel('MESH mailbox ID', { exact: true }).fill('X26ABC2');
  await submit(adminPage, 'Save MESH mailbox');
  assert.match(await adminPage.locator('#notice').innerText(), /The practice’s MESH mailbox was saved/);
  assert.match(await adminPage.locator('table').first().innerText(), /B86002\s+X26ABC2/);
  await fits(adminPage, 375);

  await workerPage.reload();
  await submit(workerPage, 'Send to the GP record again');
  assert.match(await workerPage.locator('#gp-record').innerText(), /Not yet sent to Hillside Surgery \(B86002\): it is waiting to be sent/);
  const { rows } = await rig.database.pool.query('SELECT state, to_mailbox FROM gp_record_message WHERE referral_id = $1', [referralId]);
  assert.deepEqual(rows, [{ state: 'queued', to_mailbox: 'X26ABC2' }]);

  await workerPage.setViewportSize({ width: 375, height: 812 });
  await assertAccessible(workerPage);
  await fits(workerPage, 375);
  await desk.close();
  await phone.close();
});
