import {
  coefficient,
  columnSum,
  contrast,
  dummies,
  indicators,
  leastSquares,
  MINIMUM_PAIRED,
  pairedChange,
  type Column,
  type Interval,
  type PairedChange,
} from './statistics.ts';

// Baseline-adjusted (ANCOVA) estimates over people with a baseline and a follow-up measure:
// which approaches go with more change, and how much change each practice, link worker or
// group of people sees once their starting scores and case mix are allowed for. Pure: the
// service reads the cases from the read model, the known-truth tests build them in memory.

/** One referral with a paired measure and what the model adjusts for. */
export interface OutcomeCase {
  baseline: number;
  followUp: number;
  approaches: readonly string[];
  contacts: number;
  ageBand: string;
  sex: string;
  imdQuintile: string;
  needs: readonly string[];
}

export interface ApproachEffect {
  approach: string;
  /** People with paired measures whose support included this approach. */
  people: number;
  /** Adjusted difference in follow-up score for having had this approach. */
  adjusted: Interval | null;
  /** Plain before-and-after change of those who had it: no adjustment at all. */
  naive: PairedChange | null;
  /** Why there is no adjusted estimate, when there is none. */
  refusal: string | null;
}

export interface ApproachAnalysis {
  /** People with paired measures in the analysis. */
  people: number;
  /** Why nothing was estimated, when nothing was. */
  refusal: string | null;
  /** Model terms left out because they were empty or the same for everyone. */
  dropped: string[];
  effects: ApproachEffect[];
}

/**
 * Case-mix columns: starting score, age band, sex, deprivation and needs. Kept per set of cases,
 * so the practice and link worker models of one page build them once.
 */
const caseMixes = new WeakMap<readonly OutcomeCase[], Map<string, Column[]>>();
function caseMix(cases: readonly OutcomeCase[], needCodes: readonly string[], leaveOut: 'imd' | null = null): Column[] {
  const key = `${leaveOut}|${needCodes.join(',')}`;
  const known = caseMixes.get(cases)?.get(key);
  if (known) return known;
  const meanBaseline = cases.reduce((s, c) => s + c.baseline, 0) / cases.length;
  const mix = [
    // Centred, so the intercept reads as the follow-up of someone starting at the average score.
    { name: 'baseline', values: Float64Array.from(cases, (c) => c.baseline - meanBaseline) },
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
  if (!caseMixes.has(cases)) caseMixes.set(cases, new Map());
  caseMixes.get(cases)!.set(key, mix);
  return mix;
}

/** The cases in each group (in their original order), grouped in one pass; a key named twice for a case counts once. */
function casesBy<K>(cases: readonly OutcomeCase[], keysOf: (c: OutcomeCase, i: number) => readonly K[]): Map<K, OutcomeCase[]> {
  const groups = new Map<K, OutcomeCase[]>();
  cases.forEach((c, i) => {
    const keys = keysOf(c, i);
    keys.forEach((key, k) => {
      if (keys.indexOf(key) !== k) return;
      const group = groups.get(key);
      if (group) group.push(c);
      else groups.set(key, [c]);
    });
  });
  return groups;
}

/**
 * ANCOVA: follow-up score on baseline score, an indicator per approach, number of contacts, age
 * band, sex, IMD quintile and needs. Each approach's coefficient is the adjusted difference in
 * follow-up score between people whose support included it and those whose support did not.
 * An approach with fewer than 30 people on either side is not estimated.
 */
export function approachEffects(
  cases: readonly OutcomeCase[],
  approachCodes: readonly string[],
  needCodes: readonly string[],
): ApproachAnalysis {
  const people = cases.length;
  const byApproach = casesBy(cases, (c) => c.approaches);
  const naiveOf = (code: string) => pairedChange(byApproach.get(code) ?? []);
  const counts = approachCodes.map((code) => byApproach.get(code)?.length ?? 0);
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
  const fitted = leastSquares(
    Float64Array.from(cases, (c) => c.followUp),
    [
      ...indicators(
        'approach',
        approachCodes,
        cases.map((c) => c.approaches),
      ),
      { name: 'contacts', values: Float64Array.from(cases, (c) => c.contacts) },
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

export interface GroupChange {
  group: string;
  people: number;
  /** Plain mean change of the group. */
  naive: PairedChange | null;
  /** Change once starting scores and case mix are allowed for. */
  adjusted: Interval | null;
  refusal: string | null;
}

export interface GroupAnalysis {
  people: number;
  refusal: string | null;
  dropped: string[];
  groups: GroupChange[];
}

/**
 * Baseline-adjusted change per group (practice, link worker, IMD quintile, ethnic group):
 * follow-up on group indicators, baseline and case mix (the grouping factor itself left out of
 * the case mix). A group's adjusted change is its predicted follow-up for someone with the
 * average starting score and case mix, minus that average starting score; its interval comes
 * from the covariance of the intercept and the group's indicator.
 */
export function groupChanges(
  cases: readonly OutcomeCase[],
  groupOf: readonly string[],
  needCodes: readonly string[],
  options: { imdIsTheGroup?: boolean } = {},
): GroupAnalysis {
  const people = cases.length;
  const keys = [...new Set(groupOf)].sort();
  const byGroup = casesBy(cases, (_, i) => [groupOf[i]!]);
  const sizes = new Map(keys.map((k) => [k, byGroup.get(k)?.length ?? 0]));
  const naiveOf = (key: string) => pairedChange(byGroup.get(key) ?? []) ?? null;
  const none = (refusal: string, dropped: string[] = []): GroupAnalysis => ({
    people,
    refusal,
    dropped,
    groups: keys.map((group) => ({ group, people: sizes.get(group)!, naive: naiveOf(group), adjusted: null, refusal })),
  });
  if (people < MINIMUM_PAIRED)
    return none(`Only ${people} people have a baseline and a follow-up measure; at least ${MINIMUM_PAIRED} are needed.`);
  const mix = caseMix(cases, needCodes, options.imdIsTheGroup ? 'imd' : null);
  const fitted = leastSquares(
    Float64Array.from(cases, (c) => c.followUp),
    [...dummies('group', groupOf), ...mix],
  );
  if (!fitted.ok) return none(fitted.reason, fitted.dropped);
  const fit = fitted.fit;
  const meanBaseline = cases.reduce((s, c) => s + c.baseline, 0) / people;
  // Other case-mix terms are indicators: weight each by its share, so the prediction is for the average case.
  const share = (name: string) => {
    const column = mix.find((c) => c.name === name);
    return column ? columnSum(column) / people : 0;
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
