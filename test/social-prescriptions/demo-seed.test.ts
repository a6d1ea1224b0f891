import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { seedDemo, type DemoContext } from '../../src/demo/seed.ts';
import { directorySeeder } from '../../src/directory/seed.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { identitySeeder } from '../../src/identity/demo.ts';
import { socialPrescribingSeeder } from '../../src/social-prescriptions/demo.ts';
import { providerInbox } from '../../src/social-prescriptions/service.ts';
import { referrerDischarges } from '../../src/discharge/service.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
let ids: DemoContext['ids'] = {};
before(async () => {
  database = await freshDatabase();
  await seedDemo(database, [
    identitySeeder,
    directorySeeder,
    socialPrescribingSeeder,
    {
      area: 'capture',
      async seed(context) {
        ids = context.ids;
      },
    },
  ]);
});
after(() => database.close());

test('the demo provider user has referrals in several states and the demo referrer a discharge summary', async () => {
  const tenantId = ids.tenant![0]!;
  const provider: Actor = {
    userId: ids['user:provider']![0]!,
    tenantId,
    email: 'provider@demo.signpost.example',
    name: 'Tom Whitaker',
    roles: ['provider'],
    practiceId: null,
    providerOrganisationId: ids.providerOrganisations![0]!,
    sessionId: 'demo',
  };
  const { groups } = await providerInbox(database.pool, provider);
  for (const key of ['new', 'attending', 'closed']) assert.ok(groups.find((g) => g.key === key)!.rows.length >= 1, `${key} has referrals`);
  const referrer: Actor = {
    ...provider,
    userId: ids['user:referrer']![0]!,
    roles: ['referrer'],
    practiceId: ids.practices![0]!,
    providerOrganisationId: null,
  };
  const summaries = await referrerDischarges(database.pool, referrer);
  assert.equal(summaries.length, 1);
  // Only recorded measures reach a summary, and none were recorded on this episode when it was discharged.
  assert.deepEqual(summaries[0]!.document.outcomes, []);
  assert.match(summaries[0]!.document.discharge.reason, /Goals met/);
  const { rows } = await database.pool.query(
    `SELECT count(*)::int AS n FROM safeguarding_concern WHERE tenant_id = $1 AND actioned_at IS NULL`,
    [tenantId],
  );
  assert.equal(rows[0].n, 1);
});
