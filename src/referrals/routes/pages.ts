import type { FastifyReply } from 'fastify';
import { rolePolicy } from '../../identity/policy.ts';
import type { FieldError } from '../../web/errors.ts';
import { ctx, signedIn, view } from '../../web/pages.ts';
import { IdParams } from '../../web/schemas.ts';

// What the referral and person pages share: who may use them and rendering a page with its form's
// errors.

export const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');
export const leads = rolePolicy('lead', 'lead');
export const referrers = rolePolicy('referrer, link worker or lead', 'referrer', 'link_worker', 'lead');
export const referrerOnly = rolePolicy('referrer', 'referrer');

/** A page of this area (`referrals/views/...`, `people/views/...`) with its form's errors. */
export function render(reply: FastifyReply, status: number, template: string, data: Record<string, unknown>, errors: FieldError[] = []) {
  const path = template.includes('/') ? template : `referrals/views/${template}`;
  return view(reply, status, path, data, errors, ['dateOfBirth']);
}

export const ReferralParams = IdParams('referralId');

export { ctx, signedIn };
