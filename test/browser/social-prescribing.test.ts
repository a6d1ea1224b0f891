import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import type { Actor } from '../../src/identity/actor.ts';
import { localDate } from '../../src/calendar/london.ts';
import { formatDate } from '../../src/calendar/format.ts';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { assertAccessible, startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { anActor } from '../support/factories.ts';
import { aProviderService, aSocialPrescribingTeam } from '../support/plans-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';

let rig: BrowserRig;
before(async () => {
  rig = await startBrowserRig();
});
after(() => rig.close());

async function signedInPage(actor: Actor): Promise<{ context: BrowserContext; page: import('playwright-core').Page }> {
  const { context, page } = await rig.newPage();
  const cookies = await signInAs(rig.app, rig.database, actor);
  await context.addCookies(Object.entries(cookies).map(([name, value]) => ({ name, value, url: rig.baseUrl })));
  return { context, page };
}

async function pdfText(bytes: Buffer): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
  const parts: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    parts.push(content.items.map((i) => ('str' in i ? i.str : '')).join(' '));
  }
  return parts.join('\n');
}

test('a link worker assesses, records a concern, plans, refers and signposts; the provider accepts and records attendance; the referrer reads the discharge summary and its PDF', async () => {
  const team = await aSocialPrescribingTeam(rig.database);
  const referrer = await anActor(rig.database, { tenantId: team.tenantId, roles: ['referrer'] });
  await aProviderService(rig.database, team.provider, {
    name: 'Kirkgate Allotment Friends',
    needs: ['loneliness'],
    byday: 'TU',
    opensAt: '10:00',
    closesAt: '12:00',
  });
  await aDirectoryService(rig.database, { name: 'Woodhouse Chatty Café', needs: ['loneliness'] });
  const { referralId, personId } = await aReferral(rig.database, referrer, {
    person: { givenName: 'Maureen', familyName: 'Hollis', email: 'maureen@example.com', contactChannels: ['email'] },
  });
  await allocateReferral(rig.database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  await recordContact(rig.database.pool, team.worker, referralId, aContact({ outcome: 'made' }));

  // The link worker: assessment, safeguarding concern, plan.
  const worker = await signedInPage(team.worker);
  let page = worker.page;
  assert.equal(await visit(page, `/referrals/${referralId}/support`), 200);
  await page.getByRole('link', { name: 'Record what matters to the person' }).click();
  await assertAccessible(page);
  await page.getByLabel('What matters to them, in their own words').fill('Getting back to gardening with other people');
  await page.getByRole('group', { name: 'Loneliness and isolation' }).getByLabel('High need').check();
  await page.getByLabel('Confidence').check();
  await page.getByRole('button', { name: 'Save assessment' }).click();
  assert.match((await page.locator('#notice').textContent()) ?? '', /Assessment saved/);
  await assertAccessible(page);

  await page.getByRole('link', { name: 'Record a safeguarding concern' }).click();
  await page.getByLabel('What is the concern?').fill('A relative is taking her pension each week');
  await page.getByRole('button', { name: 'Record concern' }).click();
  assert.match((await page.locator('#safeguarding-alert').textContent()) ?? '', /taking her pension/);
  await assertAccessible(page);
  assert.equal(await visit(page, `/people/${personId}`), 200);
  assert.match((await page.locator('.nhsuk-warning-callout').textContent()) ?? '', /Open safeguarding concern/);
  await page.getByRole('link', { name: 'Safeguarding concern raised: open, waiting for the lead' }).first().click();

  await page.getByLabel('The goal, in the person’s words').fill('Grow my own vegetables again');
  await page.getByLabel('Review date (optional)').fill('2030-06-01');
  await page.getByRole('button', { name: 'Add goal' }).click();
  assert.match(await page.locator('#plan').evaluate((h) => h.parentElement?.textContent ?? ''), /Grow my own vegetables again/);

  // Refer to the provider's service, then signpost to another.
  await page.getByRole('link', { name: 'Find a service to refer or signpost to' }).click();
  await assertAccessible(page);
  await page.getByLabel('Kirkgate Allotment Friends').check();
  await page.getByLabel('Refer: send the person’s details to the service').check();
  await page.getByLabel('Their needs and what matters to them').check();
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match((await page.locator('.nhsuk-error-summary').textContent()) ?? '', /consent/, 'no consent, no referral');
  await assertAccessible(page);
  await page.getByLabel('Kirkgate Allotment Friends').check();
  await page.getByLabel('Refer: send the person’s details to the service').check();
  await page.getByLabel('The person agrees to this referral and to sharing what is ticked').check();
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match((await page.locator('#notice').textContent()) ?? '', /Referral sent/);

  await page.getByRole('link', { name: 'Find a service to refer or signpost to' }).click();
  await page.getByLabel('Woodhouse Chatty Café').check();
  await page.getByLabel('Signpost: give the person the details to contact them').check();
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match((await page.locator('#notice').textContent()) ?? '', /Signposting recorded/);
  await assertAccessible(page);

  // The provider sees only what was shared, accepts, and records a session.
  const provider = await signedInPage(team.provider);
  page = provider.page;
  assert.equal(await visit(page, '/provider/inbox'), 200);
  await page.getByRole('link', { name: 'Maureen Hollis' }).click();
  await assertAccessible(page);
  const shared = (await page.locator('main').textContent()) ?? '';
  assert.match(shared, /Loneliness and isolation/);
  assert.match(shared, /Getting back to gardening/);
  assert.doesNotMatch(shared, /pension/, 'the safeguarding concern is not shared');
  await page.getByLabel('First session date (optional)').fill('2030-03-05');
  await page.getByRole('button', { name: 'Accept referral' }).click();
  assert.equal(await page.locator('#status').textContent(), 'Accepted');
  // Attendance is at a session that has happened: today.
  await page.getByLabel('Session date').fill(localDate(new Date()));
  await page.getByRole('group', { name: 'Did they attend?' }).getByLabel('Yes').check();
  await page.getByRole('button', { name: 'Record attendance' }).click();
  assert.equal(await page.locator('#status').textContent(), 'Attending');
  await assertAccessible(page);
  await provider.context.close();

  // The link worker sees the responses, then discharges.
  page = worker.page;
  assert.equal(await visit(page, '/responses'), 200);
  const responses = (await page.locator('#responses').textContent()) ?? '';
  assert.match(responses, /Kirkgate Allotment Friends, [^:]+: Accepted/);
  assert.match(responses, /Kirkgate Allotment Friends, [^:]+: Attending/);
  assert.equal(await visit(page, `/referrals/${referralId}/support`), 200);
  assert.ok(((await page.locator('main').textContent()) ?? '').includes(`${formatDate(localDate(new Date()))}: attended`));
  await page.getByRole('link', { name: 'Discharge and write the summary for the referrer' }).click();
  await assertAccessible(page);
  await page.getByLabel('Goals met').check();
  await page.getByLabel('Summary for the referrer').fill('Maureen now goes to the allotment group every week.');
  await page.getByRole('group', { name: 'Outcome measure 1' }).getByLabel('Measure').fill('ONS4 life satisfaction (0 to 10)');
  await page.getByRole('group', { name: 'Outcome measure 1' }).getByLabel('Score before').fill('3');
  await page.getByRole('group', { name: 'Outcome measure 1' }).getByLabel('Score after').fill('7');
  await page.getByRole('button', { name: 'Continue' }).click();
  // The goal is not marked achieved and the allotment referral is still open: both need an answer.
  assert.match((await page.locator('.nhsuk-error-summary').textContent()) ?? '', /recorded as achieved/);
  await page.getByLabel('Note about the reason (optional)').fill('Maureen has her own plot now; the goal was not updated.');
  await page
    .getByRole('group', { name: /Kirkgate Allotment Friends/ })
    .getByLabel(/Leave it open/)
    .check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await assertAccessible(page);
  await page.getByRole('button', { name: 'Discharge and send summary' }).click();
  await page.waitForURL(/\/discharge-summaries\//);
  await worker.context.close();

  // The referrer opens the summary and its PDF.
  const gp = await signedInPage(referrer);
  page = gp.page;
  assert.equal(await visit(page, '/my-referrals/discharge-summaries'), 200);
  await page.getByRole('link', { name: /Maureen Hollis/ }).click();
  await assertAccessible(page);
  const summary = (await page.locator('main').textContent()) ?? '';
  for (const expected of [
    'Person demographics',
    'Needs and concerns',
    'Personalised care and support plan',
    'Outcome measures',
    'Referred to Kirkgate Allotment Friends',
    'Signposted to Woodhouse Chatty Café',
    'before 3, after 7',
    '871731000000106 Referral to social prescribing service',
  ]) {
    assert.ok(summary.includes(expected), `the summary shows "${expected}"`);
  }
  assert.ok(!summary.includes('871691000000100'), 'the unverified code is never emitted');
  const href = await page.getByRole('link', { name: 'Download the summary as a PDF' }).getAttribute('href');
  const response = await gp.context.request.get(href!);
  assert.equal(response.headers()['content-type'], 'application/pdf');
  const text = (await pdfText(await response.body())).replace(/\s+/g, ' ');
  assert.match(text, /Maureen Hollis/);
  assert.match(text, /Referred to Kirkgate Allotment Friends, [^:]+: Attending; Attended 1 of 1 recorded sessions/);
  assert.match(text, /before 3, after 7/);
  assert.match(text, /871731000000106/);
  assert.match(text, /Goals met/);
  await gp.context.close();
});
