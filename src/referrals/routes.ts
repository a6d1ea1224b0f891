import type { FastifyPluginAsync } from 'fastify';
import { caseloadRoutes } from './routes/caseload.ts';
import { intakeRoutes } from './routes/intake.ts';
import { myReferralRoutes } from './routes/my-referrals.ts';
import { referralPageRoutes } from './routes/referral.ts';
import { selfReferralRoutes } from './routes/self-referral.ts';
import { triageRoutes } from './routes/triage.ts';

/** The referrals area's pages, by family; each file holds its pages' URLs, schemas, policies and rendering. */
export const referralRoutes: FastifyPluginAsync = async (app) => {
  // Staff referral: question pages, check your answers, confirmation.
  await app.register(intakeRoutes);
  // The public self-referral: plain English, no account, never says whether a person is known.
  await app.register(selfReferralRoutes);
  await app.register(triageRoutes);
  await app.register(referralPageRoutes);
  await app.register(caseloadRoutes);
  await app.register(myReferralRoutes);
};
