import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { refreshSearch } from '../../src/directory/queries.ts';
import type { OrukService } from '../../src/directory/oruk/types.ts';
import { NEEDS } from '../../src/vocabulary/needs.ts';
import { CAPACITIES, CAPACITY_TAXONOMY_ID, capacityTermId, deliveryTermId, needTermId } from '../../src/directory/taxonomy.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { orukValidators, validationProblems } from '../support/oruk-schemas.ts';

// A realistic size: thousands of services, paged through as an ORUK client would.
const COUNT = 3_000;
const PER_PAGE = 100;

let database: Database;
let app: FastifyInstance;
const uuid = (kind: number, n: number) => `00000000-0000-4000-8${kind.toString(16).padStart(3, '0')}-${n.toString(16).padStart(12, '0')}`;

/**
 * Thousands of services written in a few statements (an import of this many takes minutes on a
 * busy machine): an organisation per four, a location each, a need, a delivery method, every
 * seventh a term of a feed's own taxonomy, and the four capacities in turn.
 */
async function load() {
  const db = database.pool;
  await db.query(`INSERT INTO directory_taxonomy (id, name, description) VALUES ($1, 'A feed taxonomy', '')`, [uuid(10, 1)]);
  await db.query(
    `INSERT INTO directory_taxonomy_term (id, taxonomy_id, name) SELECT $1 || lpad(to_hex(g), 12, '0'), $2, 'Feed term ' || g
    FROM generate_series(0, 2) g`,
    [uuid(4, 0).slice(0, -12), uuid(10, 1)],
  );
  const ids = (kind: number) => uuid(kind, 0).slice(0, -12);
  const params = [
    COUNT - 1,
    ids(6),
    ids(7),
    ids(8),
    ids(9),
    NEEDS.map((n) => needTermId(n.code)),
    NEEDS.map((n) => n.label),
    CAPACITIES.map((c) => c.code),
  ];
  await db.query(
    `INSERT INTO directory_organization (id, name, description) SELECT $3 || lpad(to_hex(g), 12, '0'), 'Trust ' || g, ''
    FROM generate_series(0, $1::int / 4) g, (SELECT $2::text, $4::text, $5::text, $6::text[], $7::text[], $8::text[]) x`,
    params,
  );
  await db.query(
    `INSERT INTO directory_service (id, organization_id, name, description, status, capacity)
    SELECT $2 || lpad(to_hex(g), 12, '0'), $3 || lpad(to_hex(g / 4), 12, '0'), ($7::text[])[1 + g % cardinality($6::text[])] || ' group ' || g,
           'A generated service.', 'active', ($8::text[])[1 + g % 4]
      FROM generate_series(0, $1::int) g, (SELECT $4::text, $5::text) x`,
    params,
  );
  await db.query(
    `INSERT INTO directory_location (id, location_type, name, latitude, longitude)
    SELECT $2 || lpad(to_hex(g), 12, '0'), 'physical', 'Venue ' || g, 53.8, -1.55 FROM generate_series(0, $1::int) g`,
    [COUNT - 1, ids(9)],
  );
  await db.query(
    `INSERT INTO directory_service_at_location (id, service_id, location_id)
    SELECT $2 || lpad(to_hex(g), 12, '0'), $3 || lpad(to_hex(g), 12, '0'), $4 || lpad(to_hex(g), 12, '0') FROM generate_series(0, $1::int) g`,
    [COUNT - 1, ids(8), ids(6), ids(9)],
  );
  await db.query(
    `INSERT INTO directory_attribute (id, link_id, link_entity, taxonomy_term_id)
    SELECT $2 || lpad(to_hex(g), 12, '0'), $5 || lpad(to_hex(g), 12, '0'), 'service', ($7::text[])[1 + g % cardinality($7::text[])] FROM generate_series(0, $1::int) g
    UNION ALL SELECT $3 || lpad(to_hex(g), 12, '0'), $5 || lpad(to_hex(g), 12, '0'), 'service', $8 FROM generate_series(0, $1::int) g
    UNION ALL SELECT $4 || lpad(to_hex(g), 12, '0'), $5 || lpad(to_hex(g), 12, '0'), 'service', $6 || lpad(to_hex(g % 3), 12, '0')
      FROM generate_series(0, $1::int) g WHERE g % 7 = 0`,
    [COUNT - 1, ids(1), ids(2), ids(3), ids(6), ids(4), NEEDS.map((n) => needTermId(n.code)), deliveryTermId('in-person')],
  );
  await refreshSearch(
    db,
    Array.from({ length: COUNT }, (_, n) => uuid(6, n)),
  );
}

before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  await load();
});
after(async () => {
  await app.close();
  await database.close();
});

const get = async (url: string) => {
  const res = await app.inject(url);
  assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 200)}`);
  return res.json() as {
    total_items: number;
    total_pages: number;
    page_number: number;
    size: number;
    first_page: boolean;
    last_page: boolean;
    contents: Array<{ id: string } & Record<string, unknown>>;
  };
};

/** A repeatable pseudo-random pick, so a failure names the same ids again. */
function picker(seed: number) {
  let state = seed;
  return <T>(items: T[]): T => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return items[state % items.length]!;
  };
}

test('paging through thousands of services gives every service once, with the right first, middle and last pages', async () => {
  const pages = Math.ceil(COUNT / PER_PAGE);
  const seen: string[] = [];
  for (let page = 1; page <= pages; page++) {
    const body = await get(`/api/oruk/services?page=${page}&per_page=${PER_PAGE}`);
    assert.deepEqual(
      [body.total_items, body.total_pages, body.page_number, body.first_page, body.last_page],
      [COUNT, pages, page, page === 1, page === pages],
      `page ${page}`,
    );
    assert.equal(body.size, page < pages ? PER_PAGE : COUNT - PER_PAGE * (pages - 1));
    if ([1, Math.ceil(pages / 2), pages].includes(page))
      assert.equal(validationProblems(orukValidators.serviceList, body), 'ok', `page ${page}`);
    seen.push(...body.contents.map((s) => s.id));
  }
  assert.equal(new Set(seen).size, COUNT);
  assert.deepEqual(seen, [...seen].sort());
  const beyond = await get(`/api/oruk/services?page=${pages + 1}&per_page=${PER_PAGE}`);
  assert.deepEqual([beyond.size, beyond.total_items, beyond.contents.length], [0, COUNT, 0]);

  const salPages = await get(`/api/oruk/service_at_locations?per_page=${PER_PAGE}`);
  assert.equal(salPages.total_items, COUNT);
  const lastSal = await get(`/api/oruk/service_at_locations?page=${salPages.total_pages}&per_page=${PER_PAGE}`);
  assert.equal(lastSal.last_page, true);
  assert.equal(validationProblems(orukValidators.serviceAtLocationList, lastSal), 'ok');
  const pastSal = await get(`/api/oruk/service_at_locations?page=${salPages.total_pages + 1}&per_page=${PER_PAGE}`);
  assert.deepEqual([pastSal.size, pastSal.total_items], [0, COUNT]);
});

test('every by-id path answers for random ids taken from its list, and validates', async () => {
  const pick = picker(17);
  const pages = Math.ceil(COUNT / PER_PAGE);
  for (let i = 0; i < 12; i++) {
    const page = pick(Array.from({ length: pages }, (_, p) => p + 1));
    const listed = (await get(`/api/oruk/services?page=${page}&per_page=${PER_PAGE}`)).contents;
    const id = pick(listed).id;
    const service = (await get(`/api/oruk/services/${id}`)) as unknown as OrukService;
    assert.equal(service.id, id);
    assert.equal(validationProblems(orukValidators.service, service), 'ok', id);
    const salId = service.service_at_locations![0]!.id;
    const sal = (await get(`/api/oruk/service_at_locations/${salId}`)) as unknown as OrukService;
    assert.deepEqual([sal.id, sal.service_at_locations!.map((x) => x.id)], [id, [salId]]);
  }
  const terms = (await get('/api/oruk/taxonomy_terms?per_page=100')).contents;
  const taxonomies = (await get('/api/oruk/taxonomies?per_page=100')).contents;
  for (let i = 0; i < 8; i++) {
    const term = pick(terms);
    assert.deepEqual(await get(`/api/oruk/taxonomy_terms/${term.id}`), term);
    const taxonomy = pick(taxonomies);
    assert.deepEqual(await get(`/api/oruk/taxonomies/${taxonomy.id}`), taxonomy);
  }
  assert.equal((await app.inject(`/api/oruk/services/${uuid(6, COUNT + 1)}`)).statusCode, 404);
});

test('filtering services, service_at_locations and taxonomy terms by any term a service carries finds it, capacity terms included', async () => {
  const pick = picker(29);
  const sample = Array.from({ length: 10 }, () => uuid(6, pick(Array.from({ length: COUNT }, (_, n) => n))));
  sample.push(uuid(6, 0), uuid(6, 3)); // one with a feed term, one whose capacity is unknown
  for (const id of sample) {
    const service = (await get(`/api/oruk/services/${id}`)) as unknown as OrukService;
    const org = service.organization!.id;
    const terms = service.attributes!.map((a) => a.taxonomy_term!);
    assert.ok(
      terms.some((t) => t.taxonomy_id === CAPACITY_TAXONOMY_ID),
      `${id} carries a capacity term`,
    );
    for (const term of terms) {
      const byTerm = await get(`/api/oruk/services?taxonomy_term_id=${term.id}&organization_id=${org}`);
      assert.ok(
        byTerm.contents.some((s) => s.id === id),
        `${id} by term ${term.name}`,
      );
      const byTaxonomy = await get(`/api/oruk/services?taxonomy_id=${term.taxonomy_id}&organization_id=${org}`);
      assert.ok(
        byTaxonomy.contents.some((s) => s.id === id),
        `${id} by taxonomy of ${term.name}`,
      );
      const sals = await get(`/api/oruk/service_at_locations?taxonomy_term_id=${term.id}&organization_id=${org}`);
      assert.ok(
        sals.contents.some((s) => s.service_id === id),
        `${id} at its location by term ${term.name}`,
      );
      const listedTerms = await get(`/api/oruk/taxonomy_terms?taxonomy_id=${term.taxonomy_id}&per_page=100`);
      assert.ok(
        listedTerms.contents.some((t) => t.id === term.id),
        `term ${term.name} in its taxonomy`,
      );
    }
    // Negative control: a capacity this service does not have does not find it.
    const capacity = terms.find((t) => t.taxonomy_id === CAPACITY_TAXONOMY_ID)!;
    const other = CAPACITIES.map((c) => capacityTermId(c.code)).find((t) => t !== capacity.id)!;
    assert.ok(!(await get(`/api/oruk/services?taxonomy_term_id=${other}&organization_id=${org}`)).contents.some((s) => s.id === id));
  }
  // Every service carries a capacity term, so the capacity taxonomy finds them all; each term a quarter of them.
  assert.equal((await get(`/api/oruk/services?taxonomy_id=${CAPACITY_TAXONOMY_ID}&per_page=1`)).total_items, COUNT);
  for (const c of CAPACITIES)
    assert.equal((await get(`/api/oruk/services?taxonomy_term_id=${capacityTermId(c.code)}&per_page=1`)).total_items, COUNT / 4, c.code);
});
