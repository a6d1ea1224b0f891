import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { readDirectoryService } from '../../src/directory/curation/service.ts';
import { searchDirectory } from '../../src/directory/service.ts';
import { lookupPostcode } from '../../src/geo/postcodes.ts';
import { asForm, formSession, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aProviderOrganisation, aTenant, anActor } from '../support/factories.ts';
import { signInAs } from '../support/session.ts';

// Every part of a service a curator or provider changes, through the pages: bad input is a 400
// naming the field with nothing changed, another organisation's service is refused, a curator's
// change shows in the revisions, audit, search and ORUK output, and a provider's waits for a curator.

let database: Database;
let app: FastifyInstance;
let curatorCookies: Record<string, string>;
before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  curatorCookies = await signInAs(app, database, await anActor(database, { roles: ['curator'] }));
});
after(async () => {
  await app.close();
  await database.close();
});

async function providerCookiesFor(organizationId: string) {
  const tenant = await aTenant(database);
  const provider = await aProviderOrganisation(database, tenant.id, { directoryOrganizationId: organizationId });
  return signInAs(
    app,
    database,
    await anActor(database, { tenantId: tenant.id, roles: ['provider'], providerOrganisationId: provider.id }),
  );
}

/** Opens the form's page as a browser would, then posts the form from it. */
async function submit(url: string, cookies: Record<string, string>, form: Record<string, string | string[]>, page = url) {
  const session = await formSession(app, page, cookies);
  assert.equal(session.page.statusCode, 200, `${page} opens`);
  return app.inject({
    method: 'POST',
    url,
    cookies: session.cookies,
    ...asForm({ _csrf: session.token!, formToken: session.formToken!, ...form }),
  });
}

const revisions = async (serviceId: string) =>
  (
    await database.pool.query<{
      action: string;
      diff: Record<string, { from: string | null; to: string | null }>;
      changed_by_role: string;
    }>('SELECT action, diff, changed_by_role FROM directory_service_revision WHERE service_id = $1 ORDER BY id', [serviceId])
  ).rows;
const audits = async (entityId: string) =>
  (await database.pool.query<{ action: string }>('SELECT action FROM audit_event WHERE entity_id = $1 ORDER BY seq', [entityId])).rows.map(
    (r) => r.action,
  );
const oruk = async (serviceId: string) => JSON.parse((await app.inject({ url: `/api/oruk/services/${serviceId}` })).body);
const openRequests = async (serviceId: string) =>
  (
    await database.pool.query(`SELECT id, kind, diff, proposal FROM directory_change_request WHERE service_id = $1 AND status = 'open'`, [
      serviceId,
    ])
  ).rows;

test('a curator sets weekly and first-Monday sessions and a holiday closure: HSDS 3 schedule fields, diff, audit, page and ORUK', async () => {
  const service = await aDirectoryService(database, { name: 'Knit and Natter', byday: 'TU', opensAt: '10:00', closesAt: '12:00' });
  const url = `/curation/services/${service.id}/opening-times`;
  const page = await app.inject({ url, cookies: curatorCookies });
  assert.match(page.body, /value="10:00"/);
  const response = await submit(url, curatorCookies, {
    'id-0': service.schedules![0]!.id,
    'freq-0': 'WEEKLY',
    'day-0': 'TU',
    'opens-0': '10:00',
    'closes-0': '12:30',
    'validFrom-0': '',
    'validTo-0': '',
    'description-0': '',
    'freq-1': 'MONTHLY',
    'week-1': '1',
    'day-1': 'MO',
    'opens-1': '18:00',
    'closes-1': '20:00',
    'validFrom-1': '2026-01-01',
    'validTo-1': '2027-12-31',
    'description-1': 'Evening group',
    'closedFrom-0': '2099-12-24',
    'closedTo-0': '2100-01-02',
    'closedReason-0': 'Christmas',
    'closedFrom-1': '2000-01-01',
    'closedTo-1': '',
    'closedReason-1': 'Long past',
  });
  assert.equal(response.statusCode, 303);
  assert.equal(response.headers.location, `/curation/services/${service.id}/edit?saved=edit`);

  const schedules = (await oruk(service.id)).schedules as Array<Record<string, unknown>>;
  const monthly = schedules.find((s) => s.freq === 'MONTHLY')!;
  assert.equal(monthly.byday, '1MO');
  assert.equal(monthly.opens_at, '18:00:00');
  assert.equal(monthly.closes_at, '20:00:00');
  assert.equal(monthly.valid_from, '2026-01-01');
  assert.equal(monthly.valid_to, '2027-12-31');
  assert.equal(monthly.description, 'Evening group');
  assert.equal(schedules.find((s) => s.freq === 'WEEKLY')!.closes_at, '12:30:00');
  // The kept session keeps its id, so ORUK consumers see the same record changed.
  assert.equal(schedules.find((s) => s.freq === 'WEEKLY')!.id, service.schedules![0]!.id);
  const closure = schedules.find((s) => s.description === 'Christmas')!;
  assert.deepEqual(
    [closure.valid_from, closure.valid_to, closure.freq ?? null, closure.opens_at ?? null],
    ['2099-12-24', '2100-01-02', null, null],
  );

  const [revision] = await revisions(service.id);
  assert.equal(revision!.action, 'edit');
  assert.match(revision!.diff['Opening times']!.to!, /First Monday of the month, 18:00 to 20:00/);
  assert.match(revision!.diff['Holiday closures']!.to!, /Closed 24 December 2099 to 2 January 2100: Christmas/);
  assert.deepEqual(await audits(service.id), ['directory.service-edit']);

  const publicPage = (await app.inject({ url: `/services/${service.id}` })).body;
  assert.match(publicPage, /Closed 24 December 2099 to 2 January 2100: Christmas/);
  assert.doesNotMatch(publicPage, /Long past/, 'a closure that has passed is not shown');
  assert.match(publicPage, /First Monday of the month, 18:00 to 20:00/);
  assert.match(publicPage, /Every Tuesday, 10:00 to 12:30/);
  // Search by day still finds the weekly session.
  assert.ok(
    (await searchDirectory(database.pool, { q: 'Knit and Natter', day: 'TU', time: '12:15' })).results.some((r) => r.id === service.id),
  );
});

test('opening times that make no sense are refused with a message on the field, and nothing changes', async () => {
  const service = await aDirectoryService(database, { byday: 'WE', opensAt: '09:00', closesAt: '11:00' });
  const url = `/curation/services/${service.id}/opening-times`;
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ 'freq-0': 'WEEKLY', 'day-0': 'WE', 'opens-0': '11:00', 'closes-0': '09:00' }, 'closes-0', /must be after it opens/],
    [{ 'freq-0': 'MONTHLY', 'day-0': 'WE', 'opens-0': '09:00', 'closes-0': '11:00' }, 'week-0', /which week of the month/],
    [{ 'freq-0': 'WEEKLY', 'day-0': 'XX', 'opens-0': '9am', 'closes-0': '11:00' }, 'day-0', /Select the day/],
    [{ 'closedFrom-0': '2026-02-30' }, 'closedFrom-0', /real date/],
    [{ 'closedFrom-0': '2026-03-10', 'closedTo-0': '2026-03-01' }, 'closedTo-0', /on or after its first day/],
  ];
  for (const [form, fieldId, message] of cases) {
    const response = await submit(url, curatorCookies, form);
    assert.equal(response.statusCode, 400, fieldId);
    assert.match(response.body, new RegExp(`href="#${fieldId}"`));
    assert.match(response.body, message);
  }
  const after = await readDirectoryService(database.pool, service.id);
  assert.deepEqual(
    after!.schedules!.map((s) => [s.byday, s.opens_at, s.closes_at]),
    [['WE', '09:00:00', '11:00:00']],
  );
  assert.deepEqual(await revisions(service.id), []);
});

test("a provider cannot open or change any part of another organisation's service", async () => {
  const mine = await aDirectoryService(database);
  const theirs = await aDirectoryService(database, { name: 'Not Theirs To Change' });
  const cookies = await providerCookiesFor(mine.organization_id!);
  const locationId = theirs.service_at_locations![0]!.location!.id;
  for (const path of [
    'opening-times',
    'eligibility',
    'phones',
    'languages',
    'areas',
    'needs-and-terms',
    'locations/new',
    `locations/${locationId}`,
  ]) {
    const url = `/curation/services/${theirs.id}/${path}`;
    assert.equal((await app.inject({ url, cookies })).statusCode, 403, `GET ${path}`);
    const session = await formSession(app, `/curation/services/${mine.id}/phones`, cookies);
    const post = await app.inject({
      method: 'POST',
      url,
      cookies: session.cookies,
      ...asForm({ _csrf: session.token!, 'number-0': '0113 496 0000', name: 'X' }),
    });
    assert.equal(post.statusCode, 403, `POST ${path}`);
  }
  assert.equal((await app.inject({ url: `/curation/services/${mine.id}/phones`, cookies })).statusCode, 200, 'their own service opens');
  assert.deepEqual(await openRequests(theirs.id), []);
  assert.deepEqual(await revisions(theirs.id), []);
});

test("a provider's new place waits as a change request with its difference; once a curator accepts it the postcode's point is searchable and in ORUK", async () => {
  const service = await aDirectoryService(database, { name: 'Walk and Talk Hyde Park', postcode: null, needs: ['physical-activity'] });
  const cookies = await providerCookiesFor(service.organization_id!);
  const url = `/curation/services/${service.id}/locations/new`;

  const unknown = await submit(url, cookies, { name: 'Hyde Park', address1: 'Hyde Park Road', city: 'Leeds', postcode: 'ZZ9 9ZZ' });
  assert.equal(unknown.statusCode, 400);
  assert.match(unknown.body, /href="#postcode"/);
  assert.match(unknown.body, /could not find ZZ9 9ZZ/);
  const missing = await submit(url, cookies, { name: '', address1: '', city: 'Leeds', postcode: 'not a postcode' });
  assert.equal(missing.statusCode, 400);
  for (const id of ['name', 'address1', 'postcode']) assert.match(missing.body, new RegExp(`href="#${id}"`));
  assert.match(missing.body, /value="Leeds"/, 'what was typed is shown again');
  assert.deepEqual(await openRequests(service.id), []);

  const sent = await submit(url, cookies, {
    name: 'Hyde Park Pavilion',
    address1: '1 Hyde Park Road',
    city: 'Leeds',
    postcode: 'ls63ab',
    wheelchair: 'yes',
    accessibility: 'Accessible toilet',
    phone: '0113 496 0001',
  });
  assert.equal(sent.statusCode, 303);
  assert.equal(sent.headers.location, '/curation?saved=proposed');
  assert.equal(
    ((await readDirectoryService(database.pool, service.id))!.service_at_locations ?? []).length,
    0,
    'nothing changes before a curator accepts',
  );
  const near = () => searchDirectory(database.pool, { q: 'Walk and Talk Hyde Park', postcode: 'LS6 3AB', miles: 1 });
  // Without a place it is listed as not tied to one (no distance).
  assert.equal((await near()).results[0]!.distanceMiles, null);
  const [request] = await openRequests(service.id);
  assert.equal(request.kind, 'edit');
  assert.match(request.diff['Place: Hyde Park Pavilion'].to, /1 Hyde Park Road, Leeds, LS6 3AB/);
  assert.match((await app.inject({ url: '/curation', cookies })).body, /Waiting for a curator/);

  const reviewUrl = `/curation/change-requests/${request.id}`;
  const review = await app.inject({ url: reviewUrl, cookies: curatorCookies });
  assert.match(review.body, /What would change/);
  assert.match(review.body, /1 Hyde Park Road, Leeds, LS6 3AB/);
  assert.equal((await submit(reviewUrl, curatorCookies, { outcome: 'accepted' })).statusCode, 303);

  const location = (await readDirectoryService(database.pool, service.id))!.service_at_locations![0]!.location!;
  const point = await lookupPostcode(database.pool, 'LS6 3AB');
  assert.deepEqual([location.latitude, location.longitude], [point!.latitude, point!.longitude]);
  assert.equal(location.addresses![0]!.postal_code, 'LS6 3AB');
  assert.ok(location.accessibility!.some((a) => /wheelchair/i.test(a.description ?? '')));
  assert.equal(location.phones![0]!.number, '0113 496 0001');
  assert.equal(typeof (await near()).results[0]!.distanceMiles, 'number', 'the new point is searchable by distance');
  assert.equal(
    (await searchDirectory(database.pool, { q: 'Walk and Talk Hyde Park', postcode: 'LS1 1AA', miles: 25 })).results[0]!.distanceMiles! > 0,
    true,
  );
  assert.ok((await searchDirectory(database.pool, { q: 'Walk and Talk Hyde Park', wheelchair: true })).total === 1);
  const served = await oruk(service.id);
  assert.equal(served.service_at_locations[0].location.addresses[0].postal_code, 'LS6 3AB');
  assert.deepEqual(
    (await revisions(service.id)).map((r) => r.action),
    ['edit', 'change-request-accepted'],
  );
  assert.ok(Object.keys((await revisions(service.id))[0]!.diff).includes('Place: Hyde Park Pavilion'));
  assert.deepEqual(await audits(request.id), ['directory.change-propose', 'directory.change-request-accept']);
  assert.deepEqual(await audits(service.id), ['directory.service-edit']);
});

test("a curator changes a place's postcode and then removes the place from the service", async () => {
  const service = await aDirectoryService(database, { name: 'Moving Choir', postcode: 'LS6 3AB' });
  const locationId = service.service_at_locations![0]!.location!.id;
  const url = `/curation/services/${service.id}/locations/${locationId}`;
  assert.match((await app.inject({ url, cookies: curatorCookies })).body, /value="LS6 3AB"/);
  const moved = await submit(url, curatorCookies, { name: 'City Hall', address1: 'The Headrow', city: 'Leeds', postcode: 'LS1 1AA' });
  assert.equal(moved.statusCode, 303);
  const location = (await readDirectoryService(database.pool, service.id))!.service_at_locations![0]!.location!;
  assert.equal(location.id, locationId);
  assert.equal(location.latitude, (await lookupPostcode(database.pool, 'LS1 1AA'))!.latitude);
  assert.equal(
    typeof (await searchDirectory(database.pool, { q: 'Moving Choir', postcode: 'LS1 1AA', miles: 1 })).results[0]!.distanceMiles,
    'number',
  );
  const removed = await submit(url, curatorCookies, { remove: 'yes' });
  assert.equal(removed.statusCode, 303);
  assert.equal(((await readDirectoryService(database.pool, service.id))!.service_at_locations ?? []).length, 0);
  assert.equal(
    (await searchDirectory(database.pool, { q: 'Moving Choir', postcode: 'LS1 1AA', miles: 1 })).results[0]!.distanceMiles,
    null,
    'listed as not tied to a place',
  );
  assert.equal(
    (await app.inject({ url: `/curation/services/${service.id}/locations/no-such-place`, cookies: curatorCookies })).statusCode,
    404,
  );
});

test("phones, languages, eligibility, how to apply, age range and areas: a curator's change is saved, diffed and served; bad input changes nothing", async () => {
  const service = await aDirectoryService(database, { name: 'Carers Cafe', languages: ['Urdu'] });
  const base = `/curation/services/${service.id}`;

  const badPhone = await submit(`${base}/phones`, curatorCookies, { 'number-0': 'call us', 'description-0': 'Bookings' });
  assert.equal(badPhone.statusCode, 400);
  assert.match(badPhone.body, /href="#number-0"/);
  assert.equal(
    (await submit(`${base}/phones`, curatorCookies, { 'number-0': '0113 496 0123', 'description-0': 'Bookings' })).statusCode,
    303,
  );

  const urduId = service.languages![0]!.id;
  const twice = await submit(`${base}/languages`, curatorCookies, { 'id-0': urduId, 'language-0': 'Urdu', 'language-1': 'urdu' });
  assert.equal(twice.statusCode, 400);
  assert.match(twice.body, /listed more than once/);
  assert.equal(
    (await submit(`${base}/languages`, curatorCookies, { 'id-0': urduId, 'language-0': 'Urdu', 'language-1': 'Polish' })).statusCode,
    303,
  );

  const badAges = await submit(`${base}/eligibility`, curatorCookies, { eligibility: 'Carers', minimumAge: '65', maximumAge: '18' });
  assert.equal(badAges.statusCode, 400);
  assert.match(badAges.body, /href="#maximumAge"/);
  const notNumber = await submit(`${base}/eligibility`, curatorCookies, { minimumAge: 'eighteen' });
  assert.match(notNumber.body, /href="#minimumAge"/);
  assert.equal(
    (
      await submit(`${base}/eligibility`, curatorCookies, {
        eligibility: 'Unpaid carers',
        minimumAge: '18',
        maximumAge: '',
        applicationProcess: 'Ring the cafe to book your first visit.',
      })
    ).statusCode,
    303,
  );

  assert.equal((await submit(`${base}/areas`, curatorCookies, { 'area-0': 'Leeds North West', 'area-1': 'Headingley' })).statusCode, 303);

  const served = await oruk(service.id);
  assert.deepEqual(
    served.phones.map((p: { number: string; description: string }) => [p.number, p.description]),
    [['0113 496 0123', 'Bookings']],
  );
  assert.deepEqual(served.languages.map((l: { name: string }) => l.name).sort(), ['Polish', 'Urdu']);
  assert.ok(
    served.languages.some((l: { id: string }) => l.id === urduId),
    'the kept language keeps its id',
  );
  assert.equal(served.eligibility_description, 'Unpaid carers');
  assert.equal(served.minimum_age, 18);
  assert.equal(served.maximum_age ?? null, null);
  assert.deepEqual(served.service_areas.map((a: { name: string }) => a.name).sort(), ['Headingley', 'Leeds North West']);
  assert.equal((await searchDirectory(database.pool, { q: 'Carers Cafe', language: 'Polish' })).total, 1);
  assert.equal((await searchDirectory(database.pool, { q: 'Carers Cafe', age: 16 })).total, 0);

  const page = (await app.inject({ url: `/services/${service.id}` })).body;
  assert.match(page, /Ring the cafe to book your first visit\./);
  assert.match(page, /0113 496 0123/);
  assert.match(page, /Polish/);

  const diffs = (await revisions(service.id)).map((r) => Object.keys(r.diff).sort());
  assert.deepEqual(diffs, [['Phone numbers'], ['Languages'], ['Age range', 'How to apply', 'Who it is for'], ['Areas it covers']]);
  assert.deepEqual((await revisions(service.id))[2]!.diff['How to apply'], { from: null, to: 'Ring the cafe to book your first visit.' });
  assert.equal((await audits(service.id)).length, 4);

  // Areas are a set: the same ones in either order are no change, whatever order they are stored in.
  for (const order of [
    ['Leeds North West', 'Headingley'],
    ['Headingley', 'Leeds North West'],
  ]) {
    const again = await submit(`${base}/areas`, curatorCookies, { 'area-0': order[0]!, 'area-1': order[1]! });
    assert.equal(again.headers.location, `${base}/edit?saved=nochange`);
  }
  const sameLanguages = await submit(`${base}/languages`, curatorCookies, { 'language-0': 'Polish', 'language-1': 'Urdu' });
  assert.equal(sameLanguages.headers.location, `${base}/edit?saved=nochange`);
  assert.equal((await revisions(service.id)).length, 4, 'saving without a change records nothing');
});

test('needs, delivery and other taxonomy terms: search and ORUK follow; an unknown term is refused', async () => {
  const service = await aDirectoryService(database, { name: 'Allotment Friends', needs: ['loneliness'] });
  const url = `/curation/services/${service.id}/needs-and-terms`;
  await database.pool.query(`INSERT INTO directory_taxonomy (id, name) VALUES ('test-tax', 'Test taxonomy') ON CONFLICT DO NOTHING`);
  await database.pool.query(
    `INSERT INTO directory_taxonomy_term (id, taxonomy_id, code, name) VALUES ('test-term-garden', 'test-tax', 'GARD-1', 'Community gardening') ON CONFLICT DO NOTHING`,
  );

  const unknown = await submit(url, curatorCookies, { needs: 'loneliness', addTerm: 'No such term at all' });
  assert.equal(unknown.statusCode, 400);
  assert.match(unknown.body, /href="#addTerm"/);
  const badNeed = await submit(url, curatorCookies, { needs: 'made-up-need' });
  assert.equal(badNeed.statusCode, 400);

  assert.equal((await searchDirectory(database.pool, { need: 'gardening', q: 'Allotment Friends' })).total, 0);
  const saved = await submit(url, curatorCookies, { needs: ['gardening', 'loneliness'], delivery: 'in-person', addTerm: 'gard-1' });
  assert.equal(saved.statusCode, 303);
  assert.equal((await searchDirectory(database.pool, { need: 'gardening', q: 'Allotment Friends' })).total, 1);
  assert.equal((await searchDirectory(database.pool, { delivery: 'in-person', q: 'Allotment Friends' })).total, 1);
  assert.equal(
    (await searchDirectory(database.pool, { q: 'community gardening' })).results.some((r) => r.id === service.id),
    true,
    'the new term is in the search document',
  );
  const served = await oruk(service.id);
  const termIds = served.attributes.map((a: { taxonomy_term_id: string }) => a.taxonomy_term_id);
  assert.ok(termIds.includes('test-term-garden'));
  assert.equal(
    (await database.pool.query(`SELECT name FROM directory_taxonomy_term WHERE id = 'test-term-garden'`)).rows[0].name,
    'Community gardening',
    'the stored term is not overwritten',
  );

  const removed = await submit(url, curatorCookies, { needs: 'gardening' });
  assert.equal(removed.statusCode, 303);
  assert.equal((await searchDirectory(database.pool, { need: 'loneliness', q: 'Allotment Friends' })).total, 0);
  assert.ok(!(await oruk(service.id)).attributes.some((a: { taxonomy_term_id: string }) => a.taxonomy_term_id === 'test-term-garden'));
  const diff = (await revisions(service.id))[0]!.diff;
  assert.match(diff['Other terms']!.to!, /Community gardening/);
});

test('a curator adds a service; a provider proposes one, which appears only once a curator accepts it', async () => {
  const created = await submit('/curation/services/new', curatorCookies, {
    name: 'Brand New Singing Group',
    organizationName: 'Headingley Singers',
    description: 'Singing for wellbeing.',
  });
  assert.equal(created.statusCode, 303);
  const createdId = /\/curation\/services\/([^/]+)\/edit\?saved=created/.exec(created.headers.location as string)![1]!;
  assert.equal((await oruk(createdId)).organization.name, 'Headingley Singers');
  assert.equal((await searchDirectory(database.pool, { q: 'Brand New Singing Group' })).total, 1);
  assert.deepEqual(await audits(createdId), ['directory.service-create']);

  const bad = await submit('/curation/services/new', curatorCookies, {
    name: '',
    organizationName: '',
    description: '',
    url: 'example.org',
  });
  assert.equal(bad.statusCode, 400);
  for (const id of ['name', 'organizationName', 'description', 'url']) assert.match(bad.body, new RegExp(`href="#${id}"`));

  const existing = await aDirectoryService(database);
  const cookies = await providerCookiesFor(existing.organization_id!);
  const proposed = await submit('/curation/services/new', cookies, { name: 'Proposed Tea Dance', description: 'Dancing on Thursdays.' });
  assert.equal(proposed.statusCode, 303);
  assert.equal(proposed.headers.location, '/curation?saved=proposed-service');
  assert.equal((await searchDirectory(database.pool, { q: 'Proposed Tea Dance' })).total, 0);
  const {
    rows: [request],
  } = await database.pool.query(
    `SELECT id FROM directory_change_request WHERE kind = 'new-service' AND status = 'open' AND proposal -> 'value' ->> 'name' = 'Proposed Tea Dance'`,
  );
  const reviewUrl = `/curation/change-requests/${request.id}`;
  assert.match((await app.inject({ url: reviewUrl, cookies: curatorCookies })).body, /Dancing on Thursdays/);
  assert.equal((await submit(reviewUrl, curatorCookies, { outcome: 'accepted' })).statusCode, 303);
  const found = await searchDirectory(database.pool, { q: 'Proposed Tea Dance' });
  assert.equal(found.total, 1);
  assert.equal((await oruk(found.results[0]!.id)).organization_id, existing.organization_id, "it belongs to the provider's organisation");
  assert.equal(
    (await app.inject({ url: `/curation/services/${found.results[0]!.id}/edit`, cookies })).statusCode,
    200,
    'and the provider can now edit it',
  );
});

test('a rejected proposal changes nothing', async () => {
  const service = await aDirectoryService(database, { name: 'Unchanged Phones' });
  const cookies = await providerCookiesFor(service.organization_id!);
  assert.equal((await submit(`/curation/services/${service.id}/phones`, cookies, { 'number-0': '0113 496 0999' })).statusCode, 303);
  const [request] = await openRequests(service.id);
  assert.equal(
    (
      await submit(`/curation/change-requests/${request.id}`, curatorCookies, {
        outcome: 'rejected',
        reason: 'That is the home number of a volunteer.',
      })
    ).statusCode,
    303,
  );
  assert.deepEqual((await readDirectoryService(database.pool, service.id))!.phones ?? [], []);
  assert.deepEqual(
    (await revisions(service.id)).map((r) => r.action),
    ['change-request-rejected'],
  );
});

test("a feed's session on several days shows one line a day, and saving keeps every day and what the form does not show", async () => {
  const service = await aDirectoryService(database, { name: 'Two Day Drop In', byday: 'MO,WE', opensAt: '10:00', closesAt: '12:00' });
  const url = `/curation/services/${service.id}/opening-times`;
  const page = (await app.inject({ url, cookies: curatorCookies })).body;
  assert.match(page, /name="day-0"[\s\S]*?<option value="MO" selected/);
  assert.match(page, /name="day-1"[\s\S]*?<option value="WE" selected/);
  const saved = await submit(url, curatorCookies, {
    'id-0': service.schedules![0]!.id,
    'freq-0': 'WEEKLY',
    'day-0': 'MO',
    'opens-0': '10:00',
    'closes-0': '12:00',
    'id-1': '',
    'freq-1': 'WEEKLY',
    'day-1': 'WE',
    'opens-1': '10:00',
    'closes-1': '12:00',
    'id-2': '',
    'freq-2': '',
    'day-2': '',
    'opens-2': '',
    'closes-2': '',
    'description-2': 'Also by appointment',
  });
  assert.equal(saved.statusCode, 303);
  for (const day of ['MO', 'WE']) assert.equal((await searchDirectory(database.pool, { q: 'Two Day Drop In', day })).total, 1, day);
  assert.equal((await searchDirectory(database.pool, { q: 'Two Day Drop In', day: 'TU' })).total, 0);
  const schedules = (await oruk(service.id)).schedules as Array<Record<string, unknown>>;
  assert.equal(schedules.length, 3);
  assert.ok(schedules.some((s) => s.description === 'Also by appointment' && !s.byday));
});
