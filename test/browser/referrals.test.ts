import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Actor } from '../../src/identity/actor.ts';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { aTestNhsNumber } from '../support/referrals-factories.ts';
import { signInInBrowser } from '../support/session.ts';

let rig: BrowserRig;
let gp: Actor;
let lead: Actor;
let worker: Actor;
let practiceName: string;

before(async () => {
  const database = await freshDatabase();
  // The only tenant: public self-referrals land here.
  const tenant = await aTenant(database, { name: 'Journey PCN' });
  const practice = await aPractice(database, tenant.id, { name: 'Journey Surgery' });
  practiceName = practice.name;
  gp = await aUserWithPassword(database, {
    tenantId: tenant.id,
    roles: ['referrer'],
    name: 'Dr Journey GP',
    email: 'gp@journey.example',
    practiceId: practice.id,
  });
  lead = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['lead'], name: 'Lena Lead', email: 'lead@journey.example' });
  worker = await aUserWithPassword(database, {
    tenantId: tenant.id,
    roles: ['link_worker'],
    name: 'Wes Worker',
    email: 'worker@journey.example',
  });
  rig = await startBrowserRig({ database });
});
after(() => rig.close());

async function submit(page: Page, button: string) {
  await Promise.all([
    page.waitForLoadState('load'),
    page.waitForNavigation(),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  await assertAccessible(page);
}

async function signedInPage(email: string, path: string) {
  const { context, page } = await rig.newPage();
  await signInInBrowser(page, email, TEST_PASSWORD, path);
  await assertAccessible(page);
  return { context, page };
}

let gpReference = '';
let publicReference = '';

test('a GP refers through the question pages, sees an error summary for a bad NHS number, checks answers and gets a reference', async () => {
  const { context, page } = await signedInPage(gp.email, '/referrals/new');
  assert.equal(await page.locator('h1').textContent(), 'Who are you referring?');
  await page.getByLabel('First name').fill('Gareth');
  await page.getByLabel('Last name').fill('Journeyman');
  await page.getByLabel('Day').fill('12');
  await page.getByLabel('Month').fill('6');
  await page.getByLabel('Year').fill('1951');
  await page.getByLabel('NHS number (optional)').fill('943 476 5918');
  await page.getByLabel('Phone number (optional)').fill('07700 900111');
  await submit(page, 'Continue');
  assert.match((await page.locator('.nhsuk-error-summary').textContent()) ?? '', /not a real NHS number/);
  await page.getByLabel('NHS number (optional)').fill(aTestNhsNumber());
  await submit(page, 'Continue');
  assert.equal(await page.locator('h1').textContent(), 'Why are you referring them?');
  await page.getByLabel('GP', { exact: true }).check();
  await page.getByLabel('Loneliness and isolation').check();
  await page.getByLabel('Physical activity').check();
  await page.getByLabel('Context (optional)').fill('Recently widowed, keen to get out more.');
  await submit(page, 'Continue');
  await page.getByLabel('The person agrees to be referred to social prescribing').check();
  await page
    .getByRole('group', { name: /information being shared/ })
    .getByLabel('Yes', { exact: true })
    .check();
  await submit(page, 'Continue');
  assert.equal(await page.locator('h1').textContent(), 'Check your answers before sending the referral');
  assert.match((await page.locator('main').textContent()) ?? '', /SNOMED CT 390893007/);
  await submit(page, 'Send referral');
  gpReference = (await page.locator('#reference').textContent())!.trim();
  assert.match(gpReference, /^SP-[0-9A-Z]{8}$/);
  await context.close();
});

test('a member of the public refers themself without an account and gets a reference', async () => {
  const { context, page } = await rig.newPage();
  assert.equal(await visit(page, '/refer-yourself'), 200);
  await page.getByLabel('First name').fill('Pat');
  await page.getByLabel('Last name').fill('Publicperson');
  await page.getByLabel('Day').fill('30');
  await page.getByLabel('Month').fill('11');
  await page.getByLabel('Year').fill('1987');
  await page.getByLabel('Postcode').fill('ls6 3ab');
  await page.getByLabel('Phone number').fill('07700 900222');
  await page.getByLabel('Phone call').check();
  await page.getByLabel('Feeling lonely or cut off from people').check();
  await submit(page, 'Continue');
  assert.match((await page.locator('.nhsuk-error-summary').textContent()) ?? '', /agree to us contacting you/);
  await page.getByLabel('I agree to a link worker contacting me about support').check();
  await submit(page, 'Continue');
  assert.equal(await page.locator('h1').textContent(), 'Check your answers');
  await submit(page, 'Send');
  publicReference = (await page.locator('#reference').textContent())!.trim();
  assert.match(publicReference, /^SP-[0-9A-Z]{8}$/);
  await context.close();
});

test('both reach triage; the lead accepts one, allocates both with the suggestion, and the GP sees the status', async () => {
  const { context, page } = await signedInPage(lead.email, '/triage');
  const body = (await page.locator('main').textContent()) ?? '';
  assert.ok(body.includes(gpReference) && body.includes(publicReference));
  assert.ok(body.includes(practiceName));
  for (const name of ['Gareth Journeyman', 'Pat Publicperson']) {
    await page.goto('/triage');
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name }).click()]);
    await assertAccessible(page);
    if (name === 'Gareth Journeyman') {
      await submit(page, 'Accept referral');
      assert.match((await page.locator('main').textContent()) ?? '', /Accepted, waiting for a link worker/);
    } else {
      // A self-referral is matched to a person first; Pat is not known yet.
      await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Match this referral' }).click()]);
      await assertAccessible(page);
      await page.getByLabel('A different person: keep the referral on a new record').check();
      await submit(page, 'Confirm');
    }
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Allocate to a link worker' }).click()]);
    await assertAccessible(page);
    assert.ok(await page.getByLabel(/Wes Worker \(suggested\)/).isChecked());
    await submit(page, 'Allocate');
    assert.match((await page.locator('main').textContent()) ?? '', /Link worker\s*Wes Worker/);
  }
  await context.close();

  const gpPage = await signedInPage(gp.email, '/my-referrals');
  const row = gpPage.page.locator('tr', { hasText: gpReference });
  assert.match((await row.textContent()) ?? '', /Allocated/);
  assert.doesNotMatch((await gpPage.page.locator('main').textContent()) ?? '', /Recently widowed/);
  await gpPage.context.close();
});

test('the link worker reaches the self-referral by phone ("in contact") and marks the GP referral unable to contact after three attempts', async () => {
  const { context, page } = await signedInPage(worker.email, '/caseload');
  assert.match((await page.locator('main').textContent()) ?? '', /2 open referrals/);

  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Pat Publicperson' }).click()]);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Record a contact' }).click()]);
  await assertAccessible(page);
  await page.getByLabel('Yes, we spoke').check();
  await page.getByLabel('Phone', { exact: true }).check();
  await page.getByLabel('How long, in minutes (optional)').fill('25');
  await page.getByLabel('Guided conversation').check();
  await submit(page, 'Save contact');
  assert.match((await page.locator('main').textContent()) ?? '', /In contact/);

  await page.goto('/caseload');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Gareth Journeyman' }).click()]);
  const referralUrl = page.url();
  for (let attempt = 1; attempt <= 3; attempt++) {
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Record a contact' }).click()]);
    await page.getByLabel('No, I tried but could not reach them').check();
    await page.getByLabel('Phone', { exact: true }).check();
    await submit(page, 'Save contact');
    const offered = await page.getByText('No contact after 3 attempts').count();
    assert.equal(offered, attempt === 3 ? 1 : 0, `after attempt ${attempt}`);
  }
  await submit(page, 'Mark as unable to contact');
  assert.equal(page.url().split('?')[0], referralUrl);
  assert.match((await page.locator('main').textContent()) ?? '', /Unable to contact/);
  const letters = await rig.database.pool.query(`SELECT recipient FROM notification WHERE template = 'unable_to_contact'`);
  assert.deepEqual(letters.rows, [{ recipient: gp.email }]);

  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Gareth Journeyman' }).click()]);
  await assertAccessible(page);
  const timeline = (await page.locator('#timeline').textContent()) ?? '';
  assert.ok(timeline.indexOf('Allocated → Unable to contact') < timeline.indexOf('Referral ' + gpReference + ' received'), 'newest first');
  await context.close();
});
