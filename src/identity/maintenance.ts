import type { Db } from '../db/database.ts';
import type { JobContext } from '../jobs/service.ts';
import * as q from './queries.ts';

export const PRUNE_IDENTITY = 'identity.prune';
/** Ended sessions and used links are kept this long (for questions about recent sign-ins), then removed. */
export const KEEP_DAYS = 30;

/**
 * Removes sessions that ended or expired, invitation and reset links that were used or expired,
 * sign-in failure counts that no longer lock anything, and rate-limit counts of windows long past. The audit log keeps the history.
 */
export async function pruneIdentityRecords(
  db: Db,
  now: Date,
): Promise<{ sessions: number; tokens: number; throttles: number; rateLimits: number }> {
  const before = new Date(now.getTime() - KEEP_DAYS * 86_400_000);
  return {
    sessions: await q.pruneSessions(db, before),
    tokens: await q.pruneTokens(db, before),
    throttles: await q.pruneSignInThrottles(db, now),
    rateLimits: await q.pruneRateLimitCounts(db, now),
  };
}

export async function pruneIdentityJob(job: JobContext): Promise<void> {
  const removed = await pruneIdentityRecords(job.pool, job.clock.now());
  job.log.info(removed, 'pruned old sessions, links, sign-in and rate-limit counts');
}
