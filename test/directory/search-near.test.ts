import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { writeDirectoryService } from '../../src/directory/curation/service.ts';
import { searchDirectory } from '../../src/directory/service.ts';
import { lookupPostcode } from '../../src/geo/postcodes.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const names = (outcome: { results: Array<{ name: string }> }) => outcome.results.map((r) => r.name).sort();

test('near a place, every word asked for must match, "or" takes either, and "-" leaves a word out', async () => {
  await aDirectoryService(database, { name: 'Quokka wombat meetup' });
  await aDirectoryService(database, { name: 'Quokka numbat meetup' });
  await aDirectoryService(database, { name: 'Wombat numbat meetup' });
  await aDirectoryService(database, { name: 'Quokka wombat meetup in London', postcode: 'EC1A 1BB' });
  const near = (q: string) => searchDirectory(database.pool, { q, postcode: 'LS6 3AB', miles: 10 }).then(names);

  assert.deepEqual(await near('quokka wombat'), ['Quokka wombat meetup']);
  assert.deepEqual(await near('wombat quokka meetups'), ['Quokka wombat meetup']);
  assert.deepEqual(await near('"quokka numbat"'), ['Quokka numbat meetup']);
  assert.deepEqual(await near('quokka or numbat'), ['Quokka numbat meetup', 'Quokka wombat meetup', 'Wombat numbat meetup']);
  assert.deepEqual(await near('meetup -wombat'), ['Quokka numbat meetup']);
  const withoutWombats = await near('-wombat');
  assert.ok(withoutWombats.includes('Quokka numbat meetup'), 'a query of only "not" words still searches the place');
  assert.ok(!withoutWombats.some((name) => /wombat/i.test(name)));
  assert.deepEqual(await near('the'), [], 'a query of only common words matches nothing');
  const everywhere = await searchDirectory(database.pool, { q: 'quokka wombat' });
  assert.deepEqual(names(everywhere), ['Quokka wombat meetup', 'Quokka wombat meetup in London']);
});

test('near a place with a need, and with a filter only the service row answers, the same services are found', async () => {
  await aDirectoryService(database, { name: 'Aardwolf free swim', needs: ['physical-activity'], cost: 0 });
  await aDirectoryService(database, { name: 'Aardwolf paid swim', needs: ['physical-activity'], cost: 12 });
  await aDirectoryService(database, { name: 'Aardwolf craft club', needs: ['arts'], cost: 0 });
  await aDirectoryService(database, { name: 'Aardwolf swim by phone', needs: ['physical-activity'], postcode: null });
  const near = (extra: object) => searchDirectory(database.pool, { q: 'aardwolf', postcode: 'LS6 3AB', ...extra }).then(names);

  assert.deepEqual(await near({ need: 'physical-activity' }), ['Aardwolf free swim', 'Aardwolf paid swim', 'Aardwolf swim by phone']);
  // A service with no cost recorded counts as free, as everywhere in search.
  assert.deepEqual(await near({ cost: 'free' }), ['Aardwolf craft club', 'Aardwolf free swim', 'Aardwolf swim by phone']);
  assert.deepEqual(await near({ need: 'physical-activity', cost: 'low' }), ['Aardwolf free swim', 'Aardwolf swim by phone']);
  const byNeed = await searchDirectory(database.pool, { need: 'physical-activity', postcode: 'LS6 3AB' });
  assert.ok(names(byNeed).includes('Aardwolf paid swim') && !names(byNeed).includes('Aardwolf craft club'));
});

test('without words, the nearest services are found even when one service has several of the nearest venues', async () => {
  const origin = (await lookupPostcode(database.pool, 'TR1'))!;
  const at = (north: number) => ({ latitude: origin.latitude + north, longitude: origin.longitude });
  const many = await aDirectoryService(database, { name: 'Truro venues everywhere', location: at(0.001) });
  // Three more venues of the same service, all nearer than the next service.
  const venues = [0.0012, 0.0014, 0.0016].map((north) => ({
    id: randomUUID(),
    location: { ...many.service_at_locations![0]!.location!, id: randomUUID(), ...at(north) },
  }));
  await withTransaction(database.pool, (tx) =>
    writeDirectoryService(tx, { ...many, service_at_locations: [...many.service_at_locations!, ...venues] }),
  );
  await aDirectoryService(database, { name: 'Truro next along', location: at(0.01) });
  await aDirectoryService(database, { name: 'Truro further out', location: at(0.02) });

  // Services with no location (phone lines) are found everywhere; these are the ones in Truro.
  const inTruro = (outcome: { results: Array<{ name: string }> }) =>
    outcome.results.map((r) => r.name).filter((n) => n.startsWith('Truro'));
  const all = await searchDirectory(database.pool, { postcode: 'TR1', miles: 5 });
  assert.deepEqual(inTruro(all), ['Truro venues everywhere', 'Truro next along', 'Truro further out']);
  // The first four points read nearest first are all one service's; the two nearest services are still found.
  const capped = await searchDirectory(database.pool, { postcode: 'TR1', miles: 5, candidateCap: 2 });
  assert.deepEqual(inTruro(capped), ['Truro venues everywhere', 'Truro next along']);
  assert.equal(capped.capped, true);
  assert.equal(capped.results[0]!.distanceMiles, all.results[0]!.distanceMiles);
});
