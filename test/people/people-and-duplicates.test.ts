import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import * as people from '../../src/people/service.ts';
import { InvalidInput, NotFound, RuleBroken } from '../../src/web/errors.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aTenant } from '../support/factories.ts';
import { aPersonInput, aReferral, aTestNhsNumber, countRows } from '../support/referrals-factories.ts';
import { auditEvents } from '../support/identity-factories.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

test('a referral creates the person, the referral, its first transition, consents and audit events', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const made = await aReferral(database, worker, { person: { postcode: 'LS6 3AB' } });
  assert.match(made.reference, /^SP-[0-9A-Z]{8}$/);
  const page = await people.getPerson(database.pool, worker, made.personId);
  assert.equal(page.person.postcode, 'LS6 3AB');
  // From the offline postcode and deprivation data: LS6 3AB has a known LSOA and IMD decile.
  assert.ok(page.person.deprivationDecile! >= 1 && page.person.deprivationDecile! <= 10, String(page.person.deprivationDecile));
  assert.equal(page.referrals.length, 1);
  assert.equal(page.referrals[0]!.status, 'received');
  assert.deepEqual(page.consents.map((c) => c.kind).sort(), ['contact', 'refer', 'share']);
  const actions = (await auditEvents(database, worker.tenantId)).map((e) => e.action);
  assert.ok(actions.includes('person.create'));
  assert.ok(actions.includes('referral.create'));
  assert.ok(actions.includes('person.view'));
});

test('the same NHS number is found as a duplicate before saving, and a second record with it is refused', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const nhsNumber = aTestNhsNumber();
  const first = await aReferral(database, worker, { person: { nhsNumber, givenName: 'Morag', familyName: 'Quinn' } });
  const found = await people.findDuplicates(database.pool, worker, {
    nhsNumber,
    givenName: 'Completely',
    familyName: 'Different',
    dateOfBirth: '2001-01-01',
  });
  assert.equal(found.length, 1);
  assert.equal(found[0]!.id, first.personId);
  assert.equal(found[0]!.matchedOn, 'nhs_number');
  const before = await countRows(database, 'person', worker.tenantId);
  await assert.rejects(aReferral(database, worker, { person: { nhsNumber } }), InvalidInput);
  assert.equal(await countRows(database, 'person', worker.tenantId), before);
});

test('a close name with the same date of birth is a likely duplicate; a different date of birth is not', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const first = await aReferral(database, worker, {
    person: { nhsNumber: null, givenName: 'Jonathan', familyName: 'Smith', dateOfBirth: '1962-07-19' },
  });
  const close = await people.findDuplicates(database.pool, worker, {
    nhsNumber: null,
    givenName: 'Jonathon',
    familyName: 'Smyth',
    dateOfBirth: '1962-07-19',
  });
  assert.deepEqual(
    close.map((c) => c.id),
    [first.personId],
  );
  assert.equal(close[0]!.matchedOn, 'name_and_date_of_birth');
  const otherDob = await people.findDuplicates(database.pool, worker, {
    nhsNumber: null,
    givenName: 'Jonathan',
    familyName: 'Smith',
    dateOfBirth: '1962-07-20',
  });
  assert.equal(otherDob.length, 0);
  const farName = await people.findDuplicates(database.pool, worker, {
    nhsNumber: null,
    givenName: 'Priya',
    familyName: 'Kaur',
    dateOfBirth: '1962-07-19',
  });
  assert.equal(farName.length, 0);
});

test('choosing the existing record attaches the new referral to it', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const first = await aReferral(database, worker, { person: { nhsNumber: null } });
  const second = await aReferral(database, worker, { person: { nhsNumber: null }, personChoice: first.personId });
  assert.equal(second.personId, first.personId);
  const page = await people.getPerson(database.pool, worker, first.personId);
  assert.equal(page.referrals.length, 2);
});

test('merging two records keeps every referral and the audit trail of both', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const a = await aReferral(database, worker, { person: { nhsNumber: null, givenName: 'Ann', familyName: 'Lee' } });
  const b = await aReferral(database, worker, { person: { givenName: 'Anne', familyName: 'Lee' } });
  const bNhs = (await people.getPerson(database.pool, worker, b.personId)).person.nhsNumber;
  const moved = await people.mergePeople(database.pool, worker, a.personId, b.personId);
  assert.equal(moved.referrals, 1);
  const page = await people.getPerson(database.pool, worker, a.personId);
  assert.deepEqual(page.referrals.map((r) => r.id).sort(), [a.referralId, b.referralId].sort());
  assert.equal(page.person.nhsNumber, bNhs, 'the survivor takes the NHS number it lacked');
  assert.deepEqual(page.mergedFrom, [b.personId]);
  const trail = await people.personAuditTrail(database.pool, worker, a.personId);
  assert.ok(
    trail.some((e) => e.personId === b.personId && e.action === 'person.create'),
    'events recorded against the merged record are kept',
  );
  assert.ok(trail.some((e) => e.action === 'person.merge'));
  await assert.rejects(people.mergePeople(database.pool, worker, a.personId, b.personId), NotFound);
});

test('records with different NHS numbers cannot be merged', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const a = await aReferral(database, worker);
  const b = await aReferral(database, worker);
  await assert.rejects(people.mergePeople(database.pool, worker, a.personId, b.personId), /different NHS numbers/);
});

test('a second save of a person from a stale form is refused as changed since opened, not overwritten', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const made = await aReferral(database, worker, { person: { nhsNumber: null } });
  const { person } = await people.getPerson(database.pool, worker, made.personId);
  await people.updatePerson(database.pool, worker, made.personId, person.version, aPersonInput({ nhsNumber: null, givenName: 'First' }));
  await assert.rejects(
    people.updatePerson(database.pool, worker, made.personId, person.version, aPersonInput({ nhsNumber: null, givenName: 'Second' })),
    (error: unknown) => error instanceof RuleBroken && /changed since you opened it/.test(error.message),
  );
  assert.equal((await people.getPerson(database.pool, worker, made.personId)).person.givenName, 'First');
});

test('another tenant’s person is not found, by row-level security as well as by the query', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const made = await aReferral(database, worker);
  const stranger = await anActor(database, { tenantId: (await aTenant(database)).id, roles: ['link_worker', 'lead'] });
  await assert.rejects(people.getPerson(database.pool, stranger, made.personId), NotFound);
  const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM person WHERE id = $1', [made.personId]);
  assert.equal(rows[0].n, 1);
});

test('withdrawing a consent records when and by whom, and it shows as withdrawn', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const made = await aReferral(database, worker);
  const share = (await people.getPerson(database.pool, worker, made.personId)).consents.find((c) => c.kind === 'share')!;
  await people.withdrawConsent(database.pool, worker, made.personId, share.id, 'Changed their mind');
  const after = (await people.getPerson(database.pool, worker, made.personId)).consents.find((c) => c.id === share.id)!;
  assert.ok(after.withdrawnAt);
  assert.equal(after.withdrawnByName, worker.name);
  await assert.rejects(people.withdrawConsent(database.pool, worker, made.personId, share.id, null), NotFound);
});
