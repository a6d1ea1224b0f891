import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import { DemoRandom } from '../../src/demo/random.ts';
import { approachesReport, outcomesReport } from '../../src/reporting/evidence.ts';
import { evidenceData, insertEvidenceData } from '../../src/reporting/evidence-data.ts';
import { refreshReporting } from '../../src/reporting/service.ts';
import { TRUE_EFFECTS } from '../../src/reporting/simulation.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aPractice, aTenant } from '../support/factories.ts';
import { aReportedReferral } from '../support/reporting-factories.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const refresh = (tenantId: string) =>
  withTenant(database.pool, tenantId, (tx) => refreshReporting(tx, tenantId, new Date('2026-11-24T12:00:00Z'), 'manual'));

async function outcomeFacts(referralId: string) {
  const { rows } = await database.pool.query<{
    measure: string;
    baseline: string;
    follow_up: string | null;
    follow_up_timepoint: string | null;
  }>(
    `SELECT measure, baseline::text, follow_up::text, follow_up_timepoint FROM reporting_outcome_fact WHERE referral_id = $1 ORDER BY measure`,
    [referralId],
  );
  return rows.map((r) => [r.measure, r.baseline, r.follow_up, r.follow_up_timepoint]);
}

test('the refresh keeps each measure’s baseline and follow-up (the discharge, else the latest review), ONS4 question by question, and the approach profile', async () => {
  const tenant = await aTenant(database);
  const worker = await anActor(database, { tenantId: tenant.id, roles: ['link_worker'] });
  const discharged = await aReportedReferral(database, tenant.id, {
    receivedAt: '2026-03-02T10:00:00Z',
    assignedTo: worker.userId,
    transitions: [
      { to: 'triaged', at: '2026-03-03T09:00:00Z' },
      { to: 'allocated', at: '2026-03-04T09:00:00Z' },
      { to: 'in_contact', at: '2026-03-09T09:00:00Z' },
      { to: 'assessed', at: '2026-03-20T09:00:00Z' },
      { to: 'active_plan', at: '2026-03-27T09:00:00Z' },
      { to: 'discharged', at: '2026-06-01T09:00:00Z' },
    ],
    contacts: [
      { outcome: 'attempted', at: '2026-03-05T09:00:00Z', minutes: 2 },
      { outcome: 'made', at: '2026-03-09T09:00:00Z', approach: 'health_coaching', mode: 'face_to_face', minutes: 45 },
      { outcome: 'made', at: '2026-03-20T09:00:00Z', approach: 'warm_handover', mode: 'home_visit', minutes: 60 },
    ],
    outcomes: [
      { instrument: 'swemwbs', timepoint: 'baseline', at: '2026-03-20T09:00:00Z', score: 17.43 },
      { instrument: 'swemwbs', timepoint: 'review', at: '2026-04-20T09:00:00Z', score: 19.25 },
      { instrument: 'swemwbs', timepoint: 'discharge', at: '2026-06-01T09:00:00Z', score: 23.21 },
      { instrument: 'swemwbs', timepoint: 'review', at: '2026-06-02T09:00:00Z', score: 20.73 },
      {
        instrument: 'ons4',
        timepoint: 'baseline',
        at: '2026-03-20T09:00:00Z',
        answers: { life_satisfaction: 3, worthwhile: 5, happiness: 4, anxiety: 8 },
      },
    ],
  });
  const open = await aReportedReferral(database, tenant.id, {
    receivedAt: '2026-04-02T10:00:00Z',
    outcomes: [
      { instrument: 'ucla3', timepoint: 'baseline', at: '2026-04-03T09:00:00Z', score: 8 },
      { instrument: 'ucla3', timepoint: 'review', at: '2026-05-03T09:00:00Z', score: 7 },
      { instrument: 'ucla3', timepoint: 'review', at: '2026-06-03T09:00:00Z', score: 5 },
    ],
  });
  await refresh(tenant.id);
  assert.deepEqual(await outcomeFacts(discharged.referralId), [
    ['ons4_anxiety', '8.00', null, null],
    ['ons4_happiness', '4.00', null, null],
    ['ons4_life_satisfaction', '3.00', null, null],
    ['ons4_worthwhile', '5.00', null, null],
    ['swemwbs', '17.43', '23.21', 'discharge'],
  ]);
  assert.deepEqual(await outcomeFacts(open.referralId), [['ucla3', '8.00', '5.00', 'review']]);
  const { rows } = await database.pool.query(
    `SELECT link_worker_id, contact_minutes, contact_modes, assessed, contact_approaches FROM reporting_referral_fact WHERE referral_id = $1`,
    [discharged.referralId],
  );
  assert.deepEqual(rows[0], {
    link_worker_id: worker.userId,
    contact_minutes: 105,
    contact_modes: ['face_to_face', 'home_visit'],
    assessed: true,
    contact_approaches: ['health_coaching', 'warm_handover'],
  });
  const again = await refresh(tenant.id);
  assert.equal(again.changedRows, 0, 'a second refresh changes nothing');
  await database.pool.query(`DELETE FROM outcome_administration WHERE referral_id = $1 AND timepoint = 'discharge'`, [
    discharged.referralId,
  ]);
  await refresh(tenant.id);
  assert.deepEqual((await outcomeFacts(discharged.referralId)).at(-1), ['swemwbs', '17.43', '20.73', 'review']);
});

test('end to end through the database: 2,000 generated referrals give intervals that cover the built-in effects, and the outcomes page counts every paired measure', async () => {
  const tenant = await aTenant(database);
  const lead = await anActor(database, { tenantId: tenant.id, roles: ['lead'] });
  const worker = await anActor(database, { tenantId: tenant.id, roles: ['link_worker'] });
  const practices = [await aPractice(database, tenant.id), await aPractice(database, tenant.id), await aPractice(database, tenant.id)];
  const data = evidenceData(
    new DemoRandom(2026),
    {
      tenantId: tenant.id,
      linkWorkers: [worker.userId],
      leadId: null,
      referrerId: null,
      practices: [
        { id: practices[0]!.id, style: 'signposting' },
        { id: practices[1]!.id, style: 'coaching' },
        { id: practices[2]!.id, style: 'mixed' },
      ],
    },
    667,
    { nhsOffset: 300_000 },
  );
  await insertEvidenceData(database.pool, data);
  await refresh(tenant.id);
  const query = { from: '2025-01', to: '2026-12' };
  const now = new Date();
  const report = (await approachesReport(database.pool, lead, { ...query, from: undefined }, now)).figures!;
  const paired = [...data.cases.values()].filter((c) => c.followedUp).length;
  assert.equal(report.analysis.people, paired);
  for (const effect of report.analysis.effects) {
    const truth = TRUE_EFFECTS[effect.approach]!;
    assert.ok(
      effect.adjusted && effect.adjusted.lower <= truth && truth <= effect.adjusted.upper,
      `${effect.approach}: truth ${truth}, estimate ${effect.adjusted?.estimate.toFixed(2)} (${effect.adjusted?.lower.toFixed(2)} to ${effect.adjusted?.upper.toFixed(2)})`,
    );
  }
  const outcomes = (await outcomesReport(database.pool, lead, {}, now)).figures!;
  const swemwbs = outcomes.summaries.find((s) => s.measure.code === 'swemwbs')!;
  assert.equal(swemwbs.baselines.value, 2001);
  assert.equal(swemwbs.followedUp.value, paired);
});
