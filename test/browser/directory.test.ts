import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBrowserRig, visit, assertAccessible, type BrowserRig } from '../support/browser.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aProviderOrganisation, aTenant } from '../support/factories.ts';
import { TEST_PASSWORD, aUserWithPassword } from '../support/identity-factories.ts';
import { signInInBrowser } from '../support/session.ts';

let rig: BrowserRig;
before(async () => {
  rig = await startBrowserRig();
  await aDirectoryService(rig.database, {
    name: 'Hyde Park Mindfulness',
    organizationName: 'Calm Leeds',
    needs: ['mental-wellbeing'],
    postcode: 'LS6 1AA',
    byday: 'TH',
    cost: 0,
    accessibility: ['Wheelchair accessible entrance'],
  });
  await aDirectoryService(rig.database, {
    name: 'City Mindfulness Course',
    needs: ['mental-wellbeing'],
    postcode: 'LS1 1AA',
    byday: 'SA',
    cost: 20,
  });
  await aDirectoryService(rig.database, { name: 'Woodhouse Art Group', needs: ['arts'], postcode: 'LS6 2AA', byday: 'MO', cost: 3 });
});
after(() => rig.close());

test('a person searches by words and postcode from the home page and sees the nearest first', async () => {
  const { page, context } = await rig.newPage();
  await visit(page, '/');
  await page.getByLabel('What are you looking for?').fill('mindfullness');
  await page.getByLabel('Postcode (optional)').fill('ls6 1aa');
  await Promise.all([page.waitForURL(/\/services\?/), page.getByRole('button', { name: 'Search' }).click()]);
  await assertAccessible(page);
  const names = await page.locator('.signpost-results h3').allTextContents();
  assert.deepEqual(
    names.map((n) => n.trim()),
    ['Hyde Park Mindfulness', 'City Mindfulness Course'],
  );
  assert.match((await page.locator('main').textContent()) ?? '', /Distances are in a straight line from LS6 1AA/);
  await context.close();
});

test('filters narrow the results and no results offers a way out', async () => {
  const { page, context } = await rig.newPage();
  await visit(page, '/services?q=mindfulness');
  await page.locator('summary', { hasText: 'Filter results' }).click();
  await page.getByLabel('Cost').selectOption('free');
  await page.getByLabel('Wheelchair accessible').check();
  await Promise.all([page.waitForURL(/cost=free/), page.getByRole('button', { name: 'Search' }).click()]);
  await assertAccessible(page);
  assert.deepEqual(
    (await page.locator('.signpost-results h3').allTextContents()).map((n) => n.trim()),
    ['Hyde Park Mindfulness'],
  );

  await visit(page, '/services?q=mindfulness&need=arts&postcode=LS6+1AA&miles=1');
  assert.match((await page.locator('main').textContent()) ?? '', /No services matched/);
  await Promise.all([
    page.waitForURL((url) => !url.search.includes('need=')),
    page.getByRole('link', { name: 'Search again without filters' }).click(),
  ]);
  assert.ok((await page.locator('.signpost-results h3').count()) >= 1);
  await context.close();
});

test('a malformed postcode shows an error summary linked to the field', async () => {
  const { page, context } = await rig.newPage();
  assert.equal(await visit(page, '/services?q=art&postcode=banana'), 400);
  await page.getByRole('link', { name: 'Enter a real postcode, like LS6 3AB' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'postcode');
  await context.close();
});

test('a person opens a service, prints it, and suggests a change', async () => {
  const { page, context } = await rig.newPage();
  await visit(page, '/services?q=art');
  await page.getByRole('link', { name: 'Woodhouse Art Group' }).click();
  await assertAccessible(page);
  assert.equal((await page.locator('h1').textContent())?.trim(), 'Woodhouse Art Group');
  assert.match((await page.locator('main').textContent()) ?? '', /Every Monday/);

  await page.getByRole('link', { name: 'Print this service' }).click();
  await assertAccessible(page);
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.nhsuk-header').evaluate((el) => getComputedStyle(el).display), 'none');
  assert.equal(await page.getByRole('heading', { name: 'How to join or refer' }).isVisible(), true);
  await page.emulateMedia({ media: 'screen' });
  await page.goBack();

  await page.getByRole('link', { name: 'Suggest a change or report a problem' }).click();
  await assertAccessible(page);
  await page.getByRole('button', { name: 'Send' }).click();
  await assertAccessible(page);
  assert.match((await page.locator('.nhsuk-error-summary').textContent()) ?? '', /Select whether you are suggesting a change/);
  await page.getByLabel('Suggest a change to these details').check();
  await page.getByLabel('What should change, or what is the problem?').fill('It meets on Tuesdays now.');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForURL(/\/sent$/);
  await assertAccessible(page);
  assert.match((await page.locator('h1').textContent()) ?? '', /Thank you, we have your message/);
  const { rows } = await rig.database.pool.query(`SELECT details FROM directory_change_request`);
  assert.deepEqual(
    rows.map((r) => r.details),
    ['It meets on Tuesdays now.'],
  );
  await context.close();
});

test('the print list of results is accessible', async () => {
  const { page, context } = await rig.newPage();
  assert.equal(await visit(page, '/services/print?q=mindfulness'), 200);
  assert.equal(await page.locator('main li').count(), 2);
  await context.close();
});

test("a provider updates their service's capacity, and a curator reviews a suggestion and marks the service checked", async () => {
  const service = await aDirectoryService(rig.database, {
    name: 'Kirkstall Befriending',
    needs: ['loneliness'],
    lastVerifiedAt: new Date('2024-01-01'),
  });
  const tenant = await aTenant(rig.database);
  const providerOrganisation = await aProviderOrganisation(rig.database, tenant.id, { directoryOrganizationId: service.organization_id! });
  await aUserWithPassword(rig.database, {
    tenantId: tenant.id,
    roles: ['provider'],
    email: 'provider@kirkstall.example',
    providerOrganisationId: providerOrganisation.id,
  });
  await aUserWithPassword(rig.database, { tenantId: tenant.id, roles: ['curator'], email: 'curator@directory.example' });

  const provider = await rig.newPage();
  await signInInBrowser(provider.page, 'provider@kirkstall.example', TEST_PASSWORD, '/curation');
  await assertAccessible(provider.page);
  await provider.page.getByRole('link', { name: 'Edit Kirkstall Befriending' }).click();
  await assertAccessible(provider.page);
  await provider.page.getByLabel('Waiting list').check();
  await provider.page.getByLabel('Expected wait in weeks').fill('3');
  await Promise.all([
    provider.page.waitForURL(/\/curation\?saved=edit/),
    provider.page.getByRole('button', { name: 'Save changes' }).click(),
  ]);
  await assertAccessible(provider.page);
  await visit(provider.page, '/services?q=befriending');
  assert.match((await provider.page.locator('main').textContent()) ?? '', /Waiting list, about 3 weeks/);
  await provider.context.close();

  await rig.database.pool.query(
    `INSERT INTO directory_change_request (service_id, kind, details) VALUES ($1, 'suggestion', 'Meets on Thursdays now')`,
    [service.id],
  );
  const curator = await rig.newPage();
  await signInInBrowser(curator.page, 'curator@directory.example', TEST_PASSWORD, '/curation');
  await assertAccessible(curator.page);
  assert.match((await curator.page.locator('main').textContent()) ?? '', /Kirkstall Befriending, last checked 1 January 2024/);
  await curator.page.getByRole('link', { name: 'Change suggested for Kirkstall Befriending' }).click();
  await assertAccessible(curator.page);
  await curator.page.getByLabel('Reject', { exact: true }).check();
  await curator.page.getByRole('button', { name: 'Save decision' }).click();
  await assertAccessible(curator.page);
  assert.match((await curator.page.locator('.nhsuk-error-summary').textContent()) ?? '', /Enter why the change is rejected/);
  await curator.page.getByLabel('Accept (the change has been made)').check();
  await Promise.all([curator.page.waitForURL(/saved=accepted/), curator.page.getByRole('button', { name: 'Save decision' }).click()]);
  await assertAccessible(curator.page);
  await visit(curator.page, `/curation/services/${service.id}/edit`);
  await Promise.all([
    curator.page.waitForURL(/saved=verified/),
    curator.page.getByRole('button', { name: 'Mark as checked today' }).click(),
  ]);
  await visit(curator.page, '/curation/freshness');
  assert.doesNotMatch((await curator.page.locator('main').textContent()) ?? '', /Kirkstall Befriending/);
  await curator.context.close();
});
