import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { importPostcodes } from '../../src/geo/import.ts';
import { distanceMetres, imdDecileFor, lookupPostcode, normalisePostcode } from '../../src/geo/postcodes.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

test('postcodes are normalised to upper case with one space, and malformed ones are refused', () => {
  assert.equal(normalisePostcode(' ls6  3ab '), 'LS6 3AB');
  assert.equal(normalisePostcode('sw1a1aa'), 'SW1A 1AA');
  assert.equal(normalisePostcode('LS6'), undefined);
  assert.equal(normalisePostcode('not a postcode'), undefined);
  assert.equal(normalisePostcode('LS6 3CI'), undefined, 'C and I never appear in the unit');
});

test('a sample LS6 postcode resolves exactly, with its LSOA and IMD 2025 decile', async () => {
  const found = await lookupPostcode(database.pool, 'ls6 3ab');
  assert.ok(found);
  assert.equal(found.precision, 'postcode');
  assert.match(found.lsoa ?? '', /^E01\d{6}$/);
  assert.equal(found.imdDecile, imdDecileFor(found.lsoa));
  assert.ok(found.imdDecile! >= 1 && found.imdDecile! <= 10);
  assert.ok(Math.abs(found.latitude - 53.8) < 0.1 && Math.abs(found.longitude + 1.57) < 0.1);
});

test('a postcode outside the sample falls back to its outward code centroid, and an unknown one to nothing', async () => {
  const manchester = await lookupPostcode(database.pool, 'M20 2ZZ');
  assert.equal(manchester?.precision, 'outcode');
  assert.equal(manchester?.imdDecile, undefined);
  assert.equal(await lookupPostcode(database.pool, 'ZZ9 9ZZ'), undefined);
  // Leeds to Manchester is about 55 km as the crow flies.
  const leeds = (await lookupPostcode(database.pool, 'LS1 1AA'))!;
  const km = distanceMetres(leeds, manchester!) / 1000;
  assert.ok(km > 45 && km < 65, `${km} km`);
});

test('importing an ONS postcode file loads good rows, reports rejects, and a re-run changes nothing', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'postcodes-'));
  const file = path.join(dir, 'nspl.csv');
  writeFileSync(
    file,
    [
      '"pcd","pcd2","pcds","lat","long","lsoa11","lsoa21"',
      '"M202ZZ","M20 2ZZ","M20 2ZZ",53.431,-2.231,"E01005200","E01005200"',
      '"M202ZY","M20 2ZY","M20 2ZY",53.432,-2.232,"E01005201",""',
      '"XX","XX","not-a-postcode",53.4,-2.2,"",""',
      '"M202ZX","M20 2ZX","M20 2ZX",99.999999,0.000000,"",""',
    ].join('\r\n'),
  );
  const first = await importPostcodes(database.pool, file);
  assert.deepEqual({ read: first.read, loaded: first.loaded, rejected: first.rejected }, { read: 4, loaded: 2, rejected: 2 });
  assert.match(first.examples.map((e) => e.reason).join(' '), /not a postcode.*no usable latitude/);
  const again = await importPostcodes(database.pool, file);
  assert.equal(again.loaded, 0);
  assert.equal(again.unchanged, 2);
  const found = await lookupPostcode(database.pool, 'M20 2ZZ');
  assert.equal(found?.precision, 'postcode');
  assert.equal(found?.latitude, 53.431);
  assert.equal(found?.lsoa, 'E01005200');
});

test('a file without postcode columns is refused and nothing is loaded', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'postcodes-'));
  const file = path.join(dir, 'wrong.csv');
  writeFileSync(file, 'name,value\nM20 2ZW,1\n');
  await assert.rejects(importPostcodes(database.pool, file), /ONS postcode file/);
  assert.equal((await lookupPostcode(database.pool, 'M20 2ZW'))?.precision, 'outcode');
});
