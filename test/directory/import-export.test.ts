import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { exportHsdsCsv, exportOruk } from '../../src/directory/oruk/export.ts';
import { importServices, readHsdsCsv, readOrukSource } from '../../src/directory/import/service.ts';
import type { OrukService } from '../../src/directory/oruk/types.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { openReferralDir, orukValidators, readOpenReferral, validationProblems } from '../support/oruk-schemas.ts';

let source: Database;
let target: Database;
before(async () => {
  source = await freshDatabase();
  target = await freshDatabase();
});
after(async () => {
  await source.close();
  await target.close();
});

const countServices = async (database: Database) =>
  (await database.pool.query('SELECT count(*)::int AS n FROM directory_service')).rows[0].n as number;
const sortById = (page: { contents: OrukService[] }) => [...page.contents].sort((a, b) => a.id.localeCompare(b.id));

test('the official ORUK sample service imports, re-imports as unchanged, and exports valid without losing fields', async () => {
  const database = await freshDatabase();
  try {
    const services = await readOrukSource(path.join(openReferralDir, 'oruk-validator-mocks/V3.0-UK-Default/service_full.json'));
    const first = await importServices(database.pool, services, { sourceFeed: 'test' });
    assert.deepEqual([first.added.length, first.changed.length, first.unchanged.length, first.invalid.length], [1, 0, 0, 0]);
    const again = await importServices(database.pool, services, { sourceFeed: 'test' });
    assert.deepEqual([again.added.length, again.changed.length, again.unchanged.length], [0, 0, 1]);

    const exported = (await exportOruk(database.pool)).contents[0]!;
    assert.equal(validationProblems(orukValidators.service, exported), 'ok');
    const original = readOpenReferral('oruk-validator-mocks/V3.0-UK-Default/service_full.json') as OrukService;
    for (const field of [
      'id',
      'name',
      'description',
      'url',
      'email',
      'status',
      'fees',
      'accreditations',
      'minimum_age',
      'maximum_age',
      'assured_date',
      'assurer_email',
      'alert',
      'last_modified',
    ] as const) {
      assert.deepEqual(exported[field], original[field], field);
    }
    assert.deepEqual(
      exported.schedules,
      original.schedules!.map((s) => ({ ...s, service_id: original.id })),
    );
    assert.deepEqual(
      exported.cost_options,
      original.cost_options!.map((c) => ({ ...c, service_id: original.id })),
    );
    const location = exported.service_at_locations![0]!.location!;
    const originalLocation = original.service_at_locations![0]!.location!;
    assert.equal(location.latitude, originalLocation.latitude);
    assert.equal(location.addresses![0]!.postal_code, originalLocation.addresses![0]!.postal_code);
    assert.equal(location.accessibility![0]!.details, originalLocation.accessibility![0]!.details);
    assert.equal(exported.organization!.name, original.organization!.name);
    assert.ok(exported.attributes!.some((a) => a.taxonomy_term?.id === original.attributes![0]!.taxonomy_term!.id));
  } finally {
    await database.close();
  }
});

test('the failing validator feed imports without its bad url and email, each reported with the record id', async () => {
  const database = await freshDatabase();
  try {
    const services = await readOrukSource(path.join(openReferralDir, 'oruk-validator-mocks/V3.0-UK-Fail/service_full.json'));
    const id = (services[0] as { id: string }).id;
    const report = await importServices(database.pool, services, { sourceFeed: 'test' });
    assert.deepEqual([report.added, report.invalid], [[id], []]);
    assert.deepEqual(report.problems.map((p) => [p.id, p.field]).sort(), [
      [id, 'email'],
      [id, 'url'],
    ]);
    const exported = (await exportOruk(database.pool)).contents[0]!;
    assert.equal(validationProblems(orukValidators.service, exported), 'ok');
  } finally {
    await database.close();
  }
});

test('a dry run reports what would happen and writes nothing', async () => {
  const database = await freshDatabase();
  try {
    const services = await readOrukSource(path.join(openReferralDir, 'oruk-3.0-profile/examples/service_full.json'));
    const report = await importServices(database.pool, services, { sourceFeed: 'test', dryRun: true });
    assert.equal(report.added.length, 1);
    assert.equal(await countServices(database), 0);
  } finally {
    await database.close();
  }
});

test('a record the database refuses is reported, and the rest of the feed still imports in the same transaction', async () => {
  const database = await freshDatabase();
  try {
    const good = readOpenReferral('oruk-3.0-profile/examples/service_full.json') as OrukService;
    const dangling: OrukService = {
      id: 'dangling-1',
      name: 'Dangling',
      status: 'active',
      organization: { id: 'org-d', name: 'Dangling trust', description: '' },
      service_at_locations: [{ id: 'sal-x', location_id: 'no-such-location' }],
    };
    const report = await importServices(database.pool, [dangling, good], { sourceFeed: 'test' });
    assert.deepEqual(report.added, [good.id]);
    assert.equal(report.invalid[0]!.id, 'dangling-1');
    assert.match(report.invalid[0]!.reason, /database refused/);
  } finally {
    await database.close();
  }
});

test('the ORUK profile CSV example imports as one service', async () => {
  const database = await freshDatabase();
  try {
    const services = readHsdsCsv(path.join(openReferralDir, 'oruk-3.0-profile/examples/csv'));
    const report = await importServices(database.pool, services, { sourceFeed: 'csv' });
    assert.deepEqual([report.added.length, report.invalid.length], [1, 0]);
    const exported = (await exportOruk(database.pool)).contents[0]!;
    assert.equal(exported.name, 'Community Counselling');
    assert.equal(exported.schedules![0]!.byday, 'TH,FR');
    assert.equal(validationProblems(orukValidators.service, exported), 'ok');
  } finally {
    await database.close();
  }
});

test('our own ORUK and CSV exports round-trip into another installation without loss, and re-importing changes nothing', async () => {
  await aDirectoryService(source, {
    name: 'Round Trip Walk',
    needs: ['physical-activity'],
    delivery: ['in-person'],
    byday: 'MO,WE',
    cost: 2.5,
    minimumAge: 50,
    accessibility: ['Hearing loop'],
    languages: ['Polish'],
    capacity: 'waiting_list',
    expectedWaitWeeks: 6,
  });
  await aDirectoryService(source, {
    name: 'Round Trip Phone Line',
    needs: ['loneliness'],
    delivery: ['phone'],
    postcode: null,
    status: 'temporarily closed',
  });
  await aDirectoryService(source, { name: 'Round Trip Full', needs: ['money'], capacity: 'full' });
  const original = await exportOruk(source.pool);

  const file = path.join(mkdtempSync(path.join(tmpdir(), 'oruk-')), 'export.json');
  (await import('node:fs')).writeFileSync(file, JSON.stringify(original));
  const report = await importServices(target.pool, await readOrukSource(file), { sourceFeed: 'round-trip' });
  assert.equal(report.added.length, 3);
  assert.deepEqual(sortById(await exportOruk(target.pool)), sortById(original));
  const again = await importServices(target.pool, await readOrukSource(file), { sourceFeed: 'round-trip' });
  assert.equal(again.unchanged.length, 3);

  const folder = mkdtempSync(path.join(tmpdir(), 'hsds-'));
  await exportHsdsCsv(source.pool, folder);
  assert.match(readFileSync(path.join(folder, 'services.csv'), 'utf8'), /Round Trip Walk/);
  const fromCsv = await importServices(target.pool, readHsdsCsv(folder), { sourceFeed: 'round-trip-csv' });
  assert.deepEqual([fromCsv.added.length, fromCsv.changed.length, fromCsv.unchanged.length, fromCsv.invalid.length], [0, 0, 3, 0]);
});

test('an ORUK API is imported over HTTP by following total_pages', async () => {
  const database = await freshDatabase();
  let app: FastifyInstance | undefined;
  try {
    app = await testApp(source);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address() as { port: number };
    const lines: string[] = [];
    const services = await readOrukSource(`http://127.0.0.1:${address.port}/api/oruk`, (line) => lines.push(line), 1);
    assert.ok(lines.some((l) => /page 2 of/.test(l)));
    const report = await importServices(database.pool, services, { sourceFeed: 'http' });
    // The API lists active services only; the temporarily closed one is not in the feed.
    assert.equal(report.added.length, 2);
    assert.equal(await countServices(database), 2);
  } finally {
    await app?.close();
    await database.close();
  }
});
