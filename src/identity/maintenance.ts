import type { Db } from '../db/database.ts';
import { registerJobHandler, registerRecurringJob } from '../jobs/service.ts';

export const PRUNE_IDENTITY = 'identity.prune';
/** Ended sessions and used links are kept this long (for questions about recent sign-ins), then removed. */
export const KEEP_DAYS = 30;

/**
 * Removes sessions that ended or expired, invitation and reset links that were used or expired,
 * sign-in failure counts that no longer lock anything, and rate-limit counts of windows long past. The audit log keeps the history.
 */
export async function pruneIdentityRecords(db: Db, now: Date): Promise<{ sessions: number; tokens: number; throttles: number; rateLimits: number }> {
  const before = new Date(now.getTime() - KEEP_DAYS * 86_400_000);
  const sessions = await db.query(
    `DELETE FROM user_session WHERE coalesce(ended_at, expires_at) < $1`, [before]);
  const tokens = await db.query(
    `DELETE FROM user_token WHERE coalesce(used_at, expires_at) < $1`, [before]);
  const throttles = await db.query(
    `DELETE FROM sign_in_throttle WHERE coalesce(locked_until, last_failure_at) < $1::timestamptz - interval '1 day'`, [now]);
  // The longest rate-limit window is an hour; a day-old count limits nothing.
  const rateLimits = await db.query(
    `DELETE FROM rate_limit_counter WHERE window_start < $1::timestamptz - interval '1 day'`, [now]);
  return { sessions: sessions.rowCount ?? 0, tokens: tokens.rowCount ?? 0, throttles: throttles.rowCount ?? 0, rateLimits: rateLimits.rowCount ?? 0 };
}

registerJobHandler(PRUNE_IDENTITY, async (job) => {
  const removed = await pruneIdentityRecords(job.pool, job.clock.now());
  job.log.info(removed, 'pruned old sessions, links, sign-in and rate-limit counts');
});
registerRecurringJob({ name: 'identity-prune', cron: '40 3 * * *', kind: PRUNE_IDENTITY });
