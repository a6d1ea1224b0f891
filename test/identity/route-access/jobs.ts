import { scheduleJob } from '../../../src/jobs/queue.ts';
import type { Database } from '../../../src/db/database.ts';
import { onlyRoles, type AreaAccess } from './types.ts';

async function aDeadJob(database: Database, tenantId: string, error: string): Promise<string> {
  const id = (await scheduleJob(database.pool, { kind: 'matrix.job', tenantId }))!;
  await database.pool.query(`UPDATE job SET state = 'dead', attempts = 5, last_error = $2 WHERE id = $1`, [id, error]);
  return String(id);
}

/** The background jobs admin page: a tenant's admins only; another tenant's job is a 404. */
export const access: AreaAccess = {
  area: 'jobs',
  async setUp(world) {
    world.ids.homeJob = await aDeadJob(world.database, world.home.tenantId, 'Matrix home job failure');
    world.ids.otherJob = await aDeadJob(world.database, world.other.tenantId, 'Matrix other job failure');
    world.markers.home.push('Matrix home job failure');
    world.markers.other.push('Matrix other job failure');
  },
  routes: [
    { method: 'GET', url: '/admin/jobs', expect: onlyRoles(['admin']) },
    // The admin's retry and cancel take turns on one job: each is allowed (303) or, once the
    // other has changed its state, refused as a broken rule (409).
    {
      method: 'POST',
      url: '/admin/jobs/:jobId/retry',
      path: (w) => `/admin/jobs/${w.ids.homeJob}/retry`,
      expect: onlyRoles(['admin'], { ok: [303, 409], otherTenant: 404 }),
    },
    {
      method: 'POST',
      url: '/admin/jobs/:jobId/cancel',
      path: (w) => `/admin/jobs/${w.ids.homeJob}/cancel`,
      expect: onlyRoles(['admin'], { ok: [303, 409], otherTenant: 404 }),
    },
  ],
};
