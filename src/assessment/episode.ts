import type pg from 'pg';
import { hasRole, type Actor } from '../identity/actor.ts';
import type { Db } from '../db/database.ts';
import { getReferral, lockReferralForWork } from '../referrals/service.ts';
import { Forbidden } from '../web/errors.ts';
import type { RequestContext } from '../identity/audit.ts';

/** Assessment, plan, social prescriptions and discharge are link worker and lead work. */
export function requireStaff(actor: Actor) {
  if (!hasRole(actor, 'link_worker', 'lead')) throw new Forbidden();
}

/** Statuses in which the episode is being worked: assessment, plan and prescriptions are open. */
export const WORKING_STATUSES = ['in_contact', 'assessed', 'active_plan'] as const;

/**
 * The referral (the episode of support) a piece of work hangs off, read through the referrals
 * area's service so its tenant check and audit apply. Another tenant's referral is a 404.
 */
export async function loadEpisode(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  requireStaff(actor);
  return getReferral(pool, actor, referralId, context);
}

/**
 * The referral a write hangs off, locked in the writer's transaction: the status check and the
 * write it allows commit together, with no read audit for the write's own read.
 */
export async function lockEpisode(tx: Db, actor: Actor, referralId: string) {
  requireStaff(actor);
  return lockReferralForWork(tx, actor, referralId);
}

export function isWorking(status: string): boolean {
  return (WORKING_STATUSES as readonly string[]).includes(status);
}
