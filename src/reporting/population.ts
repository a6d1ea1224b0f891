import type pg from 'pg';
import { withTenant } from '../db/transaction.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAudit } from '../identity/audit.ts';
import { Forbidden, InvalidInput, NotFound, type FieldError } from '../web/errors.ts';
import * as q from './queries.ts';

// Each practice's registered patients, entered by admins, for the referral rates on the
// inequalities page: the list size, and optionally the registered population by IMD quintile.

export const QUINTILES = ['1', '2', '3', '4', '5'] as const;

export interface PopulationForm {
  practiceId?: string;
  listSize?: string;
  /** Registered patients living in each IMD quintile, keyed '1' to '5'. */
  quintiles?: Record<string, string | undefined>;
}

const WHOLE = /^\d{1,7}$/;

/** The practices with their list sizes and population by quintile, for the admin page. */
export async function practicePopulations(pool: pg.Pool, actor: Actor) {
  if (!hasRole(actor, 'admin')) throw new Forbidden();
  return withTenant(pool, actor.tenantId, (tx) => q.practicePopulations(tx, actor.tenantId));
}

/**
 * Sets a practice's list size and, if all five are given, its registered population by IMD
 * quintile (which may not add up to more than the list size). Audited.
 */
export async function setPracticePopulation(pool: pg.Pool, actor: Actor, form: PopulationForm, requestId?: string): Promise<void> {
  if (!hasRole(actor, 'admin')) throw new Forbidden();
  const errors: FieldError[] = [];
  const listText = (form.listSize ?? '').replace(/,/g, '').trim();
  if (!WHOLE.test(listText) || Number(listText) < 1) errors.push({ field: 'listSize', message: 'Enter the number of registered patients as a whole number, like 9500' });
  const quintileTexts = QUINTILES.map((k) => (form.quintiles?.[k] ?? '').replace(/,/g, '').trim());
  const given = quintileTexts.filter((t) => t !== '');
  if (given.length && given.length < 5) errors.push({ field: 'quintile-1', message: 'Enter registered patients for all five IMD quintiles, or for none' });
  quintileTexts.forEach((t, i) => {
    if (t !== '' && !WHOLE.test(t)) errors.push({ field: `quintile-${i + 1}`, message: `Enter the patients in quintile ${i + 1} as a whole number` });
  });
  if (!errors.length && given.length === 5 && quintileTexts.reduce((s, t) => s + Number(t), 0) > Number(listText)) {
    errors.push({ field: 'quintile-1', message: 'The patients by IMD quintile add up to more than the list size' });
  }
  if (errors.length) throw new InvalidInput(errors);
  await withTenant(pool, actor.tenantId, async (tx) => {
    const practices = await q.practicePopulations(tx, actor.tenantId);
    if (!practices.some((p) => p.practiceId === form.practiceId)) throw new NotFound('practice');
    await q.setPracticePopulation(tx, actor.tenantId, form.practiceId!, Number(listText), given.length === 5 ? quintileTexts.map(Number) : null);
    await recordAudit(tx, { actor, tenantId: actor.tenantId, action: 'practice.population', entityType: 'practice', entityId: form.practiceId!, reason: `list size ${listText}`, requestId });
  });
}
