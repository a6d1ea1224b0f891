import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Actor } from '../../src/identity/actor.ts';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aProviderService, aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { signInAs } from '../support/session.ts';

let rig: BrowserRig;
before(async () => {
  rig = await startBrowserRig();
});
after(() => rig.close());

const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: '375 px', width: 375, height: 812 },
];

async function signedInPage(actor: Actor, viewport: { width: number; height: number }) {
  const context = await rig.browser.newContext({ baseURL: rig.baseUrl, viewport });
  const page = await context.newPage();
  const cookies = await signInAs(rig.app, rig.database, actor);
  await context.addCookies(Object.entries(cookies).map(([name, value]) => ({ name, value, url: rig.baseUrl })));
  return { context, page };
}

async function fits(page: Page, width: number) {
  await assertAccessible(page);
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= Math.max(width, 375), `the page fits ${width} px (scroll width ${scroll})`);
}

for (const size of WIDTHS) {
  test(`at ${size.name}, a link worker finds the right one of three same-named services by words, sees who runs each and how the referral travels, and confirms a full one`, async () => {
    const token = `Kestrel${size.width}`;
    const team = await aSocialPrescribingTeam(rig.database);
    await aProviderService(rig.database, team.provider, {
      name: 'Little London Men’s shed',
      description: `Woodwork and tea. ${token}`,
      organizationName: 'Leeds Older People’s Forum',
      needs: ['loneliness'],
    });
    const emailed = await aDirectoryService(rig.database, {
      name: 'Little London Men’s shed',
      description: `Tools and talk. ${token}`,
      organizationName: 'Shed Network North',
      needs: ['loneliness'],
    });
    await rig.database.pool.query('UPDATE directory_service SET email = $2 WHERE id = $1', [emailed.id, 'shed@north.example']);
    await aDirectoryService(rig.database, {
      name: 'Little London Men’s shed',
      description: `Repairs. ${token}`,
      organizationName: 'St Luke’s Church',
      needs: ['loneliness'],
      capacity: 'full',
    });
    await aDirectoryService(rig.database, {
      name: 'Shed chat by phone',
      description: `Phone friends. ${token}`,
      organizationName: 'Befriend by Phone',
      postcode: null,
      delivery: ['phone'],
      needs: ['loneliness'],
    });
    const { referralId } = await anEpisodeInContact(rig.database, team, { postcode: 'LS6 3AB' });

    const { context, page } = await signedInPage(team.worker, size);
    assert.equal(await visit(page, `/referrals/${referralId}/support`), 200);
    await page.getByRole('link', { name: 'Find a service to refer or signpost to' }).click();
    await page.getByLabel('Name or words').fill(`shed ${token}`);
    await page.getByLabel('Need', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Search' }).click();
    await fits(page, size.width);
    assert.match((await page.locator('#results').textContent()) ?? '', /4 services found/);

    const inbox = page.locator('.nhsuk-radios__item', { hasText: 'Leeds Older People’s Forum' });
    assert.match((await inbox.textContent()) ?? '', /Referral goes by: Signpost inbox/);
    assert.match(
      (await page.locator('.nhsuk-radios__item', { hasText: 'Shed Network North' }).textContent()) ?? '',
      /Referral goes by: Secure email/,
    );
    const phone = (await page.locator('.nhsuk-radios__item', { hasText: 'Befriend by Phone' }).textContent()) ?? '';
    assert.match(phone, /By phone: no address/, 'the phone-only service is listed');
    const full = page.locator('.nhsuk-radios__item', { hasText: 'St Luke’s Church' });
    assert.match((await full.textContent()) ?? '', /Full[\s\S]*Referral goes by: Print/);

    await page.getByLabel('Little London Men’s shed, St Luke’s Church').check();
    await page.getByLabel('Refer: send the person’s details to the service').check();
    await page.getByLabel('The person agrees to this referral and to sharing what is ticked').check();
    await page.getByRole('button', { name: 'Save' }).click();
    assert.match((await page.locator('.nhsuk-error-summary').textContent()) ?? '', /St Luke’s Church\) is full/);
    await fits(page, size.width);
    assert.ok(await page.getByLabel('Little London Men’s shed, St Luke’s Church').isChecked(), 'the choice is kept');
    await page.getByLabel('I have told the person and still want to choose this service').check();
    await page.getByLabel('Refer: send the person’s details to the service').check();
    await page.getByLabel('The person agrees to this referral and to sharing what is ticked').check();
    await page.getByRole('button', { name: 'Save' }).click();
    // St Luke’s has neither a Signpost inbox nor an email, as its option said: the referral is printed.
    await page.waitForURL(/\/onward-referrals\/[^/]+\/letter$/);
    await fits(page, size.width);
    assert.equal(await visit(page, `/referrals/${referralId}/support`), 200);
    assert.match(
      (await page.locator('#prescriptions ~ section').first().textContent()) ?? '',
      /Little London Men’s shed\s*St Luke’s Church/,
    );
    await fits(page, size.width);
    await context.close();
  });
}
