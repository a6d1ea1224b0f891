import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { asForm, formSession, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';

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

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

test('the search page shows results with organisation, distance, next session and cost', async () => {
  await aDirectoryService(database, {
    name: 'Meanwood Health Walk',
    organizationName: 'Meanwood Friends',
    needs: ['physical-activity'],
    postcode: 'LS6 3AB',
    byday: 'WE',
    opensAt: '10:00',
    closesAt: '11:00',
    cost: 0,
  });
  const res = await app.inject('/services?q=walk&postcode=ls6+3ab');
  assert.equal(res.statusCode, 200);
  const page = text(res.body);
  assert.match(page, /1 service found/);
  assert.match(page, /Meanwood Health Walk Meanwood Friends/);
  assert.match(page, /Distance: 0 miles/);
  assert.match(page, /Next session: Wednesday 10:00 to 11:00/);
  assert.match(page, /Cost: Free/);
  assert.match(page, /Distances are in a straight line from LS6 3AB/);
});

test('an outcode-only postcode says distance is approximate, and an unknown one says so but still searches', async () => {
  await aDirectoryService(database, { name: 'Approximate Choir', needs: ['arts'] });
  const approx = text((await app.inject('/services?q=choir&postcode=LS6')).body);
  assert.match(approx, /distance is approximate/);
  const unknown = await app.inject('/services?q=choir&postcode=ZZ9+9ZZ');
  assert.equal(unknown.statusCode, 200);
  assert.match(text(unknown.body), /We could not find that postcode/);
  assert.match(text(unknown.body), /Approximate Choir/);
});

test('a malformed postcode or age re-shows the form with an error and status 400', async () => {
  const res = await app.inject('/services?q=choir&postcode=hello&age=old');
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /There is a problem/);
  assert.match(res.body, /href="#age"/);
  assert.match(res.body, /value="hello"/);
});

test('no results offers to widen the distance and drop filters', async () => {
  const res = await app.inject('/services?q=xylophone&postcode=LS6+3AB&need=arts&miles=5');
  const page = text(res.body);
  assert.match(page, /No services matched/);
  assert.match(res.body, /href="\/services\?q=xylophone[^"]*miles=10">Search within 10 miles/);
  assert.match(page, /Search again without filters/);
});

test('the detail and print pages show what, who, when, where, cost, contact and last checked', async () => {
  const service = await aDirectoryService(database, {
    name: 'Arthritis Support Hub',
    needs: ['long-term-conditions'],
    byday: 'MO',
    cost: 2,
    minimumAge: 18,
    accessibility: ['Hearing loop'],
    capacity: 'full',
  });
  for (const url of [`/services/${service.id}`, `/services/${service.id}/print`]) {
    const res = await app.inject(url);
    assert.equal(res.statusCode, 200, url);
    const page = text(res.body);
    for (const part of [
      'What it is',
      'Who it is for',
      'Aged 18 and over',
      'Every Monday, 10:00 to 12:00',
      'LS6 3AB',
      '£2',
      'Hearing loop',
      'This service is full',
      'Last checked',
    ]) {
      assert.ok(page.includes(part), `${url} shows ${part}`);
    }
  }
  assert.equal((await app.inject('/services/missing-service')).statusCode, 404);
});

test('a stale service is flagged as possibly out of date', async () => {
  const service = await aDirectoryService(database, { name: 'Old Lunch Club', lastVerifiedAt: new Date('2020-01-01') });
  assert.match(text((await app.inject(`/services/${service.id}`)).body), /may be out of date/);
});

test('suggesting a change creates a change request and shows a confirmation; bad input saves nothing', async () => {
  const service = await aDirectoryService(database, { name: 'Tuesday Lunch Club' });
  const url = `/services/${service.id}/suggest-change`;
  const session = await formSession(app, url);
  const bad = await app.inject({
    method: 'POST',
    url,
    cookies: session.cookies,
    ...asForm({ _csrf: session.token!, kind: '', details: '' }),
  });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /href="#details"/);
  const count = async () =>
    (await database.pool.query('SELECT count(*)::int AS n FROM directory_change_request WHERE service_id = $1', [service.id])).rows[0].n;
  assert.equal(await count(), 0);
  const good = await app.inject({
    method: 'POST',
    url,
    cookies: session.cookies,
    ...asForm({ _csrf: session.token!, kind: 'suggestion', details: 'It now meets on Wednesdays.' }),
  });
  assert.equal(good.statusCode, 303);
  assert.equal(good.headers.location, `${url}/sent`);
  assert.equal(await count(), 1);
  assert.match(text((await app.inject(`${url}/sent`)).body), /Thank you, we have your message/);
  // A double click, or five resends at once, is the same suggestion; a different one is queued.
  const resends = await Promise.all(
    Array.from({ length: 5 }, () =>
      app.inject({
        method: 'POST',
        url,
        cookies: session.cookies,
        ...asForm({ _csrf: session.token!, kind: 'suggestion', details: 'It now meets on Wednesdays.' }),
      }),
    ),
  );
  assert.deepEqual(
    resends.map((r) => r.headers.location),
    Array(5).fill(`${url}/sent`),
  );
  assert.equal(await count(), 1);
  await app.inject({
    method: 'POST',
    url,
    cookies: session.cookies,
    ...asForm({ _csrf: session.token!, kind: 'problem', details: 'It now meets on Wednesdays.' }),
  });
  assert.equal(await count(), 2);
  const forged = await app.inject({ method: 'POST', url, ...asForm({ kind: 'problem', details: 'spam' }) });
  assert.equal(forged.statusCode, 403);
  assert.equal(await count(), 2);
});

test('the freshness limit is configurable: a service checked 2 months ago is flagged only when the limit is 1 month', async () => {
  const twoMonthsAgo = new Date(Date.now() - 61 * 86_400_000);
  const service = await aDirectoryService(database, { name: 'Recently Checked Club', lastVerifiedAt: twoMonthsAgo });
  assert.doesNotMatch(text((await app.inject(`/services/${service.id}`)).body), /may be out of date/);
  const strict = await testApp(database, { DIRECTORY_FRESHNESS_MONTHS: '1' });
  try {
    assert.match(text((await strict.inject(`/services/${service.id}`)).body), /may be out of date/);
    assert.match(text((await strict.inject('/services?q=Recently+Checked+Club')).body), /Details may be out of date/);
  } finally {
    await strict.close();
  }
});
