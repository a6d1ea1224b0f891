import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { dischargeReferral } from '../../src/discharge/service.ts';
import { recordAssessment } from '../../src/assessment/service.ts';
import { addGoal } from '../../src/plans/service.ts';
import { createOnwardReferral } from '../../src/social-prescriptions/service.ts';
import { backend, freshDatabase } from '../support/database.ts';
import { failingInsert } from '../support/failures.ts';
import { aProviderService, aSocialPrescribingTeam, anAssessment, anEpisodeInContact } from '../support/plans-factories.ts';

// One action, one transaction: the referral is locked from the check on its status to the last
// write, a failure at the last write leaves nothing behind, and a write reads without auditing
// views of its own reads.

let database: Database;
let team: Awaited<ReturnType<typeof aSocialPrescribingTeam>>;
before(async () => {
  database = await freshDatabase();
  team = await aSocialPrescribingTeam(database);
});
after(() => database.close());

const count = async (sql: string, values: unknown[]) => Number((await database.pool.query<{ n: string }>(sql, values)).rows[0]!.n);
const statusOf = async (referralId: string) =>
  (await database.pool.query<{ status: string }>('SELECT status FROM referral WHERE id = $1', [referralId])).rows[0]!.status;
const viewAudits = () => count(`SELECT count(*) AS n FROM audit_event WHERE action IN ('referral.view', 'person.view')`, []);

async function anAssessedEpisode() {
  const { referralId } = await anEpisodeInContact(database, team);
  await recordAssessment(database.pool, team.worker, referralId, anAssessment());
  return referralId;
}

test('the first goal and the move to "active plan" commit together: a failure at the move leaves no goal', async () => {
  const referralId = await anAssessedEpisode();
  const remove = await failingInsert(database, 'referral_transition', `NEW.to_status = 'active_plan'`);
  try {
    await assert.rejects(addGoal(database.pool, team.worker, referralId, { goal: 'Join a walking group' }), /injected failure/);
  } finally {
    await remove();
  }
  assert.equal(await count('SELECT count(*) AS n FROM plan_goal WHERE referral_id = $1', [referralId]), 0, 'no goal without its plan');
  assert.equal(await statusOf(referralId), 'assessed');

  const viewsBefore = await viewAudits();
  await addGoal(database.pool, team.worker, referralId, { goal: 'Join a walking group' });
  assert.equal(await statusOf(referralId), 'active_plan');
  assert.equal(await viewAudits(), viewsBefore, 'adding a goal writes no view audit rows');
});

test('a referral to a service is written whole or not at all, and reads the person without auditing a view', async () => {
  const referralId = await anAssessedEpisode();
  const service = await aProviderService(database, team.provider, { name: 'Tuesday Allotment' });
  const remove = await failingInsert(database, 'notification', `NEW.template = 'onward_referral_received'`);
  try {
    await assert.rejects(
      createOnwardReferral(database.pool, team.worker, referralId, {
        kind: 'refer',
        serviceId: service.id,
        consent: true,
        share: ['needs'],
      }),
      /injected failure/,
    );
  } finally {
    await remove();
  }
  assert.equal(await count('SELECT count(*) AS n FROM onward_referral WHERE referral_id = $1', [referralId]), 0);

  const viewsBefore = await viewAudits();
  const sent = await createOnwardReferral(database.pool, team.worker, referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
    share: ['needs'],
  });
  assert.equal(sent.status, 'sent');
  assert.equal(await viewAudits(), viewsBefore, 'a referral to a service writes no view audit rows');
  const shared = (
    await database.pool.query<{ shared: { needs: unknown[] } }>('SELECT shared FROM onward_referral WHERE id = $1', [sent.id])
  ).rows[0]!.shared;
  assert.ok(shared.needs.length > 0, 'the needs from the assessment are shared');
});

test('a discharge is written whole or not at all: a failure at its last write leaves the referral and its open referrals as they were', async () => {
  const referralId = await anAssessedEpisode();
  const service = await aProviderService(database, team.provider, { name: 'Thursday Choir' });
  const onward = await createOnwardReferral(database.pool, team.worker, referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
  });
  const remove = await failingInsert(database, 'notification', `NEW.template = 'discharge_summary_ready'`);
  try {
    await assert.rejects(
      dischargeReferral(database.pool, team.worker, referralId, {
        reason: 'person_chose_to_end',
        summary: 'Chose to stop for now.',
        onward: { [onward.id]: 'stop' },
      }),
      /injected failure/,
    );
  } finally {
    await remove();
  }
  assert.equal(await statusOf(referralId), 'assessed');
  assert.equal(await count('SELECT count(*) AS n FROM discharge WHERE referral_id = $1', [referralId]), 0);
  assert.equal(
    (await database.pool.query<{ status: string }>('SELECT status FROM onward_referral WHERE id = $1', [onward.id])).rows[0]!.status,
    'sent',
  );
});

test(
  'a referral to a service made while the referral is being discharged: exactly one of the two is saved',
  { skip: backend === 'pglite' && 'needs two connections at once: checked on PostgreSQL' },
  async () => {
    for (let round = 0; round < 3; round++) {
      const referralId = await anAssessedEpisode();
      const service = await aProviderService(database, team.provider, { name: `Race Club ${referralId.slice(0, 6)}` });
      // Hold the referral's row so both actions are under way before either can write.
      const holder = await database.pool.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM referral WHERE id = $1 FOR UPDATE', [referralId]);
      const onward = createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: true });
      const discharge = dischargeReferral(database.pool, team.worker, referralId, {
        reason: 'person_chose_to_end',
        summary: 'Chose to stop for now.',
        onward: {},
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await holder.query('COMMIT');
      holder.release();
      const [made, discharged] = await Promise.allSettled([onward, discharge]);
      assert.equal([made, discharged].filter((r) => r.status === 'fulfilled').length, 1, 'one succeeds and the other is refused');
      const refused = [made, discharged].find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.match(String(refused.reason.message), /while you were discharging|until discharge/);
      const open = await count(
        `SELECT count(*) AS n FROM onward_referral WHERE referral_id = $1 AND status IN ('draft', 'sent', 'accepted', 'attending')`,
        [referralId],
      );
      if ((await statusOf(referralId)) === 'discharged')
        assert.equal(open, 0, 'no referral to a service is left open that the discharge did not decide about');
      else assert.equal(open, 1);
    }
  },
);

test('a discharge reads the record it summarises without auditing views of its own reads', async () => {
  const referralId = await anAssessedEpisode();
  await addGoal(database.pool, team.worker, referralId, { goal: 'Go to the lunch club' });
  const viewsBefore = await viewAudits();
  await dischargeReferral(database.pool, team.worker, referralId, { reason: 'person_chose_to_end', summary: 'Chose to stop for now.' });
  assert.equal(await statusOf(referralId), 'discharged');
  assert.equal(await viewAudits(), viewsBefore, 'a discharge writes no view audit rows');
});

test(
  'a change committed while a discharge waits for the referral shows in the stored summary',
  { skip: backend === 'pglite' && 'needs two connections at once: checked on PostgreSQL' },
  async () => {
    const referralId = await anAssessedEpisode();
    const goalId = await addGoal(database.pool, team.worker, referralId, { goal: 'Join the Tuesday choir' });
    const personId = (
      await database.pool.query<{ personId: string }>('SELECT person_id AS "personId" FROM referral WHERE id = $1', [referralId])
    ).rows[0]!.personId;
    // Hold the referral's row, so the discharge is under way but cannot yet write, then change the
    // record the summary is made from and let the discharge go on.
    const holder = await database.pool.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM referral WHERE id = $1 FOR UPDATE', [referralId]);
    const discharge = dischargeReferral(database.pool, team.worker, referralId, {
      reason: 'person_chose_to_end',
      summary: 'Chose to stop for now.',
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await holder.query(`UPDATE plan_goal SET progress = 'achieved' WHERE id = $1`, [goalId]);
    await holder.query(`UPDATE person SET family_name = 'Renamed-While-Waiting' WHERE id = $1`, [personId]);
    await holder.query('COMMIT');
    holder.release();
    const dischargeId = await discharge;
    const { document } = (
      await database.pool.query<{ document: { demographics: { name: string }; supportOffered: { goals: { progress: string }[] } } }>(
        'SELECT document FROM discharge WHERE id = $1',
        [dischargeId],
      )
    ).rows[0]!;
    assert.match(document.demographics.name, /Renamed-While-Waiting$/);
    assert.deepEqual(
      document.supportOffered.goals.map((g) => g.progress),
      ['Achieved'],
    );
  },
);
