import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import type { OrukService } from '../../src/directory/oruk/types.ts';
import { upsertTaxonomyTerm } from '../../src/directory/queries.ts';
import { NEEDS } from '../../src/vocabulary/needs.ts';
import { LGA_SERVICE_TYPES, LGA_TAXONOMY_ID, lgaTermId, NEEDS_TAXONOMY_ID, needTermId, stableId } from '../../src/directory/taxonomy.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { NDJSON_MAX } from '../../src/directory/oruk/service.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { orukValidators, readOpenReferral, validationProblems } from '../support/oruk-schemas.ts';

let database: Database;
let app: FastifyInstance;
let near: Awaited<ReturnType<typeof aDirectoryService>>;
let far: Awaited<ReturnType<typeof aDirectoryService>>;

before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  near = await aDirectoryService(database, {
    name: 'Headingley Walking Group',
    needs: ['physical-activity', 'loneliness'],
    delivery: ['in-person'],
    postcode: 'LS6 3AB',
    byday: 'TU',
    opensAt: '10:00',
    closesAt: '11:30',
    cost: 0,
    minimumAge: 18,
    accessibility: ['Wheelchair accessible'],
    languages: ['English'],
    capacity: 'waiting_list',
    expectedWaitWeeks: 4,
  });
  far = await aDirectoryService(database, { name: 'City Debt Advice', needs: ['money'], postcode: 'LS1 1AA', byday: 'TH', cost: 5 });
  await aDirectoryService(database, { name: 'Closed Craft Club', needs: ['arts'], status: 'inactive' });
});
after(async () => {
  await app.close();
  await database.close();
});

const get = async (url: string) => {
  const res = await app.inject(url);
  return {
    status: res.statusCode,
    body: res.json() as Record<string, unknown> & { contents?: Array<Record<string, unknown>> },
    headers: res.headers,
  };
};

test('the validators accept the official valid feed and refuse the failing one', () => {
  assert.equal(
    validationProblems(orukValidators.service, readOpenReferral('oruk-validator-mocks/V3.0-UK-Default/service_full.json')),
    'ok',
  );
  assert.notEqual(
    validationProblems(orukValidators.service, readOpenReferral('oruk-validator-mocks/V3.0-UK-Fail/service_full.json')),
    'ok',
  );
});

test('the API root describes the ORUK 3.0 profile, with open CORS', async () => {
  const res = await get('/api/oruk');
  assert.equal(res.status, 200);
  assert.equal(res.headers['access-control-allow-origin'], '*');
  assert.equal(validationProblems(orukValidators.apiDetails, res.body), 'ok');
  assert.equal(res.body.version, 'HSDS-UK-3.0');
});

test('services list pages, filters and validates; inactive services are left out', async () => {
  const all = await get('/api/oruk/services?per_page=1');
  assert.equal(all.status, 200);
  assert.equal(validationProblems(orukValidators.serviceList, all.body), 'ok');
  assert.equal(all.body.total_items, 2);
  assert.equal(all.body.total_pages, 2);
  assert.equal(all.body.size, 1);
  const second = await get('/api/oruk/services?per_page=1&page=2');
  assert.equal(second.body.last_page, true);
  assert.notEqual(second.body.contents![0]!.id, all.body.contents![0]!.id);

  const bySearch = await get('/api/oruk/services?search=walking');
  assert.deepEqual(
    bySearch.body.contents!.map((s) => s.name),
    ['Headingley Walking Group'],
  );
  const byTerm = await get(`/api/oruk/services?taxonomy_term_id=${needTermId('money')}`);
  assert.deepEqual(
    byTerm.body.contents!.map((s) => s.name),
    ['City Debt Advice'],
  );
  const byTaxonomy = await get(`/api/oruk/services?taxonomy_id=${NEEDS_TAXONOMY_ID}`);
  assert.equal(byTaxonomy.body.total_items, 2);
  const byDay = await get('/api/oruk/services?day=TU&start_time=09:00&end_time=12:00');
  assert.deepEqual(
    byDay.body.contents!.map((s) => s.name),
    ['Headingley Walking Group'],
  );
  const byAge = await get('/api/oruk/services?maximum_age=16');
  assert.deepEqual(
    byAge.body.contents!.map((s) => s.name),
    ['City Debt Advice'],
  );
  const byOrg = await get(`/api/oruk/services?organization_id=${far.organization_id}`);
  assert.deepEqual(
    byOrg.body.contents!.map((s) => s.name),
    ['City Debt Advice'],
  );
  const future = await get('/api/oruk/services?modified_after=2999-01-01T00:00:00Z');
  assert.equal(future.body.empty, true);

  const full = await get('/api/oruk/services?full=true&search=walking');
  assert.equal(validationProblems(orukValidators.serviceList, full.body), 'ok');
  assert.ok(Array.isArray(full.body.contents![0]!.schedules));
  const minimal = await get('/api/oruk/services?minimal=true');
  assert.deepEqual(Object.keys(minimal.body.contents![0]!).sort(), ['id', 'last_modified']);
});

test('a full service validates and carries schedules, costs, locations, needs and capacity', async () => {
  const res = await get(`/api/oruk/services/${near.id}`);
  assert.equal(res.status, 200);
  assert.equal(validationProblems(orukValidators.service, res.body), 'ok');
  const body = res.body as unknown as OrukService;
  assert.equal(body.schedules![0]!.byday, 'TU');
  assert.equal(body.cost_options![0]!.amount, 0);
  assert.equal(body.service_at_locations![0]!.location!.addresses![0]!.postal_code, 'LS6 3AB');
  const terms = body.attributes!.map((a) => a.taxonomy_term?.code);
  assert.ok(terms.includes('physical-activity') && terms.includes('waiting-list'));
  assert.equal(body.attributes!.find((a) => a.taxonomy_term?.code === 'waiting-list')?.value, '4');
  assert.equal((await get('/api/oruk/services/no-such-id')).status, 404);
});

test('taxonomies and taxonomy terms list and validate', async () => {
  const taxonomies = await get('/api/oruk/taxonomies');
  assert.equal(validationProblems(orukValidators.taxonomyList, taxonomies.body), 'ok');
  assert.ok(taxonomies.body.contents!.some((t) => t.name === 'Signpost needs'));
  const one = await get(`/api/oruk/taxonomies/${NEEDS_TAXONOMY_ID}`);
  assert.equal(validationProblems(orukValidators.taxonomy, one.body), 'ok');
  const terms = await get(`/api/oruk/taxonomy_terms?taxonomy_id=${NEEDS_TAXONOMY_ID}&per_page=100`);
  assert.equal(validationProblems(orukValidators.taxonomyTermList, terms.body), 'ok');
  assert.equal(terms.body.total_items, 16);
  const term = await get(`/api/oruk/taxonomy_terms/${needTermId('carers')}`);
  assert.equal(validationProblems(orukValidators.taxonomyTerm, term.body), 'ok');
  assert.equal(term.body.name, 'Carers');
  const searched = await get('/api/oruk/taxonomies?search=delivery');
  assert.deepEqual(
    searched.body.contents!.map((t) => t.name),
    ['Signpost delivery methods'],
  );
});

test('taxonomy terms filter by parent_id, top_only and search', async () => {
  const [FEED_TAXONOMY, PARENT, CHILD_1, CHILD_2] = ['feed-taxonomy', 'feed-parent', 'feed-child-1', 'feed-child-2'].map((key) =>
    stableId(key),
  );
  await withTransaction(database.pool, async (tx) => {
    await upsertTaxonomyTerm(tx, { id: PARENT, name: 'Feed advice', taxonomy_id: FEED_TAXONOMY, taxonomy: 'Feed taxonomy' });
    await upsertTaxonomyTerm(tx, { id: CHILD_1, name: 'Feed debt advice', parent_id: PARENT, taxonomy_id: FEED_TAXONOMY });
    await upsertTaxonomyTerm(tx, { id: CHILD_2, name: 'Feed benefits advice', parent_id: PARENT, taxonomy_id: FEED_TAXONOMY });
  });
  const children = await get(`/api/oruk/taxonomy_terms?parent_id=${PARENT}`);
  assert.equal(validationProblems(orukValidators.taxonomyTermList, children.body), 'ok');
  assert.deepEqual(
    children.body.contents!.map((t) => t.id),
    [CHILD_1, CHILD_2].sort(),
  );
  const top = await get(`/api/oruk/taxonomy_terms?taxonomy_id=${FEED_TAXONOMY}&top_only=true`);
  assert.deepEqual(
    top.body.contents!.map((t) => t.id),
    [PARENT],
  );
  const allTop = await get('/api/oruk/taxonomy_terms?top_only=true&per_page=100');
  assert.ok(allTop.body.contents!.every((t) => !t.parent_id));
  assert.ok(allTop.body.contents!.some((t) => t.id === needTermId('carers')));
  const searched = await get('/api/oruk/taxonomy_terms?search=debt');
  assert.deepEqual(searched.body.contents!.map((t) => t.name).sort(), ['Debt counselling', 'Feed debt advice', 'Money and debt']);
  for (const url of [
    '/api/oruk/taxonomy_terms?top_only=yes',
    `/api/oruk/taxonomy_terms?top_only=true&parent_id=${PARENT}`,
    '/api/oruk/taxonomy_terms?vocabulary=esd',
  ]) {
    assert.equal((await get(url)).status, 400, url);
  }
});

test('needs map to LGA service types: a second taxonomy, carried by each service and usable as a filter', async () => {
  const terms = await get(`/api/oruk/taxonomy_terms?taxonomy_id=${LGA_TAXONOMY_ID}&per_page=100`);
  assert.equal(validationProblems(orukValidators.taxonomyTermList, terms.body), 'ok');
  assert.deepEqual(
    terms.body.contents!.map((t) => [t.code, t.name, t.term_uri]).sort(),
    LGA_SERVICE_TYPES.map((t) => [t.code, t.label, `http://id.esd.org.uk/service/${t.code}`]).sort(),
  );
  for (const need of NEEDS) {
    for (const type of need.lga ?? [])
      assert.ok(
        LGA_SERVICE_TYPES.some((t) => t.code === type.code && t.label === type.label),
        need.code,
      );
  }
  assert.equal((await get(`/api/oruk/taxonomies/${LGA_TAXONOMY_ID}`)).body.uri, 'http://id.esd.org.uk/list/services');

  const service = (await get(`/api/oruk/services/${near.id}`)).body as unknown as OrukService;
  assert.equal(validationProblems(orukValidators.service, service), 'ok');
  const lga = service
    .attributes!.filter((a) => a.taxonomy_term?.taxonomy_id === LGA_TAXONOMY_ID)
    .map((a) => a.taxonomy_term!.code)
    .sort();
  assert.deepEqual(lga, ['241', '297', '885']);

  const byTerm = await get(`/api/oruk/services?taxonomy_term_id=${lgaTermId('651')}`);
  assert.deepEqual(
    byTerm.body.contents!.map((s) => s.name),
    ['City Debt Advice'],
  );
  const byTaxonomy = await get(`/api/oruk/services?taxonomy_id=${LGA_TAXONOMY_ID}`);
  assert.equal(byTaxonomy.body.total_items, 2);
  const pairs = await get(`/api/oruk/service_at_locations?taxonomy_term_id=${lgaTermId('885')}`);
  assert.deepEqual(
    pairs.body.contents!.map((p) => (p.service as { name: string }).name),
    ['Headingley Walking Group'],
  );
});

test('format=ndjson gives every result, one JSON object a line, without pages', async () => {
  const res = await app.inject('/api/oruk/services?format=ndjson');
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /application\/x-ndjson/);
  const lines = res.body
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { id: string; name: string });
  assert.deepEqual(lines.map((s) => s.name).sort(), ['City Debt Advice', 'Headingley Walking Group']);
  const asPage = {
    total_items: 2,
    total_pages: 1,
    page_number: 1,
    size: 2,
    first_page: true,
    last_page: true,
    empty: false,
    contents: lines,
  };
  assert.equal(validationProblems(orukValidators.serviceList, asPage), 'ok');
  const pairs = await app.inject('/api/oruk/service_at_locations?format=ndjson&postcode=LS6%203AB');
  assert.deepEqual(
    pairs.body
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { service: { name: string } }).service.name),
    ['Headingley Walking Group', 'City Debt Advice'],
  );
  const terms = await app.inject(`/api/oruk/taxonomy_terms?format=ndjson&taxonomy_id=${NEEDS_TAXONOMY_ID}`);
  assert.equal(terms.body.trimEnd().split('\n').length, 16);
  assert.equal((await get('/api/oruk/services?format=json')).body.page_number, 1);
  for (const url of ['/api/oruk/services?format=xml', '/api/oruk/services?format=ndjson&page=2'])
    assert.equal((await get(url)).status, 400, url);
});

test('service at locations filter by postcode and proximity, nearest first, and validate', async () => {
  const all = await get('/api/oruk/service_at_locations?postcode=LS6%203AB');
  assert.equal(validationProblems(orukValidators.serviceAtLocationList, all.body), 'ok');
  assert.deepEqual(
    all.body.contents!.map((s) => (s.service as { name: string }).name),
    ['Headingley Walking Group', 'City Debt Advice'],
  );
  const close = await get('/api/oruk/service_at_locations?postcode=LS6%203AB&proximity=1000');
  assert.deepEqual(
    close.body.contents!.map((s) => (s.service as { name: string }).name),
    ['Headingley Walking Group'],
  );
  assert.equal(close.body.contents![0]!.service_id, near.id);
});

test('one service at location is its service, fully nested, holding only that pair (the schema the ORUK OpenAPI names)', async () => {
  const pairs = (await get('/api/oruk/service_at_locations?postcode=LS6%203AB&proximity=1000')).body.contents!;
  const pairId = pairs[0]!.id as string;
  const one = await get(`/api/oruk/service_at_locations/${pairId}`);
  assert.equal(one.status, 200);
  assert.equal(validationProblems(orukValidators.service, one.body), 'ok');
  const body = one.body as unknown as OrukService;
  assert.equal(body.id, near.id);
  assert.deepEqual(
    body.service_at_locations!.map((sal) => sal.id),
    [pairId],
  );
  assert.equal(body.service_at_locations![0]!.location!.addresses![0]!.postal_code, 'LS6 3AB');
  assert.equal(body.schedules![0]!.byday, 'TU');
  assert.equal((await get('/api/oruk/service_at_locations/no-such-pair')).status, 404);
});

test('organizations list and show with their services, and validate', async () => {
  const list = await get('/api/oruk/organizations');
  assert.equal(validationProblems(orukValidators.organizationList, list.body), 'ok');
  const one = await get(`/api/oruk/organizations/${near.organization_id}`);
  assert.equal(validationProblems(orukValidators.organization, one.body), 'ok');
  assert.deepEqual(
    (one.body.services as Array<{ name: string }>).map((s) => s.name),
    ['Headingley Walking Group'],
  );
  assert.equal((one.body.services as Array<Record<string, unknown>>)[0]!.schedules, undefined);
  const fullService = await get(`/api/oruk/organizations/${near.organization_id}?full_service=true`);
  assert.equal(validationProblems(orukValidators.organization, fullService.body), 'ok');
  const nested = (fullService.body.services as OrukService[])[0]!;
  assert.equal(validationProblems(orukValidators.service, nested), 'ok');
  assert.equal(nested.schedules![0]!.byday, 'TU');

  const name = (await get(`/api/oruk/organizations/${far.organization_id}`)).body.name as string;
  const searched = await get(`/api/oruk/organizations?search=${encodeURIComponent(name)}`);
  assert.ok(searched.body.contents!.some((o) => o.id === far.organization_id));
  assert.equal(searched.body.contents![0]!.services, undefined);
  const withServices = await get(`/api/oruk/organizations?full=true&search=${encodeURIComponent(name)}`);
  assert.equal(validationProblems(orukValidators.organizationList, withServices.body), 'ok');
  assert.ok((withServices.body.contents!.find((o) => o.id === far.organization_id)!.services as unknown[]).length >= 1);
  const withFull = await get(`/api/oruk/organizations?full_service=true&search=${encodeURIComponent(name)}`);
  const services = withFull.body.contents!.find((o) => o.id === far.organization_id)!.services as OrukService[];
  assert.ok(Array.isArray(services[0]!.schedules));
  assert.equal((await get(`/api/oruk/organizations/${far.organization_id}?full=true`)).status, 400);
});

test('unknown parameters and bad values get a 400 JSON message and nothing else', async () => {
  for (const url of [
    '/api/oruk/services?colour=blue',
    '/api/oruk/services?page=0',
    '/api/oruk/services?per_page=1000',
    '/api/oruk/services?full=maybe',
    '/api/oruk/services?modified_after=yesterday',
    '/api/oruk/services?day=Funday',
    '/api/oruk/services?start_time=25:00',
    '/api/oruk/services?page=1&page=2',
    '/api/oruk/service_at_locations?postcode=nonsense',
    '/api/oruk/service_at_locations?proximity=100',
    '/api/oruk/taxonomies?vocabulary=x',
    `/api/oruk/services/${near.id}?full=true`,
    `/api/oruk/service_at_locations/x?full=true`,
    '/api/oruk/organizations?full_service=maybe',
  ]) {
    const res = await get(url);
    assert.equal(res.status, 400, url);
    assert.match(String(res.body.message), /\w/, url);
    assert.equal(res.headers['access-control-allow-origin'], '*', url);
  }
  const unknown = await get('/api/oruk/services?colour=blue');
  assert.match(String(unknown.body.message), /Unknown parameter "colour"/);
  // The route's schema lets a repeat through to the API's own message.
  const repeated = await get('/api/oruk/services?page=1&page=2');
  assert.equal(repeated.status, 400);
  assert.match(String(repeated.body.message), /Give "page" once/);
});

test('format=ndjson refuses more than it may give at once, and asks for a narrower query or pages', async () => {
  await database.pool.query(
    `INSERT INTO directory_taxonomy_term (id, name) SELECT 'bulk-' || n, 'Bulk term ' || n FROM generate_series(1, $1::int) AS n`,
    [NDJSON_MAX + 1],
  );
  try {
    const res = await get('/api/oruk/taxonomy_terms?format=ndjson');
    assert.equal(res.status, 400);
    assert.match(String(res.body.message), /at most 10000/);
    assert.equal((await get('/api/oruk/taxonomy_terms?per_page=100&page=2')).status, 200);
  } finally {
    await database.pool.query(`DELETE FROM directory_taxonomy_term WHERE id LIKE 'bulk-%'`);
  }
});
