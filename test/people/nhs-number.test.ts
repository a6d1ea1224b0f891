// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  compactNhsNumber,
  EXAMPLE_NHS_NUMBER,
  formatNhsNumber,
  isValidNhsNumber,
  nhsCheckDigit,
  testRangeNhsNumbers,
} from '../../src/people/nhs-number.ts';
import { checkNhsNumber } from '../../src/people/schema.ts';

const vectors = readFileSync('/work/shared/data/nhs-number/nhs-number-test-vectors.csv', 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => /^("?)([^",]*)\1,(true|false)/.exec(line)!)
  .map((m) => ({ input: m[2]!, valid: m[3] === 'true' }));

test('every published NHS number test vector is judged as the vector says', () => {
  assert.ok(vectors.length > 20);
  assert.ok(vectors.some((v) => !v.valid));
  for (const v of vectors) assert.equal(isValidNhsNumber(v.input), v.valid, `vector ${JSON.stringify(v.input)}`);
});

test('the example the forms give is a published valid test number, and the old example 999 123 4567 is not', () => {
  assert.ok(
    vectors.some((v) => v.valid && compactNhsNumber(v.input) === compactNhsNumber(EXAMPLE_NHS_NUMBER)),
    'the example is among the valid vectors',
  );
  assert.deepEqual(checkNhsNumber(EXAMPLE_NHS_NUMBER), { value: compactNhsNumber(EXAMPLE_NHS_NUMBER) });
  assert.match(checkNhsNumber('999 123 4567').message ?? '', /not a real NHS number/);
  assert.match(checkNhsNumber('12345').message ?? '', new RegExp(EXAMPLE_NHS_NUMBER));
});

test('the worked example passes and a changed digit fails', () => {
  assert.equal(isValidNhsNumber('943 476 5919'), true);
  assert.equal(isValidNhsNumber('943 476 5918'), false);
  assert.equal(isValidNhsNumber('987 654 4321'), false);
});

test('numbers are stored as ten digits and shown 3-3-4', () => {
  assert.equal(compactNhsNumber(' 943 476 5919 '), '9434765919');
  assert.equal(compactNhsNumber('94347659'), undefined);
  assert.equal(formatNhsNumber('9434765919'), '943 476 5919');
});

test('a stem whose check digit would be 10 has no valid number', () => {
  let found = false;
  for (let stem = 999000000; stem < 999000100 && !found; stem++) {
    if (nhsCheckDigit(String(stem)) === undefined) found = true;
  }
  assert.ok(found);
});

test('generated test-range numbers all start 999 and pass the check', () => {
  const seen = new Set<string>();
  const gen = testRangeNhsNumbers();
  for (let i = 0; i < 500; i++) {
    const n = gen.next().value as string;
    assert.match(n, /^999\d{7}$/);
    assert.ok(isValidNhsNumber(n));
    seen.add(n);
  }
  assert.equal(seen.size, 500);
});
