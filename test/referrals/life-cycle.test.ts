import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { allowedNext, illegalTransitionMessage, OPEN_STATUSES, REFERRAL_STATUSES, TRANSITIONS } from '../../src/referrals/lifecycle.ts';
import * as referrals from '../../src/referrals/service.ts';
import * as people from '../../src/people/service.ts';
import { Forbidden, InvalidInput, RuleBroken } from '../../src/web/errors.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aPractice } from '../support/factories.ts';
import { aContact, aReferral, transitionRows } from '../support/referrals-factories.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

async function team() {
  const lead = await anActor(database, { roles: ['lead'] });
  const worker = await anActor(database, { tenantId: lead.tenantId, roles: ['link_worker'] });
  const other = await anActor(database, { tenantId: lead.tenantId, roles: ['link_worker'] });
  return { lead, worker, other };
}

test('the transition table names only known statuses and every closed status is a dead end', () => {
  for (const [from, next] of Object.entries(TRANSITIONS)) {
    assert.ok((REFERRAL_STATUSES as readonly string[]).includes(from));
    for (const to of next) assert.ok(REFERRAL_STATUSES.includes(to));
  }
  for (const closed of ['discharged', 'declined', 'not_suitable', 'withdrawn'] as const) assert.deepEqual(allowedNext(closed), []);
  assert.ok(!OPEN_STATUSES.includes('discharged'));
  assert.match(
    illegalTransitionMessage('received', 'discharged'),
    /it is "Received".*"Accepted, waiting for a link worker", "Not suitable", "Declined by the person", "Withdrawn"/,
  );
});

test('an illegal transition is refused naming the current state and the allowed next steps, and nothing changes', async () => {
  const { lead } = await team();
  const made = await aReferral(database, lead);
  await assert.rejects(
    referrals.transitionReferral(database.pool, lead, made.referralId, { to: 'discharged' }),
    (error: unknown) => error instanceof RuleBroken && /it is "Received"/.test(error.message) && /"Not suitable"/.test(error.message),
  );
  assert.equal((await transitionRows(database, made.referralId)).length, 1);
});

test('triage accepts, allocation suggests the lighter caseload, and each change is a transition row with who and why', async () => {
  const { lead, worker, other } = await team();
  // `other` already carries two open referrals.
  for (let i = 0; i < 2; i++) {
    const busy = await aReferral(database, lead);
    await referrals.allocateReferral(database.pool, lead, busy.referralId, { linkWorkerId: other.userId });
  }
  const made = await aReferral(database, lead, { referral: { urgency: 'urgent' } });
  const queue = await referrals.triageQueue(database.pool, lead);
  assert.equal(queue[0]!.id, made.referralId, 'urgent first');
  await referrals.acceptReferral(database.pool, lead, made.referralId);
  const suggestion = await referrals.suggestAllocation(database.pool, lead, made.referralId);
  assert.equal(suggestion.suggestedUserId, worker.userId);
  assert.equal(suggestion.workers.find((w) => w.userId === other.userId)!.openReferrals, 2);
  await referrals.allocateReferral(database.pool, lead, made.referralId, { linkWorkerId: worker.userId, reason: 'Lightest caseload' });
  const rows = await transitionRows(database, made.referralId);
  assert.deepEqual(
    rows.map((r) => r.toStatus),
    ['received', 'triaged', 'allocated'],
  );
  assert.equal(rows[2]!.byUserId, lead.userId);
  assert.equal(rows[2]!.reason, 'Lightest caseload');
});

test('the suggestion favours a worker who already supports people from the same practice when caseloads are close', async () => {
  const { lead, worker, other } = await team();
  const practice = await aPractice(database, lead.tenantId);
  const first = await aReferral(database, lead, { person: { practiceId: practice.id } });
  await referrals.allocateReferral(database.pool, lead, first.referralId, { linkWorkerId: other.userId });
  const next = await aReferral(database, lead, { person: { practiceId: practice.id } });
  const suggestion = await referrals.suggestAllocation(database.pool, lead, next.referralId);
  assert.equal(suggestion.suggestedUserId, other.userId);
  assert.notEqual(suggestion.suggestedUserId, worker.userId);
});

test('reallocation keeps the status and the history of who had it', async () => {
  const { lead, worker, other } = await team();
  const made = await aReferral(database, lead);
  await referrals.allocateReferral(database.pool, lead, made.referralId, { linkWorkerId: worker.userId });
  await referrals.allocateReferral(database.pool, lead, made.referralId, { linkWorkerId: other.userId, reason: 'Worker on leave' });
  const view = await referrals.getReferral(database.pool, lead, made.referralId);
  assert.equal(view.referral.status, 'allocated');
  assert.equal(view.referral.assignedTo, other.userId);
  assert.deepEqual(
    view.allocations.map((a) => a.linkWorkerName),
    [worker.name, other.name],
  );
  assert.equal(view.allocations[1]!.previousLinkWorkerName, worker.name);
  await assert.rejects(
    referrals.allocateReferral(database.pool, lead, made.referralId, { linkWorkerId: other.userId }),
    /already allocated/,
  );
});

test('not suitable needs a reason and where the person was redirected', async () => {
  const { lead } = await team();
  const made = await aReferral(database, lead);
  await assert.rejects(referrals.transitionReferral(database.pool, lead, made.referralId, { to: 'not_suitable' }), InvalidInput);
  await referrals.transitionReferral(database.pool, lead, made.referralId, {
    to: 'not_suitable',
    notSuitableReason: 'Needs urgent mental health care',
    redirectedTo: 'Crisis team',
  });
  const view = await referrals.getReferral(database.pool, lead, made.referralId);
  assert.equal(view.referral.status, 'not_suitable');
  assert.equal(view.referral.redirectedTo, 'Crisis team');
});

test('a link worker cannot triage or allocate', async () => {
  const { lead, worker } = await team();
  const made = await aReferral(database, lead);
  await assert.rejects(referrals.acceptReferral(database.pool, worker, made.referralId), Forbidden);
  await assert.rejects(referrals.allocateReferral(database.pool, worker, made.referralId, { linkWorkerId: worker.userId }), Forbidden);
});

test('a stale version is refused on a transition', async () => {
  const { lead } = await team();
  const made = await aReferral(database, lead);
  const opened = (await referrals.getReferral(database.pool, lead, made.referralId)).referral.version;
  await referrals.acceptReferral(database.pool, lead, made.referralId, opened);
  await assert.rejects(
    referrals.transitionReferral(database.pool, lead, made.referralId, { to: 'withdrawn', reason: 'Duplicate', version: opened }),
    /changed since you opened it/,
  );
});

test('failed attempts offer "unable to contact" at the tenant’s number, which writes to the referrer through the outbox', async () => {
  const { lead, worker } = await team();
  const referrer = await anActor(database, { tenantId: lead.tenantId, roles: ['referrer'] });
  const made = await aReferral(database, referrer);
  await referrals.allocateReferral(database.pool, lead, made.referralId, { linkWorkerId: worker.userId });
  let result = await referrals.recordContact(database.pool, worker, made.referralId, aContact());
  assert.equal(result.failedAttempts, 1);
  assert.equal(result.offerUnableToContact, false);
  await assert.rejects(
    referrals.markUnableToContact(database.pool, worker, made.referralId, {}),
    /after 3 failed attempts. 1 has been recorded/,
  );
  await referrals.recordContact(database.pool, worker, made.referralId, aContact({ mode: 'text_email' }));
  result = await referrals.recordContact(database.pool, worker, made.referralId, aContact());
  assert.equal(result.offerUnableToContact, true);
  const done = await referrals.markUnableToContact(database.pool, worker, made.referralId, {});
  assert.equal(done.status, 'unable_to_contact');
  assert.equal(done.letterQueued, true);
  // The referrer also heard of the allocation (a status-change notification); the letter is the other one.
  const { rows } = await database.pool.query(
    `SELECT recipient, template, personalisation FROM notification WHERE tenant_id = $1 AND template <> 'referral_status_changed'`,
    [lead.tenantId],
  );
  assert.equal(rows.length, 1);
  assert.equal(rows[0].recipient, referrer.email);
  assert.equal(rows[0].template, 'unable_to_contact');
  assert.equal(rows[0].personalisation.reference, made.reference);
});

test('a tenant can set its own number of attempts', async () => {
  const { lead, worker } = await team();
  await database.pool.query(`UPDATE tenant SET settings = '{"unableToContactAttempts": 1}' WHERE id = $1`, [lead.tenantId]);
  const made = await aReferral(database, lead);
  await referrals.allocateReferral(database.pool, lead, made.referralId, { linkWorkerId: worker.userId });
  const result = await referrals.recordContact(database.pool, worker, made.referralId, aContact());
  assert.equal(result.offerUnableToContact, true);
});

test('a contact made moves the referral to in contact, and waiting times come from the transition rows', async () => {
  const { lead, worker } = await team();
  const made = await aReferral(database, lead);
  await database.pool.query(`UPDATE referral SET received_at = now() - interval '6 days' WHERE id = $1`, [made.referralId]);
  await referrals.allocateReferral(database.pool, lead, made.referralId, { linkWorkerId: worker.userId });
  const result = await referrals.recordContact(
    database.pool,
    worker,
    made.referralId,
    aContact({ outcome: 'made', approach: 'guided_conversation', minutes: 30 }),
  );
  assert.equal(result.status, 'in_contact');
  const waiting = await referrals.referralWaitingTimes(database.pool, worker, made.referralId);
  assert.ok(waiting.toFirstContactDays! >= 5.9 && waiting.toFirstContactDays! <= 6.1, String(waiting.toFirstContactDays));
  assert.equal(waiting.toAssessmentDays, null);
  await assert.rejects(referrals.markUnableToContact(database.pool, worker, made.referralId, {}), /it is "In contact"/);
});

test('contacts cannot be recorded before allocation', async () => {
  const { lead, worker } = await team();
  const made = await aReferral(database, lead);
  await assert.rejects(referrals.recordContact(database.pool, worker, made.referralId, aContact()), /once the referral is allocated/);
});

test('the caseload shows a worker their own people with days waiting, next action, last contact and the overdue count; a lead sees all', async () => {
  const { lead, worker, other } = await team();
  const mine = await aReferral(database, lead, { person: { givenName: 'Zed', familyName: 'Alpha' } });
  const mine2 = await aReferral(database, lead, { person: { givenName: 'Yan', familyName: 'Beta' } });
  const theirs = await aReferral(database, lead);
  await referrals.allocateReferral(database.pool, lead, mine.referralId, { linkWorkerId: worker.userId });
  await referrals.allocateReferral(database.pool, lead, mine2.referralId, { linkWorkerId: worker.userId });
  await referrals.allocateReferral(database.pool, lead, theirs.referralId, { linkWorkerId: other.userId });
  await referrals.recordContact(database.pool, worker, mine.referralId, aContact());
  const version = (await referrals.getReferral(database.pool, worker, mine2.referralId)).referral.version;
  await referrals.setNextAction(database.pool, worker, mine2.referralId, { nextAction: 'Ring back', due: '2099-01-01', version });
  await assert.rejects(
    referrals.setNextAction(database.pool, worker, mine2.referralId, { nextAction: 'Again', due: '2099-01-02', version }),
    /changed since you opened it/,
  );
  // A due date cannot be set in the past; the action falls overdue as time passes.
  await database.pool.query(`UPDATE referral SET next_action_due = '2020-01-01' WHERE id = $1`, [mine2.referralId]);
  const own = await referrals.caseload(database.pool, worker, { sort: 'name' });
  assert.deepEqual(
    own.rows.map((r) => r.familyName),
    ['Alpha', 'Beta'],
  );
  assert.equal(own.overdue, 1);
  assert.ok(own.rows[0]!.lastContactAt);
  assert.equal(own.rows[1]!.nextAction, 'Ring back');
  const overdueOnly = await referrals.caseload(database.pool, worker, { overdueOnly: true });
  assert.deepEqual(
    overdueOnly.rows.map((r) => r.id),
    [mine2.referralId],
  );
  await assert.rejects(referrals.caseload(database.pool, worker, { worker: other.userId }), Forbidden);
  const all = await referrals.caseload(database.pool, lead, { worker: 'all' });
  assert.equal(all.rows.length, 3);
  const theirsOnly = await referrals.caseload(database.pool, lead, { worker: other.userId });
  assert.deepEqual(
    theirsOnly.rows.map((r) => r.id),
    [theirs.referralId],
  );
});

test('a referrer sees their own and their practice’s referrals with status only', async () => {
  const referrer = await anActor(database, { roles: ['referrer'] });
  const colleague = await anActor(database, { tenantId: referrer.tenantId, roles: ['referrer'], practiceId: referrer.practiceId! });
  const elsewhere = await anActor(database, { tenantId: referrer.tenantId, roles: ['referrer'] });
  const a = await aReferral(database, referrer);
  const b = await aReferral(database, colleague);
  await aReferral(database, elsewhere);
  const rows = await referrals.referrerView(database.pool, referrer);
  assert.deepEqual(rows.map((r) => r.id).sort(), [a.referralId, b.referralId].sort());
  assert.ok(rows.every((r) => !('context' in r) && !('notes' in r)));
  await assert.rejects(referrals.getReferral(database.pool, referrer, a.referralId), Forbidden);
});

test('the person timeline lists referral, transitions, allocation, contacts and consents newest first', async () => {
  const { lead, worker } = await team();
  const made = await aReferral(database, lead);
  await referrals.allocateReferral(database.pool, lead, made.referralId, { linkWorkerId: worker.userId });
  await referrals.recordContact(database.pool, worker, made.referralId, aContact({ outcome: 'made', approach: 'signposting' }));
  const page = await people.personPage(database.pool, worker, made.personId);
  const kinds = new Set(page.timeline.map((e) => e.kind));
  for (const kind of ['referral', 'transition', 'allocation', 'contact', 'consent']) assert.ok(kinds.has(kind), kind);
  for (let i = 1; i < page.timeline.length; i++) assert.ok(page.timeline[i - 1]!.at.getTime() >= page.timeline[i]!.at.getTime());
  assert.equal(page.timeline[0]!.title, 'Allocated → In contact');
});

test('a long caseload comes in pages of 50 while the total and overdue count cover all of it', async () => {
  const { lead, worker } = await team();
  const { generateBatch, insertBatch } = await import('../../src/referrals/bulk.ts');
  const { DemoRandom } = await import('../../src/demo/random.ts');
  const batch = generateBatch(
    new DemoRandom(7),
    { tenantId: lead.tenantId, practices: [], linkWorkers: [worker.userId], leadId: lead.userId, referrerId: null },
    { people: 55, referralsPerPerson: 1, nhsOffset: 800_000 + (process.pid % 1000) * 60, statuses: ['allocated'] },
  );
  await insertBatch(database.pool, batch);
  const first = await referrals.caseload(database.pool, worker);
  const second = await referrals.caseload(database.pool, worker, { page: 2 });
  assert.equal(first.rows.length, 50);
  assert.equal(second.rows.length, 5);
  assert.equal(first.total, 55);
  assert.equal(first.pages, 2);
  const overdue = batch.referrals.filter((r) => r.nextActionDue! < new Date().toISOString().slice(0, 10)).length;
  assert.equal(first.overdue, overdue);
  assert.equal(new Set([...first.rows, ...second.rows].map((r) => r.id)).size, 55);
});
