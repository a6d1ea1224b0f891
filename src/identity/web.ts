import type { FastifyReply } from 'fastify';
import type { FieldError } from '../web/errors.ts';
import type { Role } from './actor.ts';

export const ROLE_NAMES: Record<Role, string> = {
  referrer: 'Referrer (practice staff)',
  link_worker: 'Link worker',
  lead: 'Link worker lead',
  provider: 'Provider organisation user',
  commissioner: 'Commissioner',
  researcher: 'Researcher',
  curator: 'Directory curator',
  admin: 'Administrator',
};

/** A local path to go back to after sign-in; anything else (other sites, `//host`) is dropped. */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return undefined;
  if ([...value].some((c) => c.charCodeAt(0) < 0x20 || c === '\\')) return undefined;
  if (value.startsWith('/sign-in') || value.startsWith('/sign-out')) return undefined;
  return value;
}

/** The layout's error summary plus a message per field for the nhsuk macros. */
export function formErrors(errors: FieldError[]) {
  const fieldErrors: Record<string, string> = {};
  for (const e of errors) fieldErrors[e.field] ??= e.message;
  return { errors: errors.map((e) => ({ text: e.message, href: `#${e.field}` })), fieldErrors };
}

export function renderForm(reply: FastifyReply, status: number, view: string, data: Record<string, unknown>, errors: FieldError[]) {
  return reply.code(status).view(view, { ...data, ...formErrors(errors) });
}

/** A string field from a parsed form body, trimmed of nothing; missing is ''. */
export function field(body: unknown, name: string): string {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : '';
  return typeof value === 'string' ? value : '';
}

export function fields(body: unknown, name: string): string[] {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' && value ? [value] : [];
}
