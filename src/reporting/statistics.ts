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

/**
 * Mean baseline, mean follow-up and mean paired change; undefined for fewer than 2 pairs. The
 * same arithmetic as countedPairedChange with every count 1, in plain loops: the models call this
 * per group over tens of thousands of people, where an object per pair was most of the cost.
 */
export function pairedChange(pairs: readonly Pair[]): PairedChange | undefined {
  const n = pairs.length;
  if (n < 2) return undefined;
  let sumChange = 0;
  let sumBaseline = 0;
  let sumFollowUp = 0;
  for (const p of pairs) {
    sumChange += p.followUp - p.baseline;
    sumBaseline += p.baseline;
    sumFollowUp += p.followUp;
  }
  const meanChange = sumChange / n;
  const meanBaseline = sumBaseline / n;
  let squaresChange = 0;
  let squaresBaseline = 0;
  for (const p of pairs) {
    squaresChange += (p.followUp - p.baseline - meanChange) ** 2;
    squaresBaseline += (p.baseline - meanBaseline) ** 2;
  }
  const sdChange = Math.sqrt(squaresChange / (n - 1));
  return {
    n,
    meanBaseline,
    meanFollowUp: sumFollowUp / n,
    change:
      sdChange > 0 ? tInterval(meanChange, sdChange / Math.sqrt(n), n - 1) : { estimate: meanChange, lower: meanChange, upper: meanChange },
    sdChange,
    sdBaseline: Math.sqrt(squaresBaseline / (n - 1)),
    effectSize: sdChange > 0 ? meanChange / sdChange : null,
  };
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
    n,
    meanBaseline,
    meanFollowUp: meanOf((p) => p.followUp),
    change:
      sdChange > 0 ? tInterval(meanChange, sdChange / Math.sqrt(n), n - 1) : { estimate: meanChange, lower: meanChange, upper: meanChange },
    sdChange,
    sdBaseline: sdOf((p) => p.baseline, meanBaseline),
    effectSize: sdChange > 0 ? meanChange / sdChange : null,
  };
}

/**
 * One term of a model: numbers for every row, or an indicator given by the rows where it is 1.
 * Most terms are indicators that are 0 for most people, so they are kept as those rows only.
 */
export type Column = { name: string; values: ArrayLike<number> } | { name: string; ones: Int32Array };

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

function isConstant(column: Column, n: number): boolean {
  if ('ones' in column) return column.ones.length === 0 || column.ones.length === n;
  const first = column.values[0];
  for (let i = 1; i < n; i++) if (column.values[i] !== first) return false;
  return true;
}

/**
 * Ordinary least squares of y on the columns (an intercept is added). Columns that are all zero
 * or the same for everyone say nothing and are dropped first (and named). If the rest still
 * cannot be told apart (one column is a sum of others), it refuses rather than guess.
 * Solved from the normal equations through the SVD of X'X; standard errors are
 * sqrt(diag(sigma^2 (X'X)^-1)).
 */
export function leastSquares(y: ArrayLike<number>, columns: readonly Column[]): FitResult {
  const n = y.length;
  const dropped: string[] = [];
  const kept = columns.filter((c) => {
    const constant = isConstant(c, n);
    if (constant) dropped.push(c.name);
    return !constant;
  });
  const p = kept.length + 1;
  if (n - p < 10) return { ok: false, reason: `Too few paired measures (${n}) for ${p} terms in the model.`, dropped };
  // Each person's row held sparsely (the column and value of each non-zero term, in column
  // order): a row has a dozen non-zero terms of forty, so X'X takes a dozen squared products a
  // person instead of forty squared. Every cell still adds the same products in the same order
  // as the dense loop, so the sums, and so every figure, are unchanged to the last bit.
  const start = new Int32Array(n + 1);
  for (const c of kept) {
    if ('ones' in c) for (const i of c.ones) start[i + 1]!++;
    else for (let i = 0; i < n; i++) if (c.values[i] !== 0) start[i + 1]!++;
  }
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const at = start.slice(0, n);
  const term = new Int32Array(start[n]!);
  const value = new Float64Array(start[n]!);
  kept.forEach((c, k) => {
    if ('ones' in c) {
      for (const i of c.ones) {
        term[at[i]!] = k + 1;
        value[at[i]!++] = 1;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = c.values[i]!;
        if (v !== 0) {
          term[at[i]!] = k + 1;
          value[at[i]!++] = v;
        }
      }
    }
  });
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    const end = start[i + 1]!;
    xty[0]! += yi;
    xtx[0]! += 1;
    for (let e = start[i]!; e < end; e++) xtx[term[e]!]! += value[e]!;
    for (let e = start[i]!; e < end; e++) {
      const a = term[e]!;
      const va = value[e]!;
      xty[a]! += va * yi;
      for (let f = e; f < end; f++) xtx[a * p + term[f]!]! += va * value[f]!;
    }
  }
  const crossProduct = new Matrix(p, p);
  for (let a = 0; a < p; a++)
    for (let b = a; b < p; b++) {
      crossProduct.set(a, b, xtx[a * p + b]!);
      crossProduct.set(b, a, xtx[a * p + b]!);
    }
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
    for (let e = start[i]!; e < start[i + 1]!; e++) fitted += beta[term[e]!]! * value[e]!;
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
  const rows = new Map<string, number[]>();
  values.forEach((v, i) => {
    const list = rows.get(v);
    if (list) list.push(i);
    else rows.set(v, [i]);
  });
  const reference = [...rows.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0]?.[0];
  return [...rows.keys()]
    .filter((k) => k !== reference)
    .sort()
    .map((k) => ({ name: `${prefix}:${k}`, ones: Int32Array.from(rows.get(k)!) }));
}

/** One indicator column per code, for sets where a case can have several (approaches, needs). */
export function indicators(prefix: string, codes: readonly string[], sets: readonly (readonly string[])[]): Column[] {
  const rows = codes.map((): number[] => []);
  const position = new Map(codes.map((code, k) => [code, k]));
  sets.forEach((set, i) => {
    for (const code of set) {
      const list = rows[position.get(code) ?? -1];
      // A code named twice in one set is still one indicator.
      if (list && list[list.length - 1] !== i) list.push(i);
    }
  });
  return codes.map((code, k) => ({ name: `${prefix}:${code}`, ones: Int32Array.from(rows[k]!) }));
}

/** How many people a column covers (an indicator) or the sum of its values. */
export function columnSum(column: Column): number {
  if ('ones' in column) return column.ones.length;
  let sum = 0;
  for (let i = 0; i < column.values.length; i++) sum += column.values[i]!;
  return sum;
}
