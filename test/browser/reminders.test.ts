import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { withTenant } from '../../src/db/transaction.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { scanReminders } from '../../src/reminders/service.ts';
import { startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { signInInBrowser } from '../support/session.ts';

let rig: BrowserRig;
let worker: Actor;

before(async () => {
  const database = await freshDatabase();
  const tenant = await aTenant(database, { name: 'Reminder PCN' });
  const lead = await aUserWithPassword(database, {
    tenantId: tenant.id,
    roles: ['lead'],
    name: 'Rae Lead',
    email: 'lead@reminders.example',
  });
  worker = await aUserWithPassword(database, {
    tenantId: tenant.id,
    roles: ['link_worker'],
    name: 'Rob Worker',
    email: 'worker@reminders.example',
  });
  const { referralId } = await aReferral(database, lead, { person: { givenName: 'Tess', familyName: 'Tagged' } });
  const { referralId: quiet } = await aReferral(database, lead, { person: { givenName: 'Una', familyName: 'Untagged' } });
  for (const id of [referralId, quiet]) await allocateReferral(database.pool, lead, id, { linkWorkerId: worker.userId });
  for (let i = 0; i < 3; i++) await recordContact(database.pool, worker, referralId, aContact());
  await withTenant(database.pool, tenant.id, (tx) => scanReminders(tx, tenant.id, new Date()));
  rig = await startBrowserRig({ database });
});
after(() => rig.close());

test('the link worker’s caseload shows the reminder count and a tag on the affected row, and passes the accessibility checks', async () => {
  const { context, page } = await rig.newPage();
  await signInInBrowser(page, worker.email, TEST_PASSWORD, '/caseload');
  assert.equal(await visit(page, '/caseload'), 200);
  assert.equal((await page.locator('#reminder-count').textContent())?.trim(), '1 referral with reminders');
  const tagged = page.getByRole('row').filter({ hasText: 'Tess Tagged' });
  assert.equal(await tagged.locator('.signpost-reminder').textContent(), 'Consider "unable to contact"');
  assert.equal(await page.getByRole('row').filter({ hasText: 'Una Untagged' }).locator('.signpost-reminder').count(), 0);
  await context.close();
});
