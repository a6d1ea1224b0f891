import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { rolePolicy } from '../../identity/policy.ts';
import { signedIn } from '../../web/pages.ts';
import { FormBody, IdParams } from '../../web/schemas.ts';
import { resendToGpRecord } from './service.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');

/** Sending a discharge summary to the GP record again, once what stopped it is put right. */
export const gpRecordRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/referrals/:referralId/gp-record/send',
    { schema: { params: IdParams('referralId'), body: FormBody({}) }, config: { policy: staff } },
    async (req, reply) => {
      const { referralId } = req.params;
      await resendToGpRecord(app.database.pool, signedIn(req), referralId, req.id);
      return reply.redirect(`/referrals/${referralId}?done=gp-record#gp-record`, 303);
    },
  );
};
