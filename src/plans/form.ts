import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../identity/actor.ts';
import { DomainError, Forbidden, InvalidInput, type FieldError } from '../web/errors.ts';

export { bodyValues, field, fields } from '../web/forms.ts';

export function signedIn(req: FastifyRequest): Actor {
  if (!req.actor) throw new Forbidden();
  return req.actor;
}

export const ctx = (req: FastifyRequest) => ({ requestId: req.id });

export function formErrors(errors: FieldError[]) {
  const fieldErrors: Record<string, string> = {};
  for (const e of errors) fieldErrors[e.field] ??= e.message;
  return { errors: errors.map((e) => ({ text: e.message, href: `#${e.field}` })), fieldErrors };
}

/** Errors a form page re-shows (400 or 409); anything else goes to the error handler. */
export function asFieldErrors(error: unknown, field = 'form'): { status: number; errors: FieldError[] } | undefined {
  if (error instanceof InvalidInput) return { status: 400, errors: error.errors };
  if (error instanceof DomainError && (error.status === 409 || error.status === 400))
    return { status: error.status, errors: [{ field: error.field ?? field, message: error.message }] };
  return undefined;
}

export function view(reply: FastifyReply, status: number, template: string, data: Record<string, unknown>, errors: FieldError[] = []) {
  return reply.code(status).view(template, { ...data, ...formErrors(errors) });
}

export { formatDate } from '../referrals/present.ts';
