import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { withdrawConsent } from '../../src/people/service.ts';
import { combinationOf, kAnonymise, LEVELS, type QuasiIdentifiers } from '../../src/reporting/research/anonymity.ts';
import { pseudonym } from '../../src/reporting/research/extract.ts';
import { createProject, downloadExtract, generateExtract, type GeneratedExtract } from '../../src/reporting/research/service.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aPractice, aTenant } from '../support/factories.ts';
import { auditEvents } from '../support/identity-factories.ts';
import { aResearchPerson, csvRows, projectKey, unzip } from '../support/research-factories.ts';

let database: Database;
let tenantId: string;
let researcher: Actor;
let projectId: string;
let first: GeneratedExtract;
type Made = Awaited<ReturnType<typeof aResearchPerson>>;
const released: Made[] = [];
const generalised: Made[] = [];
let suppressed: Made;
let withoutConsent: Made;
let withdrawn: Made;

const files = (extract: GeneratedExtract) => new Map<string, string>(extract.files.map((f) => [f.name, f.content]));
const rowsOf = (extract: GeneratedExtract, name: string) => csvRows(files(extract).get(name)!);

/**
 * Received September 2026. Six women of 67 (White British, decile 2, practice A) share every
 * detail: released as recorded. Three men of 71 (White Irish, decile 3) and two of 76 (other White,
 * decile 4) are groups of 3 and 2, but as 70-79, White, quintile 2 they are 5: generalised. One
 * intersex person of 31 shares nothing with anyone at any level: suppressed. One person never gave
 * research consent and one withdrew it; both match the six women exactly.
 */
before(async () => {
  database = await freshDatabase();
  const tenant = await aTenant(database, { name: 'Research PCN' });
  tenantId = tenant.id;
  const practiceA = (await aPractice(database, tenantId, { name: 'Alder Surgery' })).id;
  const practiceB = (await aPractice(database, tenantId, { name: 'Birch Surgery' })).id;
  researcher = await anActor(database, { tenantId, roles: ['researcher'] });
  const worker = await anActor(database, { tenantId, roles: ['link_worker'] });
  const women = { dateOfBirth: '1959-03-10', sex: 'female', ethnicity: 'A', deprivationDecile: 2, practiceId: practiceA };
  for (let i = 0; i < 6; i++)
    released.push(await aResearchPerson(database, tenantId, { givenName: `Winifred${i}`, familyName: `Wolstenholme${i}`, ...women }));
  for (let i = 0; i < 3; i++) {
    generalised.push(
      await aResearchPerson(database, tenantId, {
        givenName: `Ambrose${i}`,
        familyName: `Atherton${i}`,
        dateOfBirth: '1955-01-01',
        sex: 'male',
        ethnicity: 'B',
        deprivationDecile: 3,
        practiceId: practiceA,
      }),
    );
  }
  for (let i = 0; i < 2; i++) {
    generalised.push(
      await aResearchPerson(database, tenantId, {
        givenName: `Bartholomew${i}`,
        familyName: `Blenkinsop${i}`,
        dateOfBirth: '1950-05-05',
        sex: 'male',
        ethnicity: 'C',
        deprivationDecile: 4,
        practiceId: practiceA,
      }),
    );
  }
  suppressed = await aResearchPerson(database, tenantId, {
    givenName: 'Quillon',
    familyName: 'Quartermaine',
    dateOfBirth: '1995-02-02',
    sex: 'intersex',
    ethnicity: 'R',
    deprivationDecile: 9,
    practiceId: practiceB,
    postcode: 'LS1 4AP',
  });
  withoutConsent = await aResearchPerson(database, tenantId, { givenName: 'Norberta', familyName: 'Noconsent', consent: 'none', ...women });
  withdrawn = await aResearchPerson(database, tenantId, { givenName: 'Wilhelmina', familyName: 'Withdrew', ...women });
  const { rows } = await database.pool.query<{ id: string }>(`SELECT id FROM consent WHERE person_id = $1 AND kind = 'research'`, [
    withdrawn.personId,
  ]);
  await withdrawConsent(database.pool, worker, withdrawn.personId, rows[0]!.id, 'Changed their mind');
  projectId = await createProject(database.pool, researcher, tenantId, {
    name: 'Allotments and wellbeing',
    purpose: 'Whether gardening groups help',
    approvalReference: 'REC 26/YH/0101',
  });
  first = await generateExtract(database.pool, researcher, tenantId, projectId, new Date('2026-11-02T09:00:00Z'));
});
after(() => database.close());

test('people without a research consent, or who withdrew it, are in no file; everyone else with consent is', async () => {
  const key = await projectKey(database, projectId);
  const people = new Set(rowsOf(first, 'referrals.csv').map((r) => r.person_pseudonym));
  for (const person of [...released, ...generalised]) assert.ok(people.has(pseudonym(key, person.personId)));
  for (const absent of [withoutConsent, withdrawn, suppressed]) {
    for (const name of ['referrals.csv', 'contacts.csv', 'outcome_measures.csv', 'onward_referrals.csv']) {
      assert.ok(!files(first).get(name)!.includes(pseudonym(key, absent.personId)), `${absent.familyName} is not in ${name}`);
      assert.ok(!files(first).get(name)!.includes(pseudonym(key, absent.referralId)));
    }
  }
  assert.equal(first.manifest.kAnonymity.peopleWithConsent, 12, 'the person without consent and the one who withdrew are not counted');
  assert.deepEqual(first.manifest.rowCounts, {
    'referrals.csv': 11,
    'contacts.csv': 11,
    'outcome_measures.csv': 11,
    'onward_referrals.csv': 11,
  });
});

test('no cell of any file holds a name, NHS number, postcode, email, phone number, free text, date of birth, full date or raw id', async () => {
  const everyone = [...released, ...generalised, suppressed, withoutConsent, withdrawn];
  const forbidden = everyone.flatMap((p) => [p.givenName, p.familyName, p.nhsNumber, p.email, p.phone, p.notes, p.dateOfBirth]);
  forbidden.push(
    'free text never leaves',
    'LS6 3AB',
    'LS6',
    'LS1 4AP',
    'lives alone',
    'Dog in the house',
    'Note for the service',
    'Hyde Park Allotment Friends',
    'Street, Leeds',
    'Alder Surgery',
    'Birch Surgery',
  );
  const { rows } = await database.pool.query<{ id: string }>(
    `SELECT id::text FROM practice WHERE tenant_id = $1 UNION ALL SELECT id::text FROM app_user`,
    [tenantId],
  );
  forbidden.push(...rows.map((r) => r.id), tenantId, projectId);
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
  const fullDate = /\d{4}-\d{2}-\d{2}/;
  let cells = 0;
  for (const file of first.files) {
    if (file.name === 'manifest.json') {
      assert.doesNotMatch(file.content.replace(/"generatedAt": "[^"]+"/, ''), fullDate);
    }
    for (const text of forbidden) assert.ok(!file.content.toLowerCase().includes(text.toLowerCase()), `${file.name} holds "${text}"`);
    assert.doesNotMatch(file.content, uuid, `${file.name} holds a raw id`);
    if (!file.name.endsWith('.csv') || file.name.startsWith('data_dictionary')) continue;
    for (const row of csvRows(file.content)) {
      for (const [column, value] of Object.entries(row)) {
        cells++;
        assert.doesNotMatch(value, fullDate, `${file.name} ${column} holds a full date`);
        if (column.endsWith('_month') && value) assert.match(value, /^\d{4}-\d{2}$/);
        if (column.endsWith('_pseudonym')) assert.match(value, /^[0-9a-f]{16}$/);
      }
    }
  }
  assert.ok(cells > 300, `scanned ${cells} cells`);
  const measure = rowsOf(first, 'outcome_measures.csv')[0]!;
  assert.equal(measure.answers, 'optimistic=3;useful=4;relaxed=2;dealing_with_problems=3;thinking_clearly=4;close_to_others=3;own_mind=3');
  assert.equal(measure.completed_month, '2026-09');
});

test('every combination of quasi-identifiers is shared by at least 5 people; small groups are generalised, then suppressed, and counted', () => {
  const rows = rowsOf(first, 'referrals.csv');
  const byPerson = new Map(rows.map((r) => [r.person_pseudonym, r]));
  const sizes = new Map<string, number>();
  for (const row of byPerson.values()) sizes.set(combinationOf(row), (sizes.get(combinationOf(row)) ?? 0) + 1);
  for (const [combination, size] of sizes) assert.ok(size >= 5, `${combination} is shared by ${size}`);
  const levels = [...byPerson.values()]
    .map((r) => `${r.generalisation_level} ${r.age_band} ${r.sex} ${r.ethnic_category} ${r.ethnic_group} ${r.imd_decile} ${r.imd_quintile}`)
    .sort();
  assert.deepEqual(levels, [...Array(6).fill('0 65-69 female A White 2 1'), ...Array(5).fill('1 70-79 male withheld White withheld 2')]);
  const k = first.manifest.kAnonymity;
  assert.deepEqual(
    { released: k.peopleReleased, generalised: k.peopleGeneralised, suppressed: k.peopleSuppressed, smallest: k.smallestGroup },
    { released: 11, generalised: 5, suppressed: 1, smallest: 5 },
  );
  assert.deepEqual(
    k.peopleByLevel.map((l) => l.people),
    [6, 5, 0, 0, 0],
  );
  assert.deepEqual(first.manifest.rowsSuppressed, {
    'referrals.csv': 1,
    'contacts.csv': 1,
    'outcome_measures.csv': 1,
    'onward_referrals.csv': 1,
  });
});

test('k-anonymity holds for any population: every released combination has at least k people, and everyone is released or suppressed once', () => {
  const person = fc.record<QuasiIdentifiers>({
    age: fc.option(fc.integer({ min: 0, max: 105 }), { nil: null }),
    sex: fc.constantFrom('female', 'male', 'intersex', 'not_stated', null),
    ethnicity: fc.constantFrom('A', 'B', 'C', 'H', 'J', 'M', 'R', 'Z', '99', null),
    imdDecile: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
    practice: fc.constantFrom('p1', 'p2', 'p3', null),
  });
  fc.assert(
    fc.property(fc.array(person, { maxLength: 120 }), fc.integer({ min: 2, max: 6 }), (people, k) => {
      const result = kAnonymise(new Map(people.map((p, i) => [i, p])), k);
      assert.equal(result.released.size + result.suppressed.length, people.length);
      const sizes = new Map<string, number>();
      for (const shown of result.released.values()) {
        const key = combinationOf(shown as unknown as Record<string, string>);
        sizes.set(key, (sizes.get(key) ?? 0) + 1);
      }
      for (const size of sizes.values()) assert.ok(size >= k);
      assert.equal(
        result.byLevel.reduce((a, b) => a + b, 0),
        result.released.size,
      );
      assert.equal(result.byLevel.length, LEVELS.length);
    }),
    { numRuns: 300, seed: 20261207 },
  );
});

test('a person keeps their pseudonym across extracts of one project and gets another in a different project', async () => {
  const again = await generateExtract(database.pool, researcher, tenantId, projectId, new Date('2026-11-03T09:00:00Z'));
  const people = (extract: GeneratedExtract) =>
    rowsOf(extract, 'referrals.csv')
      .map((r) => r.person_pseudonym)
      .sort();
  const referrals = (extract: GeneratedExtract) =>
    rowsOf(extract, 'referrals.csv')
      .map((r) => r.referral_pseudonym)
      .sort();
  assert.deepEqual(people(again), people(first));
  assert.deepEqual(referrals(again), referrals(first));
  const otherProject = await createProject(database.pool, researcher, tenantId, {
    name: 'Another study',
    purpose: 'Something else',
    approvalReference: 'IRAS 123456',
  });
  const other = await generateExtract(database.pool, researcher, tenantId, otherProject, new Date('2026-11-03T09:00:00Z'));
  assert.equal(people(other).length, people(first).length);
  const shared = people(other).filter((p) => people(first).includes(p));
  assert.deepEqual(shared, [], 'no pseudonym links across projects');
  const practices = (extract: GeneratedExtract) => new Set(rowsOf(extract, 'referrals.csv').map((r) => r.practice));
  assert.ok(![...practices(other)].some((p) => practices(first).has(p)), 'practices are pseudonymised per project too');
  assert.notDeepEqual(await projectKey(database, otherProject), await projectKey(database, projectId));
});

test('generating and downloading an extract are audited, naming the project and figures, never a person', async () => {
  const zip = await downloadExtract(database.pool, researcher, projectId, first.extractId, null, { requestId: 'req-zip' });
  const csv = await downloadExtract(database.pool, researcher, projectId, first.extractId, 'contacts.csv', { requestId: 'req-csv' });
  assert.equal(csv.body, files(first).get('contacts.csv'));
  const events = (await auditEvents(database, tenantId)).filter((e) => e.action.startsWith('research.'));
  const generated = events.find((e) => e.action === 'research.extract' && e.entityId === first.extractId);
  assert.ok(generated);
  assert.equal(generated.userId, researcher.userId);
  assert.match(generated.reason!, new RegExp(`project ${projectId}: 11 people released, 5 generalised, 1 suppressed`));
  assert.deepEqual(
    events.filter((e) => e.action === 'research.download').map((e) => [e.reason, e.requestId]),
    [
      ['zip', 'req-zip'],
      ['contacts.csv', 'req-csv'],
    ],
  );
  const { rows } = await database.pool.query(`SELECT 1 FROM audit_event WHERE action LIKE 'research.%' AND person_id IS NOT NULL`);
  assert.equal(rows.length, 0);
  const entries = unzip(zip.body as Buffer);
  assert.deepEqual([...entries.keys()].sort(), first.files.map((f) => f.name).sort());
  for (const file of first.files) assert.equal(entries.get(file.name), file.content, `${file.name} in the zip is the stored file`);
});

test('the data dictionary describes every column of every file, in CSV and Markdown', () => {
  const dictionary = rowsOf(first, 'data_dictionary.csv');
  const markdown = files(first).get('data_dictionary.md')!;
  for (const name of ['referrals.csv', 'contacts.csv', 'outcome_measures.csv', 'onward_referrals.csv']) {
    const header = files(first).get(name)!.split('\r\n')[0]!.split(',');
    assert.deepEqual(
      dictionary.filter((d) => d.file === name).map((d) => d.column),
      header,
    );
    for (const column of header) assert.ok(markdown.includes(`| \`${column}\` |`), `${column} is in the Markdown dictionary`);
    for (const d of dictionary.filter((d) => d.file === name))
      assert.ok(d.meaning && d.coding, `${name} ${d.column} has a meaning and coding`);
  }
  const manifest = JSON.parse(files(first).get('manifest.json')!) as typeof first.manifest;
  assert.equal(manifest.project.approvalReference, 'REC 26/YH/0101');
  assert.equal(manifest.generatedAt, '2026-11-02T09:00:00.000Z');
  assert.ok(manifest.filters.consent);
});
