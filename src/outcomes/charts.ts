import { MEASURES, type MeasureCode } from '../reporting/measures.ts';
import { scoreTimeline, type Chart } from '../reporting/charts.ts';
import { TIMEPOINT_LABELS, type InstrumentCode, type Timepoint } from './instruments.ts';

interface Measured {
  instrument: InstrumentCode;
  timepoint: Timepoint;
  completedAt: Date;
  rawScore: number | null;
  metricScore: number | null;
  answers: Record<string, number>;
}

const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'Europe/London' });

/**
 * One chart per measure of a referral: each score over time, with the meaningful-change band
 * from the reports (SWEMWBS: the baseline to 3 points above it; ONS4: the ONS bands). UCLA has
 * no validated threshold, so it has no band.
 */
export function outcomeCharts(administrations: readonly Measured[]): { instrument: InstrumentCode; chart: Chart }[] {
  const series: { code: MeasureCode; instrument: InstrumentCode; score: (a: Measured) => number | null }[] = [
    { code: 'swemwbs', instrument: 'swemwbs', score: (a) => a.metricScore },
    ...(['life_satisfaction', 'worthwhile', 'happiness', 'anxiety'] as const).map((item) => ({
      code: `ons4_${item}` as MeasureCode,
      instrument: 'ons4' as const,
      score: (a: Measured) => a.answers[item] ?? null,
    })),
    { code: 'ucla3', instrument: 'ucla3', score: (a) => a.rawScore },
  ];
  const charts: { instrument: InstrumentCode; chart: Chart }[] = [];
  for (const s of series) {
    const measure = MEASURES[s.code];
    const points = administrations
      .filter((a) => a.instrument === s.instrument && s.score(a) !== null)
      .map((a) => ({ measure: s.code, at: a.completedAt, score: s.score(a)!, timepoint: TIMEPOINT_LABELS[a.timepoint] }));
    if (!points.length) continue;
    const baseline = points.find((p) => p.timepoint === TIMEPOINT_LABELS.baseline);
    const band =
      measure.points !== null && baseline
        ? {
            from: baseline.score,
            to: Math.min(measure.max, baseline.score + measure.points),
            label: `meaningful change: ${measure.points} points`,
          }
        : undefined;
    const zones = measure.bands?.map((b) => ({ from: b.min - 0.5, to: b.max + 0.5, label: b.label }));
    const listed = points.map((p) => `${p.timepoint} ${DATE.format(p.at)}: ${p.score}`).join('; ');
    charts.push({
      instrument: s.instrument,
      chart: scoreTimeline(points, {
        caption: `${measure.label} over time (${measure.scale}, ${measure.higherIsBetter ? 'higher' : 'lower'} is better)${band ? '; the shaded band runs from the baseline to a meaningful improvement' : zones ? '; the grey bands are the ONS bands' : '; no validated threshold for a meaningful change exists'}`,
        description: `${measure.label}: ${listed}.${band ? ` A meaningful improvement would reach ${band.to}.` : ''}`,
        yLabel: measure.label,
        domain: measure.min === 0 ? [-0.5, 10.5] : [measure.min, measure.max],
        band,
        zones,
      }),
    });
  }
  return charts;
}
