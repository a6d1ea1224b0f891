import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { seedDemo, type DemoContext } from '../../src/demo/seed.ts';
import { identitySeeder } from '../../src/identity/demo.ts';
import { referralsSeeder } from '../../src/referrals/demo.ts';
import { remindersSeeder } from '../../src/reminders/demo.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

test('the demo starts with caseload reminders from one scan, without emailing the link workers', async () => {
  let ids: DemoContext['ids'] = {};
  await seedDemo(database, [
    identitySeeder,
    referralsSeeder,
    remindersSeeder,
    {
      area: 'capture',
      async seed(context) {
        ids = context.ids;
      },
    },
  ]);
  const tenantId = ids.tenant![0]!;
  const { rows } = await database.pool.query<{ kind: string; n: number }>(
    `SELECT kind, count(*)::int AS n FROM reminder WHERE tenant_id = $1 AND resolved_at IS NULL GROUP BY kind ORDER BY kind`,
    [tenantId],
  );
  assert.ok(rows.length > 0, 'some reminders');
  // Every reminder corresponds to a condition that holds: follow-ups are due on or before today.
  const { rows: wrong } = await database.pool.query(
    `SELECT 1 FROM reminder m JOIN referral r ON r.tenant_id = m.tenant_id AND r.id = m.referral_id
      WHERE m.tenant_id = $1 AND m.kind = 'follow_up' AND (r.next_action_due IS DISTINCT FROM m.due_on OR r.next_action_due > current_date + 1)`,
    [tenantId],
  );
  assert.equal(wrong.length, 0);
  const emails = await database.pool.query('SELECT 1 FROM notification WHERE template = $1', ['link_worker_reminders']);
  assert.equal(emails.rowCount, 0);
});
