import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { localDate } from '../../src/calendar/london.ts';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { signInInBrowser } from '../support/session.ts';

let rig: BrowserRig;
let referralId: string;

before(async () => {
  const database = await freshDatabase();
  const tenantId = (await aTenant(database, { name: 'Appointments PCN' })).id;
  const lead = await aUserWithPassword(database, { tenantId, roles: ['lead'], name: 'Ama Lead', email: 'lead@appointments.example' });
  const worker = await aUserWithPassword(database, {
    tenantId,
    roles: ['link_worker'],
    name: 'Ned Worker',
    email: 'worker@appointments.example',
  });
  ({ referralId } = await aReferral(database, lead, {
    person: { givenName: 'Tess', familyName: 'Tuesday', phone: '07700 900123', contactChannels: ['sms'] },
  }));
  await allocateReferral(database.pool, lead, referralId, { linkWorkerId: worker.userId });
  await recordContact(database.pool, worker, referralId, aContact({ outcome: 'made' }));
  rig = await startBrowserRig({ database });
});
after(() => rig?.close());

test('a link worker books an appointment from the referral page, is told the person will get a text, and cancels it', async () => {
  const { page, context } = await rig.newPage();
  await signInInBrowser(page, 'worker@appointments.example', TEST_PASSWORD, `/referrals/${referralId}`);
  await page.getByRole('link', { name: 'Appointments' }).click();
  await page.waitForURL(`**/referrals/${referralId}/appointments`);
  await assertAccessible(page);
  assert.match((await page.locator('main').textContent()) ?? '', /No appointments booked/);

  // Group without a place: the error is shown and nothing is booked.
  const date = localDate(new Date(Date.now() + 3 * 86_400_000));
  await page.getByLabel('Date').fill(date);
  await page.getByLabel('Time').fill('14:30');
  await page.getByLabel('Group', { exact: true }).check();
  await page.getByRole('button', { name: 'Book appointment' }).click();
  await assertAccessible(page);
  assert.match((await page.locator('.nhsuk-error-summary').textContent()) ?? '', /Enter where the appointment is/);
  assert.match((await page.locator('main').textContent()) ?? '', /No appointments booked/);

  await page.getByLabel('Where (for face to face and group appointments)').fill('Hyde Park Community Centre');
  await page.getByRole('button', { name: 'Book appointment' }).click();
  await page.waitForURL(/booked=/);
  await assertAccessible(page);
  const notice = (await page.locator('.nhsuk-inset-text').textContent()) ?? '';
  assert.match(notice, /Appointment booked: Group, .* 2:30pm, Hyde Park Community Centre/);
  assert.match(notice, /We will send a text message the day before/);
  assert.equal(await page.locator('.signpost-appointment').count(), 1);

  await page.getByLabel('Reason for cancelling (optional)').fill('Tess is unwell');
  await page.getByRole('button', { name: 'Cancel this appointment' }).click();
  await page.waitForURL(/cancelled=yes/);
  await assertAccessible(page);
  assert.equal(await page.locator('.signpost-appointment').count(), 0);
  assert.match((await page.locator('main').textContent()) ?? '', /cancelled by Ned Worker: Tess is unwell/);

  await visit(page, `/referrals/${referralId}`);
  await context.close();
});
