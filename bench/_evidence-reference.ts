import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import type { ApproachAnalysis, GroupAnalysis, OutcomeCase } from '../src/reporting/analysis.ts';
import { coefficient, contrast, countedPairedChange, MINIMUM_PAIRED, type FitResult, type Pair } from '../src/reporting/statistics.ts';

// The evidence models as they were fitted before the sparse one-pass fit (src/reporting/
// statistics.ts): a dense column of numbers per model term, rebuilt for every model and filtered
// per group. Kept, unchanged, so the benchmark can time before and after on the same rows and the
// tests can check the faster fit gives the same figures.

/** Paired change as it was computed: through counted pairs, each counted once. */
function pairedChange(pairs: readonly Pair[]) {
  return countedPairedChange(pairs.map((p) => ({ baseline: p.baseline, followUp: p.followUp, n: 1 })));
}

interface ReferenceColumn {
  name: string;
  values: number[];
}

/**
 * Ordinary least squares of y on the columns (an intercept is added). Columns that are all zero
 * or the same for everyone say nothing and are dropped first (and named). If the rest still
 * cannot be told apart (one column is a sum of others), it refuses rather than guess.
 * Solved from the normal equations through the SVD of X'X; standard errors are
 * sqrt(diag(sigma^2 (X'X)^-1)).
 */
export function referenceLeastSquares(y: readonly number[], columns: readonly ReferenceColumn[]): FitResult {
  const n = y.length;
  const dropped: string[] = [];
  const kept = columns.filter((c) => {
    const constant = c.values.every((v) => v === c.values[0]);
    if (constant) dropped.push(c.name);
    return !constant;
  });
  const p = kept.length + 1;
  if (n - p < 10) return { ok: false, reason: `Too few paired measures (${n}) for ${p} terms in the model.`, dropped };
  // The sums of squares and cross-products X'X and X'y in one pass over the rows: ml-matrix's
  // mmul on a 50,000-row matrix took most of a second here, this takes milliseconds. Everything
  // after (rank, solution, inverse) is ml-matrix's singular value decomposition of X'X.
  const xtx = Array.from({ length: p }, () => new Float64Array(p));
  const xty = new Float64Array(p);
  const row = new Float64Array(p);
  row[0] = 1;
  for (let i = 0; i < n; i++) {
    for (let j = 1; j < p; j++) row[j] = kept[j - 1]!.values[i]!;
    const yi = y[i]!;
    for (let a = 0; a < p; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      xty[a]! += ra * yi;
      const line = xtx[a]!;
      for (let b = a; b < p; b++) line[b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[a]![b] = xtx[b]![a]!;
  const crossProduct = new Matrix(xtx.map((r) => [...r]));
  const svd = new SingularValueDecomposition(crossProduct, { autoTranspose: true });
  if (svd.rank < p) {
    return {
      ok: false,
      reason: 'The model cannot be fitted: some groups overlap completely (one can be worked out from the others).',
      dropped,
    };
  }
  const inverseCross = svd.inverse();
  const beta = inverseCross.mmul(Matrix.columnVector([...xty])).to1DArray();
  let rss = 0;
  for (let i = 0; i < n; i++) {
    let fitted = beta[0]!;
    for (let j = 1; j < p; j++) fitted += beta[j]! * kept[j - 1]!.values[i]!;
    rss += (y[i]! - fitted) ** 2;
  }
  const df = n - p;
  const covariance = inverseCross.mul(rss / df);
  return {
    ok: true,
    fit: {
      columns: ['(intercept)', ...kept.map((c) => c.name)],
      coefficients: beta,
      standardErrors: covariance.diag().map((v) => Math.sqrt(Math.max(v, 0))),
      df,
      n,
      dropped,
      covariance: covariance.to2DArray(),
    },
  };
}

/** Indicator columns for a category, leaving out the reference (the most common value). */
export function dummies(prefix: string, values: readonly string[]): ReferenceColumn[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const reference = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
  return [...counts.keys()]
    .filter((k) => k !== reference)
    .sort()
    .map((k) => ({ name: `${prefix}:${k}`, values: values.map((v) => (v === k ? 1 : 0)) }));
}

/** One indicator column per code, for sets where a case can have several (approaches, needs). */
export function indicators(prefix: string, codes: readonly string[], sets: readonly (readonly string[])[]): ReferenceColumn[] {
  return codes.map((code) => ({ name: `${prefix}:${code}`, values: sets.map((s) => (s.includes(code) ? 1 : 0)) }));
}

/** Case-mix columns: starting score, age band, sex, deprivation and needs. */
function caseMix(cases: readonly OutcomeCase[], needCodes: readonly string[], leaveOut: 'imd' | null = null): ReferenceColumn[] {
  const meanBaseline = cases.reduce((s, c) => s + c.baseline, 0) / cases.length;
  return [
    // Centred, so the intercept reads as the follow-up of someone starting at the average score.
    { name: 'baseline', values: cases.map((c) => c.baseline - meanBaseline) },
    ...dummies(
      'age',
      cases.map((c) => c.ageBand),
    ),
    ...dummies(
      'sex',
      cases.map((c) => c.sex),
    ),
    ...(leaveOut === 'imd'
      ? []
      : dummies(
          'imd',
          cases.map((c) => c.imdQuintile),
        )),
    ...indicators(
      'need',
      needCodes,
      cases.map((c) => c.needs),
    ),
  ];
}

/**
 * ANCOVA: follow-up score on baseline score, an indicator per approach, number of contacts, age
 * band, sex, IMD quintile and needs. Each approach's coefficient is the adjusted difference in
 * follow-up score between people whose support included it and those whose support did not.
 * An approach with fewer than 30 people on either side is not estimated.
 */
export function referenceApproachEffects(
  cases: readonly OutcomeCase[],
  approachCodes: readonly string[],
  needCodes: readonly string[],
): ApproachAnalysis {
  const people = cases.length;
  const naiveOf = (code: string) => pairedChange(cases.filter((c) => c.approaches.includes(code)));
  const counts = approachCodes.map((code) => cases.filter((c) => c.approaches.includes(code)).length);
  const empty = (refusal: string, dropped: string[] = []): ApproachAnalysis => ({
    people,
    refusal,
    dropped,
    effects: approachCodes.map((approach, i) => ({
      approach,
      people: counts[i]!,
      adjusted: null,
      naive: naiveOf(approach) ?? null,
      refusal,
    })),
  });
  if (people < MINIMUM_PAIRED)
    return empty(`Only ${people} people have a baseline and a follow-up measure; at least ${MINIMUM_PAIRED} are needed.`);
  const fitted = referenceLeastSquares(
    cases.map((c) => c.followUp),
    [
      ...indicators(
        'approach',
        approachCodes,
        cases.map((c) => c.approaches),
      ),
      { name: 'contacts', values: cases.map((c) => c.contacts) },
      ...caseMix(cases, needCodes),
    ],
  );
  if (!fitted.ok) return empty(fitted.reason, fitted.dropped);
  const fit = fitted.fit;
  return {
    people,
    refusal: null,
    dropped: fit.dropped,
    effects: approachCodes.map((approach, i) => {
      const n = counts[i]!;
      const refusal =
        n < MINIMUM_PAIRED
          ? `Only ${n} people with paired measures had this approach; at least ${MINIMUM_PAIRED} are needed.`
          : people - n < MINIMUM_PAIRED
            ? `Only ${people - n} people with paired measures did not have this approach, so there is too little to compare with.`
            : null;
      return {
        approach,
        people: n,
        adjusted: refusal ? null : (coefficient(fit, `approach:${approach}`) ?? null),
        naive: naiveOf(approach) ?? null,
        refusal,
      };
    }),
  };
}

/**
 * Baseline-adjusted change per group (practice, link worker, IMD quintile, ethnic group):
 * follow-up on group indicators, baseline and case mix (the grouping factor itself left out of
 * the case mix). A group's adjusted change is its predicted follow-up for someone with the
 * average starting score and case mix, minus that average starting score; its interval comes
 * from the covariance of the intercept and the group's indicator.
 */
export function referenceGroupChanges(
  cases: readonly OutcomeCase[],
  groupOf: readonly string[],
  needCodes: readonly string[],
  options: { imdIsTheGroup?: boolean } = {},
): GroupAnalysis {
  const people = cases.length;
  const keys = [...new Set(groupOf)].sort();
  const sizes = new Map(keys.map((k) => [k, groupOf.filter((g) => g === k).length]));
  const naiveOf = (key: string) => pairedChange(cases.filter((_, i) => groupOf[i] === key)) ?? null;
  const none = (refusal: string, dropped: string[] = []): GroupAnalysis => ({
    people,
    refusal,
    dropped,
    groups: keys.map((group) => ({ group, people: sizes.get(group)!, naive: naiveOf(group), adjusted: null, refusal })),
  });
  if (people < MINIMUM_PAIRED)
    return none(`Only ${people} people have a baseline and a follow-up measure; at least ${MINIMUM_PAIRED} are needed.`);
  const mix = caseMix(cases, needCodes, options.imdIsTheGroup ? 'imd' : null);
  const fitted = referenceLeastSquares(
    cases.map((c) => c.followUp),
    [...dummies('group', groupOf), ...mix],
  );
  if (!fitted.ok) return none(fitted.reason, fitted.dropped);
  const fit = fitted.fit;
  const meanBaseline = cases.reduce((s, c) => s + c.baseline, 0) / people;
  // Other case-mix terms are indicators: weight each by its share, so the prediction is for the average case.
  const share = (name: string) => {
    const column = mix.find((c) => c.name === name);
    return column ? column.values.reduce((s, v) => s + v, 0) / people : 0;
  };
  const averageCase: Record<string, number> = { '(intercept)': 1 };
  for (const name of fit.columns)
    if (name !== '(intercept)' && !name.startsWith('group:') && name !== 'baseline') averageCase[name] = share(name);
  return {
    people,
    refusal: null,
    dropped: fit.dropped,
    groups: keys.map((group) => {
      const n = sizes.get(group)!;
      if (n < MINIMUM_PAIRED)
        return {
          group,
          people: n,
          naive: naiveOf(group),
          adjusted: null,
          refusal: `Only ${n} people with paired measures; at least ${MINIMUM_PAIRED} are needed.`,
        };
      const followUp = contrast(fit, fit.columns.includes(`group:${group}`) ? { ...averageCase, [`group:${group}`]: 1 } : averageCase);
      const adjusted = {
        estimate: followUp.estimate - meanBaseline,
        lower: followUp.lower - meanBaseline,
        upper: followUp.upper - meanBaseline,
      };
      return { group, people: n, naive: naiveOf(group), adjusted, refusal: null };
    }),
  };
}
