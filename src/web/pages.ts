import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../identity/actor.ts';
import { DomainError, Forbidden, InvalidInput, type FieldError } from './errors.ts';

export function signedIn(req: FastifyRequest): Actor {
  if (!req.actor) throw new Forbidden();
  return req.actor;
}

export const ctx = (req: FastifyRequest) => ({ requestId: req.id });

/**
 * The layout's error summary plus a message per field for the nhsuk macros. A summary link to a
 * date input (day, month and year boxes) goes to its day box.
 */
export function formErrors(errors: FieldError[], dateInputs: readonly string[] = []) {
  const fieldErrors: Record<string, string> = {};
  for (const e of errors) fieldErrors[e.field] ??= e.message;
  return {
    errors: errors.map((e) => ({ text: e.message, href: `#${dateInputs.includes(e.field) ? `${e.field}-day` : e.field}` })),
    fieldErrors,
  };
}

/** Errors a form page re-shows (400 or 409); anything else goes to the error handler. */
export function asFieldErrors(error: unknown, field = 'form'): { status: number; errors: FieldError[] } | undefined {
  if (error instanceof InvalidInput) return { status: 400, errors: error.errors };
  if (error instanceof DomainError && (error.status === 409 || error.status === 400))
    return { status: error.status, errors: [{ field: error.field ?? field, message: error.message }] };
  return undefined;
}

/** A page with its form's errors (none by default). */
export function view(
  reply: FastifyReply,
  status: number,
  template: string,
  data: Record<string, unknown>,
  errors: FieldError[] = [],
  dateInputs: readonly string[] = [],
) {
  return reply.code(status).view(template, { ...data, ...formErrors(errors, dateInputs) });
}
