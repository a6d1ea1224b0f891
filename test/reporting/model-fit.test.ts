// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inverse, Matrix, solve } from 'ml-matrix';
import { referenceApproachEffects, referenceGroupChanges } from '../../bench/_evidence-reference.ts';
import { DemoRandom } from '../../src/demo/random.ts';
import { approachEffects, groupChanges, type OutcomeCase } from '../../src/reporting/analysis.ts';
import { APPROACH_CODES } from '../../src/reporting/approaches.ts';
import { SIMULATED_NEED_CODES, simulateCases } from '../../src/reporting/simulation.ts';
import { dummies, indicators, leastSquares, pairedChange, type Column } from '../../src/reporting/statistics.ts';

// The models fit from sparse rows in one pass (src/reporting/statistics.ts). These tests hold
// that fit to a straightforward one (the whole design matrix, solved by ml-matrix's QR) and the
// model functions to the code they replaced (bench/_evidence-reference.ts), so a later speed-up
// cannot quietly change a figure.

function generated(seed: number, n: number): (OutcomeCase & { style: string; worker: string })[] {
  const random = new DemoRandom(seed);
  return simulateCases(random, n)
    .filter((c) => c.followedUp)
    .map((c) => ({
      baseline: c.baseline,
      followUp: c.followUp,
      approaches: c.approaches,
      contacts: c.contacts,
      ageBand: c.ageBand,
      sex: c.sex,
      imdQuintile: String(c.imdQuintile),
      needs: c.needs,
      style: c.style,
      worker: `worker ${random.int(1, 6)}`,
    }));
}

const dense = (column: Column, n: number): number[] => {
  if ('values' in column) return Array.from(column.values);
  const values = new Array<number>(n).fill(0);
  for (const i of column.ones) values[i] = 1;
  return values;
};

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} against ${expected}`);

test('the one-pass fit gives the coefficients and standard errors of least squares on the whole design matrix', () => {
  const cases = generated(31, 6000);
  const n = cases.length;
  const meanBaseline = cases.reduce((s, c) => s + c.baseline, 0) / n;
  const columns: Column[] = [
    ...indicators(
      'approach',
      APPROACH_CODES,
      cases.map((c) => c.approaches),
    ),
    { name: 'contacts', values: cases.map((c) => c.contacts) },
    { name: 'baseline', values: cases.map((c) => c.baseline - meanBaseline) },
    ...dummies(
      'age',
      cases.map((c) => c.ageBand),
    ),
    ...dummies(
      'sex',
      cases.map((c) => c.sex),
    ),
    ...dummies(
      'imd',
      cases.map((c) => c.imdQuintile),
    ),
    ...indicators(
      'need',
      SIMULATED_NEED_CODES,
      cases.map((c) => c.needs),
    ),
  ];
  const y = cases.map((c) => c.followUp);
  const result = leastSquares(y, columns);
  assert.ok(result.ok);
  const fit = result.fit;
  assert.deepEqual(fit.dropped, []);
  assert.equal(fit.columns.length, columns.length + 1);

  const denseColumns = columns.map((c) => dense(c, n));
  const x = new Matrix(cases.map((_, i) => [1, ...denseColumns.map((values) => values[i]!)]));
  const beta = solve(x, Matrix.columnVector(y)).to1DArray();
  const residuals = Matrix.columnVector(y)
    .sub(x.mmul(Matrix.columnVector(beta)))
    .to1DArray();
  const sigma2 = residuals.reduce((s, r) => s + r * r, 0) / (n - beta.length);
  const covariance = inverse(x.transpose().mmul(x)).mul(sigma2);
  assert.equal(fit.df, n - beta.length);
  beta.forEach((b, j) => {
    close(fit.coefficients[j]!, b, `coefficient of ${fit.columns[j]}`);
    close(fit.standardErrors[j]!, Math.sqrt(covariance.get(j, j)), `standard error of ${fit.columns[j]}`);
  });
});

test('an indicator named twice for a person counts once, and a term nobody has is dropped, as in the dense fit', () => {
  const cases = generated(32, 800);
  const sets = cases.map((c, i) => (i % 7 === 0 ? [...c.approaches, c.approaches[0]!] : c.approaches));
  const columns = [
    ...indicators('approach', [...APPROACH_CODES, 'nobody_had_this'], sets),
    ...dummies(
      'sex',
      cases.map((c) => c.sex),
    ),
  ];
  const result = leastSquares(
    cases.map((c) => c.followUp),
    columns,
  );
  assert.ok(result.ok);
  assert.deepEqual(result.fit.dropped, ['approach:nobody_had_this']);
  const first = columns[0]!;
  assert.ok('ones' in first);
  assert.deepEqual(
    dense(first, cases.length),
    sets.map((s) => (s.includes(APPROACH_CODES[0]!) ? 1 : 0)),
  );
});

test('approach effects, practice and link worker changes and group changes without deprivation are the same, to the last bit, as the models they replaced', () => {
  for (const seed of [41, 42]) {
    const cases = generated(seed, 5000);
    assert.deepEqual(
      approachEffects(cases, APPROACH_CODES, SIMULATED_NEED_CODES),
      referenceApproachEffects(cases, APPROACH_CODES, SIMULATED_NEED_CODES),
    );
    const styles = cases.map((c) => c.style);
    const workers = cases.map((c) => c.worker);
    const quintiles = cases.map((c) => c.imdQuintile);
    assert.deepEqual(groupChanges(cases, styles, SIMULATED_NEED_CODES), referenceGroupChanges(cases, styles, SIMULATED_NEED_CODES));
    assert.deepEqual(groupChanges(cases, workers, SIMULATED_NEED_CODES), referenceGroupChanges(cases, workers, SIMULATED_NEED_CODES));
    assert.deepEqual(
      groupChanges(cases, quintiles, SIMULATED_NEED_CODES, { imdIsTheGroup: true }),
      referenceGroupChanges(cases, quintiles, SIMULATED_NEED_CODES, { imdIsTheGroup: true }),
    );
  }
});

test('a small group is refused with its reason and a too-small service refuses the model, as before', () => {
  const cases = generated(43, 400);
  const groups = cases.map((_, i) => (i < 12 ? 'tiny' : i % 2 ? 'a' : 'b'));
  const changes = groupChanges(cases, groups, SIMULATED_NEED_CODES);
  assert.deepEqual(changes, referenceGroupChanges(cases, groups, SIMULATED_NEED_CODES));
  assert.match(changes.groups.find((g) => g.group === 'tiny')!.refusal!, /Only 12 people/);
  const few = cases.slice(0, 20);
  assert.deepEqual(
    approachEffects(few, APPROACH_CODES, SIMULATED_NEED_CODES),
    referenceApproachEffects(few, APPROACH_CODES, SIMULATED_NEED_CODES),
  );
  assert.match(approachEffects(few, APPROACH_CODES, SIMULATED_NEED_CODES).refusal!, /Only 20 people/);
});

test('the paired change in plain loops is the counted-pairs arithmetic with every count 1', () => {
  const cases = generated(44, 1000);
  const expected = referenceApproachEffects(cases, APPROACH_CODES, SIMULATED_NEED_CODES).effects.map((e) => e.naive);
  assert.deepEqual(
    approachEffects(cases, APPROACH_CODES, SIMULATED_NEED_CODES).effects.map((e) => e.naive),
    expected,
  );
  assert.equal(pairedChange(cases.slice(0, 1)), undefined);
});
