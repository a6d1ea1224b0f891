import { addWorkingDays } from '../../src/calendar/london.ts';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { raiseConcern, recordAssessment, recordConcernAction, openSafeguardingTasks } from '../../src/assessment/service.ts';
import type { Database } from '../../src/db/database.ts';
import { onwardNudgeScan } from '../../src/social-prescriptions/nudges.ts';
import { addGoal, planForReferral, updateGoalProgress } from '../../src/plans/service.ts';
import {
  createOnwardReferral,
  recordOnwardResponse,
  getOnward,
  recordFollowUp,
  providerAttendance,
  providerRespond,
} from '../../src/social-prescriptions/service.ts';
import { getReferral } from '../../src/referrals/service.ts';
import { InvalidInput, RuleBroken } from '../../src/web/errors.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aProviderService, aSocialPrescribingTeam, anAssessment, anEpisodeInContact } from '../support/plans-factories.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const job = (tenantId: string, now: Date) => ({
  id: 1,
  kind: 'social-prescribing.nudge-scan',
  tenantId,
  payload: {},
  attempt: 1,
  maxAttempts: 5,
  pool: database.pool,
  clock: { now: () => now },
  log: { info() {}, warn() {}, error() {} },
});

async function outbox(tenantId: string, template: string) {
  const { rows } = await database.pool.query<{ recipient: string; channel: string }>(
    'SELECT recipient, channel FROM notification WHERE tenant_id = $1 AND template = $2 ORDER BY created_at',
    [tenantId, template],
  );
  return rows;
}

test('an assessment moves the referral to assessed, a goal to active plan, and goal progress keeps its history', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  await assert.rejects(recordAssessment(database.pool, team.worker, referralId, anAssessment({ whatMatters: ' ' })), InvalidInput);
  await recordAssessment(database.pool, team.worker, referralId, anAssessment());
  assert.equal((await getReferral(database.pool, team.worker, referralId)).referral.status, 'assessed');
  const goalId = await addGoal(database.pool, team.worker, referralId, {
    goal: 'Go to the allotment once a week',
    steps: 'Visit on Tuesday',
    whoDoesWhat: 'Sam rings the group',
    reviewDate: '2030-02-01',
  });
  assert.equal((await getReferral(database.pool, team.worker, referralId)).referral.status, 'active_plan');
  await updateGoalProgress(database.pool, team.worker, goalId, { progress: 'in_progress', note: 'Went twice' });
  await assert.rejects(updateGoalProgress(database.pool, team.worker, goalId, { progress: 'in_progress' }), RuleBroken);
  const plan = await planForReferral(database.pool, team.worker, referralId);
  assert.deepEqual(
    plan.goals[0]!.history.map((h) => h.toProgress),
    ['not_started', 'in_progress'],
  );
});

test('a safeguarding concern is a task for the lead until the action is recorded, and cannot be closed without a note', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  const concernId = await raiseConcern(database.pool, team.worker, referralId, 'Neighbour reports the person is being asked for money');
  assert.ok((await openSafeguardingTasks(database.pool, team.lead)).some((c) => c.id === concernId));
  assert.equal((await outbox(team.tenantId, 'safeguarding_concern_raised')).length, 1);
  await assert.rejects(recordConcernAction(database.pool, team.worker, concernId, 'Rang them'), /Only a link worker lead/);
  await assert.rejects(recordConcernAction(database.pool, team.lead, concernId, '   '), InvalidInput);
  await recordConcernAction(database.pool, team.lead, concernId, 'Referred to the adult safeguarding team');
  assert.ok(!(await openSafeguardingTasks(database.pool, team.lead)).some((c) => c.id === concernId));
});

test('an onward referral shares only what was ticked, follows its life cycle, and refuses bad input with clear messages', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider);
  const { referralId } = await anEpisodeInContact(database, team, { interpreterLanguage: 'Polish' });
  await recordAssessment(database.pool, team.worker, referralId, anAssessment());

  await assert.rejects(
    createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: false }),
    (e: unknown) => e instanceof InvalidInput && /consent/.test(e.message),
  );
  const inactive = await aDirectoryService(database, { status: 'inactive' });
  await assert.rejects(
    createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: inactive.id, consent: true }),
    (e: unknown) => e instanceof RuleBroken && /not taking referrals/.test(e.message),
  );

  const sent = await createOnwardReferral(database.pool, team.worker, referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
    share: ['needs'],
    note: 'Private note',
    need: 'gardening',
  });
  assert.equal(sent.status, 'sent');
  assert.equal(sent.delivery, 'signpost');
  const onward = await getOnward(database.pool, team.worker, sent.id);
  assert.equal(onward.shared.notes, undefined, 'notes were not ticked');
  assert.equal(onward.shared.accessibility, undefined, 'accessibility was not ticked');
  assert.deepEqual(
    onward.shared.needs!.map((n) => n.need),
    ['loneliness', 'gardening'],
  );
  await assert.rejects(
    createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: true }),
    (e: unknown) => e instanceof RuleBroken && /already an open referral/.test(e.message),
  );
  assert.equal((await outbox(team.tenantId, 'onward_referral_received')).length, 1);

  await assert.rejects(providerRespond(database.pool, team.provider, sent.id, { to: 'completed' }), /can only move to/);
  await assert.rejects(providerRespond(database.pool, team.provider, sent.id, { to: 'declined' }), InvalidInput);
  await providerRespond(database.pool, team.provider, sent.id, { to: 'accepted', firstSessionDate: '2030-03-05' });
  await providerAttendance(database.pool, team.provider, sent.id, { sessionDate: new Date().toISOString().slice(0, 10), attended: true });
  const plan = await planForReferral(database.pool, team.worker, referralId);
  assert.deepEqual(plan.onward[0]!.transitions.map((t) => t.toStatus).reverse(), ['draft', 'sent', 'accepted', 'attending']);
  assert.equal((await outbox(team.tenantId, 'onward_referral_update')).length, 2, 'the link worker hears of each change');

  const signposted = await createOnwardReferral(database.pool, team.worker, referralId, {
    kind: 'signpost',
    serviceId: (await aDirectoryService(database)).id,
  });
  assert.equal(signposted.status, 'signposted');
});

test('a service not on Signpost gets the referral by secure email and the link worker records its response by hand', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aDirectoryService(database);
  await database.pool.query(`UPDATE directory_service SET email = 'intake@elsewhere.example' WHERE id = $1`, [service.id]);
  const { referralId } = await anEpisodeInContact(database, team, { givenName: 'Emailed', familyName: 'Person' });
  const emailed = await createOnwardReferral(database.pool, team.worker, referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
  });
  assert.equal(emailed.delivery, 'email');
  const { rows } = await database.pool.query<{ recipient: string; personalisation: Record<string, string> }>(
    `SELECT recipient, personalisation FROM notification WHERE tenant_id = $1 AND template = 'onward_referral_email'`,
    [team.tenantId],
  );
  assert.deepEqual(
    rows.map((r) => [r.recipient, r.personalisation.person_name, r.personalisation.notes]),
    [['intake@elsewhere.example', 'Emailed Person', 'not shared']],
  );
  await recordOnwardResponse(database.pool, team.worker, emailed.id, { to: 'declined', reason: 'full' });

  const sent = await createOnwardReferral(database.pool, team.worker, referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
    delivery: 'print',
  });
  assert.equal(sent.delivery, 'print');
  await recordOnwardResponse(database.pool, team.worker, sent.id, { to: 'accepted' });
  await assert.rejects(recordOnwardResponse(database.pool, team.worker, sent.id, { to: 'stopped' }), InvalidInput, 'a stop needs a reason');
  const stopped = await recordOnwardResponse(database.pool, team.worker, sent.id, { to: 'stopped', reason: 'person_chose' });
  assert.equal(stopped.status, 'stopped');
});

test('no response after 10 working days nudges the provider, then the link worker, once each; the person is asked how the first session went', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider);
  const { referralId } = await anEpisodeInContact(database, team);
  const sent = await createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: true });
  const sentAt = (await getOnward(database.pool, team.worker, sent.id)).sentAt!;
  // Counted in working days (weekends and bank holidays left out), whatever today's date.
  const workingDays = (n: number, minutes: number) => new Date(addWorkingDays(sentAt, n).getTime() + minutes * 60_000);

  await onwardNudgeScan(job(team.tenantId, workingDays(10, -60)));
  assert.equal((await outbox(team.tenantId, 'onward_referral_nudge_provider')).length, 0, 'an hour short of 10 working days');
  await onwardNudgeScan(job(team.tenantId, workingDays(10, 60)));
  await onwardNudgeScan(job(team.tenantId, workingDays(10, 120)));
  assert.equal((await outbox(team.tenantId, 'onward_referral_nudge_provider')).length, 1);
  assert.equal((await outbox(team.tenantId, 'onward_referral_nudge_worker')).length, 0);
  await onwardNudgeScan(job(team.tenantId, workingDays(15, -60)));
  assert.equal((await outbox(team.tenantId, 'onward_referral_nudge_worker')).length, 0, 'an hour short of 15 working days');
  await onwardNudgeScan(job(team.tenantId, workingDays(15, 60)));
  assert.equal((await outbox(team.tenantId, 'onward_referral_nudge_worker')).length, 1);

  const other = await anEpisodeInContact(database, team, { phone: '07700 900456', contactChannels: ['sms'] });
  const second = await aProviderService(database, team.provider);
  const accepted = await createOnwardReferral(database.pool, team.worker, other.referralId, {
    kind: 'refer',
    serviceId: second.id,
    consent: true,
  });
  await providerRespond(database.pool, team.provider, accepted.id, { to: 'accepted', firstSessionDate: '2031-01-06' });
  await onwardNudgeScan(job(team.tenantId, new Date('2031-01-08T09:00:00Z')));
  assert.equal((await outbox(team.tenantId, 'onward_referral_follow_up')).length, 0, 'too soon after the first session');
  await onwardNudgeScan(job(team.tenantId, new Date('2031-01-10T09:00:00Z')));
  await onwardNudgeScan(job(team.tenantId, new Date('2031-01-11T09:00:00Z')));
  assert.deepEqual(
    (await outbox(team.tenantId, 'onward_referral_follow_up')).map((n) => n.channel),
    ['sms'],
  );
  await recordFollowUp(database.pool, team.worker, accepted.id, 'Went, loved it');
  assert.equal((await getOnward(database.pool, team.worker, accepted.id)).followUpAnswer, 'Went, loved it');
});

test('a provider acting on a referral not sent to their organisation gets a 404 and the attempt is audited', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider);
  const { referralId } = await anEpisodeInContact(database, team);
  const sent = await createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: true });
  const { anActor } = await import('../support/factories.ts');
  const stranger = await anActor(database, { tenantId: team.tenantId, roles: ['provider'] });
  await assert.rejects(
    providerRespond(database.pool, stranger, sent.id, { to: 'accepted' }),
    (e: unknown) => (e as { status?: number }).status === 404,
  );
  const audited = await database.pool.query(`SELECT 1 FROM audit_event WHERE action = 'provider.refused' AND entity_id = $1`, [sent.id]);
  assert.equal(audited.rows.length, 1);
  assert.equal((await getOnward(database.pool, team.worker, sent.id)).status, 'sent');
});
