import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Actor } from '../../src/identity/actor.ts';
import { setTenantAddress } from '../../src/identity/service.ts';
import { recordAdministration } from '../../src/outcomes/service.ts';
import { addGoal } from '../../src/plans/service.ts';
import { createOnwardReferral } from '../../src/social-prescriptions/service.ts';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { answersForm, anAssessedEpisode } from '../support/outcomes-factories.ts';
import { aProviderService, aSocialPrescribingTeam } from '../support/plans-factories.ts';
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
  test(`at ${size.name}, the discharge form starts from the recorded measures, asks about what contradicts the record, and shows the summary as the GP will get it before it goes`, async () => {
    const team = await aSocialPrescribingTeam(rig.database);
    await setTenantAddress(rig.database.pool, team.tenantId, '12 Example Road, Leeds, LS6 2AA');
    const service = await aProviderService(rig.database, team.provider, { name: `Pottery Circle ${size.width}`, needs: ['arts'] });
    const { referralId } = await anAssessedEpisode(rig.database, team, {
      givenName: 'Edith',
      familyName: `Checkperson${size.width}`,
      dateOfBirth: '1949-02-14',
    });
    await recordAdministration(rig.database.pool, team.worker, referralId, {
      instrument: 'swemwbs',
      timepoint: 'baseline',
      answers: answersForm('swemwbs', [2, 2, 2, 3, 2, 1, 2]),
    });
    await recordAdministration(rig.database.pool, team.worker, referralId, {
      instrument: 'swemwbs',
      timepoint: 'review',
      answers: answersForm('swemwbs', [4, 4, 3, 4, 4, 5, 4]),
    });
    await addGoal(rig.database.pool, team.worker, referralId, { goal: 'Make a bowl' });
    await createOnwardReferral(rig.database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: true });

    const { context, page } = await signedInPage(team.worker, size);
    assert.equal(await visit(page, `/referrals/${referralId}/support`), 200);
    await page.getByRole('link', { name: 'Discharge and write the summary for the referrer' }).click();
    await fits(page, size.width);
    const first = page.getByRole('group', { name: 'Outcome measure 1' });
    assert.equal(await first.getByLabel('Measure').inputValue(), 'SWEMWBS metric score (7 to 35)');
    assert.notEqual(await first.getByLabel('Score before').inputValue(), '');
    assert.notEqual(await first.getByLabel('Score after').inputValue(), '');
    assert.doesNotMatch((await page.locator('main').textContent()) ?? '', /ONS4/);

    await page.getByLabel('Goals met').check();
    await page.getByLabel('Summary for the referrer').fill('Edith has made three bowls.');
    await page.getByRole('button', { name: 'Continue' }).click();
    const problems = (await page.locator('.nhsuk-error-summary').textContent()) ?? '';
    assert.match(problems, /None of the 1 goal is recorded as achieved/);
    assert.match(problems, /Choose whether to stop the referral to Pottery Circle/);
    await fits(page, size.width);
    await page.getByLabel('Note about the reason (optional)').fill('Edith made the bowl at home; the goal was not updated.');
    await page
      .getByRole('group', { name: /Pottery Circle/ })
      .getByLabel(/Stop it now/)
      .check();
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { name: 'Check the discharge summary before you send it' }).waitFor();
    await fits(page, size.width);
    const letterhead = (await page.locator('#letterhead').textContent()) ?? '';
    assert.match(letterhead, /12 Example Road/);
    const preview = ((await page.locator('#discharge-document').textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(preview, /Date of birth: 14 February 1949/);
    assert.match(preview, /Referred to Pottery Circle \d+, [^:]+: Stopped/);
    assert.match(preview, /Note on the reason: Edith made the bowl at home/);

    await page.getByRole('button', { name: 'Change your answers' }).click();
    assert.equal(await page.getByLabel('Summary for the referrer').inputValue(), 'Edith has made three bowls.');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Discharge and send summary' }).click();
    await page.waitForURL(/\/discharge-summaries\//);
    await fits(page, size.width);
    const sent = ((await page.locator('#discharge-document').textContent()) ?? '').replace(/\s+/g, ' ');
    assert.equal(sent, preview, 'the summary sent is the one checked');
    await context.close();
  });
}
