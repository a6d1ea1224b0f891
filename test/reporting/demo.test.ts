import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { demoSeeders, seedDemo, type DemoContext } from '../../src/demo/seed.ts';
import { identitySeeder } from '../../src/identity/demo.ts';
import { referralsSeeder } from '../../src/referrals/demo.ts';
import { reportingSeeder } from '../../src/reporting/demo.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
before(async () => { database = await freshDatabase(); });
after(() => database.close());

test('the demo’s reports have figures from the start: one refresh per demo tenant, after every other seeder', async () => {
  assert.equal(demoSeeders.at(-1), reportingSeeder, 'the reporting seeder runs last');
  let ids: DemoContext['ids'] = {};
  await seedDemo(database, [identitySeeder, referralsSeeder, reportingSeeder, { area: 'capture', async seed(context) { ids = context.ids; } }]);
  for (const tenantId of [ids.tenant![0]!, ids.otherTenant![0]!]) {
    const { rows } = await database.pool.query<{ trigger: string; row_count: number; referrals: number }>(
      `SELECT trigger, row_count, (SELECT count(*)::int FROM referral WHERE tenant_id = $1) AS referrals FROM reporting_refresh WHERE tenant_id = $1`, [tenantId]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.trigger, 'demo');
    assert.ok(rows[0]!.row_count > 0);
    assert.equal(rows[0]!.row_count, rows[0]!.referrals);
  }
});
