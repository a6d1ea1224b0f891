import { INSTRUMENTS, type Band } from '../outcomes/instruments.ts';

// What each outcome measure in the reports is, which way is better, and when a person's change
// counts as meaningful, with where that threshold comes from. The ONS bands are the ones copied
// into src/outcomes/data from the ONS guidance; the SWEMWBS figures are from the scale's
// developers at Warwick (docs/reporting.md gives the reasoning).

export const MEASURE_CODES = ['swemwbs', 'ons4_life_satisfaction', 'ons4_worthwhile', 'ons4_happiness', 'ons4_anxiety', 'ucla3'] as const;
export type MeasureCode = (typeof MEASURE_CODES)[number];

export interface Measure {
  code: MeasureCode;
  instrument: 'swemwbs' | 'ons4' | 'ucla3';
  label: string;
  /** The scale in words, for captions. */
  scale: string;
  min: number;
  max: number;
  higherIsBetter: boolean;
  /** How a meaningful improvement is judged, in words, with its source. */
  threshold: string;
  /** SWEMWBS: the change in points that counts; null otherwise. */
  points: number | null;
  /** ONS4: the bands a better score must move across; null otherwise. */
  bands: Band[] | null;
}

/**
 * SWEMWBS: the developers report an individual change of 1 to 3 metric points as meaningful and
 * a standard error of measurement of about 1.03. We use 3 points: the top of that range, and
 * just above the reliable change of 1.96 x sqrt(2) x 1.03 = 2.9 points, so a change this size is
 * unlikely to be measurement noise alone.
 */
export const SWEMWBS_MEANINGFUL_POINTS = 3;

const ONS_SOURCE = 'a move into a better ONS band (ONS personal well-being thresholds, Office for National Statistics)';

const ons = (item: 'life_satisfaction' | 'worthwhile' | 'happiness' | 'anxiety', label: string): Measure => ({
  code: `ons4_${item}`,
  instrument: 'ons4',
  label: `ONS4: ${label}`,
  scale: '0 to 10',
  min: 0,
  max: 10,
  higherIsBetter: item !== 'anxiety',
  threshold:
    item === 'anxiety'
      ? `${ONS_SOURCE}: very low 0-1, low 2-3, medium 4-5, high 6-10; a fall counts as better`
      : `${ONS_SOURCE}: low 0-4, medium 5-6, high 7-8, very high 9-10`,
  points: null,
  bands: INSTRUMENTS.ons4.bands[item] ?? null,
});

export const MEASURES: Record<MeasureCode, Measure> = {
  swemwbs: {
    code: 'swemwbs',
    instrument: 'swemwbs',
    label: 'SWEMWBS mental wellbeing',
    scale: 'metric score 7 to 35',
    min: 7,
    max: 35,
    higherIsBetter: true,
    threshold: `a rise of ${SWEMWBS_MEANINGFUL_POINTS} metric points or more: Warwick Medical School, the scale's developers, report individual change of 1 to 3 points as meaningful and a standard error of measurement of about 1.03; 3 points is the top of that range and above the reliable change of 2.9 points`,
    points: SWEMWBS_MEANINGFUL_POINTS,
    bands: null,
  },
  ons4_life_satisfaction: ons('life_satisfaction', 'life satisfaction'),
  ons4_worthwhile: ons('worthwhile', 'feeling things are worthwhile'),
  ons4_happiness: ons('happiness', 'happiness yesterday'),
  ons4_anxiety: ons('anxiety', 'anxiety yesterday'),
  ucla3: {
    code: 'ucla3',
    instrument: 'ucla3',
    label: 'UCLA 3-item loneliness',
    scale: 'score 3 to 9, higher is lonelier',
    min: 3,
    max: 9,
    higherIsBetter: false,
    threshold: 'no validated threshold for a meaningful change exists for the three-item UCLA scale, so none is claimed',
    points: null,
    bands: null,
  },
};

export function isMeasureCode(value: string): value is MeasureCode {
  return (MEASURE_CODES as readonly string[]).includes(value);
}

function bandIndex(bands: Band[], score: number): number {
  return bands.findIndex((b) => score >= b.min && score <= b.max);
}

/** Whether a person's change counts as a meaningful improvement; null where no threshold exists. */
export function improvedMeaningfully(measure: Measure, baseline: number, followUp: number): boolean | null {
  if (measure.points !== null) return followUp - baseline >= measure.points;
  if (measure.bands) {
    const before = bandIndex(measure.bands, baseline);
    const after = bandIndex(measure.bands, followUp);
    return measure.higherIsBetter ? after > before : after < before;
  }
  return null;
}
