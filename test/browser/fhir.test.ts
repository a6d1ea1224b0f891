import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Actor } from '../../src/identity/actor.ts';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { signInInBrowser } from '../support/session.ts';
import { aReferralBundle, aSystem, aToken, type TestSystem } from '../interop/support.ts';

let rig: BrowserRig;
let lead: Actor;
let worker: Actor;
let admin: Actor;
let gp: TestSystem;

before(async () => {
  const database = await freshDatabase();
  const tenant = await aTenant(database, { name: 'Loop PCN' });
  const practice = await aPractice(database, tenant.id, { name: 'Loop Surgery' });
  lead = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['lead'], name: 'Lena Lead', email: 'lead@loop.example' });
  worker = await aUserWithPassword(database, {
    tenantId: tenant.id,
    roles: ['link_worker'],
    name: 'Wes Worker',
    email: 'worker@loop.example',
  });
  admin = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['admin'], name: 'Ada Admin', email: 'admin@loop.example' });
  gp = await aSystem(database, { tenantId: tenant.id, practiceId: practice.id, name: 'Loop Surgery GP system' });
  rig = await startBrowserRig({ database });
});
after(() => rig.close());

async function signedInPage(email: string, path: string) {
  const { context, page } = await rig.newPage();
  await signInInBrowser(page, email, TEST_PASSWORD, path);
  await assertAccessible(page);
  return { context, page };
}

async function submit(page: Page, button: string) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: button, exact: true }).click()]);
  await assertAccessible(page);
}

test('a GP system refers in over FHIR and polls its Task while a lead and a link worker work the referral in the browser', async () => {
  const token = await aToken(rig.app, gp);
  const fhir = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
    const res = await rig.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      payload: body ? JSON.stringify(body) : undefined,
    });
    return res.json() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const created = await fhir('POST', '/fhir', aReferralBundle({ family: 'Loopperson' }));
  const id = created.entry[1].resource.id as string;
  const poll = async () =>
    (await fhir('GET', `/fhir/Task?based-on=ServiceRequest/${id}`)).entry[0].resource as {
      status: string;
      businessStatus: { text: string };
    };
  assert.equal((await poll()).status, 'requested');

  const { context, page } = await signedInPage(lead.email, '/triage');
  assert.match((await page.locator('main').textContent()) ?? '', /Loop Surgery/);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Morgan Loopperson' }).click()]);
  await assertAccessible(page);
  await submit(page, 'Accept referral');
  assert.equal((await poll()).status, 'accepted');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Allocate to a link worker' }).click()]);
  await submit(page, 'Allocate');
  const allocated = await poll();
  assert.equal(allocated.status, 'accepted');
  assert.equal(allocated.businessStatus.text, 'Allocated');
  await context.close();

  const worked = await signedInPage(worker.email, '/caseload');
  await Promise.all([worked.page.waitForNavigation(), worked.page.getByRole('link', { name: 'Morgan Loopperson' }).click()]);
  await Promise.all([worked.page.waitForNavigation(), worked.page.getByRole('link', { name: 'Record a contact' }).click()]);
  await worked.page.getByLabel('Yes, we spoke').check();
  await worked.page.getByLabel('Phone', { exact: true }).check();
  await worked.page.getByLabel('Guided conversation').check();
  await submit(worked.page, 'Save contact');
  assert.equal((await poll()).status, 'in-progress');

  await worked.page.goto(`/referrals/${id}/support`);
  await worked.page.getByRole('link', { name: 'Discharge and write the summary for the referrer' }).click();
  await worked.page.getByLabel('The person chose to end support').check();
  await worked.page.getByLabel('Summary for the referrer').fill('Morgan now meets friends at the library twice a week.');
  await worked.page.getByRole('button', { name: 'Continue' }).click();
  await worked.page.getByRole('button', { name: 'Discharge and send summary' }).click();
  await worked.page.waitForURL(/\/discharge-summaries\//);
  await worked.context.close();
  const done = await fhir('GET', `/fhir/Task/${id}`);
  assert.equal(done.status, 'completed');
  const documentId = (done.output as { valueReference: { reference: string } }[])
    .map((o) => o.valueReference.reference)
    .find((r) => r.startsWith('DocumentReference/'))!
    .split('/')[1]!;
  const document = await fhir('GET', `/fhir/DocumentReference/${documentId}`);
  assert.equal(document.content[0].attachment.contentType, 'application/pdf');
});

test('the connected-systems admin page and the API reference pass axe', async () => {
  const { context, page } = await signedInPage(admin.email, '/admin/api-clients');
  assert.match((await page.locator('main').textContent()) ?? '', /Loop Surgery GP system/);
  await submit(page, 'Register system');
  assert.match((await page.locator('.nhsuk-error-summary').textContent()) ?? '', /Enter the name of the system/);
  assert.equal(await visit(page, '/docs'), 200);
  await context.close();
});
