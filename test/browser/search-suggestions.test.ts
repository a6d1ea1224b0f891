import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { aDirectoryService } from '../support/directory-factories.ts';

let rig: BrowserRig;
before(async () => {
  rig = await startBrowserRig();
  await aDirectoryService(rig.database, { name: 'Hyde Park Mindfulness', needs: ['mental-wellbeing'], postcode: 'LS6 1AA' });
  await aDirectoryService(rig.database, { name: 'City Mindfulness Course', needs: ['mental-wellbeing'], postcode: 'LS1 1AA' });
  await aDirectoryService(rig.database, { name: 'Woodhouse Art Group', needs: ['arts'], postcode: 'LS6 2AA' });
});
after(() => rig.close());

async function pickSuggestion(page: Page) {
  await page.getByLabel('What are you looking for?').pressSequentially('mindf', { delay: 30 });
  const suggestion = page.locator('.signpost-suggestions').getByRole('link', { name: 'Hyde Park Mindfulness' });
  await suggestion.waitFor();
  assert.match(
    (await page.locator('[role="status"]').filter({ hasText: 'suggestion' }).textContent()) ?? '',
    /2 suggestions below the search box/,
  );
  await assertAccessible(page);
  await Promise.all([page.waitForURL(/q=Hyde/), suggestion.click()]);
  assert.deepEqual(
    (await page.locator('.signpost-results h3').allTextContents()).map((n) => n.trim()),
    ['Hyde Park Mindfulness'],
  );
}

test('suggestions appear as a person types and lead to a search, at desktop width and 375 px', async () => {
  const { page, context } = await rig.newPage();
  await visit(page, '/services');
  await pickSuggestion(page);
  await context.close();
  const narrow = await rig.browser.newContext({ baseURL: rig.baseUrl, viewport: { width: 375, height: 812 } });
  const small = await narrow.newPage();
  await visit(small, '/services');
  await pickSuggestion(small);
  assert.ok((await small.evaluate(() => document.documentElement.scrollWidth)) <= 375);
  await narrow.close();
});

test('without JavaScript the suggestions page lists the same suggestions as links', async () => {
  // axe runs in the page, so the suggestions page is checked with JavaScript first.
  const checked = await rig.newPage();
  await visit(checked.page, '/services/suggestions?q=mindf');
  await visit(checked.page, '/services/suggestions?q=zzqx');
  await checked.context.close();
  const context = await rig.browser.newContext({ baseURL: rig.baseUrl, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/services?q=mindfullnes+zz');
  await page.getByRole('link', { name: /See services and needs with names like/ }).click();
  await page.getByLabel('Words or part of a name').fill('mindf');
  await page.getByRole('button', { name: 'Show suggestions' }).click();
  await Promise.all([page.waitForURL(/q=City/), page.getByRole('link', { name: 'City Mindfulness Course' }).click()]);
  assert.deepEqual(
    (await page.locator('.signpost-results h3').allTextContents()).map((n) => n.trim()),
    ['City Mindfulness Course'],
  );
  await context.close();
});
