import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { allocateReferral, submitStaffReferral } from '../../src/referrals/service.ts';
import { mergePeople } from '../../src/people/service.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { failingInsert } from '../support/failures.ts';
import { aPersonInput, aReferral, aReferralInput, countRows } from '../support/referrals-factories.ts';

// Intake, allocation and merge each write in one transaction: a failure at the last write (the
// audit event that closes each) leaves nothing of the action behind.

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

async function failingAudit(action: string) {
  return failingInsert(database, 'audit_event', `NEW.action = '${action}'`);
}

test('an intake that fails at its last write leaves no person and no referral', async () => {
  const referrer = await anActor(database, { roles: ['link_worker'] });
  const people = await countRows(database, 'person', referrer.tenantId);
  const referrals = await countRows(database, 'referral', referrer.tenantId);
  const remove = await failingAudit('referral.create');
  try {
    await assert.rejects(
      submitStaffReferral(database.pool, referrer, { person: aPersonInput(), referral: aReferralInput(), personChoice: 'new' }),
      /injected failure/,
    );
  } finally {
    await remove();
  }
  assert.equal(await countRows(database, 'person', referrer.tenantId), people);
  assert.equal(await countRows(database, 'referral', referrer.tenantId), referrals);
  assert.equal(await countRows(database, 'consent', referrer.tenantId), 0, 'no consent of the person who was never saved');
});

test('an allocation that fails at its last write leaves the referral waiting, unassigned, with no transition or allocation rows', async () => {
  const lead = await anActor(database, { roles: ['lead'] });
  const worker = await anActor(database, { tenantId: lead.tenantId, roles: ['link_worker'] });
  const { referralId } = await aReferral(database, lead);
  const remove = await failingAudit('referral.allocate');
  try {
    await assert.rejects(allocateReferral(database.pool, lead, referralId, { linkWorkerId: worker.userId }), /injected failure/);
  } finally {
    await remove();
  }
  const { rows } = await database.pool.query<{ status: string; assignedTo: string | null }>(
    'SELECT status, assigned_to AS "assignedTo" FROM referral WHERE id = $1',
    [referralId],
  );
  assert.deepEqual(rows[0], { status: 'received', assignedTo: null });
  assert.equal((await database.pool.query('SELECT 1 FROM referral_allocation WHERE referral_id = $1', [referralId])).rowCount, 0);
  assert.equal(
    (await database.pool.query(`SELECT 1 FROM referral_transition WHERE referral_id = $1 AND to_status <> 'received'`, [referralId]))
      .rowCount,
    0,
  );

  await allocateReferral(database.pool, lead, referralId, { linkWorkerId: worker.userId });
  assert.equal(
    (await database.pool.query<{ status: string }>('SELECT status FROM referral WHERE id = $1', [referralId])).rows[0]!.status,
    'allocated',
  );
});

test('a merge that fails at its last write leaves both records and their referrals as they were', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const a = await aReferral(database, worker, { person: { nhsNumber: null, givenName: 'Ann', familyName: 'Merge' } });
  const b = await aReferral(database, worker, { person: { givenName: 'Anne', familyName: 'Merge' } });
  const remove = await failingAudit('person.merged-away');
  try {
    await assert.rejects(mergePeople(database.pool, worker, a.personId, b.personId), /injected failure/);
  } finally {
    await remove();
  }
  const { rows } = await database.pool.query<{ id: string; mergedInto: string | null }>(
    'SELECT id, merged_into_id AS "mergedInto" FROM person WHERE id = ANY($1::uuid[]) ORDER BY id',
    [[a.personId, b.personId]],
  );
  assert.deepEqual(
    rows.map((r) => r.mergedInto),
    [null, null],
  );
  const owner = await database.pool.query<{ personId: string }>('SELECT person_id AS "personId" FROM referral WHERE id = $1', [
    b.referralId,
  ]);
  assert.equal(owner.rows[0]!.personId, b.personId, 'the referral stays with its own record');

  const moved = await mergePeople(database.pool, worker, a.personId, b.personId);
  assert.equal(moved.referrals, 1);
});
