import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { inequalitiesReport } from '../../src/reporting/evidence.ts';
import { refreshReporting } from '../../src/reporting/service.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aPractice, aTenant } from '../support/factories.ts';
import { aReportedReferral } from '../support/reporting-factories.ts';
import { signInAs } from '../support/session.ts';

// An admin enters a practice's registered patients, by group where known; bad or inconsistent
// numbers are refused beside their field with nothing saved; the inequalities page then gives
// the referral rate of each group against that population.

let database: Database;
let app: FastifyInstance;
let tenantId: string;
let admin: Actor;
let commissioner: Actor;
let ash: { id: string; name: string };
let beech: { id: string; name: string };
const now = new Date('2026-11-20T12:00:00Z');

const stored = async (practiceId: string) => {
  const { rows } = await database.pool.query<{ dimension: string; category: string; people: number }>(
    'SELECT dimension, category, people FROM practice_population WHERE practice_id = $1 ORDER BY dimension, category',
    [practiceId],
  );
  const list = (
    await database.pool.query<{ listSize: number | null }>('SELECT list_size AS "listSize" FROM practice WHERE id = $1', [practiceId])
  ).rows[0]!.listSize;
  return { list, rows };
};

/**
 * Ash Surgery: 7 referrals in 2026 of women aged 25-34 living in IMD quintile 1 (decile 2), and
 * 6 of men aged 65-74 in quintile 5 (decile 10). Beech Surgery: 5 referrals, never given a population.
 */
before(async () => {
  database = await freshDatabase();
  tenantId = (await aTenant(database, { name: 'Population PCN' })).id;
  ash = await aPractice(database, tenantId, { name: 'Ash Surgery' });
  beech = await aPractice(database, tenantId, { name: 'Beech Surgery' });
  admin = await anActor(database, { tenantId, roles: ['admin'] });
  commissioner = await anActor(database, { tenantId, roles: ['commissioner'] });
  for (let i = 0; i < 7; i++)
    await aReportedReferral(database, tenantId, {
      practiceId: ash.id,
      sex: 'female',
      dateOfBirth: '1995-01-01',
      deprivationDecile: 2,
      ethnicity: 'A',
      receivedAt: '2026-06-10T10:00:00Z',
    });
  for (let i = 0; i < 6; i++)
    await aReportedReferral(database, tenantId, {
      practiceId: ash.id,
      sex: 'male',
      dateOfBirth: '1956-01-01',
      deprivationDecile: 10,
      ethnicity: 'H',
      receivedAt: '2026-06-10T10:00:00Z',
    });
  for (let i = 0; i < 5; i++)
    await aReportedReferral(database, tenantId, {
      practiceId: beech.id,
      sex: 'female',
      dateOfBirth: '1995-01-01',
      deprivationDecile: 2,
      receivedAt: '2026-06-10T10:00:00Z',
    });
  await withTenant(database.pool, tenantId, (tx) => refreshReporting(tx, tenantId, now, 'manual'));
  app = await testApp(database);
});
after(async () => {
  await app.close();
  await database.close();
});

const quintiles = { 'quintile-1': '2000', 'quintile-2': '2000', 'quintile-3': '2000', 'quintile-4': '2000', 'quintile-5': '1000' };
const ages = {
  'age-1': '1300',
  'age-2': '900',
  'age-3': '1400',
  'age-4': '1300',
  'age-5': '1300',
  'age-6': '1100',
  'age-7': '1000',
  'age-8': '600',
  'age-9': '600',
};

test('the practices page lists each practice with a link to its registered patients; the form starts empty and shows what is saved', async () => {
  const cookies = await signInAs(app, database, admin);
  const page = await app.inject({ url: '/admin/practices', cookies });
  assert.equal(page.statusCode, 200);
  assert.match(
    page.body,
    new RegExp(
      `href="/admin/practices/${ash.id}/population">Enter<span class="nhsuk-u-visually-hidden"> registered patients for Ash Surgery`,
    ),
  );
  const form = await app.inject({ url: `/admin/practices/${ash.id}/population`, cookies });
  assert.equal(form.statusCode, 200);
  for (const label of [
    'Registered patients by IMD quintile (optional)',
    'Registered patients by age band (optional)',
    'Registered patients by sex (optional)',
    'Registered patients by ethnic group (optional)',
    '85 and over',
    'Asian or Asian British',
  ]) {
    assert.ok(form.body.includes(label), label);
  }
  assert.equal((await app.inject({ url: '/admin/practices/00000000-0000-0000-0000-000000000000/population', cookies })).statusCode, 404);
  assert.equal((await app.inject({ url: '/admin/practices/not-an-id/population', cookies })).statusCode, 404);
  assert.equal(
    (await app.inject({ url: `/admin/practices/${ash.id}/population`, cookies: await signInAs(app, database, commissioner) })).statusCode,
    403,
  );
});

test('bad numbers, a group entered in part, and a group adding up to more than the list size are refused beside their field, and nothing is saved', async () => {
  const cookies = await signInAs(app, database, admin);
  const url = `/admin/practices/${ash.id}/population`;
  const bad = await postForm(app, cookies, url, { listSize: 'lots', 'quintile-1': '5', 'age-1': 'many', 'sex-female': '10' }, url);
  assert.equal(bad.statusCode, 400);
  for (const [field, message] of [
    ['listSize', 'as a whole number, like 9500'],
    ['quintile-2', 'for all five IMD quintiles, or for none'],
    ['age-2', 'for every age band, or for none'],
    ['sex-male', 'for both female and male, or for none'],
  ] as const) {
    assert.match(bad.body, new RegExp(`<a href="#${field}">\\s*[^<]*${message}`), field);
  }
  assert.match(bad.body, /value="lots"/, 'what was typed is kept');
  const over = await postForm(app, cookies, url, { listSize: '9500', ...quintiles, 'sex-female': '6000', 'sex-male': '4000' }, url);
  assert.equal(over.statusCode, 400);
  assert.match(over.body, /<a href="#sex-female">\s*The patients by sex add up to 10,000, more than the list size of 9,500/);
  assert.deepEqual(await stored(ash.id), { list: null, rows: [] });
});

test('a saved population is confirmed, shown again on the form with the shortfall as not known, and a group left empty is cleared', async () => {
  const cookies = await signInAs(app, database, admin);
  const url = `/admin/practices/${ash.id}/population`;
  const saved = await postForm(
    app,
    cookies,
    url,
    { listSize: '9,500', ...quintiles, ...ages, 'sex-female': '4800', 'sex-male': '4700' },
    url,
  );
  assert.equal(saved.statusCode, 303);
  assert.equal(saved.headers.location, `/admin/practices?saved=${ash.id}#registered-patients`);
  const page = await app.inject({ url: saved.headers.location as string, cookies });
  assert.match(page.body, /Registered patients saved for Ash Surgery/);
  assert.match(page.body, /IMD quintile, Age band, Sex/);
  const { list, rows } = await stored(ash.id);
  assert.equal(list, 9500);
  assert.equal(rows.filter((r) => r.dimension === 'age_band').length, 9);
  assert.deepEqual(
    rows.filter((r) => r.dimension === 'sex').map((r) => [r.category, r.people]),
    [
      ['female', 4800],
      ['male', 4700],
    ],
  );
  const form = await app.inject({ url, cookies });
  assert.match(form.body, /name="quintile-5"[^>]*value="1000"|value="1000"[^>]*name="quintile-5"/);
  assert.match(form.body, /Saved now: 500 patients in no group \(not known\)/, 'quintiles add up to 9,000 of 9,500');
  // Sex left empty this time: cleared, the rest kept.
  assert.equal((await postForm(app, cookies, url, { listSize: '9500', ...quintiles, ...ages }, url)).statusCode, 303);
  assert.deepEqual(
    (await stored(ash.id)).rows.filter((r) => r.dimension === 'sex'),
    [],
  );
  assert.equal((await stored(ash.id)).rows.filter((r) => r.dimension === 'imd_quintile').length, 5);
});

test('the inequalities page gives each group’s referral rate against the registered population of the practices that entered it', async () => {
  const cookies = await signInAs(app, database, admin);
  const url = `/admin/practices/${ash.id}/population`;
  assert.equal(
    (await postForm(app, cookies, url, { listSize: '9500', ...quintiles, ...ages, 'sex-female': '4800', 'sex-male': '4700' }, url))
      .statusCode,
    303,
  );
  const figures = (await inequalitiesReport(database.pool, commissioner, { from: '2026-01', to: '2026-11' }, now)).figures!;
  const ashRate = figures.practiceRates.find((r) => r.label === 'Ash Surgery')!;
  assert.equal(ashRate.perThousand, ((1000 * 13) / 9500).toFixed(1));
  assert.equal(figures.practiceRates.find((r) => r.label === 'Beech Surgery')!.perThousand, null, 'no list size, no rate');
  const byDimension = Object.fromEntries(figures.groupRates.map((g) => [g.dimension, g]));
  assert.deepEqual(Object.keys(byDimension).sort(), ['age_band', 'imd_quintile', 'sex']);
  // Beech's five women in quintile 1 are not counted: Beech entered no population.
  const q1 = byDimension.imd_quintile!.rows[0]!;
  assert.deepEqual([q1.referrals.value, q1.population, q1.perThousand], [7, 2000, (7000 / 2000).toFixed(1)]);
  const q5 = byDimension.imd_quintile!.rows[4]!;
  assert.deepEqual([q5.referrals.value, q5.population, q5.perThousand], [6, 1000, (6000 / 1000).toFixed(1)]);
  const q3 = byDimension.imd_quintile!.rows[2]!;
  assert.deepEqual([q3.referrals.text, q3.perThousand], ['<5', null], 'a small count is suppressed and gives no rate');
  const female = byDimension.sex!.rows.find((r) => r.label === 'Female')!;
  assert.deepEqual([female.referrals.value, female.population, female.perThousand], [7, 4800, (7000 / 4800).toFixed(1)]);
  const age25 = byDimension.age_band!.rows.find((r) => r.label === '25-34')!;
  assert.deepEqual([age25.referrals.value, age25.population], [7, 1400]);
  assert.equal(byDimension.imd_quintile!.caption, 'Referrals per 1,000 registered patients by IMD quintile (Ash Surgery)');
  const page = await app.inject({
    url: '/reports/inequalities?from=2026-01&to=2026-11',
    cookies: await signInAs(app, database, commissioner),
  });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /id="group-rates-sex"/);
  assert.match(page.body, /id="group-rates-age_band"/);
});
