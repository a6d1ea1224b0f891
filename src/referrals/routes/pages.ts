import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../identity/actor.ts';
import { rolePolicy } from '../../identity/policy.ts';
import { DomainError, Forbidden, InvalidInput, type FieldError } from '../../web/errors.ts';

// What the referral and person pages share: who may use them, and rendering a page with its
// form's errors.

export const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');
export const leads = rolePolicy('lead', 'lead');
export const referrers = rolePolicy('referrer, link worker or lead', 'referrer', 'link_worker', 'lead');
export const referrerOnly = rolePolicy('referrer', 'referrer');

export function signedIn(req: FastifyRequest): Actor {
  if (!req.actor) throw new Forbidden();
  return req.actor;
}

export function formErrors(errors: FieldError[]) {
  const fieldErrors: Record<string, string> = {};
  for (const e of errors) fieldErrors[e.field] ??= e.message;
  return {
    errors: errors.map((e) => ({ text: e.message, href: `#${e.field === 'dateOfBirth' ? 'dateOfBirth-day' : e.field}` })),
    fieldErrors,
  };
}

/** A page of this area (`referrals/views/...`, `people/views/...`) with its form's errors. */
export function render(reply: FastifyReply, status: number, view: string, data: Record<string, unknown>, errors: FieldError[] = []) {
  const path = view.includes('/') ? view : `referrals/views/${view}`;
  return reply.code(status).view(path, { ...data, ...formErrors(errors) });
}

/** Form errors a page can re-show: invalid input, or a rule (a stale edit, an illegal step). */
export function asFieldErrors(error: unknown, field = 'status'): { status: number; errors: FieldError[] } | undefined {
  if (error instanceof InvalidInput) return { status: 400, errors: error.errors };
  if (error instanceof DomainError && (error.status === 409 || error.status === 400))
    return { status: error.status, errors: [{ field: error.field ?? field, message: error.message }] };
  return undefined;
}

export const ctx = (req: FastifyRequest) => ({ requestId: req.id });
