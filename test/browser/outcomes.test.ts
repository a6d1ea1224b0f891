import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Actor } from '../../src/identity/actor.ts';
import { INSTRUMENTS } from '../../src/outcomes/instruments.ts';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { outcomeLinksSent } from '../support/outcomes-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { signInInBrowser } from '../support/session.ts';

let rig: BrowserRig;
let worker: Actor;
let referralId: string;
let tenantId: string;

before(async () => {
  const database = await freshDatabase();
  tenantId = (await aTenant(database, { name: 'Outcomes PCN' })).id;
  const lead = await aUserWithPassword(database, { tenantId, roles: ['lead'], name: 'Olu Lead', email: 'lead@outcomes.example' });
  worker = await aUserWithPassword(database, { tenantId, roles: ['link_worker'], name: 'Wren Worker', email: 'worker@outcomes.example' });
  ({ referralId } = await aReferral(database, lead, {
    person: { givenName: 'Bea', familyName: 'Better', email: 'bea.better@example.com', contactChannels: ['email'] },
  }));
  await allocateReferral(database.pool, lead, referralId, { linkWorkerId: worker.userId });
  await recordContact(database.pool, worker, referralId, aContact({ outcome: 'made' }));
  rig = await startBrowserRig({ database });
});
after(() => rig?.close());

async function answerSwemwbs(page: Page, labels: string[]) {
  for (const [i, item] of INSTRUMENTS.swemwbs.items.entries()) {
    await page
      .getByRole('group', { name: `${i + 1}. ${item.text}` })
      .getByLabel(labels[i]!, { exact: true })
      .check();
  }
}

test('a link worker records a baseline SWEMWBS, the person completes a review from the emailed link, and the link worker sees the change', async () => {
  const staff = await rig.newPage();
  const page = staff.page;
  await signInInBrowser(page, worker.email, TEST_PASSWORD, `/referrals/${referralId}`);
  await page.getByRole('link', { name: 'Outcome measures' }).click();
  await page.waitForURL(new RegExp(`/referrals/${referralId}/outcomes$`));
  await assertAccessible(page);
  assert.match(await page.locator('main').innerText(), /No outcome measures recorded yet/);

  await page.getByRole('button', { name: 'Continue to the questions' }).click();
  await page.getByText('There is a problem').waitFor();
  await assertAccessible(page);
  await page.getByRole('group', { name: 'Which measure?' }).getByLabel(INSTRUMENTS.swemwbs.name).check();
  await page.getByRole('group', { name: 'When in the support is this?' }).first().getByLabel('Baseline').check();
  await page.getByRole('button', { name: 'Continue to the questions' }).click();
  await page.waitForURL(/outcomes\/new\?instrument=swemwbs&timepoint=baseline/);
  await assertAccessible(page);

  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('There is a problem').waitFor();
  await assertAccessible(page);
  await answerSwemwbs(page, Array(7).fill('Some of the time'));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Check the answers' }).waitFor();
  await assertAccessible(page);
  assert.equal((await page.locator('#score').innerText()).trim(), 'Metric score 19.25 (raw 21)');
  await page.getByRole('button', { name: 'Save SWEMWBS baseline' }).click();
  await page.waitForURL(/saved=/);
  await assertAccessible(page);
  assert.match(await page.locator('#saved').innerText(), /SWEMWBS baseline saved[\s\S]*Metric score 19.25/);

  // Send the person a link for their review.
  const linkForm = page.locator('form[action$="/outcome-links"]');
  await linkForm.getByLabel(INSTRUMENTS.swemwbs.name).check();
  await linkForm.getByLabel('Review').check();
  await linkForm.getByRole('button', { name: 'Send link' }).click();
  await page.waitForURL(/sent=email/);
  await assertAccessible(page);
  assert.match(await page.locator('#link-sent').innerText(), /Link sent by email/);

  // The person opens the emailed link, read from the outbox, with no account.
  const [message] = await outcomeLinksSent(rig.database, tenantId);
  assert.equal(message!.recipient, 'bea.better@example.com');
  const person = await rig.newPage();
  const path = new URL(message!.link).pathname;
  assert.equal(await visit(person.page, path), 200);
  assert.doesNotMatch(await person.page.locator('main').innerText(), /Bea|Better/);
  await answerSwemwbs(person.page, ['Often', 'Often', 'Some of the time', 'Often', 'Often', 'All of the time', 'Often']);
  await person.page.getByRole('button', { name: 'Send my answers' }).click();
  await person.page.getByText('Thank you, your answers are saved').waitFor();
  await assertAccessible(person.page);
  assert.equal(await visit(person.page, path), 410);
  assert.match(await person.page.locator('main').innerText(), /This link has already been used/);
  await person.context.close();

  assert.equal(await visit(page, `/referrals/${referralId}/outcomes`), 200);
  const review = page.locator('#measure-swemwbs tbody tr').nth(1);
  assert.match(
    await review.innerText(),
    /Review\s+Metric score 25.03 \(raw 28\)\s+19.25 to 25.03, \+5.78 \(better\)\s+Self-completed online/,
  );
  await staff.context.close();
});
