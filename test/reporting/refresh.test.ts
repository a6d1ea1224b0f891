import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import '../../src/jobs/fan-out.ts';
import { registeredHandlers, registeredRecurringJobs, TENANT_FAN_OUT } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { REPORTING_NIGHTLY_SCAN, REPORTING_REFRESH_KIND, refreshReporting } from '../../src/reporting/service.ts';
import { freshDatabase } from '../support/database.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { aReportedReferral, factRow } from '../support/reporting-factories.ts';
import { TestClock } from '../jobs/support.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

function refresh(tenantId: string, at = new Date('2026-11-24T12:00:00Z'), trigger: 'manual' | 'nightly' = 'manual') {
  return withTenant(database.pool, tenantId, (tx) => refreshReporting(tx, tenantId, at, trigger));
}

async function facts(tenantId: string) {
  const { rows } = await database.pool.query('SELECT * FROM reporting_referral_fact WHERE tenant_id = $1 ORDER BY referral_id', [tenantId]);
  return rows;
}

async function refreshes(tenantId: string) {
  const { rows } = await database.pool.query<{ trigger: string; row_count: number; changed_rows: number; refreshed_at: Date }>(
    'SELECT trigger, row_count, changed_rows, refreshed_at FROM reporting_refresh WHERE tenant_id = $1 ORDER BY refreshed_at, trigger',
    [tenantId],
  );
  return rows;
}

test('a refresh writes one row per referral with the figures worked out by hand, in London time and without identifiers', async () => {
  const tenant = await aTenant(database);
  const practice = await aPractice(database, tenant.id);
  const discharged = await aReportedReferral(database, tenant.id, {
    givenName: 'Hazel',
    familyName: 'Handworked',
    dateOfBirth: '1961-03-03',
    sex: 'female',
    ethnicity: 'N',
    deprivationDecile: 3,
    postcode: 'LS6 3AB',
    practiceId: practice.id,
    source: 'practice_nurse',
    reasons: ['loneliness', 'money'],
    urgency: 'soon',
    receivedAt: '2026-03-02T10:00:00Z',
    transitions: [
      { to: 'triaged', at: '2026-03-03T09:00:00Z' },
      { to: 'allocated', at: '2026-03-04T09:00:00Z' },
      { to: 'in_contact', at: '2026-03-09T09:00:00Z' },
      { to: 'assessed', at: '2026-03-20T09:00:00Z' },
      { to: 'active_plan', at: '2026-03-27T09:00:00Z' },
      { to: 'discharged', at: '2026-05-01T10:00:00Z' },
    ],
    contacts: [
      { outcome: 'attempted', at: '2026-03-05T09:00:00Z' },
      { outcome: 'made', at: '2026-03-09T09:00:00Z', approach: 'guided_conversation' },
      { outcome: 'made', at: '2026-03-20T09:00:00Z', approach: 'health_coaching' },
      { outcome: 'made', at: '2026-03-27T09:00:00Z', approach: 'health_coaching' },
    ],
    discharge: { reason: 'goals_met', at: '2026-05-01T10:00:00Z' },
    onward: [
      { kind: 'refer', status: 'completed', attended: true },
      { kind: 'refer', status: 'declined' },
      { kind: 'refer', status: 'accepted', attended: false },
      { kind: 'signpost', status: 'signposted' },
    ],
  });
  // 23:30 UTC on 31 March 2026 is 00:30 on 1 April in London (summer time began on 29 March).
  const lateNight = await aReportedReferral(database, tenant.id, {
    source: 'self',
    receivedAt: '2026-03-31T23:30:00Z',
    dateOfBirth: '1960-06-15',
  });

  const result = await refresh(tenant.id);
  assert.equal(result.rowCount, 2);
  assert.equal(result.changedRows, 2);
  assert.deepEqual(await factRow(database, discharged.referralId), {
    practice_id: practice.id,
    source: 'practice_nurse',
    needs: ['loneliness', 'money'],
    urgency: 'soon',
    received_month: '2026-03-01',
    status: 'discharged',
    first_contact_days: 7, // 2 March to 9 March
    discharge_days: 60, // 2 March to 1 May: 29 + 30 + 1
    discharge_reason: 'goals_met',
    age_band: '55-64', // 64 on the day: 65 the day after
    sex: 'female',
    ethnic_group: 'Black or Black British',
    imd_decile: 3,
    contact_attempts: 1,
    contacts_made: 3,
    contact_approaches: ['guided_conversation', 'health_coaching'],
    onward_referrals: 3,
    onward_attended: 1,
    signposted: 1,
  });
  assert.deepEqual(await factRow(database, lateNight.referralId), {
    practice_id: null,
    source: 'self',
    needs: ['loneliness'],
    urgency: 'routine',
    received_month: '2026-04-01',
    status: 'received',
    first_contact_days: null,
    discharge_days: null,
    discharge_reason: null,
    age_band: '65-74',
    sex: null,
    ethnic_group: 'Not known',
    imd_decile: null,
    contact_attempts: 0,
    contacts_made: 0,
    contact_approaches: [],
    onward_referrals: 0,
    onward_attended: 0,
    signposted: 0,
  });
  const { rows: columns } = await database.pool.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_name = 'reporting_referral_fact'`,
  );
  for (const identifying of ['nhs_number', 'given_name', 'family_name', 'date_of_birth', 'postcode', 'address', 'person_id', 'reference']) {
    assert.ok(!columns.some((c) => c.column_name === identifying), `no ${identifying} column`);
  }
  const stored = JSON.stringify(await facts(tenant.id));
  for (const text of [discharged.nhsNumber, 'Hazel', 'Handworked', 'LS6 3AB', '1961-03-03', discharged.personId])
    assert.ok(!stored.includes(text), `no ${text} in the read model`);
});

test('a second refresh with nothing new changes no row, and a change to a referral updates only its row', async () => {
  const tenant = await aTenant(database);
  await aReportedReferral(database, tenant.id, { receivedAt: '2026-06-01T09:00:00Z' });
  const moving = await aReportedReferral(database, tenant.id, {
    receivedAt: '2026-06-02T09:00:00Z',
    transitions: [{ to: 'triaged', at: '2026-06-03T09:00:00Z' }],
  });
  await refresh(tenant.id);
  const first = await facts(tenant.id);
  const again = await refresh(tenant.id);
  assert.deepEqual({ rowCount: again.rowCount, changedRows: again.changedRows }, { rowCount: 2, changedRows: 0 });
  assert.deepEqual(await facts(tenant.id), first);

  await database.pool.query(`UPDATE referral SET status = 'not_suitable' WHERE id = $1`, [moving.referralId]);
  const after = await refresh(tenant.id);
  assert.deepEqual({ rowCount: after.rowCount, changedRows: after.changedRows }, { rowCount: 2, changedRows: 1 });
  assert.equal((await factRow(database, moving.referralId))!.status, 'not_suitable');
  assert.deepEqual(
    (await refreshes(tenant.id)).map((r) => [r.row_count, r.changed_rows]),
    [
      [2, 2],
      [2, 0],
      [2, 1],
    ],
  );
});

test('a referral removed from the records (a retention purge, say) is not held back by its report row, which the next refresh deletes', async () => {
  const tenant = await aTenant(database);
  const kept = await aReportedReferral(database, tenant.id, { receivedAt: '2026-08-01T09:00:00Z' });
  const purged = await aReportedReferral(database, tenant.id, { receivedAt: '2026-08-02T09:00:00Z' });
  await refresh(tenant.id);
  for (const table of ['referral_transition', 'referral']) {
    await database.pool.query(`DELETE FROM ${table} WHERE ${table === 'referral' ? 'id' : 'referral_id'} = $1`, [purged.referralId]);
  }
  const after = await refresh(tenant.id);
  assert.deepEqual({ rowCount: after.rowCount, changedRows: after.changedRows }, { rowCount: 1, changedRows: 1 });
  assert.equal(await factRow(database, purged.referralId), undefined);
  assert.ok(await factRow(database, kept.referralId));
});

test('a refresh counts only its own tenant: another tenant’s referrals are never in its read model, even when asked for by id', async () => {
  const home = await aTenant(database);
  const other = await aTenant(database);
  await aReportedReferral(database, home.id, { receivedAt: '2026-07-01T09:00:00Z' });
  const theirs = await aReportedReferral(database, other.id, { receivedAt: '2026-07-01T09:00:00Z' });
  await aReportedReferral(database, other.id, { receivedAt: '2026-07-02T09:00:00Z' });
  const result = await refresh(home.id);
  assert.equal(result.rowCount, 1);
  assert.equal((await facts(other.id)).length, 0, 'the other tenant is untouched');
  assert.equal(await factRow(database, theirs.referralId), undefined);
  // Row-level security: refreshing as one tenant for another's id sees none of its rows.
  const sneaky = await withTenant(database.pool, home.id, (tx) =>
    refreshReporting(tx, other.id, new Date(), 'manual').catch(() => ({ rowCount: 0, changedRows: 0 })),
  );
  assert.equal(sneaky.rowCount, 0);
  assert.equal((await facts(other.id)).length, 0);
});

test('the nightly scan refreshes every tenant at 02:15 London time; a new referral shows only after the next refresh, and that refresh changes only its row', async () => {
  const tenant = await aTenant(database);
  await aReportedReferral(database, tenant.id, { receivedAt: '2026-10-01T09:00:00Z' });
  const handlers = new Map([
    [TENANT_FAN_OUT, registeredHandlers().get(TENANT_FAN_OUT)!],
    [REPORTING_REFRESH_KIND, registeredHandlers().get(REPORTING_REFRESH_KIND)!],
  ]);
  const schedules = registeredRecurringJobs().filter((s) => s.name === REPORTING_NIGHTLY_SCAN);
  assert.equal(schedules.length, 1);
  // 24 November is winter: London is on GMT, so 02:15 London is 02:15 UTC.
  const clock = new TestClock(new Date('2026-11-24T02:00:00Z'));
  const worker = new JobWorker({ pool: database.pool, clock, handlers, schedules });

  await worker.drain();
  assert.deepEqual(await refreshes(tenant.id), [], 'nothing before 02:15');
  clock.advance(20 * 60);
  await worker.drain();
  const nightly = await refreshes(tenant.id);
  assert.deepEqual(
    nightly.map((r) => [r.trigger, r.row_count, r.refreshed_at.toISOString()]),
    [['nightly', 1, '2026-11-24T02:20:00.000Z']],
  );

  const added = await aReportedReferral(database, tenant.id, { receivedAt: '2026-11-24T10:00:00Z' });
  clock.advance(12 * 3600);
  await worker.drain();
  assert.equal(await factRow(database, added.referralId), undefined, 'not in the reports until the next refresh');
  assert.equal((await facts(tenant.id)).length, 1);

  clock.advance(12 * 3600);
  await worker.drain();
  assert.ok(await factRow(database, added.referralId), 'in the reports after the next night’s refresh');
  const runs = await refreshes(tenant.id);
  assert.deepEqual(
    runs.map((r) => [r.trigger, r.row_count, r.changed_rows]),
    [
      ['nightly', 1, 1],
      ['nightly', 2, 1],
    ],
  );
  const before = await facts(tenant.id);
  const again = await refresh(tenant.id, clock.now());
  assert.equal(again.changedRows, 0);
  assert.deepEqual(await facts(tenant.id), before);
});
