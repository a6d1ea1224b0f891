import type { DemoRandom } from '../demo/random.ts';
import { APPROACH_CODES } from './approaches.ts';

// A generator of fictional referrals whose approach effects are known, for the known-truth
// tests, the demo and the benchmark. Each person has a true wellbeing level; the baseline and
// follow-up measures are that level plus measurement noise, so people who start unusually low
// drift back up on their own (regression to the mean). Who gets which approach depends on their
// needs, their starting score and the practice's way of working, as it does in real services:
// a plain before-and-after comparison is therefore biased, a baseline-adjusted one is not.

/** Added SWEMWBS metric points for having had each approach (the "truth" the tests recover). */
export const TRUE_EFFECTS: Record<string, number> = {
  signposting: 0,
  guided_conversation: 0.5,
  motivational_interviewing: 0.5,
  health_coaching: 1.0,
  counselling_informed: 1.5,
  warm_handover: 2.0,
  group_session: 0.8,
  practical_help: 0.3,
};

/** How a practice's link workers tend to work. */
export type PracticeStyle = 'signposting' | 'coaching' | 'mixed';

export interface SimulatedCase {
  needs: string[];
  imdQuintile: number;
  ageBand: string;
  sex: string;
  approaches: string[];
  contacts: number;
  minutes: number;
  /** SWEMWBS metric scores, unrounded. */
  baseline: number;
  followUp: number;
  /** False for people lost to follow-up (more often in deprived areas). */
  followedUp: boolean;
}

/** The needs simulated referrals carry (the models' need terms). */
export const SIMULATED_NEED_CODES = [
  'loneliness',
  'money',
  'mental-wellbeing',
  'physical-activity',
  'bereavement',
  'housing',
  'long-term-conditions',
  'carers',
];
const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75-84', '85+'];

/** A standard normal draw (Box-Muller) from the seeded generator. */
export function normal(random: DemoRandom): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

const APPROACH_CHANCE: Record<PracticeStyle, Record<string, number>> = {
  signposting: {
    signposting: 0.95,
    guided_conversation: 0.3,
    motivational_interviewing: 0.05,
    health_coaching: 0.08,
    counselling_informed: 0.05,
    warm_handover: 0.08,
    group_session: 0.1,
    practical_help: 0.3,
  },
  coaching: {
    signposting: 0.45,
    guided_conversation: 0.5,
    motivational_interviewing: 0.3,
    health_coaching: 0.6,
    counselling_informed: 0.2,
    warm_handover: 0.55,
    group_session: 0.3,
    practical_help: 0.2,
  },
  mixed: {
    signposting: 0.7,
    guided_conversation: 0.4,
    motivational_interviewing: 0.15,
    health_coaching: 0.3,
    counselling_informed: 0.15,
    warm_handover: 0.3,
    group_session: 0.25,
    practical_help: 0.25,
  },
};

export interface CaseAttributes {
  needs: string[];
  imdQuintile: number;
  ageBand: string;
  sex: string;
}

/** Attributes of a made-up person: one or two needs, an IMD quintile, an age band and a sex. */
export function randomAttributes(random: DemoRandom): CaseAttributes {
  const needs = [random.pick(SIMULATED_NEED_CODES)];
  if (random.chance(0.4)) needs.push(random.pick(SIMULATED_NEED_CODES));
  return {
    needs: [...new Set(needs)],
    imdQuintile: random.int(1, 5),
    ageBand: random.pick(AGE_BANDS),
    sex: random.pick(['female', 'male', 'female', 'male', 'not_stated']),
  };
}

/**
 * One person's support and scores under the known effects. True wellbeing is lower with a
 * mental wellbeing or loneliness need and in more deprived areas; approaches are chosen by the
 * practice's style and are likelier for people who start low or are lonely.
 */
export function simulateCase(
  random: DemoRandom,
  attributes: CaseAttributes,
  style: PracticeStyle,
  effects: Record<string, number> = TRUE_EFFECTS,
): SimulatedCase {
  const { needs, imdQuintile } = attributes;
  const trueLevel =
    23 -
    (needs.includes('mental-wellbeing') ? 2.5 : 0) -
    (needs.includes('loneliness') ? 1.5 : 0) +
    0.4 * (imdQuintile - 3) +
    3 * normal(random);
  const baseline = trueLevel + 2.5 * normal(random);
  const startsLow = baseline < 20;
  const approaches = APPROACH_CODES.filter((code) => {
    let chance = APPROACH_CHANCE[style][code]!;
    if (startsLow && ['health_coaching', 'warm_handover', 'counselling_informed'].includes(code)) chance += 0.15;
    if (needs.includes('loneliness') && ['warm_handover', 'group_session'].includes(code)) chance += 0.15;
    if (needs.includes('mental-wellbeing') && code === 'counselling_informed') chance += 0.2;
    if (needs.includes('money') && code === 'practical_help') chance += 0.3;
    return random.chance(Math.min(chance, 0.97));
  });
  if (!approaches.length) approaches.push('signposting');
  const contacts = approaches.length + random.int(0, style === 'coaching' ? 4 : 1);
  const minutes = contacts * random.int(style === 'coaching' ? 35 : 15, style === 'coaching' ? 60 : 35);
  // Everyone improves a little with time; each approach adds its own effect.
  const followUp = trueLevel + 1 + approaches.reduce((s, a) => s + (effects[a] ?? 0), 0) + 2 * normal(random);
  const followedUp = random.chance(0.88 - 0.05 * (3 - imdQuintile));
  return { ...attributes, approaches, contacts, minutes, baseline, followUp, followedUp };
}

/** n people spread evenly over the given practice styles. */
export function simulateCases(
  random: DemoRandom,
  n: number,
  styles: readonly PracticeStyle[] = ['signposting', 'coaching', 'mixed'],
): (SimulatedCase & { style: PracticeStyle })[] {
  const cases: (SimulatedCase & { style: PracticeStyle })[] = [];
  for (let i = 0; i < n; i++) {
    const style = styles[i % styles.length]!;
    cases.push({ ...simulateCase(random, randomAttributes(random), style), style });
  }
  return cases;
}
