import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { assertAccessible, visit, type BrowserRig } from './browser.ts';
import { aDirectoryService } from './directory-factories.ts';
import { aProviderOrganisation } from './factories.ts';
import { TEST_PASSWORD, aUserWithPassword } from './identity-factories.ts';
import { signInInBrowser } from './session.ts';

// Curation journeys in Chromium, run at desktop width and on a 375 px phone by two test files (so
// each file stays within the runner's time limit): a curator gives every part of a new service, and
// a provider proposes changes and a new service that a curator approves. Axe checks each page once.

export interface Width {
  name: string;
  width: number;
  height: number;
}
export const DESKTOP: Width = { name: 'desktop', width: 1280, height: 900 };
export const PHONE: Width = { name: 'phone', width: 375, height: 800 };

async function save(page: Page, button: string, url: RegExp) {
  await Promise.all([page.waitForURL(url), page.getByRole('button', { name: button }).click()]);
}

async function mainText(page: Page) {
  return (await page.locator('main').textContent()) ?? '';
}

export async function curatorGivesEveryPart(rig: BrowserRig, size: Width, curatorEmail: string) {
  const { page, context } = await rig.newPage();
  await page.setViewportSize({ width: size.width, height: size.height });
  await signInInBrowser(page, curatorEmail, TEST_PASSWORD, '/curation');
  await assertAccessible(page);
  const name = `Lunch Club ${size.name}`;

  await page.getByRole('link', { name: 'Add a service' }).click();
  await assertAccessible(page);
  await page.getByRole('button', { name: 'Add the service' }).click();
  await assertAccessible(page);
  assert.match((await page.locator('.nhsuk-error-summary').textContent()) ?? '', /Enter the name of the service/);
  await page.getByLabel('Name of the service').fill(name);
  await page.getByLabel('Organisation that runs it').fill(`Age Friendly Leeds ${size.name}`);
  await page.getByLabel('What it is').fill('A hot lunch and company.');
  await save(page, 'Add the service', /saved=created/);
  const serviceUrl = page.url().replace(/\?.*$/, '');

  await page
    .getByRole('link', { name: 'Change regular sessions' })
    .or(page.getByRole('link', { name: 'Change opening times' }))
    .first()
    .click();
  await assertAccessible(page);
  await page.locator('#freq-0').selectOption('WEEKLY');
  await page.locator('#day-0').selectOption('WE');
  await page.locator('#opens-0').fill('12:00');
  await page.locator('#closes-0').fill('11:00');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await assertAccessible(page);
  await page.getByRole('link', { name: /closing time of session 1 must be after it opens/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'closes-0');
  await page.locator('#closes-0').fill('14:00');
  await page.locator('#freq-1').selectOption('MONTHLY');
  await page.locator('#week-1').selectOption('1');
  await page.locator('#day-1').selectOption('MO');
  await page.locator('#opens-1').fill('18:00');
  await page.locator('#closes-1').fill('20:00');
  await page.locator('#closedFrom-0').fill('2099-12-24');
  await page.locator('#closedTo-0').fill('2099-12-27');
  await page.locator('#closedReason-0').fill('Christmas');
  await save(page, 'Save changes', /saved=edit/);

  await page.getByRole('link', { name: 'Add a place' }).click();
  await assertAccessible(page);
  await page.getByLabel('Name of the place').fill('Burley Community Hall');
  await page.getByLabel('Address line 1', { exact: true }).fill('2 Burley Road');
  await page.getByLabel('Town or city').fill('Leeds');
  await page.getByLabel('Postcode').fill('ZZ9 9ZZ');
  await page.getByRole('button', { name: 'Add the place' }).click();
  await assertAccessible(page);
  assert.match((await page.locator('.nhsuk-error-summary').textContent()) ?? '', /We could not find ZZ9 9ZZ/);
  await page.getByLabel('Postcode').fill('LS6 3AB');
  await page.getByLabel('Step-free access for wheelchair users').check();
  await save(page, 'Add the place', /saved=edit/);

  await page.goto(`${serviceUrl.replace(/\/edit$/, '')}/phones`);
  await assertAccessible(page);
  await page.locator('#number-0').fill('0113 496 0456');
  await page.locator('#description-0').fill('Bookings');
  await save(page, 'Save changes', /saved=edit/);

  await page.goto(`${serviceUrl.replace(/\/edit$/, '')}/languages`);
  await assertAccessible(page);
  await page.getByLabel('Language 1').fill('Punjabi');
  await save(page, 'Save changes', /saved=edit/);

  await page.goto(`${serviceUrl.replace(/\/edit$/, '')}/eligibility`);
  await assertAccessible(page);
  await page.getByLabel('Who it is for').fill('Older people living alone');
  await page.getByLabel('Youngest age (optional)').fill('60');
  await page.getByLabel('How to apply').fill('Ring to book a place at the table.');
  await save(page, 'Save changes', /saved=edit/);

  await page.goto(`${serviceUrl.replace(/\/edit$/, '')}/areas`);
  await assertAccessible(page);
  await page.getByLabel('Area 1').fill('Burley');
  await save(page, 'Save changes', /saved=edit/);

  await page.goto(`${serviceUrl.replace(/\/edit$/, '')}/needs-and-terms`);
  await assertAccessible(page);
  await page.getByLabel('Loneliness and isolation').check();
  await page.getByLabel('In person').check();
  await save(page, 'Save changes', /saved=edit/);
  await assertAccessible(page);
  const hub = await mainText(page);
  for (const expected of [
    'First Monday of the month, 18:00 to 20:00',
    'Closed 24 December 2099 to 27 December 2099: Christmas',
    'Burley Community Hall',
    '0113 496 0456 (Bookings)',
    'Punjabi',
    '60 and over',
    'Burley',
    'Loneliness and isolation',
  ]) {
    assert.ok(hub.includes(expected), `the service's page in curation shows ${expected}`);
  }

  await visit(page, serviceUrl.replace(/\/curation\/services\/([^/]+)\/edit$/, '/services/$1'));
  const publicPage = await mainText(page);
  for (const expected of [
    'Holiday closures',
    'Closed 24 December 2099 to 27 December 2099: Christmas',
    'Every Wednesday, 12:00 to 14:00',
    'First Monday of the month',
    'Burley Community Hall',
    'Ring to book a place at the table.',
    'Punjabi',
  ]) {
    assert.ok(publicPage.includes(expected), `the public page shows ${expected}`);
  }
  await context.close();
}

export async function providerProposesAndCuratorApproves(rig: BrowserRig, size: Width, tenantId: string, curatorEmail: string) {
  const service = await aDirectoryService(rig.database, {
    name: `Chair Yoga ${size.name}`,
    postcode: null,
    byday: 'FR',
    opensAt: '10:00',
    closesAt: '11:00',
  });
  const providerOrganisation = await aProviderOrganisation(rig.database, tenantId, { directoryOrganizationId: service.organization_id! });
  const email = `provider-${size.name}@yoga.example`;
  await aUserWithPassword(rig.database, { tenantId, roles: ['provider'], email, providerOrganisationId: providerOrganisation.id });

  const provider = await rig.newPage();
  await provider.page.setViewportSize({ width: size.width, height: size.height });
  await signInInBrowser(provider.page, email, TEST_PASSWORD, '/curation');
  await provider.page.getByRole('link', { name: `Edit Chair Yoga ${size.name}` }).click();
  await assertAccessible(provider.page);
  assert.match(await mainText(provider.page), /checked by a directory curator/);
  await provider.page.getByRole('link', { name: 'Add a place' }).click();
  await assertAccessible(provider.page);
  await provider.page.getByLabel('Name of the place').fill('Headingley Library');
  await provider.page.getByLabel('Address line 1', { exact: true }).fill('North Lane');
  await provider.page.getByLabel('Town or city').fill('Leeds');
  await provider.page.getByLabel('Postcode').fill('LS6 1AA');
  await save(provider.page, 'Send for review', /saved=proposed/);
  await assertAccessible(provider.page);
  assert.match(await mainText(provider.page), /A directory curator will check it/);
  assert.match(await mainText(provider.page), /Waiting for a curator/);

  await provider.page.getByRole('link', { name: 'Propose a new service' }).click();
  await assertAccessible(provider.page);
  await provider.page.getByLabel('Name of the service').fill(`Seated Pilates ${size.name}`);
  await provider.page.getByLabel('What it is').fill('Gentle pilates in a chair.');
  await save(provider.page, 'Send for review', /saved=proposed-service/);
  await provider.context.close();

  const curator = await rig.newPage();
  await curator.page.setViewportSize({ width: size.width, height: size.height });
  await signInInBrowser(curator.page, curatorEmail, TEST_PASSWORD, '/curation');
  await curator.page.getByRole('link', { name: `Change proposed for Chair Yoga ${size.name}` }).click();
  await assertAccessible(curator.page);
  assert.match(await mainText(curator.page), /Headingley Library, North Lane, Leeds, LS6 1AA/);
  await curator.page.getByLabel('Accept and make the change').check();
  await save(curator.page, 'Save decision', /saved=accepted/);
  await assertAccessible(curator.page);
  await curator.page.getByRole('link', { name: `New service proposed for Seated Pilates ${size.name}` }).click();
  await assertAccessible(curator.page);
  await curator.page.getByLabel('Accept and make the change').check();
  await save(curator.page, 'Save decision', /saved=accepted/);

  await visit(curator.page, `/services/${service.id}`);
  assert.match(await mainText(curator.page), /Headingley Library/);
  await visit(curator.page, `/services?q=${encodeURIComponent(`Seated Pilates ${size.name}`)}`);
  assert.match(await mainText(curator.page), new RegExp(`Seated Pilates ${size.name}`));
  await curator.context.close();
}
