/**
 * Forms that catch mistakes, at a desktop width and on a 375 px phone: dates that cannot be right,
 * the NHS number example, character counts, long unbroken text and the referrer's defaults. (Every
 * working page fitting a phone and the printed plan are in phone-and-print.test.ts; the public
 * self-referral keeping what people typed in self-referral-answers.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Actor } from '../../src/identity/actor.ts';
import { localDate } from '../../src/calendar/london.ts';
import { addGoal } from '../../src/plans/service.ts';
import { getReferral } from '../../src/referrals/service.ts';
import { assertFits, startBrowserRig, visitFitting as go, type BrowserRig } from '../support/browser.ts';
import { anActor, aPractice } from '../support/factories.ts';
import { aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { signInAs } from '../support/session.ts';

const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: '375 px phone', width: 375, height: 812 },
] as const;
/** One unbroken 5,000-character run, as pasted text sometimes is. */
const UNBROKEN = 'x'.repeat(5000);

let rig: BrowserRig;
let team: Awaited<ReturnType<typeof aSocialPrescribingTeam>>;
let referrer: Actor;
let practiceName: string;
before(async () => {
  rig = await startBrowserRig();
  team = await aSocialPrescribingTeam(rig.database);
  const practice = await aPractice(rig.database, team.tenantId, { name: 'Wide Lane Surgery' });
  practiceName = practice.name;
  referrer = await anActor(rig.database, { tenantId: team.tenantId, roles: ['referrer'], practiceId: practice.id });
});
after(() => rig.close());

async function pageAt(width: (typeof WIDTHS)[number], actor?: Actor) {
  const context = await rig.browser.newContext({ baseURL: rig.baseUrl, viewport: { width: width.width, height: width.height } });
  if (actor) {
    const cookies = await signInAs(rig.app, rig.database, actor);
    await context.addCookies(Object.entries(cookies).map(([name, value]) => ({ name, value, url: rig.baseUrl })));
  }
  return { context, page: await context.newPage() };
}

async function submit(page: Page, button: string | RegExp, width: number) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: button, exact: typeof button === 'string' }).click()]);
  await assertFits(page, width);
}

for (const width of WIDTHS) {
  test(`${width.name}: a referrer starts with their practice and role chosen, the NHS number example is accepted, and counts show under text areas`, async () => {
    const { context, page } = await pageAt(width, referrer);
    await go(page, '/referrals/new', width.width);
    const hint = await page.locator('#nhsNumber-hint').innerText();
    const example = /for example ([\d ]+)/.exec(hint)?.[1]?.trim();
    assert.ok(example, hint);
    assert.equal(
      (await page.getByLabel('GP practice').locator('option:checked').innerText()).trim(),
      `${practiceName} (${await practiceOds()})`,
    );
    await page.getByLabel('First name').fill('Ezra');
    await page.getByLabel('Last name').fill('Example');
    await page.getByLabel('Day').fill('1');
    await page.getByLabel('Month').fill('2');
    await page.getByLabel('Year').fill('1950');
    await page.getByLabel('NHS number (optional)').fill(example);
    await submit(page, 'Continue', width.width);
    assert.equal(await page.locator('.nhsuk-error-summary').count(), 0, 'the hint’s own example is a valid NHS number');
    assert.equal(await page.locator('h1').innerText(), 'Why are you referring them?');
    assert.ok(await page.getByLabel('GP', { exact: true }).isChecked(), 'who is referring starts as the signed-in GP referrer');
    // The NHS.UK character count tells the referrer how much room is left.
    await page.getByLabel('Context (optional)').fill('Lonely since moving here.');
    await page.locator('#context-info + .nhsuk-character-count__status, .nhsuk-character-count__status').first().waitFor();
    assert.match(await page.locator('.nhsuk-character-count__status').first().innerText(), /You have 3,975 characters remaining/);
    await context.close();
  });

  test(`${width.name}: a next action in the past is refused on the page, and long unbroken text wraps on the referral, support and plan pages`, async () => {
    const { referralId } = await anEpisodeInContact(rig.database, team, {
      givenName: 'Una',
      familyName: 'Broken',
      address: UNBROKEN.slice(0, 500),
    });
    await addGoal(rig.database.pool, team.worker, referralId, { goal: UNBROKEN.slice(0, 1000), steps: UNBROKEN.slice(0, 2000) });
    const { context, page } = await pageAt(width, team.worker);
    await go(page, `/referrals/${referralId}`, width.width);
    await page.getByLabel('Next action').fill('Ring about the allotment');
    await page.getByLabel('Due').fill(localDate(new Date(Date.now() - 86_400_000)));
    await submit(page, /Save next action/, width.width);
    assert.match(await page.locator('.nhsuk-error-summary').innerText(), /Due date must be today or in the future/);
    assert.equal((await getReferral(rig.database.pool, team.worker, referralId)).referral.nextAction, null, 'nothing was saved');
    await go(page, `/referrals/${referralId}/support`, width.width);
    await go(page, `/referrals/${referralId}/plan`, width.width);
    await context.close();
  });
}

async function practiceOds(): Promise<string> {
  const { rows } = await rig.database.pool.query<{ ods: string }>(`SELECT ods_code AS ods FROM practice WHERE id = $1`, [
    referrer.practiceId,
  ]);
  return rows[0]!.ods;
}
