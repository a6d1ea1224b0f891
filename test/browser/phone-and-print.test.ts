/**
 * On a 375 px phone every working page fits without the whole page scrolling sideways (wide
 * tables scroll by themselves), and the printed plan speaks to the person: no link addresses,
 * no staff statuses.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Actor } from '../../src/identity/actor.ts';
import { localDate } from '../../src/calendar/london.ts';
import { addGoal } from '../../src/plans/service.ts';
import { createOnwardReferral } from '../../src/social-prescriptions/service.ts';
import { setNextAction, getReferral } from '../../src/referrals/service.ts';
import { startBrowserRig, visitFitting as go, type BrowserRig } from '../support/browser.ts';
import { anActor } from '../support/factories.ts';
import { aProviderService, aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { aReferral } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';

const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: '375 px phone', width: 375, height: 812 },
] as const;

let rig: BrowserRig;
let team: Awaited<ReturnType<typeof aSocialPrescribingTeam>>;
let referrer: Actor;
before(async () => {
  rig = await startBrowserRig();
  team = await aSocialPrescribingTeam(rig.database);
  referrer = await anActor(rig.database, { tenantId: team.tenantId, roles: ['referrer'] });
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

test('on a 375 px phone the caseload, triage, referral, plan, my referrals and directory pages fit without sideways scrolling', async () => {
  const service = await aProviderService(rig.database, team.provider, { name: 'Wednesday Allotment Club', needs: ['gardening'] });
  const people = [];
  for (const name of ['Bartholomew Featherstonehaugh', 'Philippa Montgomery-Wainwright', 'Maximilian Higginbottom']) {
    const [givenName, familyName] = name.split(' ') as [string, string];
    const episode = await anEpisodeInContact(rig.database, team, { givenName, familyName });
    const { referral } = await getReferral(rig.database.pool, team.worker, episode.referralId);
    await setNextAction(rig.database.pool, team.worker, episode.referralId, {
      nextAction: 'Check they went to the allotment group on Wednesday',
      due: localDate(new Date()),
      version: referral.version,
    });
    people.push(episode);
  }
  await addGoal(rig.database.pool, team.worker, people[0]!.referralId, {
    goal: 'Grow tomatoes with the allotment club',
    reviewDate: localDate(new Date(Date.now() + 14 * 86_400_000)),
  });
  await createOnwardReferral(rig.database.pool, team.worker, people[0]!.referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
  });
  await aReferral(rig.database, referrer, { person: { givenName: 'Gwendolyn', familyName: 'Triage-Waitingham' } });
  const phone = WIDTHS[1];

  const worker = await pageAt(phone, team.worker);
  for (const path of [
    '/caseload',
    `/referrals/${people[0]!.referralId}`,
    `/referrals/${people[0]!.referralId}/support`,
    `/referrals/${people[0]!.referralId}/plan`,
    '/follow-ups',
  ]) {
    await go(worker.page, path, phone.width);
  }
  await worker.context.close();
  const lead = await pageAt(phone, team.lead);
  for (const path of ['/triage', '/caseload']) await go(lead.page, path, phone.width);
  assert.ok((await lead.page.locator('main table tbody tr').count()) >= 3, 'the lead’s caseload has rows to fit');
  await lead.context.close();
  const gp = await pageAt(phone, referrer);
  await go(gp.page, '/my-referrals', phone.width);
  await gp.context.close();
  const visitor = await pageAt(phone);
  await go(visitor.page, '/services?q=allotment', phone.width);
  await visitor.context.close();
});

test('the printed plan shows no link addresses and no staff statuses', async () => {
  const service = await aProviderService(rig.database, team.provider, { name: 'Saturday Walking Group', needs: ['gardening'] });
  const { referralId } = await anEpisodeInContact(rig.database, team, { givenName: 'Priya', familyName: 'Printer' });
  await addGoal(rig.database.pool, team.worker, referralId, { goal: 'Walk with the group each Saturday' });
  await createOnwardReferral(rig.database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: true });
  const { context, page } = await pageAt(WIDTHS[0], team.worker);
  await go(page, `/referrals/${referralId}/plan`, WIDTHS[0].width);
  await page.emulateMedia({ media: 'print' });
  const printed = await page.locator('body').evaluate((body: HTMLElement) => {
    // What paper shows: visible text plus any text generated after links.
    const after = [...body.querySelectorAll('a')]
      .filter((a) => a.offsetParent !== null)
      .map((a) => getComputedStyle(a, '::after').content)
      .filter((c) => c && c !== 'none' && c !== 'normal');
    return { text: body.innerText, after };
  });
  assert.match(printed.text, /Walk with the group each Saturday/);
  assert.match(printed.text, /Saturday Walking Group/);
  assert.match(printed.text, /We have asked them to get in touch with you/);
  assert.deepEqual(printed.after, [], 'no link address is printed after a link');
  assert.doesNotMatch(printed.text, /\/referrals\/|Sent, waiting for a response|not_started|Download this plan/);
  await context.close();
});
