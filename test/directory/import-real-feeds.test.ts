import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { exportOruk } from '../../src/directory/oruk/export.ts';
import { ImportSourceError, importServices, readHsdsCsv, readOrukFeed } from '../../src/directory/import/service.ts';
import type { OrukService } from '../../src/directory/oruk/types.ts';
import { CAPACITY_TAXONOMY_ID, capacityTermId } from '../../src/directory/taxonomy.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { openReferralDir, orukValidators, validationProblems } from '../support/oruk-schemas.ts';

let database: Database;
let app: FastifyInstance;
before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
});
after(async () => {
  await app.close();
  await database.close();
});

const organization = { id: 'real-org-1', name: 'Real Feed Trust', description: '' };
const messy = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Service ${id}`,
  status: 'active',
  organization,
  ...extra,
});

test('a real-shaped messy record imports with each bad value repaired or left out and reported with its id; only missing essentials are refused', async () => {
  const records = [
    messy('messy-bare-domain', { url: 'www.example.org/walks' }),
    messy('messy-url-in-email', { email: 'https://example.org/contact-us' }),
    messy('messy-both', { url: 'https://example.org', email: 'www.example.org/contact', minimum_age: '18', status: 'Active' }),
    messy('messy-location', {
      service_at_locations: [
        {
          id: 'messy-sal',
          location: { id: 'messy-loc', location_type: 'building', latitude: '53.8', longitude: '-1.55', addresses: { id: 'not-a-list' } },
        },
      ],
      schedules: [{ id: 'messy-sch', freq: 'weekly', byday: 'MO', opens_at: '10am', closes_at: '12:00' }],
      cost_options: [{ id: 'messy-cost', amount: 'free' }],
      attributes: [{ id: 'messy-attr' }],
    }),
    messy('refused-no-status', { status: undefined }),
    { id: 'refused-no-name', status: 'active', organization },
    { id: 'refused-no-organisation', name: 'Orphan', status: 'active' },
  ];
  const report = await importServices(database.pool, records, { sourceFeed: 'messy' });
  assert.deepEqual(report.added, ['messy-bare-domain', 'messy-url-in-email', 'messy-both', 'messy-location']);
  assert.deepEqual(
    report.invalid.map((i) => [i.id, i.reason]),
    [
      ['refused-no-status', 'it has no status'],
      ['refused-no-name', 'it has no name'],
      ['refused-no-organisation', 'it has no organization'],
    ],
  );
  const problems = (id: string) =>
    report.problems
      .filter((p) => p.id === id)
      .map((p) => p.field)
      .sort();
  assert.deepEqual(problems('messy-bare-domain'), ['url']);
  assert.deepEqual(problems('messy-url-in-email'), ['email']);
  assert.deepEqual(problems('messy-both'), ['email']);
  assert.deepEqual(problems('messy-location'), [
    'attributes[messy-attr]',
    'cost_options[messy-cost].amount',
    'schedules[messy-sch].opens_at',
    'service_at_locations[messy-sal].location.addresses',
    'service_at_locations[messy-sal].location.location_type',
  ]);

  const served = async (id: string) => (await app.inject(`/api/oruk/services/${id}`)).json() as OrukService;
  assert.equal((await served('messy-bare-domain')).url, 'https://www.example.org/walks');
  const moved = await served('messy-url-in-email');
  assert.deepEqual([moved.url, moved.email], ['https://example.org/contact-us', undefined]);
  const both = await served('messy-both');
  assert.deepEqual([both.url, both.email, both.minimum_age, both.status], ['https://example.org', undefined, 18, 'active']);
  const location = await served('messy-location');
  assert.deepEqual(
    [location.service_at_locations![0]!.location!.latitude, location.service_at_locations![0]!.location!.location_type],
    [53.8, 'physical'],
  );
  assert.deepEqual(
    [location.schedules![0]!.freq, location.schedules![0]!.opens_at, location.schedules![0]!.closes_at],
    ['WEEKLY', undefined, '12:00:00'],
  );
  // (These ids are not UUIDs, which the ORUK schema asks for; the repaired values pass it.)
  for (const id of report.added)
    assert.doesNotMatch(validationProblems(orukValidators.service, await served(id)), /url|email|latitude|minimum_age|opens_at|amount/, id);
});

test('duplicate ids in one feed are reported and the first is imported; an unchanged re-import writes no row', async () => {
  const first = messy('dup-1', { description: 'first' });
  const records = [first, messy('dup-1', { description: 'second' }), messy('dup-2'), messy('dup-1', { description: 'third' })];
  const report = await importServices(database.pool, records, { sourceFeed: 'dups' });
  assert.deepEqual(report.added, ['dup-1', 'dup-2']);
  assert.deepEqual(report.duplicates, [{ id: 'dup-1', count: 3 }]);
  assert.match(report.notes.join(' '), /1 id was given more than once/);
  assert.equal(((await app.inject('/api/oruk/services/dup-1')).json() as OrukService).description, 'first');

  const rowVersions = async () =>
    (
      await database.pool.query(
        `SELECT s.xmin::text AS s, l.xmin::text AS l FROM directory_service s LEFT JOIN directory_service_at_location l ON l.service_id = s.id
      WHERE s.id IN ('dup-1', 'dup-2', 'messy-location') ORDER BY s.id`,
      )
    ).rows;
  const versions = await rowVersions();
  const again = await importServices(database.pool, records, { sourceFeed: 'dups' });
  assert.deepEqual([again.added, again.changed, again.unchanged], [[], [], ['dup-1', 'dup-2']]);
  assert.deepEqual(await rowVersions(), versions);
  // Positive control: a changed record is written.
  const changed = await importServices(database.pool, [messy('dup-2', { description: 'now changed' })], { sourceFeed: 'dups' });
  assert.deepEqual(changed.changed, ['dup-2']);
  assert.notDeepEqual(await rowVersions(), versions);
});

test('in URL mode each id is fetched once, a few at a time, and a total_items that disagrees with the rows is reported', async () => {
  const ids = ['url-1', 'url-2', 'url-3'];
  const listed = [
    ...Array.from({ length: 128 }, () => ({ id: 'url-1', name: 'Service url-1', status: 'active' })),
    ...ids.slice(1).map((id) => ({ id, name: id, status: 'active' })),
  ];
  const fetched = new Map<string, number>();
  let running = 0;
  let mostAtOnce = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const detail = /^\/services\/(.+)$/.exec(url.pathname);
    if (detail) {
      const id = decodeURIComponent(detail[1]!);
      fetched.set(id, (fetched.get(id) ?? 0) + 1);
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      setTimeout(() => {
        running--;
        if (id === 'url-3') res.writeHead(404).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...messy(id), service_at_locations: [] }));
      }, 20);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        total_items: 31,
        total_pages: 1,
        page_number: 1,
        size: listed.length,
        first_page: true,
        last_page: true,
        empty: false,
        contents: listed,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const feed = await readOrukFeed(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    assert.deepEqual(Object.fromEntries(fetched), { 'url-1': 1, 'url-2': 1, 'url-3': 1 });
    assert.ok(mostAtOnce > 1 && mostAtOnce <= 8, `at most 8 at once, and more than one: ${mostAtOnce}`);
    assert.match(feed.notes.join(' '), /total_items\) but its pages gave 130 rows/);
    assert.match(feed.notes.join(' '), /127 rows whose id it had already listed/);
    const report = await importServices(database.pool, feed.records, { sourceFeed: 'url-mode', notes: feed.notes, unread: feed.unread });
    assert.deepEqual(report.added.sort(), ['url-1', 'url-2']);
    assert.deepEqual(
      report.invalid.map((i) => i.id),
      ['url-3'],
    );
    assert.equal(report.notes.length, 2);
  } finally {
    server.close();
  }
});

test('an HSDS 1.1 CSV datapackage is refused naming its version, and nothing is read as if it were HSDS 3', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'hsds-1-1-'));
  writeFileSync(path.join(folder, 'datapackage.json'), JSON.stringify({ name: 'hsds', version: '1.1' }));
  writeFileSync(path.join(folder, 'organizations.csv'), 'id,name,description\no1,Old Trust,An organisation\n');
  writeFileSync(path.join(folder, 'services.csv'), 'id,organization_id,name,status\ns1,o1,Old Service,active\n');
  writeFileSync(path.join(folder, 'services_at_location.csv'), 'id,service_id,location_id\nsal1,s1,l1\n');
  writeFileSync(
    path.join(folder, 'physical_addresses.csv'),
    'id,location_id,address_1,city,postal_code,country\na1,l1,1 High St,Leeds,LS1 1AA,GB\n',
  );
  writeFileSync(path.join(folder, 'regular_schedules.csv'), 'id,service_id,weekday,opens_at,closes_at\nr1,s1,1,09:00,17:00\n');
  assert.throws(
    () => readHsdsCsv(folder),
    (error: Error) => error instanceof ImportSourceError && /HSDS 1\.1/.test(error.message) && /nothing was imported/.test(error.message),
  );
  // Without a datapackage, its tables give it away.
  const bare = mkdtempSync(path.join(tmpdir(), 'hsds-1-1-bare-'));
  for (const file of ['organizations.csv', 'services.csv', 'physical_addresses.csv'])
    writeFileSync(path.join(bare, file), readFileSync(path.join(folder, file)));
  assert.throws(() => readHsdsCsv(bare), /before 3\.0 \(it has physical_addresses\.csv\)/);
  // Positive control: HSDS 3.0 CSV with its datapackage is read.
  assert.ok(readHsdsCsv(path.join(openReferralDir, 'hsds-3.0/examples/csv')).length > 0);
});

/** Every leaf of `given` that `served` lacks or holds differently (times and numbers compared as values). */
function lostFrom(given: unknown, served: unknown, at = ''): string[] {
  if (Array.isArray(given)) {
    return given.flatMap((item, i) => {
      const match = Array.isArray(served)
        ? (served.find((s) => item && typeof item === 'object' && s?.id === item.id) ?? served[i])
        : undefined;
      return lostFrom(item, match, `${at}[${(item as { id?: string })?.id ?? i}]`);
    });
  }
  if (given && typeof given === 'object') {
    return Object.entries(given).flatMap(([key, value]) =>
      lostFrom(value, (served as Record<string, unknown> | undefined)?.[key], `${at}.${key}`),
    );
  }
  const same =
    given === served || (typeof given === 'string' && typeof served === 'string' && /^\d\d:\d\d$/.test(given) && served === `${given}:00`);
  return same ? [] : [`${at}: ${JSON.stringify(given)} became ${JSON.stringify(served)}`];
}

test('the full HSDS 3.0 example imports and exports without losing any field HSDS 3.0 defines, and the service page shows what helps a person', async () => {
  const file = path.join(openReferralDir, 'hsds-3.0/examples/service_full.json');
  const original = JSON.parse(readFileSync(file, 'utf8')) as OrukService & Record<string, unknown>;
  const report = await importServices(database.pool, [original], { sourceFeed: 'hsds-example' });
  assert.deepEqual([report.added, report.invalid], [[original.id], []]);
  const exported = (await exportOruk(database.pool)).contents.find((s) => s.id === original.id)!;
  // Two values are ours by design: a service's attributes link the "service" entity, and a term's
  // free-text taxonomy is the name of the taxonomy it belongs to (the example's placeholders disagree).
  const ours = [
    /\.attributes\[[^\]]+\]\.link_entity: "link_entity" became "service"/,
    /\.taxonomy_term\.taxonomy: "taxonomy" became "name"/,
  ];
  const lost = (served: unknown) => lostFrom(original, served).filter((line) => !ours.some((pattern) => pattern.test(line)));
  assert.equal(lostFrom(original, exported).length - lost(exported).length, 2);
  assert.deepEqual(lost(exported), []);
  // The negative control: a field that was never stored is seen as lost.
  assert.equal(lostFrom({ ...original, wait_time: 'changed' }, exported).length, lostFrom(original, exported).length + 1);
  const served = (await app.inject(`/api/oruk/services/${original.id}`)).json();
  assert.deepEqual(lost(served), []);
  assert.equal(validationProblems(orukValidators.service, served), 'ok');

  const page = await app.inject(`/services/${original.id}`);
  assert.equal(page.statusCode, 200);
  for (const text of [
    original.application_process,
    original.fees_description,
    (original.service_at_locations![0]!.location as unknown as Record<string, unknown>).transportation,
  ]) {
    assert.ok(typeof text === 'string' && text.length > 0);
    assert.ok(page.body.includes(text.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/"/g, '&quot;')), text);
  }
});

test('capacity a feed never stated is unknown, on the service page and in the API; capacity a feed states is kept', async () => {
  const unstated = messy('capacity-unstated');
  const stated = messy('capacity-full', { attributes: [{ id: 'cap-attr', taxonomy_term_id: capacityTermId('full') }] });
  await importServices(database.pool, [unstated, stated], { sourceFeed: 'capacity' });
  const capacityOf = async (id: string) =>
    ((await app.inject(`/api/oruk/services/${id}`)).json() as OrukService)
      .attributes!.filter((a) => a.taxonomy_term?.taxonomy_id === CAPACITY_TAXONOMY_ID)
      .map((a) => a.taxonomy_term!.name);
  assert.deepEqual(await capacityOf('capacity-unstated'), ['Capacity not known']);
  assert.deepEqual(await capacityOf('capacity-full'), ['Full']);
  const page = await app.inject('/services/capacity-unstated');
  assert.match(page.body, /We do not know whether this service is taking new people/);
  assert.doesNotMatch((await app.inject('/services/capacity-full')).body, /We do not know whether/);
});
