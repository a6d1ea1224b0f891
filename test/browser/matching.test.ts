import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Actor } from '../../src/identity/actor.ts';
import * as referrals from '../../src/referrals/service.ts';
import * as people from '../../src/people/service.ts';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { aPersonInput, aReferral, aReferralInput, aTestNhsNumber } from '../support/referrals-factories.ts';
import { signInInBrowser } from '../support/session.ts';

let rig: BrowserRig;
let lead: Actor;
let tenantId: string;
let known: { personId: string };
const nhsNumber = aTestNhsNumber();

before(async () => {
  const database = await freshDatabase();
  // The only tenant: public self-referrals land here.
  tenantId = (await aTenant(database, { name: 'Matching Journey PCN' })).id;
  lead = await aUserWithPassword(database, { tenantId, roles: ['lead', 'link_worker'], name: 'Lena Lead', email: 'lead@matching.example' });
  known = await aReferral(database, lead, {
    person: { nhsNumber, givenName: 'Margaret', familyName: 'Knownperson', dateOfBirth: '1950-01-01', postcode: 'LS6 3AB' },
  });
  for (const consent of (await people.getPerson(database.pool, lead, known.personId)).consents) {
    await people.withdrawConsent(database.pool, lead, known.personId, consent.id, 'Asked us to stop');
  }
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

async function activeConsentsOfKnownPerson() {
  const { rows } = await rig.database.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM consent WHERE person_id = $1 AND withdrawn_at IS NULL',
    [known.personId],
  );
  return rows[0]!.n;
}

test('someone refers themself with a known NHS number and another name; the lead sees the difference and keeps them apart (desktop)', async () => {
  const { context, page } = await rig.newPage();
  assert.equal(await visit(page, '/refer-yourself'), 200);
  await page.getByLabel('First name').fill('Stranger');
  await page.getByLabel('Last name').fill('Elsewhere');
  await page.getByLabel('Day').fill('30');
  await page.getByLabel('Month').fill('11');
  await page.getByLabel('Year').fill('1987');
  await page.getByLabel(/NHS number/).fill(nhsNumber);
  await page.getByLabel('Postcode').fill('ls6 3ab');
  await page.getByLabel('Phone number').fill('07700 900222');
  await page.getByLabel('Phone call').check();
  await page.getByLabel('Feeling lonely or cut off from people').check();
  await page.getByLabel('I agree to a link worker contacting me about support').check();
  await submit(page, 'Continue');
  await submit(page, 'Send');
  const reference = (await page.locator('#reference').textContent())!.trim();
  await context.close();
  assert.equal(await activeConsentsOfKnownPerson(), 0);

  const signedIn = await rig.newPage();
  await signInInBrowser(signedIn.page, lead.email, TEST_PASSWORD, '/triage');
  const leadPage = signedIn.page;
  await assertAccessible(leadPage);
  const row = leadPage.locator('tr', { hasText: reference });
  assert.match((await row.textContent()) ?? '', /Needs matching/);
  await Promise.all([leadPage.waitForNavigation(), row.getByRole('link', { name: /Match/ }).click()]);
  await assertAccessible(leadPage);
  assert.equal(await leadPage.locator('h1').textContent(), 'Whose referral is this?');
  const table = leadPage.locator('table', { hasText: 'Margaret Knownperson' });
  assert.match((await table.locator('tr', { hasText: 'NHS number' }).textContent()) ?? '', /Agrees/);
  assert.match((await table.locator('tr', { hasText: 'Name' }).textContent()) ?? '', /Differs/);
  assert.match((await table.locator('tr', { hasText: 'Date of birth' }).textContent()) ?? '', /Differs/);
  assert.match((await table.locator('tr', { hasText: 'Postcode' }).textContent()) ?? '', /Agrees/);

  await leadPage.getByLabel('A different person: keep the referral on a new record').check();
  await submit(leadPage, 'Confirm');
  assert.match((await leadPage.locator('.nhsuk-error-summary').textContent()) ?? '', /Another record has this NHS number/);
  await leadPage.getByLabel('If it is a different person: their NHS number').fill('');
  await submit(leadPage, 'Confirm');
  assert.match((await leadPage.locator('main').textContent()) ?? '', /Stranger Elsewhere/);
  assert.match((await leadPage.locator('main').textContent()) ?? '', /Accept referral/);
  assert.equal(await activeConsentsOfKnownPerson(), 0);
  await signedIn.context.close();
});

test('on a 375 px screen the lead confirms a matching submission is the same person; the record keeps its consents', async () => {
  const { reference } = await referrals.submitSelfReferral(
    rig.database.pool,
    tenantId,
    aPersonInput({
      nhsNumber,
      givenName: 'Margaret',
      familyName: 'Knownperson',
      dateOfBirth: '1950-01-01',
      postcode: 'LS6 3AB',
      email: 'margaret@example.com',
      contactChannels: ['email'],
    }),
    aReferralInput(),
  );
  const context = await rig.browser.newContext({ baseURL: rig.baseUrl, viewport: { width: 375, height: 812 } });
  const page = await context.newPage();
  await signInInBrowser(page, lead.email, TEST_PASSWORD, '/triage');
  const row = page.locator('tr', { hasText: reference });
  await Promise.all([page.waitForNavigation(), row.getByRole('link', { name: /Match/ }).click()]);
  await assertAccessible(page);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `the page fits a 375 px screen (scroll width ${width})`);
  await page.getByLabel(/The same person as Margaret Knownperson/).check();
  await submit(page, 'Confirm');
  const main = (await page.locator('main').textContent()) ?? '';
  assert.match(main, /Margaret Knownperson/);
  assert.match(main, /These were not added to Margaret Knownperson’s record/);
  assert.equal(await activeConsentsOfKnownPerson(), 0);
  const { rows } = await rig.database.pool.query('SELECT 1 FROM referral WHERE reference = $1 AND person_id = $2', [
    reference,
    known.personId,
  ]);
  assert.equal(rows.length, 1);
  await context.close();
});
