import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { NEEDS } from '../vocabulary/needs.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAuditBy } from '../identity/audit.ts';
import { ETHNIC_CATEGORIES } from '../people/ethnicity.ts';
import { Forbidden, InvalidInput } from '../web/errors.ts';
import { approachEffects, groupChanges, type ApproachAnalysis, type GroupAnalysis, type OutcomeCase } from './analysis.ts';
import { approachLabel, APPROACH_CODES } from './approaches.ts';
import { barChart, forestPlot, horizontalBarChart, shareGrid, spreadChart, type Chart, type ForestRow } from './charts.ts';
import { POPULATION_DIMENSIONS } from './population.ts';
import { improvedMeaningfully, isMeasureCode, MEASURE_CODES, MEASURES, type Measure } from './measures.ts';
import * as q from './queries.ts';
import { monthsBetween, practicesAndFilter, reportingPools, type ReportFilter, type ReportingPools, type ReportQuery } from './service.ts';
import { countedPairedChange, MINIMUM_PAIRED, type Interval, type PairedChange } from './statistics.ts';
import { SMALL_NUMBER, suppressCounts, type Line, type Shown } from './suppression.ts';
import type { RequestContext } from '../identity/audit.ts';

// The evidence pages: outcomes, which approaches help, practice and link worker profiles, and
// inequalities. Everything is read from the reporting read models as of their last refresh;
// counts go through the one suppression function; estimates need 30 paired measures.

/** Leads and commissioners see these pages; link worker profiles are for leads only. */
export const EVIDENCE_READERS = ['lead', 'commissioner'] as const;

export interface EvidenceQuery extends ReportQuery {
  measure?: string;
}

export interface EvidencePage {
  refresh: q.RefreshRow | undefined;
  filter: ReportFilter;
  practices: { id: string; name: string }[];
  measure: Measure;
}

const NEED_CODES = NEEDS.map((n) => n.code);
const NO_PRACTICE = 'No practice (self-referral or not recorded)';
const QUINTILE_LABELS: Record<string, string> = {
  1: '1: most deprived 20%',
  2: '2',
  3: '3',
  4: '4',
  5: '5: least deprived 20%',
  not_known: 'Not known',
};
const ETHNIC_GROUPS = [...new Set(ETHNIC_CATEGORIES.map((c) => c.group)), 'Not known'];

const fixed = (value: number, places = 1) => (Math.abs(value) < 0.05 && places === 1 ? 0 : value).toFixed(places);
const signed = (value: number, places = 1) => `${value > 0 ? '+' : ''}${fixed(value, places)}`;
export const intervalText = (i: Interval, places = 1) =>
  `${signed(i.estimate, places)} (${fixed(i.lower, places)} to ${fixed(i.upper, places)})`;
const percent = (part: number | null, whole: number | null) =>
  part === null || whole === null || whole === 0 ? null : `${Math.round((100 * part) / whole)}%`;

async function openPage<T>(
  db: pg.Pool | ReportingPools,
  actor: Actor,
  query: EvidenceQuery,
  now: Date,
  entityId: string,
  context: RequestContext,
  build: (tx: Db, page: EvidencePage, factFilter: q.FactFilter) => Promise<T>,
): Promise<EvidencePage & { figures: T | null }> {
  if (!hasRole(actor, ...EVIDENCE_READERS)) throw new Forbidden();
  const { pool, reads } = reportingPools(db);
  const { practices, filter } = await practicesAndFilter(pool, actor, query, now);
  const measureCode = (query.measure ?? '').trim() || 'swemwbs';
  if (!isMeasureCode(measureCode)) throw new InvalidInput([{ field: 'measure', message: 'Select an outcome measure from the list' }]);
  await withTenant(pool, actor.tenantId, (tx) =>
    recordAuditBy(tx, actor, context, {
      action: 'report.view',
      entityType: 'report',
      entityId,
      reason: `practice=${filter.practiceId ?? 'all'} from=${filter.from} to=${filter.to} measure=${measureCode}`,
    }),
  );
  return withTenant(reads, actor.tenantId, async (tx) => {
    await q.preferHashJoins(tx);
    const refresh = await q.latestRefresh(tx, actor.tenantId);
    const page: EvidencePage = { refresh, filter, practices, measure: MEASURES[measureCode] };
    if (!refresh) return { ...page, figures: null };
    const factFilter = { practiceId: filter.practiceId, fromMonth: `${filter.from}-01`, toMonth: `${filter.to}-01` };
    return { ...page, figures: await build(tx, page, factFilter) };
  });
}

/** An evidence page as the routes call it: `openPage` around the figures `build` adds up. */
function evidencePage<T>(entityId: string, build: (tx: Db, actor: Actor, page: EvidencePage, filter: q.FactFilter) => Promise<T>) {
  return (db: pg.Pool | ReportingPools, actor: Actor, query: EvidenceQuery, now: Date, context: RequestContext = {}) =>
    openPage(db, actor, query, now, entityId, context, (tx, page, filter) => build(tx, actor, page, filter));
}

const asCase = (r: q.OutcomeRow): OutcomeCase => ({
  baseline: r.baseline,
  followUp: r.followUp,
  approaches: r.approaches,
  contacts: r.contacts,
  ageBand: r.ageBand,
  sex: r.sex,
  imdQuintile: r.imdQuintile,
  needs: r.needs,
});

/** A sentence a commissioner can read for an adjusted difference. */
function differenceSentence(measure: Measure, who: string, interval: Interval): string {
  const better = measure.higherIsBetter ? interval.estimate > 0 : interval.estimate < 0;
  const size = Math.abs(interval.estimate);
  const direction =
    interval.estimate === 0
      ? 'the same'
      : `${fixed(size)} points ${interval.estimate > 0 ? 'higher' : 'lower'} (${better ? 'better' : 'worse'})`;
  const chance = interval.lower <= 0 && interval.upper >= 0 ? ' The interval includes no difference at all, so this could be chance.' : '';
  return `${who} scored ${direction} on ${measure.label} at follow-up than people who started at the same score with similar needs and background but did not have it (95% confidence interval ${fixed(interval.lower)} to ${fixed(interval.upper)}).${chance}`;
}

// ---------------------------------------------------------------------------------------------
// Outcomes

export interface MeasureSummary {
  measure: Measure;
  baselines: Shown;
  followedUp: Shown;
  lost: Shown;
  /** Only with at least 30 paired measures. */
  change: PairedChange | null;
  improved: Shown | null;
  improvedShare: string | null;
  notShown: string | null;
}

export interface AttritionRow {
  label: string;
  baselines: Shown;
  followedUp: Shown;
  lost: Shown;
  lostShare: string | null;
}

export interface AttritionTable {
  id: string;
  caption: string;
  category: string;
  rows: AttritionRow[];
  note?: string;
}

export interface OutcomesFigures {
  summaries: MeasureSummary[];
  attrition: AttritionTable[];
  chart: Chart | null;
}

/** People with a baseline counted by group (from the read model), for the attrition tables. */
export interface AttritionCounts {
  byGroup: q.AttritionCount[];
  byNeed: { need: string; followed: boolean; n: number }[];
}

export function attritionTables(measure: Measure, counts: AttritionCounts): AttritionTable[] {
  type Cell = { keys: string[]; followed: boolean; n: number };
  const groupCells = (key: (r: q.AttritionCount) => string): Cell[] =>
    counts.byGroup.map((r) => ({ keys: [key(r)], followed: r.followed, n: r.n }));
  const dimensions: { id: string; caption: string; category: string; cells: Cell[]; categories: [string, string][]; additive: boolean }[] =
    [
      {
        id: 'lost-by-age',
        caption: 'Age band',
        category: 'Age band',
        cells: groupCells((r) => r.ageBand),
        additive: true,
        categories: ['0-17', '18-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75-84', '85+'].map((b) => [b, b]),
      },
      {
        id: 'lost-by-sex',
        caption: 'Sex',
        category: 'Sex',
        cells: groupCells((r) => r.sex),
        additive: true,
        categories: [
          ['female', 'Female'],
          ['male', 'Male'],
          ['intersex', 'Intersex'],
          ['not_stated', 'Not stated'],
          ['not_recorded', 'Not recorded'],
        ],
      },
      {
        id: 'lost-by-ethnic-group',
        caption: 'Ethnic group',
        category: 'Ethnic group',
        cells: groupCells((r) => r.ethnicGroup),
        additive: true,
        categories: ETHNIC_GROUPS.map((g) => [g, g]),
      },
      {
        id: 'lost-by-imd',
        caption: 'IMD quintile',
        category: 'IMD quintile',
        cells: groupCells((r) => r.imdQuintile),
        additive: true,
        categories: Object.entries(QUINTILE_LABELS),
      },
      {
        id: 'lost-by-need',
        caption: 'Need',
        category: 'Need',
        cells: counts.byNeed.map((r) => ({ keys: [r.need], followed: r.followed, n: r.n })),
        additive: false,
        categories: NEEDS.map((n) => [n.code, n.label]),
      },
    ];
  const sum = (cells: Cell[], followed?: boolean) =>
    cells.reduce((s, c) => s + (followed === undefined || c.followed === followed ? c.n : 0), 0);
  const all = groupCells(() => 'all');
  const cells: Record<string, number> = { 'b:total': sum(all), 'f:total': sum(all, true) };
  cells['l:total'] = cells['b:total']! - cells['f:total']!;
  const lines: Line[] = [{ total: 'b:total', members: ['f:total', 'l:total'] }];
  for (const d of dimensions) {
    for (const [code] of d.categories) {
      const inCategory = d.cells.filter((c) => c.keys.includes(code));
      const total = sum(inCategory);
      const followed = sum(inCategory, true);
      cells[`b:${d.id}:${code}`] = total;
      cells[`f:${d.id}:${code}`] = followed;
      cells[`l:${d.id}:${code}`] = total - followed;
      lines.push({ total: `b:${d.id}:${code}`, members: [`f:${d.id}:${code}`, `l:${d.id}:${code}`] });
    }
    if (d.additive)
      for (const kind of ['b', 'f', 'l'])
        lines.push({ total: `${kind}:total`, members: d.categories.map(([code]) => `${kind}:${d.id}:${code}`) });
  }
  const shown = suppressCounts(cells, lines);
  return dimensions.map((d) => ({
    id: d.id,
    caption: `People with a ${measure.label} baseline, followed up and lost, by ${d.caption.toLowerCase()}`,
    category: d.category,
    note: d.additive ? undefined : 'A referral can name more than one need, so these do not add up.',
    rows: d.categories.map(([code, label]) => {
      const b = shown[`b:${d.id}:${code}`]!;
      const l = shown[`l:${d.id}:${code}`]!;
      return { label, baselines: b, followedUp: shown[`f:${d.id}:${code}`]!, lost: l, lostShare: percent(l.value, b.value) };
    }),
  }));
}

/**
 * Outcome measures for the referrals in the filter: per measure, people with a baseline, with a
 * follow-up, lost; mean baseline, follow-up and paired change with its 95% interval, Cohen's
 * d_z, and the share who improved by the measure's meaningful change. Attrition by group for
 * the chosen measure.
 */
export const outcomesReport = evidencePage('outcomes', async (tx, actor, page, filter): Promise<OutcomesFigures> => {
  const summaries: MeasureSummary[] = [];
  // Counted pairs, not people: a few hundred rows whatever the size of the service.
  const pairCounts = await q.outcomePairCounts(tx, actor.tenantId, filter);
  for (const code of MEASURE_CODES) {
    const measure = MEASURES[code];
    const rows = pairCounts.filter((r) => r.measure === code);
    const pairs = rows.filter((r) => r.followUp !== null).map((r) => ({ baseline: r.baseline, followUp: r.followUp!, n: r.n }));
    const baselines = rows.reduce((s, r) => s + r.n, 0);
    const followedUp = pairs.reduce((s, p) => s + p.n, 0);
    const improvedCount = pairs.reduce((s, p) => s + (improvedMeaningfully(measure, p.baseline, p.followUp) ? p.n : 0), 0);
    const enough = followedUp >= MINIMUM_PAIRED;
    const cells = {
      baselines,
      followedUp,
      lost: baselines - followedUp,
      improved: improvedCount,
      notImproved: followedUp - improvedCount,
    };
    const shown = suppressCounts(cells, [
      { total: 'baselines', members: ['followedUp', 'lost'] },
      { total: 'followedUp', members: ['improved', 'notImproved'] },
    ]);
    const hasThreshold = measure.points !== null || measure.bands !== null;
    summaries.push({
      measure,
      baselines: shown.baselines!,
      followedUp: shown.followedUp!,
      lost: shown.lost!,
      change: enough ? countedPairedChange(pairs)! : null,
      improved: enough && hasThreshold ? shown.improved! : null,
      improvedShare: enough && hasThreshold ? percent(shown.improved!.value, followedUp) : null,
      notShown: enough ? null : `Fewer than ${MINIMUM_PAIRED} people have a baseline and a follow-up, so no change is shown.`,
    });
  }
  const charted = summaries.filter((s) => s.change && s.change.sdChange > 0);
  const better = (s: MeasureSummary) => (s.measure.higherIsBetter ? 1 : -1);
  const rows: ForestRow[] = charted.map((s) => {
    const c = s.change!;
    const scale = better(s) / c.sdChange;
    const [lower, upper] = [c.change.lower * scale, c.change.upper * scale].sort((a, b) => a - b) as [number, number];
    return { label: s.measure.label, series: 'Change', estimate: c.change.estimate * scale, lower, upper };
  });
  const chart = rows.length
    ? forestPlot(rows, {
        caption:
          'Change from baseline to follow-up on each measure, in standard deviations of the change (Cohen’s d_z), with 95% confidence intervals; to the right is better whichever way the measure runs',
        description: `Standardised change per measure, better to the right: ${rows.map((r) => `${r.label} ${fixed(r.estimate, 2)} (${fixed(r.lower, 2)} to ${fixed(r.upper, 2)})`).join('; ')}.`,
        xLabel: 'Standardised change (d_z), better →',
        series: ['Change'],
      })
    : null;
  const attrition = attritionTables(page.measure, {
    byGroup: await q.attritionCounts(tx, actor.tenantId, filter, page.measure.code),
    byNeed: await q.attritionByNeed(tx, actor.tenantId, filter, page.measure.code),
  });
  return { summaries, attrition, chart };
});

// ---------------------------------------------------------------------------------------------
// Approaches

export interface ApproachRow {
  code: string;
  label: string;
  /** Referrals with a contact made whose contacts used this approach. */
  referrals: Shown;
  share: string | null;
  people: number;
  adjusted: string | null;
  naive: string | null;
  sentence: string;
}

export interface ApproachFigures {
  withContact: Shown;
  analysis: ApproachAnalysis;
  rows: ApproachRow[];
  dropped: string[];
  chart: Chart | null;
}

function termLabel(term: string): string {
  const [kind, code] = term.split(':') as [string, string | undefined];
  if (kind === 'approach') return approachLabel(code!);
  if (kind === 'need') return `need: ${NEEDS.find((n) => n.code === code)?.label ?? code}`;
  if (kind === 'age') return `age band ${code}`;
  if (kind === 'imd') return `IMD quintile ${code}`;
  if (kind === 'sex') return `sex: ${code}`;
  return term;
}

/**
 * Which approaches go with more change: each approach's baseline-adjusted difference with its
 * 95% interval, the number of people behind it and a sentence, beside the plain before-and-after
 * change of the people who had it.
 */
export const approachesReport = evidencePage('approaches', async (tx, actor, page, filter): Promise<ApproachFigures> => {
  const measure = page.measure;
  const profile = await q.profiles(tx, actor.tenantId, filter, 'practice');
  const withContact = profile.reduce((s, p) => s + p.contacted, 0);
  const byApproach = Object.fromEntries(APPROACH_CODES.map((code) => [code, profile.reduce((s, p) => s + (p.approaches[code] ?? 0), 0)]));
  const counts = suppressCounts({ withContact, ...Object.fromEntries(APPROACH_CODES.map((c) => [`a:${c}`, byApproach[c]!])) }, []);
  const cases = (await q.pairedOutcomeRows(tx, actor.tenantId, filter, measure.code)).map(asCase);
  const analysis = approachEffects(cases, APPROACH_CODES, NEED_CODES);
  const table: ApproachRow[] = analysis.effects.map((e) => {
    const shownCount = counts[`a:${e.approach}`]!;
    return {
      code: e.approach,
      label: approachLabel(e.approach),
      referrals: shownCount,
      share: percent(shownCount.value, counts.withContact!.value),
      people: e.people,
      adjusted: e.adjusted ? intervalText(e.adjusted) : null,
      naive: e.naive && e.people >= MINIMUM_PAIRED ? intervalText(e.naive.change) : null,
      sentence: e.adjusted
        ? differenceSentence(measure, `People whose support included ${approachLabel(e.approach).toLowerCase()}`, e.adjusted)
        : (e.refusal ?? ''),
    };
  });
  const forest: ForestRow[] = [];
  for (const e of analysis.effects) {
    if (!e.adjusted) continue;
    forest.push({ label: approachLabel(e.approach), series: 'Adjusted difference', ...e.adjusted });
    if (e.naive) forest.push({ label: approachLabel(e.approach), series: 'Before and after', ...e.naive.change });
  }
  const chart = forest.length
    ? forestPlot(forest, {
        caption: `Approaches and ${measure.label}: the baseline-adjusted difference (filled circles) beside the plain before-and-after change of the people who had each approach (open diamonds), in points with 95% confidence intervals`,
        description: `Forest plot. ${analysis.effects
          .filter((e) => e.adjusted)
          .map(
            (e) =>
              `${approachLabel(e.approach)}: adjusted ${intervalText(e.adjusted!)}${e.naive ? `, before and after ${intervalText(e.naive.change)}` : ''}`,
          )
          .join('; ')}.`,
        xLabel: `${measure.label}, points (${measure.higherIsBetter ? 'higher' : 'lower'} is better)`,
        series: ['Adjusted difference', 'Before and after'],
      })
    : null;
  return { withContact: counts.withContact!, analysis, rows: table, dropped: analysis.dropped.map(termLabel), chart };
});

// ---------------------------------------------------------------------------------------------
// Practice and link worker profiles

export interface ProfileLine {
  label: string;
  referrals: Shown;
  contactsPerPerson: string | null;
  minutesPerPerson: string | null;
  medianFirstContactDays: string | null;
  onwardReferrals: Shown;
  onwardAttended: Shown;
  attendedShare: string | null;
  mix: { code: string; share: string | null }[];
  adjusted: string | null;
  adjustedNote: string | null;
}

export interface ProfileFigures {
  practices: ProfileLine[];
  linkWorkers: ProfileLine[] | null;
  mixChart: Chart | null;
  changeChart: Chart | null;
  linkWorkerChart: Chart | null;
  approaches: { code: string; label: string }[];
}

/** A group's baseline-adjusted change as shown, or why it is not shown. */
function adjustedChange(changes: GroupAnalysis, group: string): { adjusted: string | null; adjustedNote: string | null } {
  const change = changes.groups.find((g) => g.group === group);
  if (change?.adjusted) return { adjusted: intervalText(change.adjusted), adjustedNote: null };
  return {
    adjusted: null,
    adjustedNote: change?.refusal ?? changes.refusal ?? `Fewer than ${MINIMUM_PAIRED} people with paired measures.`,
  };
}

function profileLines(rows: q.ProfileRow[], label: (key: string | null) => string, changes: GroupAnalysis): ProfileLine[] {
  const cells: Record<string, number> = {};
  rows.forEach((r, i) => {
    cells[`r:${i}`] = r.referrals;
    cells[`o:${i}`] = r.onwardReferrals;
    cells[`a:${i}`] = r.onwardAttended;
  });
  const shown = suppressCounts(cells, []);
  return rows.map((r, i) => {
    const enough = r.contacted >= SMALL_NUMBER;
    return {
      label: label(r.key),
      referrals: shown[`r:${i}`]!,
      contactsPerPerson: enough ? fixed(r.contactsMade / r.contacted) : null,
      minutesPerPerson: enough ? String(Math.round(r.minutes / r.contacted)) : null,
      medianFirstContactDays: enough && r.medianFirstContactDays !== null ? fixed(r.medianFirstContactDays) : null,
      onwardReferrals: shown[`o:${i}`]!,
      onwardAttended: shown[`a:${i}`]!,
      attendedShare: shown[`a:${i}`]!.value !== null && shown[`o:${i}`]!.value ? percent(r.onwardAttended, r.onwardReferrals) : null,
      mix: APPROACH_CODES.map((code) => ({
        code,
        share: enough && (r.approaches[code] ?? 0) >= SMALL_NUMBER ? percent(r.approaches[code]!, r.contacted) : null,
      })),
      ...adjustedChange(changes, r.key ?? 'none'),
    };
  });
}

/**
 * Side by side per practice (and per link worker, for leads): the mix of approaches, contacts and
 * minutes per person, days to first contact, onward referrals and attendance, and the
 * baseline-adjusted change on the chosen measure with its interval. A commissioner sees one
 * tenant (one service): services are compared practice by practice.
 */
export const practicesReport = evidencePage('practices', async (tx, actor, page, filter): Promise<ProfileFigures> => {
  const measure = page.measure;
  const names = new Map(page.practices.map((p) => [p.id, p.name]));
  const practiceName = (key: string | null) => (key ? (names.get(key) ?? 'A practice no longer listed') : NO_PRACTICE);
  const paired = await q.pairedOutcomeRows(tx, actor.tenantId, filter, measure.code);
  const cases = paired.map(asCase);
  // Each practice's (or link worker's) profile, in name order, with its change on the measure.
  const linesBy = async (dimension: 'practice' | 'linkWorker', keys: (string | null)[], name: (key: string | null) => string) => {
    const changes = groupChanges(
      cases,
      keys.map((key) => key ?? 'none'),
      NEED_CODES,
    );
    const profiles = (await q.profiles(tx, actor.tenantId, filter, dimension)).sort((a, b) => name(a.key).localeCompare(name(b.key)));
    return { changes, lines: profileLines(profiles, name, changes) };
  };
  const { changes: practiceChanges, lines: practices } = await linesBy(
    'practice',
    paired.map((r) => r.practiceId),
    practiceName,
  );
  let linkWorkers: ProfileLine[] | null = null;
  let linkWorkerChart: Chart | null = null;
  const workerNames = await q.linkWorkerNames(tx, actor.tenantId);
  const workerName = (key: string | null) => (key ? (workerNames.get(key) ?? 'A former link worker') : 'Not allocated');
  if (hasRole(actor, 'lead')) {
    const workers = await linesBy(
      'linkWorker',
      paired.map((r) => r.linkWorkerId),
      workerName,
    );
    linkWorkers = workers.lines;
    linkWorkerChart = changeForest(workers.changes, (k) => workerName(k === 'none' ? null : k), measure, 'link worker');
  }
  const mixCells = practices.flatMap((p) =>
    p.mix.map((m) => ({
      row: p.label,
      column: approachLabel(m.code),
      share: m.share === null ? null : Number(m.share.replace('%', '')) / 100,
    })),
  );
  const mixChart = practices.length
    ? shareGrid(mixCells, {
        caption: 'The mix of approaches in each practice: the share of people contacted whose support included each approach',
        description: `Approach mix by practice. ${practices
          .map(
            (p) =>
              `${p.label}: ${
                p.mix
                  .filter((m) => m.share)
                  .map((m) => `${approachLabel(m.code)} ${m.share}`)
                  .join(', ') || 'too few to show'
              }`,
          )
          .join('. ')}.`,
        rows: practices.map((p) => p.label),
        columns: APPROACH_CODES.map(approachLabel),
      })
    : null;
  return {
    practices,
    linkWorkers,
    mixChart,
    linkWorkerChart,
    approaches: APPROACH_CODES.map((code) => ({ code, label: approachLabel(code) })),
    changeChart: changeForest(practiceChanges, (k) => practiceName(k === 'none' ? null : k), measure, 'practice'),
  };
});

function changeForest(changes: GroupAnalysis, label: (key: string) => string, measure: Measure, what: string): Chart | null {
  const rows: ForestRow[] = changes.groups
    .filter((g) => g.adjusted)
    .map((g) => ({ label: label(g.group), series: 'Adjusted change', ...g.adjusted! }));
  if (!rows.length) return null;
  return forestPlot(rows, {
    caption: `Change on ${measure.label} by ${what}, adjusted for starting score, age band, sex, deprivation and needs, with 95% confidence intervals`,
    description: `Adjusted change by ${what}: ${rows.map((r) => `${r.label} ${intervalText(r)}`).join('; ')}.`,
    xLabel: `Adjusted change, points (${measure.higherIsBetter ? 'higher' : 'lower'} is better)`,
    series: ['Adjusted change'],
  });
}

// ---------------------------------------------------------------------------------------------
// Inequalities

export interface RateLine {
  label: string;
  referrals: Shown;
  population: number | null;
  perThousand: string | null;
}

export interface EngagementLine {
  label: string;
  referrals: Shown;
  contacted: Shown;
  contactedShare: string | null;
  assessed: Shown;
  assessedShare: string | null;
  attendedOnward: Shown;
  attendedShare: string | null;
  discharged: Shown;
  goalsMet: Shown;
  adjusted: string | null;
  adjustedNote: string | null;
}

export interface InequalityFigures {
  months: number;
  practiceRates: RateLine[];
  /** Per dimension some practice entered; `unplaced` counts referrals whose group is not recorded (in no rate). */
  groupRates: { dimension: string; caption: string; rows: RateLine[]; unplaced: Shown }[];
  byImd: EngagementLine[];
  byEthnicGroup: EngagementLine[];
  rateChart: Chart | null;
  imdChart: Chart | null;
  ethnicChart: Chart | null;
}

function engagementLines(
  prefix: string,
  rows: q.EngagementRow[],
  categories: [string, string][],
  changes: GroupAnalysis,
): EngagementLine[] {
  const cells: Record<string, number> = {};
  const kinds = ['referrals', 'contacted', 'assessed', 'attendedOnward', 'discharged', 'goalsMet'] as const;
  const total: Record<string, number> = Object.fromEntries(kinds.map((k) => [k, 0]));
  for (const [code] of categories) {
    const row = rows.find((r) => r.key === code);
    for (const k of kinds) {
      cells[`${prefix}:${k}:${code}`] = row?.[k] ?? 0;
      total[k]! += row?.[k] ?? 0;
    }
  }
  for (const k of kinds) cells[`${prefix}:${k}:total`] = total[k]!;
  const lines: Line[] = kinds.map((k) => ({
    total: `${prefix}:${k}:total`,
    members: categories.map(([code]) => `${prefix}:${k}:${code}`),
  }));
  const shown = suppressCounts(cells, lines);
  return categories.map(([code, label]) => {
    const s = (k: (typeof kinds)[number]) => shown[`${prefix}:${k}:${code}`]!;
    return {
      label,
      referrals: s('referrals'),
      contacted: s('contacted'),
      contactedShare: percent(s('contacted').value, s('referrals').value),
      assessed: s('assessed'),
      assessedShare: percent(s('assessed').value, s('referrals').value),
      attendedOnward: s('attendedOnward'),
      attendedShare: percent(s('attendedOnward').value, s('referrals').value),
      discharged: s('discharged'),
      goalsMet: s('goalsMet'),
      ...adjustedChange(changes, code),
    };
  });
}

/**
 * Referral rates per 1,000 registered patients by practice, and by group where practices have
 * entered their population; engagement and baseline-adjusted change by IMD quintile and ethnic
 * group.
 */
export const inequalitiesReport = evidencePage('inequalities', async (tx, actor, page, filter): Promise<InequalityFigures> => {
  const measure = page.measure;
  const months = monthsBetween(page.filter.from, page.filter.to).length;
  const populations = (await q.practicePopulations(tx, actor.tenantId)).filter(
    (p) => !page.filter.practiceId || p.practiceId === page.filter.practiceId,
  );
  const byPractice = await q.engagementBy(tx, actor.tenantId, filter, 'practice');
  const referralCells = suppressCounts(
    Object.fromEntries(populations.map((p) => [p.practiceId, byPractice.find((r) => r.key === p.practiceId)?.referrals ?? 0])),
    [],
  );
  const practiceRates: RateLine[] = populations.map((p) => {
    const shown = referralCells[p.practiceId]!;
    return {
      label: p.name,
      referrals: shown,
      population: p.listSize,
      perThousand: p.listSize && shown.value !== null ? fixed((1000 * shown.value) / p.listSize) : null,
    };
  });
  // By group, relative to the registered population of the practices that entered it: only
  // their referrals count, so the rate compares like with like.
  const groupRates: InequalityFigures['groupRates'] = [];
  for (const dimension of POPULATION_DIMENSIONS) {
    const entered = populations.filter((p) => p.population.some((x) => x.dimension === dimension.code));
    if (!entered.length) continue;
    const ids = new Set(entered.map((p) => p.practiceId));
    const referrals = (await q.referralsByPracticeAnd(tx, actor.tenantId, filter, dimension.code)).filter((r) => ids.has(r.practiceId));
    const counts: Record<string, number> = {};
    const population: Record<string, number> = {};
    for (const c of dimension.categories) {
      counts[c.code] = referrals.filter((r) => r.key === c.code).reduce((s, r) => s + r.referrals, 0);
      population[c.code] = entered.reduce(
        (s, p) => s + (p.population.find((x) => x.dimension === dimension.code && x.category === c.code)?.people ?? 0),
        0,
      );
    }
    const unplaced = referrals.filter((r) => !dimension.categories.some((c) => c.code === r.key)).reduce((s, r) => s + r.referrals, 0);
    const shown = suppressCounts({ ...counts, unplaced }, []);
    groupRates.push({
      dimension: dimension.code,
      caption: `Referrals per 1,000 registered patients ${dimension.by} (${entered.map((p) => p.name).join(', ')})`,
      rows: dimension.categories.map((c) => ({
        label: dimension.code === 'imd_quintile' ? QUINTILE_LABELS[c.code]! : c.label,
        referrals: shown[c.code]!,
        population: population[c.code] || null,
        perThousand:
          population[c.code] && shown[c.code]!.value !== null ? fixed((1000 * shown[c.code]!.value!) / population[c.code]!) : null,
      })),
      unplaced: shown.unplaced!,
    });
  }
  const paired = await q.pairedOutcomeRows(tx, actor.tenantId, filter, measure.code);
  const cases = paired.map(asCase);
  const imdChanges = groupChanges(
    cases,
    paired.map((r) => r.imdQuintile),
    NEED_CODES,
    { imdIsTheGroup: true },
  );
  const ethnicChanges = groupChanges(
    cases,
    paired.map((r) => r.ethnicGroup),
    NEED_CODES,
  );
  const byImd = engagementLines(
    'imd',
    await q.engagementBy(tx, actor.tenantId, filter, 'imdQuintile'),
    Object.entries(QUINTILE_LABELS),
    imdChanges,
  );
  const byEthnicGroup = engagementLines(
    'eth',
    await q.engagementBy(tx, actor.tenantId, filter, 'ethnicGroup'),
    ETHNIC_GROUPS.map((g) => [g, g]),
    ethnicChanges,
  );
  const rated = practiceRates.filter((r) => r.perThousand !== null);
  return {
    months,
    practiceRates,
    groupRates,
    byImd,
    byEthnicGroup,
    rateChart: rated.length
      ? horizontalBarChart(
          rated.map((r) => ({ label: r.label, value: Number(r.perThousand) })),
          {
            caption: `Referrals in these ${months} months per 1,000 registered patients, by practice`,
            description: `Referral rate per 1,000 registered patients: ${rated.map((r) => `${r.label} ${r.perThousand}`).join('; ')}.`,
            xLabel: 'Referrals per 1,000 patients',
          },
        )
      : null,
    imdChart: changeForest(imdChanges, (k) => QUINTILE_LABELS[k] ?? k, measure, 'IMD quintile'),
    ethnicChart: changeForest(ethnicChanges, (k) => k, measure, 'ethnic group'),
  };
});

// ---------------------------------------------------------------------------------------------
// Charts for the dashboard

export interface DashboardCharts {
  byMonth: Chart | null;
  bySource: Chart | null;
  waiting: Chart | null;
  waitingRows: { label: string; contacted: Shown; median: string | null; p25: string | null; p75: string | null; p90: string | null }[];
}

const MONTH_NAME = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });
const monthLabel = (month: string) => MONTH_NAME.format(new Date(`${month}-01T12:00:00Z`));

/**
 * The dashboard's pictures, drawn from its own suppressed tables (so a chart never shows what the
 * table hides), and waiting time to first contact by month (quartiles and the 90th percentile,
 * for months with at least 5 first contacts).
 */
export async function dashboardCharts(
  db: pg.Pool | ReportingPools,
  actor: Actor,
  filter: ReportFilter,
  tables: { id: string; rows: { label: string; count: Shown }[] }[],
): Promise<DashboardCharts> {
  if (!hasRole(actor, 'lead', 'commissioner', 'researcher')) throw new Forbidden();
  const bars = (id: string) =>
    (tables.find((t) => t.id === id)?.rows ?? [])
      .filter((r) => r.count.value !== null)
      .map((r) => ({ label: r.label, value: r.count.value! }));
  const months = bars('by-month');
  const sources = bars('by-source');
  const waiting = await withTenant(reportingPools(db).reads, actor.tenantId, (tx) =>
    q.waitingByMonth(tx, actor.tenantId, {
      practiceId: filter.practiceId,
      fromMonth: `${filter.from}-01`,
      toMonth: `${filter.to}-01`,
    }),
  );
  const shownWaits = suppressCounts(Object.fromEntries(waiting.map((w) => [w.month, w.contacted])), []);
  const waitingRows = waiting.map((w) => {
    const enough = w.contacted >= SMALL_NUMBER;
    const v = (n: number) => (enough ? fixed(n) : null);
    return {
      label: monthLabel(w.month),
      contacted: shownWaits[w.month]!,
      median: v(w.median),
      p25: v(w.p25),
      p75: v(w.p75),
      p90: v(w.p90),
    };
  });
  const spread = waiting
    .filter((w) => w.contacted >= SMALL_NUMBER)
    .map((w) => ({ label: monthLabel(w.month), p25: w.p25, median: w.median, p75: w.p75, p90: w.p90 }));
  return {
    byMonth: months.length
      ? barChart(months, {
          caption: 'Referrals received by month',
          description: `Referrals received by month: ${months.map((m) => `${m.label} ${m.value}`).join(', ')}.`,
          yLabel: 'Referrals',
        })
      : null,
    bySource: sources.length
      ? horizontalBarChart(
          sources.map((s) => ({ label: s.label, value: s.value })),
          {
            caption: 'Referrals by source',
            description: `Referrals by source: ${sources.map((s) => `${s.label} ${s.value}`).join(', ')}.`,
            xLabel: 'Referrals',
          },
        )
      : null,
    waiting: spread.length
      ? spreadChart(spread, {
          caption:
            'Days to first contact by month of referral: the bar spans the middle half of waits, the circle is the median, the yellow tick the 90th percentile',
          description: `Days to first contact by month: ${spread.map((s) => `${s.label} median ${fixed(s.median)}, middle half ${fixed(s.p25)} to ${fixed(s.p75)}, 90th percentile ${fixed(s.p90)}`).join('; ')}.`,
          yLabel: 'Days to first contact',
        })
      : null,
    waitingRows,
  };
}
