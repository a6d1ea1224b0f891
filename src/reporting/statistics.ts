import jStat from 'jstat';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';

// Pure statistics for the outcome and approach reports: paired change with a t interval, and
// ordinary least squares for baseline-adjusted (ANCOVA) estimates. Linear algebra comes from
// ml-matrix and the t distribution from jstat; nothing here touches the database.

/** The SWEMWBS developers' guidance: at least 30 paired measures before reporting a change. */
export const MINIMUM_PAIRED = 30;

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

/** A two-sided confidence interval from an estimate, its standard error and the t distribution. */
export function tInterval(estimate: number, standardError: number, df: number, level = 0.95): Interval {
  const t = jStat.studentt.inv(1 - (1 - level) / 2, df);
  return { estimate, lower: estimate - t * standardError, upper: estimate + t * standardError };
}

export interface Pair {
  baseline: number;
  followUp: number;
}

export interface PairedChange {
  n: number;
  meanBaseline: number;
  meanFollowUp: number;
  /** Mean of follow-up minus baseline, with its 95% t interval. */
  change: Interval;
  sdChange: number;
  sdBaseline: number;
  /** Cohen's d_z: mean paired change over the standard deviation of the changes. */
  effectSize: number | null;
}

/** Mean baseline, mean follow-up and mean paired change; undefined for fewer than 2 pairs. */
export function pairedChange(pairs: readonly Pair[]): PairedChange | undefined {
  return countedPairedChange(pairs.map((p) => ({ baseline: p.baseline, followUp: p.followUp, n: 1 })));
}

/**
 * The same from counted pairs (each distinct baseline and follow-up with how many people had it),
 * so a page can read a few hundred grouped rows from the read model instead of every person.
 */
export function countedPairedChange(pairs: readonly (Pair & { n: number })[]): PairedChange | undefined {
  const n = pairs.reduce((s, p) => s + p.n, 0);
  if (n < 2) return undefined;
  const meanOf = (f: (p: Pair) => number) => pairs.reduce((s, p) => s + p.n * f(p), 0) / n;
  const sdOf = (f: (p: Pair) => number, m: number) => Math.sqrt(pairs.reduce((s, p) => s + p.n * (f(p) - m) ** 2, 0) / (n - 1));
  const change = (p: Pair) => p.followUp - p.baseline;
  const meanChange = meanOf(change);
  const meanBaseline = meanOf((p) => p.baseline);
  const sdChange = sdOf(change, meanChange);
  return {
    n, meanBaseline, meanFollowUp: meanOf((p) => p.followUp),
    change: sdChange > 0 ? tInterval(meanChange, sdChange / Math.sqrt(n), n - 1) : { estimate: meanChange, lower: meanChange, upper: meanChange },
    sdChange, sdBaseline: sdOf((p) => p.baseline, meanBaseline),
    effectSize: sdChange > 0 ? meanChange / sdChange : null,
  };
}

export interface Column {
  name: string;
  values: number[];
}

export interface Fit {
  columns: string[];
  coefficients: number[];
  standardErrors: number[];
  /** Residual degrees of freedom, n minus the number of columns. */
  df: number;
  n: number;
  /** Columns left out because they were empty or the same for everyone. */
  dropped: string[];
  /** sigma^2 (X'X)^-1, for intervals of sums of coefficients. */
  covariance: number[][];
}

export type FitResult = { ok: true; fit: Fit } | { ok: false; reason: string; dropped: string[] };

/**
 * Ordinary least squares of y on the columns (an intercept is added). Columns that are all zero
 * or the same for everyone say nothing and are dropped first (and named). If the rest still
 * cannot be told apart (one column is a sum of others), it refuses rather than guess.
 * Solved from the normal equations through the SVD of X'X; standard errors are
 * sqrt(diag(sigma^2 (X'X)^-1)).
 */
export function leastSquares(y: readonly number[], columns: readonly Column[]): FitResult {
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
    return { ok: false, reason: 'The model cannot be fitted: some groups overlap completely (one can be worked out from the others).', dropped };
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
      columns: ['(intercept)', ...kept.map((c) => c.name)], coefficients: beta,
      standardErrors: covariance.diag().map((v) => Math.sqrt(Math.max(v, 0))), df, n, dropped,
      covariance: covariance.to2DArray(),
    },
  };
}

/** The estimate and 95% interval of one fitted column. */
export function coefficient(fit: Fit, name: string): Interval | undefined {
  const j = fit.columns.indexOf(name);
  if (j < 0) return undefined;
  return tInterval(fit.coefficients[j]!, fit.standardErrors[j]!, fit.df);
}

/**
 * The estimate and 95% interval of a weighted sum of coefficients (e.g. intercept plus a group's
 * indicator), with the variance w' V w from the covariance matrix.
 */
export function contrast(fit: Fit, weights: Record<string, number>): Interval {
  const w = fit.columns.map((c) => weights[c] ?? 0);
  const estimate = w.reduce((s, wi, i) => s + wi * fit.coefficients[i]!, 0);
  let variance = 0;
  for (let i = 0; i < w.length; i++) for (let j = 0; j < w.length; j++) variance += w[i]! * w[j]! * fit.covariance[i]![j]!;
  return tInterval(estimate, Math.sqrt(Math.max(variance, 0)), fit.df);
}

/** Indicator columns for a category, leaving out the reference (the most common value). */
export function dummies(prefix: string, values: readonly string[]): Column[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const reference = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
  return [...counts.keys()].filter((k) => k !== reference).sort().map((k) => ({ name: `${prefix}:${k}`, values: values.map((v) => (v === k ? 1 : 0)) }));
}

/** One indicator column per code, for sets where a case can have several (approaches, needs). */
export function indicators(prefix: string, codes: readonly string[], sets: readonly (readonly string[])[]): Column[] {
  return codes.map((code) => ({ name: `${prefix}:${code}`, values: sets.map((s) => (s.includes(code) ? 1 : 0)) }));
}
