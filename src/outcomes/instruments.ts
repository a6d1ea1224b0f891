import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The instrument wording, scales, thresholds and the SWEMWBS conversion table are copied into
// src/outcomes/data (source and licence in docs/data-sources.md). Wording, order and response
// options must not be changed: the scales are only comparable as published.
const dataDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');

export const INSTRUMENT_CODES = ['swemwbs', 'ons4', 'ucla3'] as const;
export type InstrumentCode = (typeof INSTRUMENT_CODES)[number];

export const TIMEPOINTS = ['baseline', 'review', 'discharge'] as const;
export type Timepoint = (typeof TIMEPOINTS)[number];

export const TIMEPOINT_LABELS: Record<Timepoint, string> = { baseline: 'Baseline', review: 'Review', discharge: 'Discharge' };

export interface ResponseOption {
  value: number;
  label: string;
}

export interface Item {
  id: string;
  text: string;
  options: ResponseOption[];
  /** False for ONS4 anxiety: a fall is an improvement. */
  higherIsBetter: boolean;
}

export interface Band {
  min: number;
  max: number;
  label: string;
}

export interface Instrument {
  code: InstrumentCode;
  name: string;
  /** The short name used in lists, e.g. "SWEMWBS". */
  shortName: string;
  instruction: string;
  items: Item[];
  min: number;
  max: number;
  /** How the score reads, for the page. */
  scoring: string;
  /** ONS4: bands per item id. */
  bands: Record<string, Band[]>;
  /** Whether a higher total means better (SWEMWBS) or worse (UCLA: lonelier); null when there is no total. */
  higherTotalIsBetter: boolean | null;
  licence: string;
}

interface RawInstruments {
  ons4: {
    name: string;
    recall: string;
    scale: { min: number; max: number };
    items: { id: string; text: string; anchors: Record<string, string>; higher_is_better: boolean }[];
    scoring: string;
    thresholds: Record<string, Band[]>;
    licence: string;
  };
  swemwbs: {
    name: string;
    instruction: string;
    response_options: ResponseOption[];
    items: { id: string; text: string }[];
    scoring: string;
    licence: string;
    copyright: string;
  };
  ucla3: {
    name: string;
    response_options: ResponseOption[];
    items: { id: string; text: string }[];
    scoring: string;
    licence: string;
  };
}

const raw = JSON.parse(readFileSync(path.join(dataDir, 'instruments.json'), 'utf8')) as RawInstruments;

/** SWEMWBS raw score (7-35) to its Rasch-transformed metric score, from the published table. */
export const SWEMWBS_METRIC: ReadonlyMap<number, number> = new Map(
  readFileSync(path.join(dataDir, 'swemwbs-raw-to-metric.csv'), 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => {
      const [rawScore, metric] = line.split(',');
      return [Number(rawScore), Number(metric)] as const;
    }),
);

function onsOptions(anchors: Record<string, string>, min: number, max: number): ResponseOption[] {
  const options: ResponseOption[] = [];
  for (let v = min; v <= max; v++) options.push({ value: v, label: anchors[String(v)] ? `${v} (${anchors[String(v)]})` : String(v) });
  return options;
}

function onsBands(): Record<string, Band[]> {
  const bands: Record<string, Band[]> = {};
  for (const [ids, list] of Object.entries(raw.ons4.thresholds)) for (const id of ids.split('|')) bands[id] = list;
  return bands;
}

export const INSTRUMENTS: Record<InstrumentCode, Instrument> = {
  swemwbs: {
    code: 'swemwbs',
    name: raw.swemwbs.name,
    shortName: 'SWEMWBS',
    instruction: raw.swemwbs.instruction,
    items: raw.swemwbs.items.map((i) => ({ id: i.id, text: i.text, options: raw.swemwbs.response_options, higherIsBetter: true })),
    min: 1,
    max: 5,
    scoring: 'Metric score 7 to 35; higher means better wellbeing.',
    bands: {},
    higherTotalIsBetter: true,
    licence: `${raw.swemwbs.copyright} ${raw.swemwbs.licence}`,
  },
  ons4: {
    code: 'ons4',
    name: raw.ons4.name,
    shortName: 'ONS4',
    instruction: 'Answer each question on a scale of 0 to 10, where 0 is "not at all" and 10 is "completely".',
    items: raw.ons4.items.map((i) => ({
      id: i.id,
      text: i.text,
      options: onsOptions(i.anchors, raw.ons4.scale.min, raw.ons4.scale.max),
      higherIsBetter: i.higher_is_better,
    })),
    min: raw.ons4.scale.min,
    max: raw.ons4.scale.max,
    scoring: 'Each question is reported on its own, 0 to 10; ONS does not add them up.',
    bands: onsBands(),
    higherTotalIsBetter: null,
    licence: raw.ons4.licence,
  },
  ucla3: {
    // The data file's name also cites its source (Hughes et al. 2004, via ONS): kept in docs, not on every page.
    code: 'ucla3',
    name: 'Three-item UCLA Loneliness Scale',
    shortName: 'UCLA 3-item loneliness',
    instruction: 'For each question, choose how often you feel this way.',
    items: raw.ucla3.items.map((i) => ({ id: i.id, text: i.text, options: raw.ucla3.response_options, higherIsBetter: false })),
    min: 1,
    max: 3,
    scoring: 'Score 3 to 9; higher means lonelier.',
    bands: {},
    higherTotalIsBetter: false,
    licence: raw.ucla3.licence,
  },
};

export function isInstrumentCode(value: string): value is InstrumentCode {
  return (INSTRUMENT_CODES as readonly string[]).includes(value);
}

export function isTimepoint(value: string): value is Timepoint {
  return (TIMEPOINTS as readonly string[]).includes(value);
}
