import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';

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

test('the accessibility check itself fails a page with WCAG failures, naming each one', async () => {
  const { page, context } = await rig.newPage();
  await page.goto('/');
  // A served page, spoiled in place: an image without a text alternative, a field without a
  // label, and pale grey text on white.
  await page.evaluate(() => {
    const main = document.querySelector('main')!;
    main.insertAdjacentHTML('beforeend', '<img src="/favicon.ico"><input type="text" name="unlabelled"><p class="faint">Faint words</p>');
    // Set through the CSSOM: the content security policy refuses inline style attributes.
    const faint = document.querySelector<HTMLElement>('main p.faint')!;
    faint.style.color = '#dddddd';
    faint.style.backgroundColor = '#ffffff';
  });
  await assert.rejects(assertAccessible(page), (error: Error) => {
    for (const rule of ['image-alt', 'label', 'color-contrast']) assert.match(error.message, new RegExp(`${rule} \\(`));
    return true;
  });
  // A page put right passes again without a new injection of axe.
  await page.evaluate(() => document.querySelectorAll('main img, main input[name=unlabelled], main p.faint').forEach((el) => el.remove()));
  await assertAccessible(page);
  await context.close();
});
