import * as q from './queries.ts';
import { CHECK_NOTIFICATION_STATUS, SEND_NOTIFICATION } from './notify.ts';
import { TENANT_FAN_OUT, type JobContext } from './queue.ts';

export const PRUNE_JOBS = 'jobs.prune';
/** Finished jobs are kept this long for troubleshooting; idempotency keys of older ones are freed. */
export const KEEP_FINISHED_DAYS = 30;

export async function pruneJobs(job: JobContext): Promise<void> {
  const before = new Date(job.clock.now().getTime() - KEEP_FINISHED_DAYS * 86_400_000);
  const removed = await q.pruneFinishedJobs(job.pool, before, [SEND_NOTIFICATION, CHECK_NOTIFICATION_STATUS, TENANT_FAN_OUT, PRUNE_JOBS]);
  if (removed) job.log.info({ removed }, 'pruned finished jobs');
}
