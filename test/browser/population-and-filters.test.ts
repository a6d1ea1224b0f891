import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { assertAccessible, startBrowserRig, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { aResearchPerson } from '../support/research-factories.ts';
import { signInInBrowser } from '../support/session.ts';

// An admin enters a practice's registered patients, and a researcher narrows an extract by
// months, practice and need: each at desktop width and on a 375 px screen, axe clean.

let rig: BrowserRig | undefined;
let database: Database;
let admin: Actor;
let researcher: Actor;

before(async () => {
  database = await freshDatabase();
  const tenantId = (await aTenant(database, { name: 'Forms Journey PCN' })).id;
  admin = await aUserWithPassword(database, { tenantId, roles: ['admin'], name: 'Ada Admin', email: 'admin@forms.example' });
  researcher = await aUserWithPassword(database, {
    tenantId,
    roles: ['researcher'],
    name: 'Rhys Researcher',
    email: 'researcher@forms.example',
  });
  const rowan = (await aPractice(database, tenantId, { name: 'Rowan Surgery', odsCode: 'B82001' })).id;
  await aPractice(database, tenantId, { name: 'Sycamore Surgery', odsCode: 'B82002' });
  for (let i = 0; i < 6; i++) {
    await aResearchPerson(database, tenantId, {
      givenName: `Filterperson${i}`,
      familyName: 'Journeyfamily',
      dateOfBirth: '1962-02-02',
      sex: 'male',
      ethnicity: 'A',
      deprivationDecile: 3,
      practiceId: rowan,
      receivedAt: '2026-05-12T10:00:00Z',
      reasons: ['loneliness'],
    });
  }
  await aResearchPerson(database, tenantId, {
    givenName: 'Elsewhen',
    familyName: 'Journeyfamily',
    dateOfBirth: '1962-02-02',
    sex: 'male',
    ethnicity: 'A',
    deprivationDecile: 3,
    practiceId: rowan,
    receivedAt: '2025-05-12T10:00:00Z',
    reasons: ['money'],
  });
  rig = await startBrowserRig({ database });
});
after(() => (rig ? rig.close() : database.close()));

async function pageAt(width: number): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await rig!.browser.newContext({
    baseURL: rig!.baseUrl,
    viewport: width === 375 ? { width: 375, height: 812 } : { width: 1280, height: 900 },
  });
  return { page: await context.newPage(), close: () => context.close() };
}

async function fits(page: Page, width: number) {
  if (width !== 375) return;
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= 375, `the page fits a 375 px screen (scroll width ${scroll})`);
}

for (const width of [1280, 375]) {
  test(`at ${width} px an admin enters a practice's registered patients by group, is told what is wrong, and sees them saved`, async () => {
    const { page, close } = await pageAt(width);
    await signInInBrowser(page, admin.email, TEST_PASSWORD, '/admin/practices');
    await assertAccessible(page);
    await fits(page, width);
    await Promise.all([
      page.waitForURL(/\/population$/),
      page.getByRole('link', { name: /registered patients for Rowan Surgery/ }).click(),
    ]);
    await assertAccessible(page);
    await fits(page, width);
    await page.getByLabel('Registered patients (list size)').fill('8000');
    await page.getByLabel('Female', { exact: true }).fill('4500');
    await page.getByLabel('Male', { exact: true }).fill('4000');
    await page.getByRole('button', { name: 'Save registered patients' }).click();
    await page.waitForSelector('.nhsuk-error-summary');
    await assertAccessible(page);
    await fits(page, width);
    const summary = page.locator('.nhsuk-error-summary');
    assert.match(await summary.innerText(), /The patients by sex add up to 8,500, more than the list size of 8,000/);
    await summary.getByRole('link', { name: /add up to 8,500/ }).click();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'sex-female', 'the summary takes you to the field');
    await page.getByLabel('Female', { exact: true }).fill('3900');
    for (const [i, n] of ['1500', '1700', '1600', '1700', '1200'].entries())
      await page.getByLabel(new RegExp(`Quintile ${i + 1}\\b`)).fill(n);
    await page.getByRole('button', { name: 'Save registered patients' }).click();
    await page.waitForURL(/\/admin\/practices\?saved=/);
    await assertAccessible(page);
    await fits(page, width);
    assert.match(await page.locator('#population-saved').innerText(), /Registered patients saved for Rowan Surgery/);
    const row = page.locator('#registered-patients-table tr', { hasText: 'Rowan Surgery' });
    assert.match(await row.innerText(), /8000\s+IMD quintile, Sex/);
    await Promise.all([page.waitForURL(/\/population$/), row.getByRole('link').click()]);
    assert.equal(await page.getByLabel('Female', { exact: true }).inputValue(), '3900');
    assert.match(await page.locator('#dimension-imd_quintile').innerText(), /Saved now: 300 patients in no group \(not known\)/);
    await close();
  });

  test(`at ${width} px a researcher narrows an extract by months, practice and need, fixes a mistyped month, and sees the filters with the figures`, async () => {
    const { page, close } = await pageAt(width);
    await signInInBrowser(page, researcher.email, TEST_PASSWORD, '/research/projects/new');
    await page.getByLabel('Project name').fill(`Loneliness in spring ${width}`);
    await page.getByLabel('Purpose').fill('Whether spring referrals for loneliness fare differently');
    await page.getByLabel('Approval reference').fill('IRAS 340001');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/research\/projects\/[0-9a-f-]{36}$/);
    await assertAccessible(page);
    await fits(page, width);
    await page.getByLabel('First month').fill('May 2026');
    await page.getByLabel('Practice (optional)').selectOption({ label: 'Rowan Surgery (B82001)' });
    await page.getByLabel('Need (optional)').selectOption({ label: 'Loneliness and isolation' });
    await page.getByRole('button', { name: 'Generate an extract' }).click();
    await page.waitForSelector('.nhsuk-error-summary');
    await assertAccessible(page);
    await fits(page, width);
    assert.match(await page.locator('.nhsuk-error-summary').innerText(), /Enter the first month as a year and month, for example 2026-04/);
    assert.equal((await page.getByLabel('Practice (optional)').inputValue()) !== '', true, 'the chosen practice is kept');
    await page.getByLabel('First month').fill('2026-01');
    await page.getByLabel('Last month').fill('2026-06');
    await page.getByRole('button', { name: 'Generate an extract' }).click();
    await page.waitForURL(/\/extracts\/[0-9a-f-]{36}$/);
    await assertAccessible(page);
    await fits(page, width);
    const filters = await page.locator('#filters').innerText();
    assert.match(filters, /Referrals received from\s+2026-01/);
    assert.match(filters, /Referrals received to\s+2026-06/);
    assert.match(filters, /Practice\s+Rowan Surgery \(B82001\)/);
    assert.match(filters, /Need\s+loneliness \(Loneliness and isolation\)/);
    assert.match(await page.locator('#k-anonymity').innerText(), /Released\s+6/, 'the 2025 referral about money is not in it');
    assert.match(await page.locator('#files').innerText(), /referrals\.csv\s+6/);
    await close();
  });
}
