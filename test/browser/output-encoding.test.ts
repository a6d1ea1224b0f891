/**
 * Output encoding: script-like text stored in every free-text field shows as text on every page
 * that shows it. No dialog opens, no element it describes exists, and no link runs `javascript:`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Actor } from '../../src/identity/actor.ts';
import { recordAssessment, raiseConcern } from '../../src/assessment/service.ts';
import { dischargeReferral } from '../../src/discharge/service.ts';
import { addGoal } from '../../src/plans/service.ts';
import { createOnwardReferral } from '../../src/social-prescriptions/service.ts';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { startBrowserRig, type BrowserRig } from '../support/browser.ts';
import { anActor } from '../support/factories.ts';
import { aProviderService, aSocialPrescribingTeam, anAssessment } from '../support/plans-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';

const SCRIPT = '<script id="xss-script">alert(1)</script>';
const IMAGE = '"><img id="xss-img" src=x onerror=alert(1)>';
const LINK = '<a id="xss-link" href="javascript:alert(1)">x</a>';
const TEMPLATE = '{{7*7}}{% raw %}';
/** Short enough for a name field (100 characters). */
const SHORT = `${IMAGE}{{7*7}}`;
const LONG = `${SCRIPT} ${IMAGE} ${LINK} ${TEMPLATE} javascript:alert(1)`;

/** Some of the stored text is on the page as text (not every page shows every field). */
const literal = (shown: string) => shown.includes('onerror=alert(1)') || shown.includes('{{7*7}}') || shown.includes(SCRIPT);

let rig: BrowserRig;
before(async () => {
  rig = await startBrowserRig();
});
after(() => rig.close());

async function signedInPage(actor: Actor) {
  const { context, page } = await rig.newPage();
  const cookies = await signInAs(rig.app, rig.database, actor);
  await context.addCookies(Object.entries(cookies).map(([name, value]) => ({ name, value, url: rig.baseUrl })));
  return { context, page };
}

/** Opens the page and checks nothing stored ran or became markup; returns the visible text. */
async function assertShownAsText(page: Page, path: string, dialogs: string[]): Promise<string> {
  const response = await page.goto(path);
  assert.ok(response && response.status() < 400, `${path} answered ${response?.status()}`);
  const injected = await page.locator('#xss-script, #xss-img, #xss-link').count();
  assert.equal(injected, 0, `${path} has an injected element`);
  const scriptLinks = await page.locator('a[href^="javascript:" i], [src^="javascript:" i], form[action^="javascript:" i]').count();
  assert.equal(scriptLinks, 0, `${path} has a javascript: link`);
  assert.deepEqual(dialogs, [], `${path} opened a dialog`);
  return await page.locator('body').innerText();
}

test('script-like text in every free-text field shows literally on every page that shows it', async () => {
  const team = await aSocialPrescribingTeam(rig.database);
  const referrer = await anActor(rig.database, { tenantId: team.tenantId, roles: ['referrer'] });
  const service = await aProviderService(rig.database, team.provider, { name: `Club ${SHORT}`, description: LONG, needs: ['loneliness'] });
  await rig.database.pool.query(`UPDATE directory_service SET url = 'javascript:alert(1)' WHERE id = $1`, [service.id]);
  const { referralId, personId } = await aReferral(rig.database, referrer, {
    person: {
      givenName: SHORT,
      familyName: `Family ${SHORT}`,
      preferredName: SHORT,
      address: LONG,
      otherCommunicationNeeds: LONG,
      interpreterLanguage: SHORT,
    },
    referral: { context: LONG, risk: LONG, referrerName: SHORT, referrerOrganisation: SHORT },
  });
  await allocateReferral(rig.database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId, reason: LONG });
  await recordContact(rig.database.pool, team.worker, referralId, aContact({ outcome: 'made', notes: LONG }));
  await recordAssessment(
    rig.database.pool,
    team.worker,
    referralId,
    anAssessment({ whatMatters: LONG, strengths: LONG, risks: LONG, barrierNotes: LONG }) as never,
  );
  await raiseConcern(rig.database.pool, team.worker, referralId, LONG);
  await addGoal(rig.database.pool, team.worker, referralId, { goal: LONG, steps: LONG, whoDoesWhat: LONG });
  const onward = await createOnwardReferral(rig.database.pool, team.worker, referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
    note: LONG,
  });

  const dialogs: string[] = [];
  const worker = await signedInPage(team.worker);
  worker.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  for (const path of [
    `/people/${personId}`,
    `/referrals/${referralId}`,
    `/referrals/${referralId}/support`,
    `/referrals/${referralId}/plan`,
    '/caseload',
    `/onward-referrals/${onward.id}/letter`,
  ]) {
    const shown = await assertShownAsText(worker.page, path, dialogs);
    assert.ok(literal(shown), `${path} shows the stored text literally`);
  }

  const lead = await signedInPage(team.lead);
  lead.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const tasks = await assertShownAsText(lead.page, '/safeguarding', dialogs);
  assert.ok(tasks.includes(SCRIPT), 'the safeguarding task shows the concern as text');
  await assertShownAsText(lead.page, '/triage', dialogs);

  const provider = await signedInPage(team.provider);
  provider.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await assertShownAsText(provider.page, '/provider/inbox', dialogs);
  const inbox = await assertShownAsText(provider.page, `/provider/referrals/${onward.id}`, dialogs);
  assert.ok(literal(inbox), 'the provider sees the shared details as text');

  const discharge = await dischargeReferral(rig.database.pool, team.worker, referralId, {
    reason: 'person_chose_to_end',
    summary: LONG,
    onward: { [onward.id]: 'keep' },
  });
  const summary = await assertShownAsText(worker.page, `/discharge-summaries/${discharge}`, dialogs);
  assert.ok(literal(summary), 'the discharge summary shows the text literally');

  const visitor = await rig.newPage();
  visitor.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const servicePage = await assertShownAsText(visitor.page, `/services/${service.id}`, dialogs);
  assert.ok(literal(servicePage), 'the public service page shows the description as text');
  await assertShownAsText(visitor.page, `/services?q=${encodeURIComponent(SCRIPT)}`, dialogs);
  const curator = await anActor(rig.database, { tenantId: team.tenantId, roles: ['curator'] });
  const curation = await signedInPage(curator);
  curation.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await assertShownAsText(curation.page, `/curation/services/${service.id}/edit`, dialogs);
  for (const { context } of [worker, lead, provider, visitor, curation]) await context.close();
});
