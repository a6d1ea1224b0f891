import type pg from 'pg';
import { withTenant } from '../db/transaction.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAudit } from '../identity/audit.ts';
import { ETHNIC_CATEGORIES } from '../people/ethnicity.ts';
import { Forbidden, InvalidInput, NotFound, type FieldError } from '../web/errors.ts';
import * as q from './queries.ts';

// Each practice's registered patients, entered by admins, for the referral rates on the
// inequalities page: the list size, and optionally the registered population by IMD quintile,
// age band, sex and ethnic group (as a practice's own records or NHS England's published
// "patients registered at a GP practice" give them).

export const QUINTILES = ['1', '2', '3', '4', '5'] as const;

export interface PopulationCategory {
  /** As the reporting read model stores it, so rates line up with referrals. */
  code: string;
  label: string;
  /** The form field. */
  field: string;
}

export interface PopulationDimension {
  code: q.PopulationDimensionCode;
  label: string;
  /** "by IMD quintile", for legends and messages. */
  by: string;
  /** "all five IMD quintiles", for the message when some are missing. */
  every: string;
  categories: PopulationCategory[];
}

const AGE_BANDS = ['0-17', '18-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75-84', '85+'];
// The groups a person's ethnic category belongs to, without "Not stated"/"Not known": a
// registered population is counted by group; whoever is not in one is the "not known" remainder.
const ETHNIC_GROUPS = [...new Set(ETHNIC_CATEGORIES.map((c) => c.group))].filter((g) => g !== 'Not stated' && g !== 'Not known');

export const POPULATION_DIMENSIONS: PopulationDimension[] = [
  {
    code: 'imd_quintile',
    label: 'IMD quintile of their home',
    by: 'by IMD quintile',
    every: 'all five IMD quintiles',
    categories: QUINTILES.map((k) => ({
      code: k,
      field: `quintile-${k}`,
      label: `Quintile ${k}${k === '1' ? ' (most deprived 20%)' : k === '5' ? ' (least deprived 20%)' : ''}`,
    })),
  },
  {
    code: 'age_band',
    label: 'Age band',
    by: 'by age band',
    every: 'every age band',
    categories: AGE_BANDS.map((b, i) => ({ code: b, field: `age-${i + 1}`, label: b === '85+' ? '85 and over' : b })),
  },
  {
    code: 'sex',
    label: 'Sex',
    by: 'by sex',
    every: 'both female and male',
    categories: [
      { code: 'female', field: 'sex-female', label: 'Female' },
      { code: 'male', field: 'sex-male', label: 'Male' },
    ],
  },
  {
    code: 'ethnic_group',
    label: 'Ethnic group',
    by: 'by ethnic group',
    every: 'every ethnic group',
    categories: ETHNIC_GROUPS.map((g, i) => ({ code: g, field: `ethnic-${i + 1}`, label: g })),
  },
];

/** Every form field of the population form, for the route to read. */
export const POPULATION_FIELDS = ['listSize', ...POPULATION_DIMENSIONS.flatMap((d) => d.categories.map((c) => c.field))];

export interface PopulationForm {
  practiceId?: string;
  listSize?: string;
  /** The dimensions' fields by field name ('quintile-1', 'age-3', 'sex-female' ...). */
  counts?: Record<string, string | undefined>;
  /** Older forms sent the quintiles alone, keyed '1' to '5'. */
  quintiles?: Record<string, string | undefined>;
}

const WHOLE = /^\d{1,7}$/;

export interface PracticePopulation extends q.PracticePopulationRow {
  /** Per dimension entered: the people in no category (list size minus the sum), when above 0. */
  notKnown: Record<string, number>;
}

function withRemainders(row: q.PracticePopulationRow): PracticePopulation {
  const notKnown: Record<string, number> = {};
  for (const d of POPULATION_DIMENSIONS) {
    const rows = row.population.filter((x) => x.dimension === d.code);
    if (rows.length && row.listSize) notKnown[d.code] = Math.max(0, row.listSize - rows.reduce((s, x) => s + x.people, 0));
  }
  return { ...row, notKnown };
}

/** The practices with their list sizes and registered populations, for the admin pages. */
export async function practicePopulations(pool: pg.Pool, actor: Actor): Promise<PracticePopulation[]> {
  if (!hasRole(actor, 'admin')) throw new Forbidden();
  return (await withTenant(pool, actor.tenantId, (tx) => q.practicePopulations(tx, actor.tenantId))).map(withRemainders);
}

/** One practice's registered patients, for its form. */
export async function practicePopulation(pool: pg.Pool, actor: Actor, practiceId: string): Promise<PracticePopulation> {
  const found = (await practicePopulations(pool, actor)).find((p) => p.practiceId === practiceId);
  if (!found) throw new NotFound('practice');
  return found;
}

/** The form's values from what is stored: the list size and every count entered. */
export function populationValues(p: PracticePopulation): Record<string, string> {
  const values: Record<string, string> = { practiceId: p.practiceId, listSize: p.listSize ? String(p.listSize) : '' };
  for (const d of POPULATION_DIMENSIONS) {
    for (const c of d.categories) {
      const stored = p.population.find((x) => x.dimension === d.code && x.category === c.code);
      values[c.field] = stored ? String(stored.people) : '';
    }
  }
  return values;
}

/**
 * Sets a practice's list size and its registered population by each dimension given. A
 * dimension is entered whole (every category) or left empty (cleared). Its counts may not add up
 * to more than the list size; fewer is accepted, and the rest are shown as "not known" (people
 * with no recorded postcode, sex or ethnicity). Audited.
 */
export async function setPracticePopulation(pool: pg.Pool, actor: Actor, form: PopulationForm, requestId?: string): Promise<void> {
  if (!hasRole(actor, 'admin')) throw new Forbidden();
  const errors: FieldError[] = [];
  const clean = (text: string | undefined) => (text ?? '').replace(/,/g, '').trim();
  const listText = clean(form.listSize);
  const listOk = WHOLE.test(listText) && Number(listText) >= 1;
  if (!listOk) errors.push({ field: 'listSize', message: 'Enter the number of registered patients as a whole number, like 9500' });
  const counts = { ...form.counts };
  for (const k of QUINTILES)
    if (form.quintiles?.[k] !== undefined && counts[`quintile-${k}`] === undefined) counts[`quintile-${k}`] = form.quintiles[k];
  const entered: { dimension: q.PopulationDimensionCode; categories: string[]; people: number[] }[] = [];
  const cleared: q.PopulationDimensionCode[] = [];
  for (const d of POPULATION_DIMENSIONS) {
    const texts = d.categories.map((c) => clean(counts[c.field]));
    const given = texts.filter((t) => t !== '');
    if (!given.length) {
      cleared.push(d.code);
      continue;
    }
    const first = d.categories[0]!;
    if (given.length < texts.length) {
      const missing = d.categories.find((_, i) => texts[i] === '')!;
      errors.push({ field: missing.field, message: `Enter registered patients for ${d.every}, or for none` });
      continue;
    }
    let bad = false;
    texts.forEach((t, i) => {
      if (!WHOLE.test(t)) {
        bad = true;
        errors.push({
          field: d.categories[i]!.field,
          message: `Enter the patients in ${d.categories[i]!.label.toLowerCase()} as a whole number`,
        });
      }
    });
    if (bad) continue;
    const sum = texts.reduce((s, t) => s + Number(t), 0);
    if (listOk && sum > Number(listText)) {
      errors.push({
        field: first.field,
        message: `The patients ${d.by} add up to ${sum.toLocaleString('en-GB')}, more than the list size of ${Number(listText).toLocaleString('en-GB')}`,
      });
      continue;
    }
    entered.push({ dimension: d.code, categories: d.categories.map((c) => c.code), people: texts.map(Number) });
  }
  if (errors.length) throw new InvalidInput(errors);
  await withTenant(pool, actor.tenantId, async (tx) => {
    const practices = await q.practicePopulations(tx, actor.tenantId);
    if (!practices.some((p) => p.practiceId === form.practiceId)) throw new NotFound('practice');
    await q.setPracticePopulation(tx, actor.tenantId, form.practiceId!, Number(listText), entered, cleared);
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'practice.population',
      entityType: 'practice',
      entityId: form.practiceId!,
      reason: `list size ${listText}; by ${entered.map((e) => e.dimension).join(', ') || 'no group'}`,
      requestId,
    });
  });
}
