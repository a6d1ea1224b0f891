import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { allocateReferral, markUnableToContact, recordContact, transitionReferral } from '../../src/referrals/service.ts';
import { getPerson, withdrawConsent } from '../../src/people/service.ts';
// The app loads this module through server.ts; it registers the status-change listener.
import '../../src/reminders/service.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { aSocialPrescribingTeam } from '../support/plans-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

async function notificationsFor(tenantId: string) {
  const { rows } = await database.pool.query<{
    channel: string;
    recipient: string;
    template: string;
    personalisation: Record<string, string>;
    key: string;
  }>(
    `SELECT channel, recipient, template, personalisation, idempotency_key AS key FROM notification WHERE tenant_id = $1 ORDER BY created_at, idempotency_key`,
    [tenantId],
  );
  return rows;
}

test('the referrer is told when their referral is allocated and when contact is made, once each, with no second unable to contact message', async () => {
  const team = await aSocialPrescribingTeam(database);
  const gp = await anActor(database, { tenantId: team.tenantId, roles: ['referrer'] });
  const { referralId, reference } = await aReferral(database, gp);
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  for (let i = 0; i < 3; i++) await recordContact(database.pool, team.worker, referralId, aContact());
  await markUnableToContact(database.pool, team.worker, referralId, {});
  await recordContact(database.pool, team.worker, referralId, aContact({ outcome: 'made' }));

  const sent = (await notificationsFor(team.tenantId)).filter((n) => n.recipient === gp.email);
  assert.deepEqual(
    sent.map((n) => [n.template, n.personalisation.status ?? null]),
    [
      ['referral_status_changed', 'Allocated'],
      ['unable_to_contact', null],
      ['referral_status_changed', 'In contact'],
    ],
  );
  assert.equal(sent[0]!.personalisation.reference, reference);
  assert.equal(sent[0]!.key, `referral-status:${referralId}:allocated`);
  assert.ok(!JSON.stringify(sent[0]!.personalisation).includes('Example'), 'the status email names no person');
});

test('a referral declined by the person tells the referrer; a lead who referred and allocated it hears nothing of their own change', async () => {
  const team = await aSocialPrescribingTeam(database);
  const gp = await anActor(database, { tenantId: team.tenantId, roles: ['referrer'] });
  const { referralId } = await aReferral(database, gp);
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  await transitionReferral(database.pool, team.worker, referralId, { to: 'declined', reason: 'Feels better now' });
  const templates = (await notificationsFor(team.tenantId)).filter((n) => n.recipient === gp.email).map((n) => n.personalisation.status);
  assert.deepEqual(templates, ['Allocated', 'Declined by the person']);

  const { referralId: own } = await aReferral(database, team.lead);
  const before = (await notificationsFor(team.tenantId)).length;
  await allocateReferral(database.pool, team.lead, own, { linkWorkerId: team.worker.userId });
  assert.equal((await notificationsFor(team.tenantId)).length, before);
});

test('a person who referred themself hears a link worker is allocated on the channel they chose, and nothing once they withdraw consent', async () => {
  const team = await aSocialPrescribingTeam(database);
  const texted = await aReferral(database, team.lead, {
    person: { email: null, phone: '07700 900456', contactChannels: ['sms', 'phone'] },
    referral: { source: 'self', channel: 'self' },
  });
  await allocateReferral(database.pool, team.lead, texted.referralId, { linkWorkerId: team.worker.userId });
  const sms = (await notificationsFor(team.tenantId)).filter((n) => n.template === 'self_referral_allocated');
  assert.deepEqual(
    sms.map((n) => [n.channel, n.recipient]),
    [['sms', '07700 900456']],
  );
  assert.ok(!(await notificationsFor(team.tenantId)).some((n) => n.template === 'referral_status_changed'), 'no referrer to tell');

  const withdrawn = await aReferral(database, team.lead, {
    person: { email: 'sam@example.com', contactChannels: ['email'] },
    referral: { source: 'self', channel: 'self' },
  });
  const person = await getPerson(database.pool, team.lead, withdrawn.personId);
  const contactConsent = person.consents.find((c) => c.kind === 'contact')!;
  await withdrawConsent(database.pool, team.lead, withdrawn.personId, contactConsent.id, 'Asked not to be contacted');
  await allocateReferral(database.pool, team.lead, withdrawn.referralId, { linkWorkerId: team.worker.userId });
  assert.equal((await notificationsFor(team.tenantId)).filter((n) => n.template === 'self_referral_allocated').length, 1);

  const noChannel = await aReferral(database, team.lead, {
    person: { email: 'pat@example.com', phone: null, contactChannels: ['letter'] },
    referral: { source: 'self', channel: 'self' },
  });
  await allocateReferral(database.pool, team.lead, noChannel.referralId, { linkWorkerId: team.worker.userId });
  assert.equal(
    (await notificationsFor(team.tenantId)).filter((n) => n.template === 'self_referral_allocated').length,
    1,
    'a person who asked for letters gets no email',
  );
});
