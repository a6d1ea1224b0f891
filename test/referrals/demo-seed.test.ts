import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { seedDemo, type DemoContext } from '../../src/demo/seed.ts';
import { identitySeeder } from '../../src/identity/demo.ts';
import { canTransition, REFERRAL_STATUSES, type ReferralStatus } from '../../src/referrals/lifecycle.ts';
import { referralsSeeder } from '../../src/referrals/demo.ts';
import { isValidNhsNumber } from '../../src/people/nhs-number.ts';
import * as referrals from '../../src/referrals/service.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
let ids: DemoContext['ids'] = {};
before(async () => {
  database = await freshDatabase();
  // Capture the seed context's ids through a last seeder.
  await seedDemo(database, [
    identitySeeder,
    referralsSeeder,
    {
      area: 'capture',
      async seed(context) {
        ids = context.ids;
      },
    },
  ]);
});
after(() => database.close());

test('the demo has a few hundred fictional people with valid test-range NHS numbers', async () => {
  const { rows } = await database.pool.query<{ nhsNumber: string | null }>(
    'SELECT nhs_number AS "nhsNumber" FROM person WHERE tenant_id = $1',
    [ids.tenant![0]],
  );
  assert.ok(rows.length >= 300);
  const numbers = rows.map((r) => r.nhsNumber).filter((n): n is string => !!n);
  assert.ok(numbers.length > 200);
  for (const n of numbers) {
    assert.match(n, /^999/);
    assert.ok(isValidNhsNumber(n), n);
  }
  assert.equal(new Set(numbers).size, numbers.length);
});

test('demo referrals cover every state and every transition row follows the transition table', async () => {
  const { rows } = await database.pool.query<{ status: ReferralStatus }>('SELECT DISTINCT status FROM referral WHERE tenant_id = $1', [
    ids.tenant![0],
  ]);
  assert.deepEqual(rows.map((r) => r.status).sort(), [...REFERRAL_STATUSES].sort());
  const transitions = await database.pool.query<{ from: ReferralStatus | null; to: ReferralStatus }>(
    'SELECT from_status AS "from", to_status AS "to" FROM referral_transition',
  );
  for (const t of transitions.rows) {
    if (t.from === null) assert.equal(t.to, 'received');
    else assert.ok(canTransition(t.from, t.to), `${t.from} -> ${t.to}`);
  }
  const last = await database.pool.query(
    `SELECT count(*)::int AS n FROM referral r WHERE r.status <> (SELECT to_status FROM referral_transition t WHERE t.referral_id = r.id ORDER BY occurred_at DESC, to_status = r.status DESC LIMIT 1)`,
  );
  assert.equal(last.rows[0].n, 0, 'each referral’s status is its latest transition');
});

test('the demo link worker has a caseload with contacts, and the demo lead a triage queue', async () => {
  const tenantId = ids.tenant![0]!;
  const worker: Actor = {
    userId: ids['user:link_worker']![0]!,
    tenantId,
    email: 'linkworker@demo.signpost.example',
    name: 'Sam Okafor',
    roles: ['link_worker'],
    practiceId: null,
    providerOrganisationId: null,
    sessionId: 'demo',
  };
  const caseload = await referrals.caseload(database.pool, worker);
  assert.ok(caseload.rows.length > 20);
  assert.ok(caseload.rows.some((r) => r.lastContactAt));
  assert.ok(caseload.overdue > 0);
  const lead: Actor = { ...worker, userId: ids['user:lead']![0]!, roles: ['lead'] };
  const queue = await referrals.triageQueue(database.pool, lead);
  assert.ok(queue.length > 10);
  assert.equal(queue.filter((r) => r.needsMatching).length, 2, 'two self-referrals wait to be matched');
});
