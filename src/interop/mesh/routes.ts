import type { FastifyPluginAsync } from 'fastify';
import { rolePolicy } from '../../identity/policy.ts';
import { signedIn } from '../../plans/form.ts';
import { resendToGpRecord } from './service.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');

/** Sending a discharge summary to the GP record again, once what stopped it is put right. */
export const gpRecordRoutes: FastifyPluginAsync = async (app) => {
  app.post('/referrals/:referralId/gp-record/send', { config: { policy: staff } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
    await resendToGpRecord(app.database.pool, signedIn(req), referralId, req.id);
    return reply.redirect(`/referrals/${referralId}?done=gp-record#gp-record`, 303);
  });
};
