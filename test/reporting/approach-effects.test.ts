// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DemoRandom } from '../../src/demo/random.ts';
import { approachEffects, type OutcomeCase } from '../../src/reporting/analysis.ts';
import { APPROACH_CODES } from '../../src/reporting/approaches.ts';
import { SIMULATED_NEED_CODES, simulateCases, TRUE_EFFECTS, type SimulatedCase } from '../../src/reporting/simulation.ts';
import { leastSquares, pairedChange } from '../../src/reporting/statistics.ts';

const asCase = (c: SimulatedCase): OutcomeCase => ({
  baseline: c.baseline,
  followUp: c.followUp,
  approaches: c.approaches,
  contacts: c.contacts,
  ageBand: c.ageBand,
  sex: c.sex,
  imdQuintile: String(c.imdQuintile),
  needs: c.needs,
});

test('over 100 generated services the 95% intervals cover each true approach effect at least 90 times, and the plain before-and-after figure is biased', () => {
  const covered = new Map<string, number>(APPROACH_CODES.map((a) => [a, 0]));
  let naiveSignpostingChange = 0;
  let naiveWarmHandoverGap = 0;
  const sets = 100;
  for (let s = 0; s < sets; s++) {
    const cases = simulateCases(new DemoRandom(1000 + s), 2000)
      .filter((c) => c.followedUp)
      .map(asCase);
    const analysis = approachEffects(cases, APPROACH_CODES, SIMULATED_NEED_CODES);
    assert.equal(analysis.refusal, null);
    for (const effect of analysis.effects) {
      assert.ok(effect.adjusted, `${effect.approach} estimated in set ${s}`);
      if (effect.adjusted.lower <= TRUE_EFFECTS[effect.approach]! && TRUE_EFFECTS[effect.approach]! <= effect.adjusted.upper) {
        covered.set(effect.approach, covered.get(effect.approach)! + 1);
      }
    }
    // Signposting alone does nothing, yet those who had only signposting "improve".
    naiveSignpostingChange +=
      pairedChange(cases.filter((c) => c.approaches.length === 1 && c.approaches[0] === 'signposting'))!.change.estimate / sets;
    const withIt = pairedChange(cases.filter((c) => c.approaches.includes('warm_handover')))!.change.estimate;
    const without = pairedChange(cases.filter((c) => !c.approaches.includes('warm_handover')))!.change.estimate;
    naiveWarmHandoverGap += (withIt - without) / sets;
  }
  for (const [approach, n] of covered) assert.ok(n >= 90, `${approach}: covered in ${n} of ${sets}`);
  // Signposting's true effect is 0, yet its plain before-and-after change credits it with more.
  assert.ok(naiveSignpostingChange > 0.5, `naive change with signposting alone ${naiveSignpostingChange.toFixed(2)}`);
  // Those who start low get accompanied visits and regress upwards: the naive gap overstates 2.0.
  assert.ok(naiveWarmHandoverGap > 2.0 + 0.3, `naive gap for accompanied visits ${naiveWarmHandoverGap.toFixed(2)}`);
});

test('an approach with fewer than 30 people is not estimated and says why; everyone else still is', () => {
  const cases = simulateCases(new DemoRandom(7), 600)
    .filter((c) => c.followedUp)
    .map(asCase)
    .map((c, i) => ({
      ...c,
      approaches:
        i < 20
          ? [...c.approaches.filter((a) => a !== 'group_session'), 'group_session']
          : c.approaches.filter((a) => a !== 'group_session'),
    }));
  const analysis = approachEffects(cases, APPROACH_CODES, SIMULATED_NEED_CODES);
  const group = analysis.effects.find((e) => e.approach === 'group_session')!;
  assert.equal(group.adjusted, null);
  assert.match(group.refusal!, /Only 20 people .* at least 30/);
  assert.ok(analysis.effects.find((e) => e.approach === 'signposting')!.adjusted);
});

test('an approach nobody had is dropped and named; too few paired measures refuses the whole model', () => {
  const cases = simulateCases(new DemoRandom(8), 400)
    .filter((c) => c.followedUp)
    .map(asCase)
    .map((c) => ({ ...c, approaches: c.approaches.filter((a) => a !== 'practical_help') }));
  const analysis = approachEffects(cases, APPROACH_CODES, SIMULATED_NEED_CODES);
  assert.ok(analysis.dropped.includes('approach:practical_help'));
  assert.match(analysis.effects.find((e) => e.approach === 'practical_help')!.refusal!, /Only 0 people/);
  const few = approachEffects(cases.slice(0, 29), APPROACH_CODES, SIMULATED_NEED_CODES);
  assert.match(few.refusal!, /Only 29 people .* at least 30/);
  assert.ok(few.effects.every((e) => e.adjusted === null));
});

test('columns that can be worked out from others refuse the fit instead of guessing', () => {
  const y = Array.from({ length: 50 }, (_, i) => i % 7);
  const a = y.map((_, i) => i % 2);
  const result = leastSquares(y, [
    { name: 'a', values: a },
    { name: 'not a', values: a.map((v) => 1 - v) },
  ]);
  assert.equal(result.ok, false);
  assert.match((result as { reason: string }).reason, /cannot be fitted/);
});
