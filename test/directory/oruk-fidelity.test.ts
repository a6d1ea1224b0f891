import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { exportHsdsCsv, exportOruk } from '../../src/directory/oruk/export.ts';
import { importServices, readHsdsCsv, readOrukSource } from '../../src/directory/import/service.ts';
import { readOrganization } from '../../src/directory/queries.ts';
import { parseCsv } from '../../src/csv.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { openReferralDir, orukValidators, validationProblems } from '../support/oruk-schemas.ts';

// Every official sample and validator mock feed: the HSDS 3 objects Signpost used to drop
// (service areas, funding, organisation identifiers, programmes, required documents, and every
// address of a location) must all come back out of our export, and our export must import back
// into another installation and export again unchanged.

const KINDS = {
  service_area: ['service_areas'],
  funding: ['funding'],
  organization_identifier: ['organization_identifiers'],
  program: ['programs', 'program'],
  required_document: ['required_documents'],
  address: ['addresses'],
} as const;
type Kind = keyof typeof KINDS;

/** The ids of each kind of object anywhere in a JSON document, sorted. */
function idsByKind(document: unknown): Record<Kind, string[]> {
  const found = Object.fromEntries(Object.keys(KINDS).map((k) => [k, new Set<string>()])) as Record<Kind, Set<string>>;
  const walk = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      for (const [kind, keys] of Object.entries(KINDS) as Array<[Kind, readonly string[]]>) {
        if (!keys.includes(key)) continue;
        for (const item of Array.isArray(child) ? child : [child]) {
          if (item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string')
            found[kind].add((item as { id: string }).id);
        }
      }
      walk(child);
    }
  };
  walk(document);
  return Object.fromEntries(Object.entries(found).map(([k, v]) => [k, [...v].sort()])) as Record<Kind, string[]>;
}

const CSV_TABLES: Record<Kind, string[]> = {
  service_area: ['service_areas.csv'],
  funding: ['funding.csv'],
  organization_identifier: ['organization_identifiers.csv'],
  program: ['programs.csv'],
  required_document: ['required_documents.csv'],
  address: ['addresses.csv', 'address.csv'],
};

function csvIdsByKind(folder: string): Record<Kind, string[]> {
  return Object.fromEntries(
    Object.entries(CSV_TABLES).map(([kind, names]) => {
      const ids = new Set<string>();
      for (const name of names) {
        try {
          for (const row of parseCsv(readFileSync(path.join(folder, name), 'utf8'))) if (row.id) ids.add(row.id);
        } catch {
          // the feed has no such table
        }
      }
      return [kind, [...ids].sort()];
    }),
  ) as Record<Kind, string[]>;
}

const feeds = [
  'hsds-3.0/examples',
  'oruk-3.0-profile/examples',
  'oruk-validator-mocks/V3.0-UK-Default',
  'oruk-validator-mocks/V3.0-UK-Warn',
].flatMap((folder) =>
  readdirSync(path.join(openReferralDir, folder))
    .filter((f) => /^(service|service_at_location|organization)_(full|list)\.json$/.test(f))
    .map((f) => path.join(folder, f)),
);

/** A JSON value with every list of records sorted by id, for comparing where order means nothing. */
function unordered(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(unordered);
    return items.every((i) => i && typeof i === 'object' && 'id' in (i as object))
      ? items.sort((a, b) => String((a as { id: unknown }).id).localeCompare(String((b as { id: unknown }).id)))
      : items;
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unordered(v)]));
  return value;
}

// Three databases for the whole file, emptied of directory data before each use: opening three
// fresh ones for each of the sixteen feeds took most of this file's time.
let databases: Database[] = [];
let templateTerms: { taxonomies: string[]; terms: string[] } = { taxonomies: [], terms: [] };
before(async () => {
  databases = [await freshDatabase(), await freshDatabase(), await freshDatabase()];
  const pool = databases[0]!.pool;
  templateTerms = {
    taxonomies: (await pool.query<{ id: string }>('SELECT id FROM directory_taxonomy')).rows.map((r) => r.id),
    terms: (await pool.query<{ id: string }>('SELECT id FROM directory_taxonomy_term')).rows.map((r) => r.id),
  };
});
after(async () => {
  for (const database of databases) await database.close();
});

/** Back to the migrated state: no directory records, only the taxonomies the migrations add. */
async function emptied(database: Database): Promise<Database> {
  const { rows } = await database.pool.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'directory\\_%' AND tablename NOT IN ('directory_taxonomy', 'directory_taxonomy_term')`,
  );
  await database.pool.query(`TRUNCATE ${rows.map((r) => r.name).join(', ')} CASCADE`);
  await database.pool.query('DELETE FROM directory_taxonomy_term WHERE NOT (id = ANY($1))', [templateTerms.terms]);
  await database.pool.query('DELETE FROM directory_taxonomy WHERE NOT (id = ANY($1))', [templateTerms.taxonomies]);
  return database;
}

async function withDatabases(run: (a: Database, b: Database) => Promise<void>) {
  await run(await emptied(databases[0]!), await emptied(databases[1]!));
}

async function withThreeDatabases(run: (a: Database, b: Database, c: Database) => Promise<void>) {
  await run(await emptied(databases[0]!), await emptied(databases[1]!), await emptied(databases[2]!));
}

test('the sample feeds cover every object kind Signpost must keep', () => {
  const all = feeds.map((f) => idsByKind(JSON.parse(readFileSync(path.join(openReferralDir, f), 'utf8'))));
  for (const kind of Object.keys(KINDS) as Kind[])
    assert.ok(
      all.some((ids) => ids[kind].length > 0),
      kind,
    );
});

for (const feed of feeds) {
  test(`${feed}: nothing is lost, our exports validate, and both round-trip unchanged`, async () => {
    await withThreeDatabases(async (first, second, third) => {
      const file = path.join(openReferralDir, feed);
      const document = JSON.parse(readFileSync(file, 'utf8'));
      const input = idsByKind(document);
      const report = await importServices(first.pool, await readOrukSource(file), { sourceFeed: 'sample' });
      assert.deepEqual(report.invalid, []);
      const again = await importServices(first.pool, await readOrukSource(file), { sourceFeed: 'sample' });
      assert.deepEqual([again.added.length, again.changed.length, again.invalid.length], [0, 0, 0]);
      assert.equal(again.unchanged.length, report.added.length);

      // The HSDS CSV export holds everything, organisations without services included.
      const csv = mkdtempSync(path.join(tmpdir(), 'hsds-fidelity-'));
      await exportHsdsCsv(first.pool, csv);
      assert.deepEqual(csvIdsByKind(csv), input);

      // The ORUK export is a page of services: it holds everything a feed with services has.
      const exported = await exportOruk(first.pool);
      for (const service of exported.contents) assert.equal(validationProblems(orukValidators.service, service), 'ok', service.id);
      if (exported.contents.length > 0) assert.deepEqual(idsByKind(exported), input);
      else {
        const organizations = [];
        for (const item of document.contents ?? [document]) {
          const o = await readOrganization(first.pool, item.id);
          // A mock whose own record breaks the schema (an identifier id that is not a UUID) comes back as it was.
          if (validationProblems(orukValidators.organization, item) === 'ok')
            assert.equal(validationProblems(orukValidators.organization, o), 'ok');
          organizations.push(o);
        }
        assert.deepEqual(idsByKind(organizations), input);
      }

      const ours = path.join(mkdtempSync(path.join(tmpdir(), 'oruk-fidelity-')), 'export.json');
      (await import('node:fs')).writeFileSync(ours, JSON.stringify(exported));
      const copied = await importServices(second.pool, await readOrukSource(ours), { sourceFeed: 'ours' });
      assert.equal(copied.added.length, exported.contents.length);
      assert.equal(JSON.stringify(await exportOruk(second.pool)), JSON.stringify(exported));
      const reimported = await importServices(second.pool, await readOrukSource(ours), { sourceFeed: 'ours' });
      assert.equal(reimported.unchanged.length, exported.contents.length);

      const fromCsv = await importServices(third.pool, readHsdsCsv(csv), { sourceFeed: 'ours' });
      assert.deepEqual(fromCsv.invalid, []);
      const csv2 = mkdtempSync(path.join(tmpdir(), 'hsds-fidelity-'));
      await exportHsdsCsv(third.pool, csv2);
      for (const table of readdirSync(csv))
        assert.equal(readFileSync(path.join(csv2, table), 'utf8'), readFileSync(path.join(csv, table), 'utf8'), table);
      // The same objects, every kept HSDS 3.0 field included; the CSV route may give a location's kept
      // fields in another key order and list a service's records (attributes, phones) in another
      // order, which HSDS leaves open.
      assert.deepEqual(unordered(await exportOruk(third.pool)), unordered(exported));
      for (const item of exported.contents.length ? [] : (document.contents ?? [document])) {
        assert.deepEqual(await readOrganization(third.pool, item.id), await readOrganization(first.pool, item.id), item.id);
      }
    });
  });
}

for (const folder of ['hsds-3.0/examples/csv', 'oruk-3.0-profile/examples/csv']) {
  test(`${folder}: HSDS CSV keeps every object, and our CSV export round-trips byte for byte`, async () => {
    await withDatabases(async (first, second) => {
      const source = path.join(openReferralDir, folder);
      const report = await importServices(first.pool, readHsdsCsv(source), { sourceFeed: 'csv' });
      assert.deepEqual(report.invalid, []);
      const out = mkdtempSync(path.join(tmpdir(), 'hsds-fidelity-'));
      await exportHsdsCsv(first.pool, out);
      assert.deepEqual(csvIdsByKind(out), csvIdsByKind(source));
      assert.deepEqual(idsByKind(await exportOruk(first.pool)), csvIdsByKind(source));

      const copied = await importServices(second.pool, readHsdsCsv(out), { sourceFeed: 'ours' });
      assert.equal(copied.invalid.length, 0);
      const out2 = mkdtempSync(path.join(tmpdir(), 'hsds-fidelity-'));
      await exportHsdsCsv(second.pool, out2);
      for (const table of readdirSync(out))
        assert.equal(readFileSync(path.join(out2, table), 'utf8'), readFileSync(path.join(out, table), 'utf8'), table);
      const reimported = await importServices(second.pool, readHsdsCsv(out), { sourceFeed: 'ours' });
      assert.deepEqual([reimported.added.length, reimported.changed.length], [0, 0]);
    });
  });
}

/** The lists HSDS 3.0 nests beyond the ORUK types. */
interface Listed {
  id: string;
  name?: string;
  organization?: Listed;
  location?: Listed;
  service_at_locations?: Listed[];
  phones?: Listed[];
  languages?: Listed[];
  locations?: Listed[];
  schedules?: Listed[];
  contacts?: Listed[];
}

test('the HSDS CSV tables name every place an object is listed, as HSDS 3.0 tabular columns, and read back into those places', async () => {
  await withDatabases(async (first, second) => {
    const file = path.join(openReferralDir, 'hsds-3.0/examples/service_full.json');
    const service = JSON.parse(readFileSync(file, 'utf8'));
    await importServices(first.pool, await readOrukSource(file), { sourceFeed: 'sample' });
    const out = mkdtempSync(path.join(tmpdir(), 'hsds-tables-'));
    await exportHsdsCsv(first.pool, out);
    const table = (name: string) => parseCsv(readFileSync(path.join(out, name), 'utf8'));
    const header = (name: string) => readFileSync(path.join(out, name), 'utf8').split('\n')[0];
    // Column names as the HSDS 3.0 example CSV folder spells them.
    const example = path.join(openReferralDir, 'hsds-3.0/examples/csv');
    for (const name of ['metadata.csv', 'contacts.csv', 'phones.csv', 'languages.csv', 'locations.csv', 'taxonomy_terms.csv']) {
      assert.equal(header(name), readFileSync(path.join(example, name), 'utf8').split(/\r?\n/)[0], name);
    }
    const phone = service.contacts[0].phones[0];
    const [phoneRow] = table('phones.csv');
    const sal = service.service_at_locations[0];
    assert.deepEqual(
      [
        phoneRow!.id,
        phoneRow!.service_id,
        phoneRow!.organization_id,
        phoneRow!.location_id,
        phoneRow!.contact_id,
        phoneRow!.service_at_location_id,
      ],
      [phone.id, service.id, service.organization.id, sal.location.id, service.contacts[0].id, sal.id],
    );
    assert.deepEqual(table('languages.csv').find((l) => l.phone_id === phone.id)?.location_id, sal.location.id);
    assert.deepEqual(
      table('metadata.csv').map((m) => [m.id, m.resource_id, m.resource_type]),
      [[service.metadata[0].id, service.id, 'location']],
    );
    assert.equal(table('locations.csv')[0]!.organization_id, service.organization.id);
    assert.equal(table('taxonomy_terms.csv').find((t) => t.id === service.attributes[0].taxonomy_term.id)?.language, 'eng');

    // The official example folder says the same in its own rows.
    await importServices(second.pool, readHsdsCsv(example), { sourceFeed: 'csv' });
    const read = (await exportOruk(second.pool)).contents[0] as unknown as Listed;
    const location = read.service_at_locations![0]!.location!;
    assert.deepEqual(
      [read.phones, read.organization!.phones, location.phones, read.contacts![0]!.phones].map((list) => list?.map((p) => p.id)),
      [[phone.id], [phone.id], [phone.id], [phone.id]],
    );
    assert.deepEqual(
      location.phones![0]!.languages!.map((l) => l.name),
      ['Urdu'],
    );
    assert.deepEqual(
      location.contacts!.map((c) => c.id),
      [service.contacts[0].id],
    );
    assert.deepEqual(
      read.service_at_locations![0]!.schedules!.map((x) => x.id),
      read.schedules!.map((x) => x.id),
    );
  });
});

test('a location keeps all its addresses, physical, postal and virtual, through import, API and both exports', async () => {
  await withDatabases(async (first, second) => {
    const file = path.join(openReferralDir, 'oruk-validator-mocks/V3.0-UK-Default/service_full.json');
    const service = JSON.parse(readFileSync(file, 'utf8'));
    const location = service.service_at_locations[0].location;
    const base = location.addresses[0];
    location.addresses = [
      base,
      { ...base, id: 'b0000000-0000-4000-8000-000000000002', address_1: 'PO Box 12', address_type: 'postal' },
      { ...base, id: 'b0000000-0000-4000-8000-000000000003', address_1: 'Online', address_type: 'virtual' },
    ];
    const report = await importServices(first.pool, [service], { sourceFeed: 'test' });
    assert.equal(report.added.length, 1);
    const exported = (await exportOruk(first.pool)).contents[0]!;
    const addresses = exported.service_at_locations![0]!.location!.addresses!;
    assert.deepEqual(
      addresses.map((a) => a.address_type).sort(),
      location.addresses.map((a: { address_type: string }) => a.address_type).sort(),
    );
    assert.deepEqual(addresses.map((a) => a.id).sort(), location.addresses.map((a: { id: string }) => a.id).sort());
    assert.equal(validationProblems(orukValidators.service, exported), 'ok');

    const out = mkdtempSync(path.join(tmpdir(), 'hsds-addresses-'));
    await exportHsdsCsv(first.pool, out);
    assert.equal(parseCsv(readFileSync(path.join(out, 'addresses.csv'), 'utf8')).length, 3);
    await importServices(second.pool, readHsdsCsv(out), { sourceFeed: 'csv' });
    assert.deepEqual((await exportOruk(second.pool)).contents[0]!.service_at_locations![0]!.location!.addresses, addresses);

    // Dropping an address from the feed removes it.
    location.addresses = [base];
    const changed = await importServices(first.pool, [service], { sourceFeed: 'test' });
    assert.equal(changed.changed.length, 1);
    assert.equal((await exportOruk(first.pool)).contents[0]!.service_at_locations![0]!.location!.addresses!.length, 1);
  });
});

test('the API serves the kept objects where HSDS puts them, and stays valid', async () => {
  const database = await freshDatabase();
  const app = await testApp(database);
  try {
    await importServices(database.pool, await readOrukSource(path.join(openReferralDir, 'hsds-3.0/examples/service_full.json')), {
      sourceFeed: 'sample',
    });
    const original = JSON.parse(readFileSync(path.join(openReferralDir, 'hsds-3.0/examples/service_full.json'), 'utf8'));
    const service = (await app.inject(`/api/oruk/services/${original.id}`)).json();
    assert.equal(validationProblems(orukValidators.service, service), 'ok');
    assert.deepEqual(
      service.service_areas.map((a: { id: string }) => a.id),
      original.service_areas.map((a: { id: string }) => a.id),
    );
    assert.deepEqual(
      service.funding.map((f: { source: string }) => f.source),
      original.funding.map((f: { source: string }) => f.source),
    );
    assert.equal(service.program.name, original.program.name);
    assert.equal(service.required_documents[0].document, original.required_documents[0].document);
    const organization = (await app.inject(`/api/oruk/organizations/${original.organization.id}`)).json();
    assert.equal(validationProblems(orukValidators.organization, organization), 'ok');
    assert.deepEqual(
      organization.organization_identifiers.map((x: { identifier: string }) => x.identifier),
      ['1234567'],
    );
    assert.deepEqual(
      organization.programs.map((p: { id: string }) => p.id),
      [original.program.id],
    );
    assert.deepEqual(
      organization.funding.map((f: { id: string }) => f.id),
      [original.funding[0].id],
    );
  } finally {
    await app.close();
    await database.close();
  }
});

test('a record whose lists are not lists imports without them, each reported; a record without its status is refused', async () => {
  const database = await freshDatabase();
  try {
    const good = JSON.parse(readFileSync(path.join(openReferralDir, 'oruk-validator-mocks/V3.0-UK-Default/service_full.json'), 'utf8'));
    const broken = [
      { ...good, id: 'c0000000-0000-4000-8000-000000000001', service_areas: { id: 'x' } },
      { ...good, id: 'c0000000-0000-4000-8000-000000000002', funding: 'council' },
      { ...good, id: 'c0000000-0000-4000-8000-000000000003', program: ['not', 'an', 'object'] },
      {
        ...good,
        id: 'c0000000-0000-4000-8000-000000000004',
        service_at_locations: [
          { ...good.service_at_locations[0], location: { ...good.service_at_locations[0].location, addresses: { id: 'a' } } },
        ],
      },
      {
        ...good,
        id: 'c0000000-0000-4000-8000-000000000005',
        organization: { ...good.organization, organization_identifiers: [{ identifier: 'no id' }] },
      },
    ];
    // A service without its status is still a service (it has a url), reported invalid, not taken for an organisation.
    const { status: _status, ...noStatus } = {
      ...good,
      id: 'c0000000-0000-4000-8000-000000000006',
      service_at_locations: undefined,
      schedules: undefined,
      cost_options: undefined,
      service_areas: undefined,
      organization: undefined,
      funding: undefined,
      contacts: undefined,
      attributes: undefined,
      languages: undefined,
    };
    const slim = Object.fromEntries(Object.entries(noStatus).filter(([, v]) => v !== undefined));
    broken.push(slim);
    const report = await importServices(database.pool, [...broken, good], { sourceFeed: 'test' });
    assert.deepEqual(report.added, [...broken.slice(0, -1).map((b) => b.id), good.id]);
    assert.deepEqual(
      report.invalid.map((i) => i.id),
      [slim.id],
    );
    assert.match(report.invalid[0]!.reason, /status/);
    const fields = [
      'service_areas',
      'funding',
      'program',
      'service_at_locations[.*].location.addresses',
      'organization.organization_identifiers',
    ];
    broken.slice(0, -1).forEach((b, i) => {
      const problems = report.problems.filter((p) => p.id === b.id);
      assert.equal(problems.length, 1, b.id);
      assert.match(problems[0]!.field, new RegExp(`^${fields[i]!.replace('[.*]', '\\[.*\\]')}`), b.id);
    });
    assert.equal(report.problems.filter((p) => p.id === good.id).length, 0);
  } finally {
    await database.close();
  }
});

test('an ORUK taxonomy term keeps its "term" and its free-text "taxonomy"', async () => {
  const database = await freshDatabase();
  try {
    const file = path.join(openReferralDir, 'oruk-validator-mocks/V3.0-UK-Default/service_full.json');
    const original = JSON.parse(readFileSync(file, 'utf8')).attributes[0].taxonomy_term;
    await importServices(database.pool, await readOrukSource(file), { sourceFeed: 'test' });
    const exported = (await exportOruk(database.pool)).contents[0]!;
    const term = exported.attributes!.find((a) => a.taxonomy_term?.id === original.id)!.taxonomy_term!;
    assert.deepEqual(
      [term.term, term.taxonomy, term.name, term.term_uri, term.parent_id],
      [original.term, original.taxonomy, original.name, original.term_uri, original.parent_id],
    );
    assert.equal(validationProblems(orukValidators.taxonomyTerm, term), 'ok');
  } finally {
    await database.close();
  }
});

test('a programme naming an organisation we do not hold is kept without it', async () => {
  const database = await freshDatabase();
  try {
    const service = JSON.parse(readFileSync(path.join(openReferralDir, 'hsds-3.0/examples/service_full.json'), 'utf8'));
    service.program = { ...service.program, organization_id: 'd0000000-0000-4000-8000-00000000000f' };
    delete service.organization.programs;
    const report = await importServices(database.pool, [service], { sourceFeed: 'test' });
    assert.deepEqual([report.added.length, report.invalid.length], [1, 0]);
    const exported = (await exportOruk(database.pool)).contents[0]!;
    assert.equal(exported.program!.id, service.program.id);
    // The programme row holds no organisation; the feed's reference is kept with what no column holds, and served back.
    assert.equal(exported.program!.organization_id, service.program.organization_id);
  } finally {
    await database.close();
  }
});
