import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { findServicesForNeed, getServiceSummary, searchDirectory } from '../../src/directory/service.ts';
import { InvalidInput } from '../../src/web/errors.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const names = (outcome: { results: Array<{ name: string }> }) => outcome.results.map((r) => r.name);

test('a misspelt name still finds the service by fuzzy matching', async () => {
  await aDirectoryService(database, { name: 'Mindfulness for Carers' });
  const outcome = await searchDirectory(database.pool, { q: 'mindfullness' });
  assert.ok(names(outcome).includes('Mindfulness for Carers'));
});

test('full text matches stemmed words in the description and organisation, and a name match ranks first', async () => {
  await aDirectoryService(database, { name: 'Tuesday Walkers', description: 'Gentle walking around the park.' });
  await aDirectoryService(database, {
    name: 'Coffee morning',
    description: 'Chat, and sometimes we go for a walk.',
    organizationName: 'Walking Friends Trust',
  });
  const outcome = await searchDirectory(database.pool, { q: 'walks' });
  const found = names(outcome);
  assert.ok(found.includes('Tuesday Walkers') && found.includes('Coffee morning'));
  assert.ok(found.indexOf('Tuesday Walkers') < found.indexOf('Coffee morning'));
});

test('a postcode orders results by distance and drops those beyond the chosen distance', async () => {
  await aDirectoryService(database, { name: 'Gardening near LS6', postcode: 'LS6 3AB', needs: ['gardening'] });
  await aDirectoryService(database, { name: 'Gardening in the city', postcode: 'LS1 1AA', needs: ['gardening'] });
  await aDirectoryService(database, { name: 'Gardening by phone', postcode: null, needs: ['gardening'] });
  const outcome = await searchDirectory(database.pool, { need: 'gardening', postcode: 'LS6 3AB', miles: 10 });
  assert.equal(outcome.location?.precision, 'postcode');
  assert.deepEqual(names(outcome), ['Gardening near LS6', 'Gardening in the city', 'Gardening by phone']);
  assert.ok(outcome.results[0]!.distanceMiles! < outcome.results[1]!.distanceMiles!);
  const close = await searchDirectory(database.pool, { need: 'gardening', postcode: 'LS6 3AB', miles: 1 });
  assert.deepEqual(names(close), ['Gardening near LS6', 'Gardening by phone']);
});

test('a well-formed but unknown postcode still searches, without distance; a malformed one is refused', async () => {
  await aDirectoryService(database, { name: 'Unknown postcode check', needs: ['transport'] });
  const outcome = await searchDirectory(database.pool, { need: 'transport', postcode: 'ZZ9 9ZZ' });
  assert.equal(outcome.postcodeNotFound, true);
  assert.ok(names(outcome).includes('Unknown postcode check'));
  assert.equal(outcome.results[0]!.distanceMiles, null);
  await assert.rejects(
    searchDirectory(database.pool, { postcode: 'hello there' }),
    (error: unknown) => error instanceof InvalidInput && error.errors[0]!.field === 'postcode',
  );
});

test('filters narrow by cost, day and time, age, accessibility, language and delivery', async () => {
  const tag = 'Filterable';
  await aDirectoryService(database, {
    name: `${tag} free Monday`,
    cost: 0,
    byday: 'MO',
    opensAt: '10:00',
    closesAt: '12:00',
    accessibility: ['Step-free access and wheelchair toilet'],
    languages: ['Urdu'],
    delivery: ['in-person'],
  });
  await aDirectoryService(database, {
    name: `${tag} pricey Friday`,
    cost: 12,
    byday: 'FR',
    opensAt: '18:00',
    closesAt: '20:00',
    minimumAge: 65,
    accessibility: ['Hearing loop fitted'],
    delivery: ['online'],
  });
  const search = (extra: object) => searchDirectory(database.pool, { q: tag, ...extra }).then(names);
  assert.deepEqual(await search({ cost: 'free' }), [`${tag} free Monday`]);
  assert.deepEqual(await search({ cost: 'low' }), [`${tag} free Monday`]);
  assert.deepEqual(await search({ day: 'FR' }), [`${tag} pricey Friday`]);
  assert.deepEqual(await search({ day: 'MO', time: '11:00' }), [`${tag} free Monday`]);
  assert.deepEqual(await search({ day: 'MO', time: '13:00' }), []);
  assert.deepEqual(await search({ age: 30 }), [`${tag} free Monday`]);
  assert.deepEqual(await search({ wheelchair: true }), [`${tag} free Monday`]);
  assert.deepEqual(await search({ hearingLoop: true }), [`${tag} pricey Friday`]);
  assert.deepEqual(await search({ language: 'urdu' }), [`${tag} free Monday`]);
  assert.deepEqual(await search({ delivery: 'online' }), [`${tag} pricey Friday`]);
  // Friday 19:00 in London.
  assert.deepEqual(await search({ openNow: true, now: new Date('2026-11-27T19:00:00Z') }), [`${tag} pricey Friday`]);
});

test('inactive services drop out of search', async () => {
  await aDirectoryService(database, { name: 'Closed knitting circle', status: 'inactive' });
  await aDirectoryService(database, { name: 'Open knitting circle' });
  assert.deepEqual(names(await searchDirectory(database.pool, { q: 'knitting circle' })), ['Open knitting circle']);
});

test('results come in pages of 20 with a total', async () => {
  for (let i = 0; i < 23; i++) await aDirectoryService(database, { name: `Paged choir ${i}`, needs: ['arts'] });
  const first = await searchDirectory(database.pool, { need: 'arts' });
  assert.equal(first.total, 23);
  assert.equal(first.results.length, 20);
  assert.equal(first.pageCount, 2);
  const second = await searchDirectory(database.pool, { need: 'arts', page: 2 });
  assert.equal(second.results.length, 3);
  assert.equal(new Set([...names(first), ...names(second)]).size, 23);
});

test('other areas find services for a need near a postcode and get a summary that warns about full services', async () => {
  const full = await aDirectoryService(database, { name: 'Full bereavement group', needs: ['bereavement'], capacity: 'full' });
  await aDirectoryService(database, {
    name: 'Open bereavement group',
    needs: ['bereavement'],
    capacity: 'waiting_list',
    expectedWaitWeeks: 3,
  });
  const found = await findServicesForNeed(database.pool, { need: 'bereavement', postcode: 'LS6 3AB' });
  assert.equal(found.precision, 'postcode');
  assert.deepEqual(found.services.map((s) => s.capacityLabel).sort(), ['Full', 'Waiting list']);
  const summary = await getServiceSummary(database.pool, full.id);
  assert.equal(summary?.warnBeforeReferral, true);
  assert.deepEqual(summary?.needs, ['bereavement']);
  assert.equal(await getServiceSummary(database.pool, 'no-such-service'), undefined);
});
