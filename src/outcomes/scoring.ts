import { INSTRUMENTS, SWEMWBS_METRIC, type InstrumentCode } from './instruments.ts';

// Scoring for the outcome measures, checked against every vector in
// /work/shared/data/outcome-measures/scoring-test-vectors.json (test/outcomes/scoring.test.ts).
// Pure functions: answers in, scores out, or a ScoringError naming what is wrong.

/** An answer set that cannot be scored: missing answers or a value outside the scale. */
export class ScoringError extends Error {
  constructor(
    message: string,
    readonly itemId?: string,
  ) {
    super(message);
    this.name = 'ScoringError';
  }
}

function checkRange(name: string, answers: readonly unknown[], min: number, max: number, ids?: readonly string[]): number[] {
  return answers.map((value, i) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ScoringError(`${name} answer out of range: each answer ${min}-${max}`, ids?.[i]);
    }
    return value;
  });
}

function checkCount(name: string, answers: readonly unknown[], count: number): void {
  if (answers.length !== count) {
    throw new ScoringError(`${name} is incomplete: ${count} answers required (${answers.length} given)`);
  }
}

/** SWEMWBS: 7 items 1-5, no reverse scoring; raw 7-35 to the metric score by the published table. */
export function scoreSwemwbs(answers: readonly unknown[]): { raw: number; metric: number } {
  checkCount('SWEMWBS', answers, 7);
  const values = checkRange(
    'SWEMWBS',
    answers,
    1,
    5,
    INSTRUMENTS.swemwbs.items.map((i) => i.id),
  );
  const raw = values.reduce((a, b) => a + b, 0);
  const metric = SWEMWBS_METRIC.get(raw);
  if (metric === undefined) throw new ScoringError(`SWEMWBS raw score ${raw} is not in the conversion table`);
  return { raw, metric };
}

/** Three-item UCLA loneliness: 3 items 1-3 summed, 3-9; higher is lonelier. */
export function scoreUcla3(answers: readonly unknown[]): { score: number } {
  checkCount('UCLA 3-item loneliness', answers, 3);
  const values = checkRange(
    'UCLA 3-item loneliness',
    answers,
    1,
    3,
    INSTRUMENTS.ucla3.items.map((i) => i.id),
  );
  return { score: values.reduce((a, b) => a + b, 0) };
}

/** The ONS band ("low", "very high" ...) an item's answer falls in. */
export function ons4Band(itemId: string, value: number): string {
  const band = INSTRUMENTS.ons4.bands[itemId]?.find((b) => value >= b.min && value <= b.max);
  if (!band) throw new ScoringError(`ONS4 has no band for ${itemId} = ${value}`, itemId);
  return band.label;
}

/** ONS4: four items 0-10, each reported on its own with its ONS band; never added together. */
export function scoreOns4(answers: Readonly<Record<string, unknown>>): { items: Record<string, number>; bands: Record<string, string> } {
  const ids = INSTRUMENTS.ons4.items.map((i) => i.id);
  const missing = ids.filter((id) => answers[id] === undefined || answers[id] === null);
  if (missing.length) throw new ScoringError(`ONS4 is incomplete: 4 answers required (${missing.join(', ')} missing)`, missing[0]);
  const unknown = Object.keys(answers).filter((id) => !ids.includes(id));
  if (unknown.length) throw new ScoringError(`ONS4 has no question ${unknown[0]}`);
  const values = checkRange(
    'ONS4',
    ids.map((id) => answers[id]),
    0,
    10,
    ids,
  );
  const items: Record<string, number> = {};
  const bands: Record<string, string> = {};
  ids.forEach((id, i) => {
    items[id] = values[i]!;
    bands[id] = ons4Band(id, values[i]!);
  });
  return { items, bands };
}

export interface Score {
  /** SWEMWBS raw (7-35) or UCLA sum (3-9); null for ONS4, which has no total. */
  raw: number | null;
  /** SWEMWBS metric score; null for the others. */
  metric: number | null;
  /** ONS4 bands per item; empty for the others. */
  bands: Record<string, string>;
}

/**
 * Scores one administration from answers keyed by item id (in any order). Every item must be
 * answered and no other key given; the error names the first item at fault.
 */
export function scoreAnswers(instrument: InstrumentCode, answers: Readonly<Record<string, unknown>>): Score {
  const def = INSTRUMENTS[instrument];
  if (instrument === 'ons4') return { raw: null, metric: null, bands: scoreOns4(answers).bands };
  const ids = def.items.map((i) => i.id);
  const unknown = Object.keys(answers).filter((id) => !ids.includes(id));
  if (unknown.length) throw new ScoringError(`${def.shortName} has no question ${unknown[0]}`);
  const missing = ids.find((id) => answers[id] === undefined || answers[id] === null);
  if (missing) throw new ScoringError(`${def.shortName} is incomplete: ${ids.length} answers required`, missing);
  const ordered = ids.map((id) => answers[id]);
  if (instrument === 'swemwbs') {
    const { raw, metric } = scoreSwemwbs(ordered);
    return { raw, metric, bands: {} };
  }
  return { raw: scoreUcla3(ordered).score, metric: null, bands: {} };
}

export interface Change {
  /** What is compared, e.g. "SWEMWBS metric score" or an ONS4 question. */
  measure: string;
  itemId: string | null;
  from: number;
  to: number;
  /** to - from, rounded to 2 decimals (the metric table's precision). */
  change: number;
  direction: 'better' | 'worse' | 'same';
}

function compare(measure: string, itemId: string | null, from: number, to: number, higherIsBetter: boolean): Change {
  const change = Math.round((to - from) * 100) / 100;
  const direction = change === 0 ? 'same' : change > 0 === higherIsBetter ? 'better' : 'worse';
  return { measure, itemId, from, to, change, direction };
}

/**
 * Change from the baseline to a later administration of the same instrument: the SWEMWBS metric
 * score, the UCLA sum, or each ONS4 question separately (anxiety falls when things improve).
 */
export function changeFromBaseline(
  instrument: InstrumentCode,
  baseline: { score: Score; answers: Record<string, number> },
  later: { score: Score; answers: Record<string, number> },
): Change[] {
  const def = INSTRUMENTS[instrument];
  if (instrument === 'ons4') {
    return def.items
      .filter((i) => baseline.answers[i.id] !== undefined && later.answers[i.id] !== undefined)
      .map((i) => compare(i.text, i.id, baseline.answers[i.id]!, later.answers[i.id]!, i.higherIsBetter));
  }
  if (instrument === 'swemwbs') {
    if (baseline.score.metric === null || later.score.metric === null) return [];
    return [compare('SWEMWBS metric score', null, baseline.score.metric, later.score.metric, true)];
  }
  if (baseline.score.raw === null || later.score.raw === null) return [];
  return [compare('UCLA loneliness score', null, baseline.score.raw, later.score.raw, false)];
}

/** "+3.9", "-1.25", "no change". */
export function formatChange(change: number): string {
  if (change === 0) return 'no change';
  const text = Number.isInteger(change) ? String(change) : change.toFixed(2).replace(/0$/, '');
  return change > 0 ? `+${text}` : text;
}
