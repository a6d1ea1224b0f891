import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { localDate } from '../../src/calendar/london.ts';
import { createOnwardReferral, providerRespond } from '../../src/social-prescriptions/service.ts';
import { getReferral } from '../../src/referrals/service.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aProviderService, aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { signInAs } from '../support/session.ts';

// Dates that cannot be right are refused on the page with a message, and nothing is saved:
// a next action or a goal review already in the past, attendance at a session still to come.

let database: Database;
let app: FastifyInstance;
let team: Awaited<ReturnType<typeof aSocialPrescribingTeam>>;
before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  team = await aSocialPrescribingTeam(database);
});
after(async () => {
  await app.close();
  await database.close();
});

const DAY_MS = 86_400_000;
const today = () => localDate(new Date());
const yesterday = () => localDate(new Date(Date.now() - DAY_MS));
const tomorrow = () => localDate(new Date(Date.now() + DAY_MS));

async function one<T>(sql: string, values: unknown[]): Promise<T> {
  return (await database.pool.query(sql, values)).rows[0] as T;
}

test('a next action due yesterday is refused with a message and the referral keeps what it had; today is accepted', async () => {
  const { referralId } = await anEpisodeInContact(database, team);
  const cookies = await signInAs(app, database, team.worker);
  const version = String((await getReferral(database.pool, team.worker, referralId)).referral.version);

  const refused = await postForm(
    app,
    cookies,
    `/referrals/${referralId}/next-action`,
    { nextAction: 'Ring about the choir', due: yesterday(), version },
    `/referrals/${referralId}`,
  );
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /nhsuk-error-summary/);
  assert.match(refused.body, /Due date must be today or in the future/);
  assert.match(refused.body, /href="#due"/);
  assert.deepEqual(await one(`SELECT next_action, next_action_due FROM referral WHERE id = $1`, [referralId]), {
    next_action: null,
    next_action_due: null,
  });

  const accepted = await postForm(
    app,
    cookies,
    `/referrals/${referralId}/next-action`,
    { nextAction: 'Ring about the choir', due: today(), version },
    `/referrals/${referralId}`,
  );
  assert.equal(accepted.statusCode, 303);
  const saved = await one<{ next_action: string; due: string }>(
    `SELECT next_action, to_char(next_action_due, 'YYYY-MM-DD') AS due FROM referral WHERE id = $1`,
    [referralId],
  );
  assert.deepEqual(saved, { next_action: 'Ring about the choir', due: today() });
});

test('a goal whose review date has passed is refused with a message and no goal is added; a review tomorrow is accepted', async () => {
  const { referralId } = await anEpisodeInContact(database, team);
  const cookies = await signInAs(app, database, team.worker);
  const goals = async () => (await one<{ n: number }>(`SELECT count(*)::int AS n FROM plan_goal WHERE referral_id = $1`, [referralId])).n;

  const refused = await postForm(
    app,
    cookies,
    `/referrals/${referralId}/goals`,
    { goal: 'Join the walking group', reviewDate: yesterday() },
    `/referrals/${referralId}/support`,
  );
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /Review date must be today or in the future/);
  assert.match(refused.body, /href="#reviewDate"/);
  assert.match(refused.body, /value="Join the walking group"|>Join the walking group</, 'what was typed is kept');
  assert.equal(await goals(), 0);

  const accepted = await postForm(
    app,
    cookies,
    `/referrals/${referralId}/goals`,
    { goal: 'Join the walking group', reviewDate: tomorrow() },
    `/referrals/${referralId}/support`,
  );
  assert.equal(accepted.statusCode, 303);
  assert.equal(await goals(), 1);
});

test('attendance at a session tomorrow is refused with a message and nothing is recorded; a session today is recorded', async () => {
  const { referralId } = await anEpisodeInContact(database, team);
  const service = await aProviderService(database, team.provider);
  const onward = await createOnwardReferral(database.pool, team.worker, referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
  });
  await providerRespond(database.pool, team.provider, onward.id, { to: 'accepted', firstSessionDate: tomorrow() });
  const cookies = await signInAs(app, database, team.provider);
  const recorded = async () =>
    (await one<{ n: number }>(`SELECT count(*)::int AS n FROM onward_attendance WHERE onward_referral_id = $1`, [onward.id])).n;

  const refused = await postForm(
    app,
    cookies,
    `/provider/referrals/${onward.id}/attendance`,
    { sessionDate: tomorrow(), attended: 'yes' },
    `/provider/referrals/${onward.id}`,
  );
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /Session date must be today or in the past/);
  assert.equal(await recorded(), 0);
  assert.equal((await one<{ status: string }>(`SELECT status FROM onward_referral WHERE id = $1`, [onward.id])).status, 'accepted');

  const accepted = await postForm(
    app,
    cookies,
    `/provider/referrals/${onward.id}/attendance`,
    { sessionDate: today(), attended: 'yes' },
    `/provider/referrals/${onward.id}`,
  );
  assert.equal(accepted.statusCode, 303);
  assert.equal(await recorded(), 1);
});

test('a contact made the day the referral arrived shows 0 days to first contact, not a blank', async () => {
  const { referralId } = await anEpisodeInContact(database, team);
  const page = await app.inject({ url: `/referrals/${referralId}`, cookies: await signInAs(app, database, team.worker) });
  assert.equal(page.statusCode, 200);
  const row = /Days to first contact\s*<\/dt>\s*<dd class="nhsuk-summary-list__value">\s*([^<]*?)\s*<\/dd>/.exec(page.body);
  assert.ok(row, 'the row is on the page');
  assert.equal(row[1], '0');
});
