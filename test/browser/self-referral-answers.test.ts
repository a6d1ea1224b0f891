/**
 * The public self-referral keeps what people typed, at a desktop width and on a 375 px phone:
 * every answer across an error, the ways to get in touch (text message included) in public
 * wording, and "Change" on the check page back to the question with the answers in place.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { assertFits, startBrowserRig, visitFitting as go, type BrowserRig } from '../support/browser.ts';
import { aTenant } from '../support/factories.ts';

const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: '375 px phone', width: 375, height: 812 },
] as const;

let rig: BrowserRig;
before(async () => {
  rig = await startBrowserRig();
  // Self-referrals land in the first tenant.
  await aTenant(rig.database, { name: 'Answers PCN' });
});
after(() => rig.close());

async function pageAt(width: (typeof WIDTHS)[number]) {
  const context = await rig.browser.newContext({ baseURL: rig.baseUrl, viewport: { width: width.width, height: width.height } });
  return { context, page: await context.newPage() };
}

async function submit(page: Page, button: string, width: number) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: button, exact: true }).click()]);
  await assertFits(page, width);
}

for (const width of WIDTHS) {
  test(`${width.name}: a person referring themself keeps every answer across an error and "Change", and can choose text messages`, async () => {
    const { context, page } = await pageAt(width);
    await go(page, '/refer-yourself', width.width);
    const contact = page.getByRole('group', { name: 'How can we get in touch with you?' });
    assert.deepEqual(
      await contact
        .getByRole('checkbox')
        .evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).labels?.[0]?.textContent?.trim())),
      ['Phone call', 'Text message', 'Email', 'Letter'],
    );
    await page.getByLabel('First name').fill('Tamsin');
    await page.getByLabel('Day').fill('4');
    await page.getByLabel('Month').fill('11');
    await page.getByLabel('Year').fill('1961');
    await page.getByLabel('Postcode').fill('LS6 3AB');
    await page.getByLabel('Phone number').fill('07700 900123');
    await page.getByLabel('Email address (optional)').fill('tamsin@example.com');
    await contact.getByLabel('Text message').check();
    await contact.getByLabel('Email').check();
    await page.getByLabel('Feeling lonely or cut off from people').check();
    await page.getByLabel('Tell us anything else that would help (optional)').fill('Evenings are hard.');
    await page.getByLabel('I agree to a link worker contacting me about support').check();
    // The last name is missing: the page comes back with the error, and keeps everything else.
    await submit(page, 'Continue', width.width);
    assert.match(await page.locator('.nhsuk-error-summary').innerText(), /Enter last name/);
    assert.ok(await contact.getByLabel('Text message').isChecked(), 'the text message tick is kept');
    assert.ok(await contact.getByLabel('Email').isChecked(), 'the email tick is kept');
    assert.ok(!(await contact.getByLabel('Phone call').isChecked()));
    assert.equal(await page.getByLabel('Tell us anything else that would help (optional)').inputValue(), 'Evenings are hard.');
    assert.ok(await page.getByLabel('I agree to a link worker contacting me about support').isChecked());
    assert.equal(await page.getByText('Entered by the referrer').count(), 0);

    await page.getByLabel('Last name').fill('Answers');
    await submit(page, 'Continue', width.width);
    assert.equal(await page.locator('h1').innerText(), 'Check your answers');
    const contactRow = page.locator('.nhsuk-summary-list__row', { hasText: 'How we can get in touch' });
    assert.equal((await contactRow.locator('.nhsuk-summary-list__value').innerText()).trim(), 'Text message, Email');
    assert.equal(await page.getByText('Start again').count(), 0);

    // "Change" goes back to that question with every answer in place.
    await submit(page, 'Change how we can get in touch', width.width);
    assert.equal(new URL(page.url()).hash, '#contactChannels');
    assert.equal(await page.getByLabel('Last name').inputValue(), 'Answers');
    assert.ok(await contact.getByLabel('Text message').isChecked());
    await contact.getByLabel('Email').uncheck();
    await contact.getByLabel('Phone call').check();
    await submit(page, 'Continue', width.width);
    assert.equal((await contactRow.locator('.nhsuk-summary-list__value').innerText()).trim(), 'Phone call, Text message');
    await submit(page, 'Send', width.width);
    assert.match((await page.locator('#reference').innerText()).trim(), /^SP-[0-9A-Z]{8}$/);
    await context.close();
  });
}
