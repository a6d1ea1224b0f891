import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { assertAccessible, startBrowserRig, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { aResearchPerson, csvRows, unzip } from '../support/research-factories.ts';
import { signInInBrowser } from '../support/session.ts';

let rig: BrowserRig | undefined;
let database: Database;
let researcher: Actor;
const names: string[] = [];

/** Six people who agreed to research and share every detail, and one who stands out: suppressed. */
before(async () => {
  database = await freshDatabase();
  const tenant = await aTenant(database, { name: 'Research Journey PCN' });
  researcher = await aUserWithPassword(database, {
    tenantId: tenant.id,
    roles: ['researcher'],
    name: 'Rhiannon Researcher',
    email: 'researcher@journey.example',
  });
  const practiceId = (await aPractice(database, tenant.id, { name: 'Juniper Surgery' })).id;
  for (let i = 0; i < 6; i++) {
    const p = await aResearchPerson(database, tenant.id, {
      givenName: `Journeyperson${i}`,
      familyName: 'Browserfamily',
      dateOfBirth: '1957-07-07',
      sex: 'female',
      ethnicity: 'A',
      deprivationDecile: 1,
      practiceId,
    });
    names.push(p.givenName, p.nhsNumber);
  }
  const odd = await aResearchPerson(database, tenant.id, {
    givenName: 'Oddity',
    familyName: 'Outlier',
    dateOfBirth: '2001-01-01',
    sex: 'intersex',
    ethnicity: 'R',
    deprivationDecile: 10,
    practiceId,
  });
  names.push(odd.givenName, odd.nhsNumber);
  rig = await startBrowserRig({ database });
});
after(() => (rig ? rig.close() : database.close()));

test('a researcher creates a project, generates an extract, reads its figures and downloads it; every page passes the accessibility checks', async () => {
  const { context, page } = await rig!.newPage();
  await signInInBrowser(page, researcher.email, TEST_PASSWORD);
  await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Research', exact: true }).click();
  await page.waitForURL('**/research');
  await assertAccessible(page);
  assert.match(await page.locator('main').innerText(), /There are no research projects yet/);

  await page.getByRole('button', { name: 'Create a project' }).click();
  await page.waitForURL('**/research/projects/new');
  await page.getByRole('button', { name: 'Create project' }).click();
  await assertAccessible(page);
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /Enter a name for the project/);
  await page.getByLabel('Project name').fill('Green spaces and loneliness');
  await page.getByLabel('Purpose').fill('Whether time outdoors with others reduces loneliness');
  await page.getByLabel('Approval reference').fill('REC 26/YH/0202');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL(/\/research\/projects\/[0-9a-f-]{36}$/);
  await assertAccessible(page);
  assert.match(await page.locator('main').innerText(), /REC 26\/YH\/0202/);

  await page.getByRole('button', { name: 'Generate an extract' }).click();
  await page.waitForURL(/\/extracts\/[0-9a-f-]{36}$/);
  await assertAccessible(page);
  const figures = await page.locator('#k-anonymity').innerText();
  assert.match(figures, /With consent to research\s+7/);
  assert.match(figures, /Released\s+6/);
  assert.match(figures, /Suppressed \(left out\)\s+1/);
  assert.match(await page.locator('#files').innerText(), /referrals\.csv\s+6/);

  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download all files (zip)' }).click()]);
  assert.match(zip.suggestedFilename(), /^research-extract-[0-9a-f]{8}\.zip$/);
  const entries = unzip(await readFile((await zip.path())!));
  assert.equal(csvRows(entries.get('referrals.csv')!).length, 6);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'contacts.csv' }).click()]);
  assert.equal(csv.suggestedFilename(), 'contacts.csv');
  const contacts = await readFile((await csv.path())!, 'utf8');
  assert.equal(csvRows(contacts).length, 6);
  for (const text of names) {
    assert.ok(
      ![...entries.values()].some((content) => content.includes(text)) &&
        !contacts.includes(text) &&
        !(await page.content()).includes(text),
      `${text} never appears`,
    );
  }

  await page.getByRole('link', { name: 'Back to Green spaces and loneliness' }).click();
  await page.waitForURL(/\/research\/projects\/[0-9a-f-]{36}$/);
  assert.equal(await page.locator('#extracts tbody tr').count(), 1);
  await context.close();
});
