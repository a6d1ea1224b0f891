import { withTransaction } from '../db/transaction.ts';
import * as q from './queries.ts';
import { PermanentJobError, scheduleJob, type JobContext } from './queue.ts';

/** Schedules a tenant scan's job for every tenant; the same run twice schedules nothing more. */
export async function fanOutToTenants(job: JobContext<{ kind?: string; scan?: string }>): Promise<void> {
  const { kind, scan } = job.payload;
  if (!kind || !scan) throw new PermanentJobError('A tenant fan-out job needs a kind and a scan name.');
  const tenantIds = await withTransaction(job.pool, (tx) => q.listTenantIds(tx));
  // The fan-out job's own id ties the per-tenant jobs to this one run of the schedule.
  for (const tenantId of tenantIds) {
    await scheduleJob(job.pool, {
      kind,
      tenantId,
      payload: { scan },
      runAt: job.clock.now(),
      idempotencyKey: `${scan}:${tenantId}:run-${job.id}`,
    });
  }
}
