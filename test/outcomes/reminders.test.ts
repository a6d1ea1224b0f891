import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import type { Actor } from '../../src/identity/actor.ts';
import '../../src/outcomes/reminders.ts';
import { completeOutcomeLink, recordAdministration, sendOutcomeLink } from '../../src/outcomes/service.ts';
import { describeReminder, remindersFor } from '../../src/reminders/caseload.ts';
import { localDate } from '../../src/calendar/london.ts';
import { scanReminders } from '../../src/reminders/service.ts';
import { TestClock } from '../jobs/support.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { anAssessedEpisode, answersForm, outcomeLinksSent } from '../support/outcomes-factories.ts';
import { aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const DAY = 86_400;

function scan(actor: Actor, clock: TestClock) {
  return withTenant(database.pool, actor.tenantId, (tx) => scanReminders(tx, actor.tenantId, clock.now()));
}

async function outcomeReminders(referralId: string) {
  const { rows } = await database.pool.query<{ key: string; dueOn: string | null; resolved: boolean }>(
    `SELECT reminder_key AS key, to_char(due_on, 'YYYY-MM-DD') AS "dueOn", resolved_at IS NOT NULL AS resolved FROM reminder
      WHERE referral_id = $1 AND kind = 'outcome_review' ORDER BY created_at, reminder_key`,
    [referralId],
  );
  return rows;
}

async function caseloadText(actor: Actor, referralId: string, at: Date) {
  const map = await withTenant(database.pool, actor.tenantId, (tx) => remindersFor(tx, actor.tenantId, [referralId], localDate(at)));
  return (map.get(referralId) ?? []).filter((r) => r.kind === 'outcome_review').map((r) => r.text);
}

test('"baseline missing" appears once the person is assessed without a baseline, and clears as soon as one is recorded', async () => {
  const team = await aSocialPrescribingTeam(database);
  const inContact = await anEpisodeInContact(database, team);
  const clock = new TestClock(new Date());
  await scan(team.worker, clock);
  assert.deepEqual(await outcomeReminders(inContact.referralId), [], 'not before the assessment');

  const { referralId } = await anAssessedEpisode(database, team);
  const first = await scan(team.worker, clock);
  assert.ok(first.created >= 1);
  assert.deepEqual(await outcomeReminders(referralId), [{ key: `outcome-baseline:${referralId}`, dueOn: null, resolved: false }]);
  assert.deepEqual(await caseloadText(team.worker, referralId, clock.now()), ['Baseline outcome measure missing']);
  clock.advance(3600);
  assert.equal((await scan(team.worker, clock)).created, 0, 'a second scan writes nothing');

  await recordAdministration(
    database.pool,
    team.worker,
    referralId,
    { instrument: 'swemwbs', timepoint: 'baseline', answers: answersForm('swemwbs', [3, 3, 3, 3, 3, 3, 3]) },
    {},
    clock.now(),
  );
  assert.deepEqual(
    (await outcomeReminders(referralId)).map((r) => r.resolved),
    [true],
    'resolved at once, not at the next scan',
  );
  assert.deepEqual(await caseloadText(team.worker, referralId, clock.now()), []);
  await scan(team.worker, clock);
  assert.equal((await outcomeReminders(referralId)).length, 1, 'and not written again');
});

test('a review falls due 12 weeks after the baseline (moving the clock), and resolves once the person completes a review through their link', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anAssessedEpisode(database, team, { email: 'rey.review@example.com', contactChannels: ['email'] });
  const clock = new TestClock(new Date('2026-03-02T10:00:00Z'));
  await recordAdministration(
    database.pool,
    team.worker,
    referralId,
    { instrument: 'ons4', timepoint: 'baseline', answers: answersForm('ons4', [3, 4, 4, 7]) },
    {},
    clock.now(),
  );

  clock.advance(12 * 7 * DAY - DAY);
  await scan(team.worker, clock);
  assert.deepEqual(await outcomeReminders(referralId), [], 'not the day before');

  clock.advance(DAY);
  await scan(team.worker, clock);
  assert.deepEqual(await outcomeReminders(referralId), [
    { key: `outcome-review:${referralId}:2026-05-25`, dueOn: '2026-05-25', resolved: false },
  ]);
  assert.deepEqual(await caseloadText(team.worker, referralId, clock.now()), ['Outcome review due']);
  clock.advance(2 * DAY);
  assert.deepEqual(await caseloadText(team.worker, referralId, clock.now()), ['Outcome review overdue']);

  await sendOutcomeLink(
    database.pool,
    team.worker,
    referralId,
    { instrument: 'ons4', timepoint: 'review' },
    { baseUrl: 'http://localhost' },
    clock.now(),
  );
  const [message] = await outcomeLinksSent(database, team.tenantId);
  clock.advance(DAY);
  const done = await completeOutcomeLink(database.pool, message!.token, answersForm('ons4', [6, 7, 7, 3]), {}, clock.now());
  assert.equal(done.state, 'open');
  assert.deepEqual(
    (await outcomeReminders(referralId)).map((r) => r.resolved),
    [true],
  );
  await scan(team.worker, clock);
  assert.deepEqual(
    (await outcomeReminders(referralId)).map((r) => r.resolved),
    [true],
    'the next review is 12 weeks after this one',
  );

  clock.advance(12 * 7 * DAY);
  await scan(team.worker, clock);
  const all = await outcomeReminders(referralId);
  assert.equal(all.length, 2);
  assert.deepEqual(all[1], {
    key: `outcome-review:${referralId}:${localDate(clock.now())}`,
    dueOn: localDate(clock.now()),
    resolved: false,
  });
});

test('the tenant setting outcomeReviewWeeks moves the review date', async () => {
  const tenant = await aTenant(database, { settings: { outcomeReviewWeeks: 4 } });
  const team = await aSocialPrescribingTeam(database, tenant.id);
  const { referralId } = await anEpisodeInContact(database, team);
  const clock = new TestClock(new Date('2026-06-01T09:00:00Z'));
  await recordAdministration(
    database.pool,
    team.worker,
    referralId,
    { instrument: 'ucla3', timepoint: 'baseline', answers: answersForm('ucla3', [3, 3, 2]) },
    {},
    clock.now(),
  );
  clock.advance(4 * 7 * DAY);
  await scan(team.worker, clock);
  assert.deepEqual(
    (await outcomeReminders(referralId)).map((r) => r.dueOn),
    ['2026-06-29'],
  );
  assert.equal(describeReminder({ kind: 'outcome_review', dueOn: '2026-06-29' }, '2026-06-29').text, 'Outcome review due');
});
