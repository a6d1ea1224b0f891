import type pg from 'pg';
import { isWorking, loadEpisode, lockEpisode, requireStaff } from '../assessment/service.ts';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { getServiceDetail } from '../directory/service.ts';
import { isIsoDate, localDate } from '../calendar/london.ts';
import type { Actor } from '../identity/actor.ts';
import { recordAuditBy } from '../identity/audit.ts';
import { transitionWithin } from '../referrals/service.ts';
import { onwardFollowUpsWithin, onwardOfReferralWithin } from '../social-prescriptions/service.ts';
import { InvalidInput, NotFound, RuleBroken, type FieldError } from '../web/errors.ts';
import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';

export type { GoalRow } from './queries.ts';

export const GOAL_PROGRESS = [
  { code: 'not_started', label: 'Not started' },
  { code: 'in_progress', label: 'In progress' },
  { code: 'achieved', label: 'Achieved' },
  { code: 'no_longer_relevant', label: 'No longer relevant' },
] as const;

export function progressLabel(code: string | null): string {
  return GOAL_PROGRESS.find((p) => p.code === code)?.label ?? '';
}

function trimmed(value: string | null | undefined, field: string, max: number, what: string, errors: FieldError[]): string | null {
  const v = value?.trim() ?? '';
  if (v.length > max) errors.push({ field, message: `${what} must be ${max} characters or fewer` });
  return v || null;
}

// ---------------------------------------------------------------------------------------------
// Goals

export interface GoalInput {
  goal: string;
  steps?: string | null;
  whoDoesWhat?: string | null;
  reviewDate?: string | null;
}

/**
 * Adds a goal in the person's words. The first goal moves an assessed referral to "active plan".
 * `agreedOn` is for a plan written up later (the demo's history): its review date is judged from then.
 */
export async function addGoal(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: GoalInput,
  context: RequestContext = {},
  options: { agreedOn?: string } = {},
) {
  const errors: FieldError[] = [];
  const goal = trimmed(input.goal, 'goal', 1000, 'The goal', errors);
  if (!goal) errors.push({ field: 'goal', message: 'Enter the goal, in the person’s own words' });
  const steps = trimmed(input.steps, 'steps', 2000, 'Steps', errors);
  const whoDoesWhat = trimmed(input.whoDoesWhat, 'whoDoesWhat', 1000, 'Who does what', errors);
  const reviewDate = input.reviewDate?.trim() || null;
  if (reviewDate && !isIsoDate(reviewDate)) errors.push({ field: 'reviewDate', message: 'Review date must be a real date' });
  // A review already in the past would be overdue the moment it is agreed: almost always a mistyped year.
  else if (reviewDate && reviewDate < (options.agreedOn ?? localDate(new Date())))
    errors.push({ field: 'reviewDate', message: 'Review date must be today or in the future' });
  requireStaff(actor);
  // One transaction: the referral is locked while its status is checked, the goal written and,
  // for the first goal, the referral moved to "active plan"; a failure anywhere leaves nothing.
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockEpisode(tx, actor, referralId);
    if (!isWorking(referral.status)) throw new RuleBroken('Goals can be added once contact is made and until discharge.');
    if (errors.length) throw new InvalidInput(errors);
    const goalId = await q.insertGoal(tx, actor.tenantId, {
      referralId,
      personId: referral.personId,
      goal: goal!,
      steps,
      whoDoesWhat,
      reviewDate,
      createdBy: actor.userId,
    });
    await q.insertProgress(tx, actor.tenantId, { goalId, from: null, to: 'not_started', note: null, byUserId: actor.userId });
    await recordAuditBy(tx, actor, context, {
      action: 'plan.goal.create',
      entityType: 'plan_goal',
      entityId: goalId,
      personId: referral.personId,
    });
    if (referral.status === 'assessed') await transitionWithin(tx, actor, referral, 'active_plan', 'Personal plan agreed', context);
    return goalId;
  });
}

export async function updateGoalProgress(
  pool: pg.Pool,
  actor: Actor,
  goalId: string,
  input: { progress: string; note?: string | null },
  context: RequestContext = {},
) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const goal = await q.findGoal(tx, actor.tenantId, goalId);
    if (!goal) throw new NotFound('goal');
    if (!GOAL_PROGRESS.some((p) => p.code === input.progress))
      throw new InvalidInput([{ field: `progress-${goalId}`, message: 'Select how the goal is going' }]);
    const errors: FieldError[] = [];
    const note = trimmed(input.note, `note-${goalId}`, 1000, 'The note', errors);
    if (errors.length) throw new InvalidInput(errors);
    if (goal.progress === input.progress && !note)
      throw new RuleBroken(`The goal is already "${progressLabel(goal.progress)}".`, `progress-${goalId}`);
    await q.setGoalProgress(tx, actor.tenantId, goalId, input.progress);
    await q.insertProgress(tx, actor.tenantId, { goalId, from: goal.progress, to: input.progress, note, byUserId: actor.userId });
    await recordAuditBy(tx, actor, context, {
      action: 'plan.goal.progress',
      entityType: 'plan_goal',
      entityId: goalId,
      personId: goal.personId,
      reason: `${goal.progress} -> ${input.progress}`,
    });
    return { referralId: goal.referralId };
  });
}

// ---------------------------------------------------------------------------------------------
// The plan as a whole

/** The goals (each with its history) and social prescriptions of one episode, inside the caller's transaction. */
export async function planWithin(tx: Db, actor: Actor, referralId: string) {
  requireStaff(actor);
  const goals = await q.goalsOf(tx, actor.tenantId, [referralId]);
  const progress = await q.progressOf(
    tx,
    actor.tenantId,
    goals.map((g) => g.id),
  );
  return {
    goals: goals.map((g) => ({ ...g, history: progress.filter((p) => p.goalId === g.id) })),
    onward: await onwardOfReferralWithin(tx, actor, referralId),
  };
}

/** Everything on the support page and the printable plan for one episode. */
export async function planForReferral(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  const episode = await loadEpisode(pool, actor, referralId, context);
  const data = await withTenant(pool, actor.tenantId, (tx) => planWithin(tx, actor, referralId));
  return { episode, ...data };
}

/** When and where a service meets, from the directory, for the printable plan. */
export async function serviceWhenAndWhere(pool: pg.Pool, serviceId: string): Promise<{ when: string; where: string; contact: string }> {
  try {
    const detail = await withTenant(pool, null, (tx) => getServiceDetail(tx, serviceId));
    const when = detail.schedules
      .map((s) => [s.days, s.hours].filter(Boolean).join(' ') || s.description || '')
      .filter(Boolean)
      .join('; ');
    const where = detail.locations
      .map((l) =>
        [l.name, ...(l.addresses ?? []).map((a) => [a.address_1, a.city, a.postal_code].filter(Boolean).join(', '))]
          .filter(Boolean)
          .join(', '),
      )
      .join('; ');
    const contact = [detail.service.phones?.[0]?.number, detail.service.email].filter(Boolean).join(', ');
    return { when: when || 'Ask the service', where: where || 'Ask the service', contact };
  } catch (error) {
    if (error instanceof NotFound) return { when: 'No longer listed', where: 'No longer listed', contact: '' };
    throw error;
  }
}

/** The follow-ups page: goal reviews and social prescriptions still open, the actor's own (a lead without a caseload sees everyone's), overdue flagged. */
export async function myFollowUps(pool: pg.Pool, actor: Actor, today: string) {
  requireStaff(actor);
  const everyone = actor.roles.includes('lead') && !actor.roles.includes('link_worker');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const createdBy = everyone ? null : actor.userId;
    const goals = (await q.goalFollowUps(tx, actor.tenantId, createdBy, FOLLOW_UPS_LIMIT)).map((r) => ({ ...r, kind: 'goal' as const }));
    const onward = await onwardFollowUpsWithin(tx, actor.tenantId, createdBy, FOLLOW_UPS_LIMIT);
    return [...goals, ...onward]
      .sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : a.referralId < b.referralId ? -1 : a.referralId > b.referralId ? 1 : 0))
      .slice(0, FOLLOW_UPS_LIMIT)
      .map((r) => ({ ...r, overdue: r.due < today }));
  });
}

/** The most follow-ups the page lists. */
const FOLLOW_UPS_LIMIT = 500;

export function isoDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Goals for the person timeline (called inside its transaction). */
export async function planTimeline(tx: Db, tenantId: string, personIds: string[]) {
  return (await q.goalsOfPeople(tx, tenantId, personIds)).map((g) => ({
    at: g.createdAt,
    kind: 'goal',
    title: `Goal agreed: ${g.goal}`,
    detail: progressLabel(g.progress),
    referralId: g.referralId,
    href: `/referrals/${g.referralId}/support`,
  }));
}
