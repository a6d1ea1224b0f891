import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { seedDemo, type DemoSeeder } from '../../src/demo/seed.ts';
import { identitySeeder } from '../../src/identity/demo.ts';
import { outcomesSeeder } from '../../src/outcomes/demo.ts';
import { remindersSeeder } from '../../src/reminders/demo.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { anActor } from '../support/factories.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

test('the demo gives the social prescribing people baselines and better reviews, through the service, and one outcome review is due', async () => {
  // Stands in for the social prescribing seeder: four referrals in contact with the demo link worker.
  const episodes: DemoSeeder = {
    area: 'episodes',
    async seed(context) {
      const tenantId = context.ids.tenant![0]!;
      const lead = await anActor(database, { tenantId, roles: ['lead'] });
      const ids = [];
      for (let i = 0; i < 4; i++) {
        const intake = await aReferral(database, lead);
        await allocateReferral(database.pool, lead, intake.referralId, { linkWorkerId: context.ids.linkWorkers![0]! });
        const worker = { ...lead, userId: context.ids.linkWorkers![0]!, roles: ['link_worker' as const] };
        await recordContact(database.pool, worker, intake.referralId, aContact({ outcome: 'made' }));
        ids.push(intake.referralId);
      }
      context.ids.socialPrescribingReferrals = ids;
    },
  };
  await seedDemo(database, [identitySeeder, episodes, outcomesSeeder, remindersSeeder]);
  const { rows } = await database.pool.query<{
    instrument: string;
    timepoint: string;
    raw: number | null;
    metric: number | null;
    mode: string;
  }>(
    `SELECT instrument, timepoint, raw_score AS raw, metric_score::float8 AS metric, mode FROM outcome_administration ORDER BY completed_at, instrument`,
  );
  assert.equal(rows.length, 7);
  assert.ok(rows.every((r) => r.mode === 'with_link_worker'));
  const swemwbs = rows.filter((r) => r.instrument === 'swemwbs');
  assert.deepEqual(
    swemwbs.map((r) => [r.timepoint, r.raw, r.metric]),
    [
      ['baseline', 19, 17.98],
      ['baseline', 18, 17.43],
      ['review', 23, 20.73],
    ],
  );
  const due = await database.pool.query<{ detail: string }>(
    `SELECT detail FROM reminder WHERE kind = 'outcome_review' AND resolved_at IS NULL`,
  );
  assert.deepEqual(
    due.rows.map((r) => r.detail),
    ['Outcome review due'],
    'the 13-week-old baseline; the others are measured',
  );
});
