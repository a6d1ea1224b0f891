import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { dischargeReferral, getDischargeSummary } from '../../src/discharge/service.ts';
import { addGoal } from '../../src/plans/service.ts';
import { createOnwardReferral, providerAttendance, providerRespond } from '../../src/social-prescriptions/service.ts';
import { getReferral, allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { recordAssessment } from '../../src/assessment/service.ts';
import { InvalidInput, RuleBroken } from '../../src/web/errors.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { aProviderService, aSocialPrescribingTeam, anAssessment } from '../support/plans-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
});
after(async () => {
  await app.close();
  await database.close();
});

test('discharge writes a summary in the PRSB sections with verified SNOMED CT codes, and the referrer reads it; another practice cannot', async () => {
  const team = await aSocialPrescribingTeam(database);
  const referrer = await anActor(database, { tenantId: team.tenantId, roles: ['referrer'] });
  const service = await aProviderService(database, team.provider, { name: 'Parkrun Buddies', needs: ['physical-activity'] });
  const { referralId } = await aReferral(database, referrer, {
    person: { givenName: 'Walter', familyName: 'Discharged' },
    referral: { reasons: ['physical-activity'] },
  });
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  await recordContact(database.pool, team.worker, referralId, aContact({ outcome: 'made' }));
  await recordAssessment(database.pool, team.worker, referralId, anAssessment());
  await addGoal(database.pool, team.worker, referralId, { goal: 'Run 5k' });
  const sent = await createOnwardReferral(database.pool, team.worker, referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
    need: 'physical-activity',
  });
  await providerRespond(database.pool, team.provider, sent.id, { to: 'accepted' });
  await providerAttendance(database.pool, team.provider, sent.id, { attended: true, sessionsAttended: 5, sessionsOffered: 6 });

  await assert.rejects(dischargeReferral(database.pool, team.worker, referralId, { reason: 'bored', summary: '' }), InvalidInput);
  const id = await dischargeReferral(database.pool, team.worker, referralId, {
    reason: 'goals_met',
    reasonNote: 'Runs 5k; the goal was not updated',
    summary: 'Runs weekly now',
    outcomes: [{ measure: 'ONS4 happiness', before: '4', after: '8' }],
    onward: { [sent.id]: 'keep' },
  });
  assert.equal((await getReferral(database.pool, team.worker, referralId)).referral.status, 'discharged');
  await assert.rejects(dischargeReferral(database.pool, team.worker, referralId, { reason: 'goals_met', summary: 'Again' }), RuleBroken);

  const summary = await getDischargeSummary(database.pool, referrer, id);
  const doc = summary.document;
  assert.equal(doc.demographics.name, 'Walter Discharged');
  assert.deepEqual(
    doc.supportOffered.activitiesReferredTo.map((a) => a.attendance),
    ['Attended 5 of 6 sessions'],
  );
  assert.deepEqual(doc.outcomes, [{ measure: 'ONS4 happiness', before: 4, after: 8 }]);
  assert.deepEqual(
    doc.snomed.map((c) => c.code),
    ['871731000000106', '390893007'],
  );
  assert.ok(!JSON.stringify(doc).includes('871691000000100'), 'the unverified code is never emitted');

  const cookies = await signInAs(app, database, referrer);
  const page = await app.inject({ url: `/discharge-summaries/${id}`, cookies });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Parkrun Buddies/);
  const pdf = await app.inject({ url: `/discharge-summaries/${id}/pdf`, cookies });
  assert.equal(pdf.headers['content-type'], 'application/pdf');
  assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
  const list = await app.inject({ url: '/my-referrals/discharge-summaries', cookies });
  assert.match(list.body, /Walter Discharged/);

  const otherPractice = await anActor(database, { tenantId: team.tenantId, roles: ['referrer'] });
  assert.equal(
    (await app.inject({ url: `/discharge-summaries/${id}`, cookies: await signInAs(app, database, otherPractice) })).statusCode,
    404,
  );
});

test('follow-ups list open goal reviews and referrals to services, with overdue ones highlighted', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await aReferral(database, team.lead, { person: { givenName: 'Fiona', familyName: 'Followup' } });
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  await recordContact(database.pool, team.worker, referralId, aContact({ outcome: 'made' }));
  await addGoal(
    database.pool,
    team.worker,
    referralId,
    { goal: 'Overdue goal review', reviewDate: '2020-01-01' },
    {},
    { agreedOn: '2019-12-01' },
  );
  await addGoal(database.pool, team.worker, referralId, { goal: 'Future goal review', reviewDate: '2099-01-01' });
  const page = await app.inject({ url: '/follow-ups', cookies: await signInAs(app, database, team.worker) });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<strong>1<\/strong> overdue/);
  assert.match(
    page.body,
    /Review goal: Overdue goal review<\/td>\s*<td class="nhsuk-table__cell">1 January 2020\s*<strong class="nhsuk-tag nhsuk-tag--red">/,
  );
  assert.doesNotMatch(page.body, /1 January 2099\s*<strong/);
  assert.match(page.body, /Future goal review/);
});

test('a discharge whose summary cannot be saved leaves the referral where it was', async () => {
  const team = await aSocialPrescribingTeam(database);
  const referrer = await anActor(database, { tenantId: team.tenantId, roles: ['referrer'] });
  const { referralId } = await aReferral(database, referrer, { referral: { reasons: ['loneliness'] } });
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  await recordContact(database.pool, team.worker, referralId, aContact({ outcome: 'made' }));
  await recordAssessment(database.pool, team.worker, referralId, anAssessment());
  await addGoal(database.pool, team.worker, referralId, { goal: 'Meet people weekly' });
  const before = (await getReferral(database.pool, team.worker, referralId)).referral.status;
  // A real failure inside the database while the summary is written.
  await database.pool.query(`CREATE FUNCTION refuse_discharge() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'disk full'; END $$`);
  await database.pool.query('CREATE TRIGGER refuse_discharge BEFORE INSERT ON discharge FOR EACH ROW EXECUTE FUNCTION refuse_discharge()');
  try {
    await assert.rejects(
      dischargeReferral(database.pool, team.worker, referralId, {
        reason: 'goals_met',
        reasonNote: 'Confirmed with the person',
        summary: 'Meets a group weekly',
      }),
      /disk full/,
    );
  } finally {
    await database.pool.query('DROP TRIGGER refuse_discharge ON discharge');
    await database.pool.query('DROP FUNCTION refuse_discharge()');
  }
  assert.equal((await getReferral(database.pool, team.worker, referralId)).referral.status, before);
  assert.notEqual(before, 'discharged');
  // Once the fault clears the same discharge goes through.
  await dischargeReferral(database.pool, team.worker, referralId, {
    reason: 'goals_met',
    reasonNote: 'Confirmed with the person',
    summary: 'Meets a group weekly',
  });
  assert.equal((await getReferral(database.pool, team.worker, referralId)).referral.status, 'discharged');
});
