import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { findNeed, NEEDS } from '../vocabulary/needs.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAuditBy } from '../identity/audit.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { transitionReferral } from '../referrals/service.ts';
import { Forbidden, InvalidInput, NotFound, RuleBroken, type FieldError } from '../web/errors.ts';
import { isWorking, loadEpisode, requireStaff } from './episode.ts';
import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';

export type { AssessmentRow, ConcernRow, NeedRating } from './queries.ts';
export { loadEpisode, lockEpisode, requireStaff, isWorking } from './episode.ts';

export const NEED_RATINGS = [
  { code: 'none', label: 'No need' },
  { code: 'some', label: 'Some need' },
  { code: 'high', label: 'High need' },
] as const;

export const BARRIERS = [
  { code: 'transport', label: 'Transport' },
  { code: 'cost', label: 'Cost' },
  { code: 'confidence', label: 'Confidence' },
  { code: 'caring', label: 'Caring duties' },
  { code: 'language', label: 'Language' },
  { code: 'digital', label: 'Digital access' },
] as const;

export interface AssessmentInput {
  whatMatters: string;
  /** Rating per need code; needs left unrated are not recorded. */
  needs: { need: string; rating: string; notes?: string | null }[];
  strengths?: string | null;
  barriers?: string[];
  barrierNotes?: string | null;
  risks?: string | null;
}

function checkId(id: string, what: string) {
  if (!isUuid(id)) throw new NotFound(what);
}

function optional(value: string | null | undefined, field: string, max: number, what: string, errors: FieldError[]): string | null {
  const v = value?.trim() ?? '';
  if (v.length > max) errors.push({ field, message: `${what} must be ${max} characters or fewer` });
  return v || null;
}

export function checkAssessment(input: AssessmentInput): {
  value: Omit<q.AssessmentRow, 'id' | 'assessedAt' | 'assessedByName' | 'referralId' | 'personId' | 'assessedBy'>;
  errors: FieldError[];
} {
  const errors: FieldError[] = [];
  const whatMatters = input.whatMatters.trim();
  if (!whatMatters) errors.push({ field: 'whatMatters', message: 'Enter what matters to the person, in their own words' });
  else if (whatMatters.length > 4000) errors.push({ field: 'whatMatters', message: 'What matters must be 4000 characters or fewer' });
  const needs: q.NeedRating[] = [];
  for (const n of input.needs) {
    if (!n.rating) continue;
    if (!findNeed(n.need)) {
      errors.push({ field: 'needs', message: 'Rate needs from the list' });
      continue;
    }
    if (!NEED_RATINGS.some((r) => r.code === n.rating)) {
      errors.push({ field: `need-${n.need}`, message: `Select no need, some need or high need for ${findNeed(n.need)!.label}` });
      continue;
    }
    needs.push({
      need: n.need,
      rating: n.rating as q.NeedRating['rating'],
      notes: optional(n.notes, `note-${n.need}`, 1000, 'Notes on a need', errors),
    });
  }
  if (!needs.some((n) => n.rating !== 'none') && errors.length === 0) {
    errors.push({ field: `need-${NEEDS[0]!.code}`, message: 'Rate at least one need as some or high need' });
  }
  const barriers = input.barriers ?? [];
  if (barriers.some((b) => !BARRIERS.some((x) => x.code === b)))
    errors.push({ field: 'barriers', message: 'Select barriers from the list' });
  return {
    value: {
      whatMatters,
      needs,
      barriers: [...new Set(barriers)],
      strengths: optional(input.strengths, 'strengths', 4000, 'Strengths', errors),
      barrierNotes: optional(input.barrierNotes, 'barrierNotes', 2000, 'Notes on barriers', errors),
      risks: optional(input.risks, 'risks', 4000, 'Risks', errors),
    },
    errors,
  };
}

/**
 * Records a "what matters to me" assessment. The first one moves the referral from "in contact"
 * to "assessed" through the referrals life cycle.
 */
export async function recordAssessment(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: AssessmentInput,
  context: RequestContext = {},
) {
  const { value, errors } = checkAssessment(input);
  const episode = await loadEpisode(pool, actor, referralId, context);
  if (!isWorking(episode.referral.status)) {
    throw new RuleBroken(
      `An assessment can be recorded once contact is made and until discharge. This referral is "${episode.referral.status.replace(/_/g, ' ')}".`,
    );
  }
  if (errors.length) throw new InvalidInput(errors);
  const id = await withTenant(pool, actor.tenantId, async (tx) => {
    const assessmentId = await q.insertAssessment(tx, actor.tenantId, {
      ...value,
      referralId,
      personId: episode.referral.personId,
      assessedBy: actor.userId,
    });
    await recordAuditBy(tx, actor, context, {
      action: 'assessment.create',
      entityType: 'assessment',
      entityId: assessmentId,
      personId: episode.referral.personId,
    });
    return assessmentId;
  });
  if (episode.referral.status === 'in_contact') {
    await transitionReferral(pool, actor, referralId, { to: 'assessed', reason: 'What matters assessment recorded' }, context);
  }
  return id;
}

/** The latest assessment of a referral, inside the caller's transaction. */
export async function latestAssessmentWithin(tx: Db, actor: Actor, referralId: string) {
  requireStaff(actor);
  return (await q.assessmentsOf(tx, actor.tenantId, [referralId]))[0];
}

export async function assessmentsForReferral(pool: pg.Pool, actor: Actor, referralId: string) {
  requireStaff(actor);
  checkId(referralId, 'referral');
  return withTenant(pool, actor.tenantId, (tx) => q.assessmentsOf(tx, actor.tenantId, [referralId]));
}

// ---------------------------------------------------------------------------------------------
// Safeguarding

/**
 * A safeguarding concern: an alert on the person's pages and a task for every lead (by email
 * through the outbox) until a lead records the action taken.
 */
export async function raiseConcern(pool: pg.Pool, actor: Actor, referralId: string, concern: string, context: RequestContext = {}) {
  const text = concern.trim();
  const episode = await loadEpisode(pool, actor, referralId, context);
  if (!text) throw new InvalidInput([{ field: 'concern', message: 'Describe the safeguarding concern' }]);
  if (text.length > 4000) throw new InvalidInput([{ field: 'concern', message: 'The concern must be 4000 characters or fewer' }]);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const id = await q.insertConcern(tx, actor.tenantId, {
      referralId,
      personId: episode.referral.personId,
      concern: text,
      raisedBy: actor.userId,
    });
    await recordAuditBy(tx, actor, context, {
      action: 'safeguarding.raise',
      entityType: 'safeguarding_concern',
      entityId: id,
      personId: episode.referral.personId,
    });
    for (const email of await q.leadEmails(tx, actor.tenantId)) {
      // No personal details in the email: the lead signs in to read it.
      await queueNotification(tx, {
        tenantId: actor.tenantId,
        channel: 'email',
        recipient: email,
        template: 'safeguarding_concern_raised',
        personalisation: { reference: episode.referral.reference, raised_by: actor.name },
        idempotencyKey: `safeguarding:${id}:${email.toLowerCase()}`,
      });
    }
    return id;
  });
}

/** Closing a concern needs the action taken: it cannot be dismissed without a note. */
export async function recordConcernAction(pool: pg.Pool, actor: Actor, concernId: string, action: string, context: RequestContext = {}) {
  requireStaff(actor);
  checkId(concernId, 'safeguarding concern');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const concern = await q.findConcern(tx, actor.tenantId, concernId, { lock: true });
    if (!concern) throw new NotFound('safeguarding concern');
    if (!hasRole(actor, 'lead')) throw new Forbidden('Only a link worker lead can record the action taken on a safeguarding concern.');
    const note = action.trim();
    if (!note) throw new InvalidInput([{ field: 'action', message: 'Enter the action taken: a concern cannot be closed without a note' }]);
    if (note.length > 4000) throw new InvalidInput([{ field: 'action', message: 'The action taken must be 4000 characters or fewer' }]);
    if (concern.actionedAt) throw new RuleBroken('The action on this concern has already been recorded.');
    await q.recordAction(tx, actor.tenantId, concernId, note, actor.userId);
    await recordAuditBy(tx, actor, context, {
      action: 'safeguarding.action',
      entityType: 'safeguarding_concern',
      entityId: concernId,
      personId: concern.personId,
    });
    return { referralId: concern.referralId };
  });
}

/** The lead's task list: every open concern in the tenant, oldest first. */
export async function openSafeguardingTasks(pool: pg.Pool, actor: Actor) {
  if (!hasRole(actor, 'lead')) throw new Forbidden('Only a link worker lead can see the safeguarding task list.');
  return withTenant(pool, actor.tenantId, (tx) => q.openConcerns(tx, actor.tenantId));
}

export async function concernsForPeople(pool: pg.Pool, actor: Actor, personIds: string[]) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, (tx) => q.concernsOfPeople(tx, actor.tenantId, personIds));
}

/** For the person timeline (called inside its transaction). */
export async function assessmentTimeline(tx: import('../db/database.ts').Db, tenantId: string, personIds: string[]) {
  // Each entry links to the support page of its referral.
  const entry = (at: Date, kind: string, title: string, byName: string | null, referralId: string) => ({
    at,
    kind,
    title,
    detail: byName ? `by ${byName}` : undefined,
    referralId,
    href: `/referrals/${referralId}/support`,
  });
  const entries = [];
  for (const a of await q.assessmentsOfPeople(tx, tenantId, personIds)) {
    entries.push(entry(a.assessedAt, 'assessment', 'What matters assessment recorded', a.assessedByName, a.referralId));
  }
  for (const c of await q.concernsOfPeople(tx, tenantId, personIds)) {
    if (c.actionedAt) {
      entries.push(entry(c.raisedAt, 'safeguarding', 'Safeguarding concern raised', c.raisedByName, c.referralId));
      entries.push(entry(c.actionedAt, 'safeguarding', 'Safeguarding action recorded', c.actionedByName, c.referralId));
    } else {
      // `alert` puts an open concern at the top of the person page as a warning.
      entries.push({
        ...entry(c.raisedAt, 'safeguarding', 'Safeguarding concern raised: open, waiting for the lead', c.raisedByName, c.referralId),
        alert: 'Open safeguarding concern',
      });
    }
  }
  return entries;
}
