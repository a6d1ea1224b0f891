// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { INSTRUMENTS, SWEMWBS_METRIC } from '../../src/outcomes/instruments.ts';
import {
  changeFromBaseline,
  formatChange,
  scoreAnswers,
  scoreOns4,
  scoreSwemwbs,
  scoreUcla3,
  ScoringError,
} from '../../src/outcomes/scoring.ts';

const shared = '/work/shared/data/outcome-measures';
interface Vectors {
  swemwbs: { answers: number[]; raw?: number; metric?: number; error?: string }[];
  ucla3: { answers: number[]; score?: number; error?: string }[];
  ons4: { answers: Record<string, number>; bands?: Record<string, string>; error?: string }[];
}
const vectors = JSON.parse(readFileSync(`${shared}/scoring-test-vectors.json`, 'utf8')) as Vectors;

function rejectsWith(fn: () => unknown, expected: string) {
  assert.throws(fn, (error: unknown) => error instanceof ScoringError && error.message.includes(expected), `expected "${expected}"`);
}

test('every SWEMWBS vector scores to its raw and metric score, or is refused with its message', () => {
  assert.equal(vectors.swemwbs.length, 8);
  for (const v of vectors.swemwbs) {
    if (v.error) rejectsWith(() => scoreSwemwbs(v.answers), v.error);
    else assert.deepEqual(scoreSwemwbs(v.answers), { raw: v.raw, metric: v.metric }, `answers ${v.answers.join(',')}`);
  }
});

test('every UCLA 3-item vector sums to its score, or is refused with its message', () => {
  assert.equal(vectors.ucla3.length, 5);
  for (const v of vectors.ucla3) {
    if (v.error) rejectsWith(() => scoreUcla3(v.answers), v.error);
    else assert.deepEqual(scoreUcla3(v.answers), { score: v.score });
  }
});

test('every ONS4 vector gives each question its ONS band, or is refused with its message', () => {
  assert.equal(vectors.ons4.length, 5);
  for (const v of vectors.ons4) {
    if (v.error) rejectsWith(() => scoreOns4(v.answers), v.error);
    else {
      const scored = scoreOns4(v.answers);
      assert.deepEqual(scored.bands, v.bands);
      assert.deepEqual(scored.items, v.answers, 'the items are reported separately, unchanged');
    }
  }
});

test('the copied conversion table is the shared one, row for row', () => {
  const rows = readFileSync(`${shared}/swemwbs-raw-to-metric.csv`, 'utf8').trim().split('\n').slice(1);
  assert.equal(SWEMWBS_METRIC.size, rows.length);
  for (const row of rows) {
    const [raw, metric] = row.split(',').map(Number);
    assert.equal(SWEMWBS_METRIC.get(raw!), metric);
  }
  const copied = readFileSync(new URL('../../src/outcomes/data/instruments.json', import.meta.url), 'utf8');
  assert.equal(copied, readFileSync(`${shared}/instruments.json`, 'utf8'), 'instrument wording is unchanged');
});

test('answers keyed by question score the same as the vectors, in any order', () => {
  const ids = INSTRUMENTS.swemwbs.items.map((i) => i.id);
  const v = vectors.swemwbs[4]!;
  const keyed = Object.fromEntries(ids.map((id, i) => [id, v.answers[i]!]).reverse());
  assert.deepEqual(scoreAnswers('swemwbs', keyed), { raw: 28, metric: 25.03, bands: {} });
  const uclaIds = INSTRUMENTS.ucla3.items.map((i) => i.id);
  assert.deepEqual(scoreAnswers('ucla3', Object.fromEntries(uclaIds.map((id, i) => [id, [2, 1, 3][i]!]))), {
    raw: 6,
    metric: null,
    bands: {},
  });
  assert.deepEqual(scoreAnswers('ons4', vectors.ons4[1]!.answers), { raw: null, metric: null, bands: vectors.ons4[1]!.bands });
});

test('a missing, unknown, fractional or non-numeric answer is refused and names the question', () => {
  const ids = INSTRUMENTS.swemwbs.items.map((i) => i.id);
  const full = Object.fromEntries(ids.map((id) => [id, 3]));
  const { useful: _omitted, ...missing } = full;
  assert.throws(
    () => scoreAnswers('swemwbs', missing),
    (e: unknown) => e instanceof ScoringError && e.itemId === 'useful' && /incomplete: 7 answers required/.test(e.message),
  );
  assert.throws(() => scoreAnswers('swemwbs', { ...full, extra: 3 }), /has no question extra/);
  assert.throws(
    () => scoreAnswers('swemwbs', { ...full, relaxed: 2.5 }),
    (e: unknown) => e instanceof ScoringError && e.itemId === 'relaxed',
  );
  assert.throws(() => scoreAnswers('ucla3', { lack_companionship: '2', left_out: 1, isolated: 1 }), /out of range: each answer 1-3/);
  assert.throws(
    () => scoreOns4({ life_satisfaction: 5, worthwhile: 5, happiness: 5 }),
    /incomplete: 4 answers required \(anxiety missing\)/,
  );
});

test('change from baseline: SWEMWBS metric up is better, UCLA up is worse, ONS4 anxiety down is better', () => {
  const s = (answers: number[]) => {
    const r = scoreSwemwbs(answers);
    return { score: { raw: r.raw, metric: r.metric, bands: {} }, answers: {} };
  };
  const [swemwbs] = changeFromBaseline('swemwbs', s([2, 2, 2, 3, 2, 1, 2]), s([3, 3, 3, 3, 3, 3, 3]));
  assert.deepEqual(swemwbs, { measure: 'SWEMWBS metric score', itemId: null, from: 15.32, to: 19.25, change: 3.93, direction: 'better' });
  assert.equal(formatChange(3.93), '+3.93');
  assert.equal(formatChange(-1.5), '-1.5');
  assert.equal(formatChange(0), 'no change');
  const u = (raw: number) => ({ score: { raw, metric: null, bands: {} }, answers: {} });
  assert.equal(changeFromBaseline('ucla3', u(7), u(5))[0]!.direction, 'better');
  const o = (anxiety: number) => ({
    score: { raw: null, metric: null, bands: {} },
    answers: { life_satisfaction: 5, worthwhile: 5, happiness: 5, anxiety },
  });
  const ons = changeFromBaseline('ons4', o(8), o(3));
  assert.equal(ons.length, 4);
  assert.deepEqual(
    ons.find((c) => c.itemId === 'anxiety'),
    { measure: INSTRUMENTS.ons4.items[3]!.text, itemId: 'anxiety', from: 8, to: 3, change: -5, direction: 'better' },
  );
  assert.equal(ons.find((c) => c.itemId === 'happiness')!.direction, 'same');
});
