import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import type { Actor } from '../../identity/actor.ts';
import { rolePolicy, type Policy } from '../../identity/policy.ts';
import type { FieldError } from '../../web/errors.ts';
import { bodyValues } from '../../web/forms.ts';
import { attempt, ctx, signedIn, view, type FormState } from '../../web/pages.ts';
import { FormBody, IdParams } from '../../web/schemas.ts';

// What the referral and person pages share: who may use them, rendering a page with its form's
// errors, and posting a step on a referral from its form.

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

/** A page about one referral with a form on it: first drawn, or drawn again after a refused post. */
export type ReferralPage = (req: FastifyRequest, reply: FastifyReply, referralId: string, form?: FormState) => Promise<unknown>;

/**
 * A step on one referral, posted from a form on `page`: it runs, then goes on to `next`; refused, it
 * draws `page` again with what was posted and why (a rule broken is shown on `field`). With
 * `pageHere`, the page itself is drawn at the same address.
 */
export function referralStep(
  app: Parameters<FastifyPluginAsyncTypebox>[0],
  path: string,
  step: {
    policy: Policy;
    pageHere?: true;
    body: Record<string, TSchema>;
    page: ReferralPage;
    field: string;
    act: (actor: Actor, referralId: string, body: Record<string, unknown>, req: FastifyRequest) => Promise<unknown>;
    next: (referralId: string) => string;
  },
) {
  if (step.pageHere) {
    app.get(path, { schema: { params: ReferralParams }, config: { policy: step.policy } }, async (req, reply) =>
      step.page(req, reply, req.params.referralId),
    );
  }
  app.post(
    path,
    {
      schema: { params: ReferralParams, body: FormBody(step.body) },
      config: { policy: step.policy },
    },
    async (req, reply) => {
      const { referralId } = req.params;
      const body = bodyValues(req.body);
      const done = await attempt(() => step.act(signedIn(req), referralId, body, req), { field: step.field, values: body });
      if (!done.ok) return step.page(req, reply, referralId, done.form);
      return reply.redirect(step.next(referralId), 303);
    },
  );
}

export { ctx, signedIn };
