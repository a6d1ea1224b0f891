import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { withTenant } from '../db/transaction.ts';
import { rolePolicy } from '../identity/policy.ts';
import { Forbidden } from '../web/errors.ts';
import { FormBody } from '../web/schemas.ts';
import { cancelJob, JOB_STATES, jobsOverview, retryJob } from './service.ts';

const adminOnly = rolePolicy('admin', 'admin');

const STATE_NAMES: Record<string, string> = {
  dead: 'Failed',
  queued: 'Waiting',
  running: 'Running',
  succeeded: 'Done',
  cancelled: 'Cancelled',
};

const ListQuery = Type.Object({ state: Type.Optional(Type.Enum(JOB_STATES)) });
// Jobs are numbered, not uuids.
const JobParams = Type.Object({ jobId: Type.String({ pattern: '^[0-9]{1,15}$' }) });
const ActionBody = FormBody({ returnState: Type.Optional(Type.Enum(JOB_STATES)) });

/** Background jobs for a tenant's admins: what is waiting, what failed and why; retry or cancel. */
export const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get('/admin/jobs', { schema: { querystring: ListQuery }, config: { policy: adminOnly } }, async (req, reply) => {
    const actor = req.actor;
    if (!actor) throw new Forbidden();
    const state = req.query.state ?? 'dead';
    const overview = await withTenant(pool, actor.tenantId, (tx) => jobsOverview(tx, actor, state));
    return reply.view('jobs/views/jobs.njk', {
      ...overview,
      tabs: JOB_STATES.map((s) => ({ state: s, name: STATE_NAMES[s], count: overview.counts[s] ?? 0, current: s === state })),
      stateName: STATE_NAMES[state],
    });
  });

  for (const action of ['retry', 'cancel'] as const) {
    app.post(
      `/admin/jobs/:jobId/${action}`,
      {
        schema: { params: JobParams, body: ActionBody },
        config: { policy: adminOnly },
      },
      async (req, reply) => {
        const actor = req.actor;
        if (!actor) throw new Forbidden();
        const jobId = Number(req.params.jobId);
        await withTenant(pool, actor.tenantId, (tx) => (action === 'retry' ? retryJob : cancelJob)(tx, actor, jobId));
        return reply.redirect(`/admin/jobs?state=${req.body.returnState ?? 'dead'}`, 303);
      },
    );
  }
};
