import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';

let rig: BrowserRig;
before(async () => {
  rig = await startBrowserRig();
});
after(() => rig.close());

test('the home page renders with the NHS.UK styles and passes WCAG 2.2 AA checks', async () => {
  const { page, context } = await rig.newPage();
  assert.equal(await visit(page, '/'), 200);
  assert.equal(await page.locator('h1').textContent(), 'Find support in your community');
  // The stylesheet really loaded: the header is NHS blue.
  const headerColour = await page.locator('.nhsuk-header').evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(headerColour, 'rgb(0, 94, 184)');
  // The frontend script ran under the content security policy.
  assert.match((await page.locator('body').getAttribute('class')) ?? '', /js-enabled/);
  await context.close();
});

test('the skip link takes keyboard users to the main content', async () => {
  const { page, context } = await rig.newPage();
  await page.goto('/');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to main content');
  await context.close();
});

test('the 404 page is styled and accessible', async () => {
  const { page, context } = await rig.newPage();
  assert.equal(await visit(page, '/no-such-page'), 404);
  assert.equal(await page.locator('h1').textContent(), 'Page not found');
  await context.close();
});
