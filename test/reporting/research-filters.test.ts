import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { combinationOf } from '../../src/reporting/research/anonymity.ts';
import { pseudonym } from '../../src/reporting/research/extract.ts';
import { createProject, generateExtract, type GeneratedExtract } from '../../src/reporting/research/service.ts';
import { InvalidInput } from '../../src/web/errors.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aPractice, aTenant } from '../support/factories.ts';
import { auditEvents } from '../support/identity-factories.ts';
import { aResearchPerson, csvRows, projectKey } from '../support/research-factories.ts';

// An extract narrowed by months received, practice and need: only the chosen referrals (and their
// contacts, measures and onward referrals) leave, the manifest names every filter, and
// k-anonymity is worked out over the people the filters leave, so a narrow filter cannot let a
// small group through.

let database: Database;
let tenantId: string;
let researcher: Actor;
let projectId: string;
let alder: { id: string; name: string; odsCode: string };
type Made = Awaited<ReturnType<typeof aResearchPerson>>;
const spring: Made[] = [];
const autumn: Made[] = [];
const fewInAutumn: Made[] = [];

const rowsOf = (extract: GeneratedExtract, name: string) => csvRows(extract.files.find((f) => f.name === name)!.content);
const extractCount = async () =>
  (await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM research_extract WHERE tenant_id = $1', [tenantId])).rows[0]!.n;

/**
 * Alder Surgery: six people referred for loneliness in March 2026, and two in September 2026.
 * Birch Surgery: six people referred about money in September 2026. All alike in age band, sex,
 * ethnicity and deprivation, so every group of five or more is released as recorded.
 */
before(async () => {
  database = await freshDatabase();
  tenantId = (await aTenant(database, { name: 'Filtered Research PCN' })).id;
  alder = await aPractice(database, tenantId, { name: 'Alder Surgery', odsCode: 'B86001' });
  const birch = (await aPractice(database, tenantId, { name: 'Birch Surgery' })).id;
  researcher = await anActor(database, { tenantId, roles: ['researcher'] });
  const alike = { dateOfBirth: '1959-03-10', sex: 'female', ethnicity: 'A', deprivationDecile: 2 };
  for (let i = 0; i < 6; i++) {
    spring.push(
      await aResearchPerson(database, tenantId, {
        givenName: `Primrose${i}`,
        familyName: `Springfield${i}`,
        ...alike,
        practiceId: alder.id,
        receivedAt: '2026-03-15T10:00:00Z',
        reasons: ['loneliness'],
      }),
    );
    autumn.push(
      await aResearchPerson(database, tenantId, {
        givenName: `Hazel${i}`,
        familyName: `Autumnby${i}`,
        ...alike,
        practiceId: birch,
        receivedAt: '2026-09-15T10:00:00Z',
        reasons: ['money'],
      }),
    );
  }
  for (let i = 0; i < 2; i++) {
    fewInAutumn.push(
      await aResearchPerson(database, tenantId, {
        givenName: `Rowan${i}`,
        familyName: `Fewling${i}`,
        ...alike,
        practiceId: alder.id,
        receivedAt: '2026-09-16T10:00:00Z',
        reasons: ['loneliness', 'money'],
      }),
    );
  }
  projectId = await createProject(database.pool, researcher, tenantId, {
    name: 'Loneliness in spring',
    purpose: 'Seasons and loneliness',
    approvalReference: 'IRAS 330001',
  });
});
after(() => database.close());

test('without filters every referral of a consenting person leaves, and the manifest says no filter was chosen', async () => {
  const all = await generateExtract(database.pool, researcher, tenantId, projectId, new Date('2026-11-02T09:00:00Z'));
  assert.equal(all.manifest.rowCounts['referrals.csv'], 14);
  assert.equal(all.manifest.filters.received_from, 'no limit (earliest referral)');
  assert.equal(all.manifest.filters.practice, 'all practices, and referrals with no practice');
  assert.equal(all.manifest.filters.need, 'any need');
});

test('months, practice and need narrow every file to the chosen referrals, and the manifest lists the filters', async () => {
  const extract = await generateExtract(
    database.pool,
    researcher,
    tenantId,
    projectId,
    new Date('2026-11-02T09:00:00Z'),
    {},
    { from: '2026-01', to: '2026-06', practice: alder.id, need: 'loneliness' },
  );
  const key = await projectKey(database, projectId);
  const referrals = rowsOf(extract, 'referrals.csv');
  assert.deepEqual(referrals.map((r) => r.referral_pseudonym).sort(), spring.map((p) => pseudonym(key, p.referralId)).sort());
  assert.ok(referrals.every((r) => r.received_month === '2026-03' && r.needs === 'loneliness'));
  for (const name of ['contacts.csv', 'outcome_measures.csv', 'onward_referrals.csv']) {
    const rows = rowsOf(extract, name);
    assert.equal(rows.length, 6, name);
    assert.ok(
      rows.every((r) => spring.some((p) => pseudonym(key, p.referralId) === r.referral_pseudonym)),
      `${name} holds only the chosen referrals`,
    );
  }
  assert.deepEqual(extract.manifest.filters, {
    ...extract.manifest.filters,
    received_from: '2026-01',
    received_to: '2026-06',
    practice: `one practice, pseudonym ${pseudonym(key, alder.id)} (the referral’s practice; the practice column uses the same pseudonyms)`,
    need: 'loneliness (Loneliness and isolation)',
  });
  assert.ok(
    referrals.every((r) => r.practice === pseudonym(key, alder.id)),
    'the pseudonym the manifest gives is the practice column’s',
  );
  const stored = extract.files.find((f) => f.name === 'manifest.json')!.content;
  assert.equal(
    (JSON.parse(stored) as { filters: Record<string, string> }).filters.received_to,
    '2026-06',
    'the manifest file lists the filters too',
  );
  assert.ok(!stored.includes('Alder') && !stored.includes('B86001'), 'no file names the practice');
  const audit = (await auditEvents(database, tenantId)).filter((e) => e.action === 'research.extract').at(-1)!;
  assert.match(audit.reason!, /received_from=2026-01; received_to=2026-06; practice=Alder Surgery \(B86001\); need=loneliness/);
});

test('a filter that leaves a small group does not release it: k-anonymity holds over the filtered people', async () => {
  const extract = await generateExtract(
    database.pool,
    researcher,
    tenantId,
    projectId,
    new Date('2026-11-02T09:00:00Z'),
    {},
    { from: '2026-09', practice: 'b86001' },
  );
  const k = extract.manifest.kAnonymity;
  assert.deepEqual(
    { withConsent: k.peopleWithConsent, released: k.peopleReleased, suppressed: k.peopleSuppressed },
    { withConsent: 2, released: 0, suppressed: 2 },
  );
  assert.equal(rowsOf(extract, 'referrals.csv').length, 0);
  assert.equal(extract.manifest.rowsSuppressed['referrals.csv'], 2);
  // Positive control: the same months for every practice releases the Birch group of six, each combination shared by five or more.
  const wider = await generateExtract(
    database.pool,
    researcher,
    tenantId,
    projectId,
    new Date('2026-11-02T09:00:00Z'),
    {},
    { from: '2026-09', to: '2026-09' },
  );
  const rows = rowsOf(wider, 'referrals.csv');
  assert.ok(rows.length >= 6);
  const sizes = new Map<string, number>();
  for (const row of new Map(rows.map((r) => [r.person_pseudonym, r])).values())
    sizes.set(combinationOf(row), (sizes.get(combinationOf(row)) ?? 0) + 1);
  for (const [combination, size] of sizes) assert.ok(size >= 5, `${combination} is shared by ${size}`);
});

test('a bad filter is refused with a message for its field, and nothing is stored', async () => {
  const before = await extractCount();
  await assert.rejects(
    generateExtract(
      database.pool,
      researcher,
      tenantId,
      projectId,
      new Date(),
      {},
      { from: '2026-13', to: '2026-01', practice: 'Nowhere Surgery', need: 'astrology' },
    ),
    (error: unknown) => {
      assert.ok(error instanceof InvalidInput);
      assert.deepEqual(
        error.errors.map((e) => e.field),
        ['from', 'practice', 'need'],
      );
      return true;
    },
  );
  await assert.rejects(
    generateExtract(database.pool, researcher, tenantId, projectId, new Date(), {}, { from: '2026-06', to: '2026-01' }),
    (error: unknown) =>
      error instanceof InvalidInput && error.errors[0]!.field === 'to' && /after the first month/.test(error.errors[0]!.message),
  );
  assert.equal(await extractCount(), before);
});
