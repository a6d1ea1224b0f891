import { ETHNIC_CATEGORIES } from '../../people/ethnicity.ts';

/**
 * k-anonymity over the quasi-identifiers of the people in a research extract: age band, sex,
 * ethnic group, area deprivation and practice. Each person starts at the most detailed level; the
 * people of any combination shared by fewer than K are moved one level coarser together with the
 * others still left, and whoever is still in a combination under K after the last level is left
 * out of the extract altogether (suppressed, with all their rows).
 */
export const K = 5;

/** What a person's row says about them, before any generalisation. */
export interface QuasiIdentifiers {
  /** Whole years, on the day of the person's first referral in the extract. */
  age: number | null;
  sex: string | null;
  /** NHS Data Dictionary ethnic category code. */
  ethnicity: string | null;
  imdDecile: number | null;
  /** The practice's pseudonym, never its id. */
  practice: string | null;
}

/** The values released for one person, as they appear in the CSV. */
export interface ReleasedIdentifiers {
  age_band: string;
  sex: string;
  ethnic_category: string;
  ethnic_group: string;
  imd_decile: string;
  imd_quintile: string;
  practice: string;
  generalisation_level: string;
}

export const WITHHELD = 'withheld';
export const NOT_KNOWN = 'not_known';

/** One rung of the ladder: how coarse each quasi-identifier is shown. */
export interface Level {
  level: number;
  description: string;
  ageYears: 5 | 10 | 20;
  ethnicity: 'category' | 'group' | 'withheld';
  imd: 'decile' | 'quintile' | 'withheld';
  practice: 'shown' | 'withheld';
}

export const LEVELS: readonly Level[] = [
  {
    level: 0,
    description: 'as recorded: 5-year age band, ethnic category, IMD decile, practice',
    ageYears: 5,
    ethnicity: 'category',
    imd: 'decile',
    practice: 'shown',
  },
  {
    level: 1,
    description: '10-year age band, top-level ethnic group, IMD quintile',
    ageYears: 10,
    ethnicity: 'group',
    imd: 'quintile',
    practice: 'shown',
  },
  {
    level: 2,
    description: '20-year age band, top-level ethnic group, IMD quintile',
    ageYears: 20,
    ethnicity: 'group',
    imd: 'quintile',
    practice: 'shown',
  },
  {
    level: 3,
    description: '20-year age band, top-level ethnic group, IMD quintile, practice withheld',
    ageYears: 20,
    ethnicity: 'group',
    imd: 'quintile',
    practice: 'withheld',
  },
  {
    level: 4,
    description: '20-year age band and sex only; ethnic group, IMD and practice withheld',
    ageYears: 20,
    ethnicity: 'withheld',
    imd: 'withheld',
    practice: 'withheld',
  },
];

/** The oldest band is open-ended, so a very old age is never shown on its own. */
const TOP_AGE: Record<Level['ageYears'], number> = { 5: 90, 10: 90, 20: 80 };

export function ageBand(age: number | null, years: Level['ageYears']): string {
  if (age === null || !Number.isFinite(age) || age < 0) return NOT_KNOWN;
  const top = TOP_AGE[years];
  if (age >= top) return `${top}+`;
  const start = Math.floor(age / years) * years;
  return `${start}-${start + years - 1}`;
}

const GROUP_OF = new Map(ETHNIC_CATEGORIES.map((c) => [c.code, c.group]));

export function imdQuintile(decile: number | null): string {
  return decile === null ? NOT_KNOWN : String(Math.ceil(decile / 2));
}

export function release(person: QuasiIdentifiers, level: Level): ReleasedIdentifiers {
  const category = person.ethnicity && GROUP_OF.has(person.ethnicity) ? person.ethnicity : '99';
  return {
    age_band: ageBand(person.age, level.ageYears),
    sex: person.sex ?? NOT_KNOWN,
    ethnic_category: level.ethnicity === 'category' ? category : WITHHELD,
    ethnic_group: level.ethnicity === 'withheld' ? WITHHELD : GROUP_OF.get(category)!,
    imd_decile: level.imd === 'decile' ? (person.imdDecile === null ? NOT_KNOWN : String(person.imdDecile)) : WITHHELD,
    imd_quintile: level.imd === 'withheld' ? WITHHELD : imdQuintile(person.imdDecile),
    practice: level.practice === 'withheld' ? WITHHELD : (person.practice ?? NOT_KNOWN),
    generalisation_level: String(level.level),
  };
}

/** The quasi-identifier columns whose combination must be shared by at least K people. */
export const QUASI_IDENTIFIER_COLUMNS = [
  'age_band',
  'sex',
  'ethnic_category',
  'ethnic_group',
  'imd_decile',
  'imd_quintile',
  'practice',
] as const;

export function combinationOf(row: Record<string, string>): string {
  return JSON.stringify(QUASI_IDENTIFIER_COLUMNS.map((c) => row[c] ?? ''));
}

export interface AnonymityResult<Id> {
  released: Map<Id, ReleasedIdentifiers>;
  suppressed: Id[];
  /** People released at each level (index = level). */
  byLevel: number[];
  /** People released coarser than level 0. */
  generalised: number;
  /** The smallest combination in what is released (0 when nothing is). */
  smallestGroup: number;
}

/**
 * Releases each person at the most detailed level at which their combination is shared by at
 * least `k` people still being placed; the rest are suppressed. Levels are tried in order, and a
 * combination at one level never mixes with people already placed at another, so every
 * combination in the output holds at least `k` people.
 */
export function kAnonymise<Id>(people: ReadonlyMap<Id, QuasiIdentifiers>, k = K): AnonymityResult<Id> {
  const released = new Map<Id, ReleasedIdentifiers>();
  const byLevel: number[] = LEVELS.map(() => 0);
  let remaining = [...people.keys()];
  for (const level of LEVELS) {
    const classes = new Map<string, Id[]>();
    const values = new Map<Id, ReleasedIdentifiers>();
    for (const id of remaining) {
      const shown = release(people.get(id)!, level);
      values.set(id, shown);
      const key = combinationOf(shown as unknown as Record<string, string>);
      classes.set(key, [...(classes.get(key) ?? []), id]);
    }
    const next: Id[] = [];
    for (const ids of classes.values()) {
      if (ids.length >= k) {
        for (const id of ids) released.set(id, values.get(id)!);
        byLevel[level.level]! += ids.length;
      } else next.push(...ids);
    }
    remaining = next;
  }
  const sizes = new Map<string, number>();
  for (const shown of released.values()) {
    const key = combinationOf(shown as unknown as Record<string, string>);
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  return {
    released,
    suppressed: remaining,
    byLevel,
    generalised: released.size - byLevel[0]!,
    smallestGroup: sizes.size ? Math.min(...sizes.values()) : 0,
  };
}
