import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, InvalidInput } from './errors.ts';

// One way in for form input. Every form route reads its fields through here, so the rules hold
// everywhere: text is a string or a 400 (never an object or a repeated field where one is
// expected), trimmed, within a length limit; an edit carries the version it was made against; and
// nothing anywhere carries NUL, which PostgreSQL text cannot hold.

type Body = Record<string, unknown>;

/** The ceiling for a field with no tighter limit of its own: longer than any note we keep. */
export const MAX_FIELD_LENGTH = 10_000;

/** Limits for fields whose checks live in the route, shared with the views' character counts. */
export const LIMITS = {
  shortReason: 500,
  organisationName: 200,
  note: 2000,
} as const;

export interface Limit {
  max: number;
  /** How the page names the field, for the message: "Reason must be 500 characters or fewer". */
  label: string;
}

/** `notSuitableReason` -> "Not suitable reason": a readable name where a route gave none. */
function labelFor(name: string): string {
  const words = name
    .replace(/[[\]]+/g, ' ')
    .replace(/([a-z])([A-Z0-9])/g, '$1 $2')
    .replace(/[-_]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function characters(max: number): string {
  return `${max.toLocaleString('en-GB')} characters`;
}

/** A field as posted, unchecked (for hooks that run before the route's schema); undefined when absent. */
export function postedValue(body: unknown, name: string): unknown {
  if (!body || typeof body !== 'object' || !Object.hasOwn(body, name)) return undefined;
  return (body as Body)[name];
}

function refuse(name: string, message: string): never {
  throw new InvalidInput([{ field: name, message }]);
}

/**
 * One text field, trimmed; '' when absent. A repeated field, a value that is not text, or text
 * past its limit is a 400 naming the field.
 */
export function field(body: unknown, name: string, limit?: Limit, options: { trim?: boolean } = {}): string {
  const value = postedValue(body, name);
  if (value === undefined || value === null) return '';
  const label = limit?.label ?? labelFor(name);
  if (Array.isArray(value)) refuse(name, `${label} was sent more than once. Reload the page and try again`);
  if (typeof value !== 'string') refuse(name, `${label} must be text`);
  const trimmed = options.trim === false ? value : value.trim();
  const max = limit?.max ?? MAX_FIELD_LENGTH;
  if (trimmed.length > max) refuse(name, `${label} must be ${characters(max)} or fewer`);
  return trimmed;
}

/** A checkbox group: zero, one or many values, each text within the limit. */
export function fields(body: unknown, name: string, limit?: Limit): string[] {
  const value = postedValue(body, name);
  if (value === undefined || value === null) return [];
  const values = Array.isArray(value) ? value : [value];
  const label = limit?.label ?? labelFor(name);
  const max = limit?.max ?? MAX_FIELD_LENGTH;
  if (values.length > 100) refuse(name, `${label} has too many answers`);
  for (const one of values) {
    if (typeof one !== 'string') refuse(name, `${label} must be text`);
    if (one.length > max) refuse(name, `${label} must be ${characters(max)} or fewer`);
  }
  return (values as string[]).filter((v) => v !== '');
}

/** The form's fields for re-showing it, without the CSRF token. */
export function bodyValues(body: unknown): Record<string, unknown> {
  const values = { ...(body && typeof body === 'object' ? (body as Body) : {}) };
  delete values._csrf;
  return values;
}

/**
 * The version of the record the form was made against (optimistic locking). An edit without a
 * valid one is refused: skipping the check would let a stale or forged form overwrite the record.
 */
export function version(body: unknown): number {
  const value = field(body, 'version', { max: 20, label: 'Version' });
  if (!/^\d{1,9}$/.test(value)) {
    refuse('version', 'This form is missing the version of the record it changes. Reload the page and make your change again');
  }
  return Number(value);
}

const UNSAVABLE = 'contains a character that cannot be saved (a NUL). Remove it and try again';

/** The first place a NUL appears in parsed input (a key or a value), as a field name. */
function findNul(value: unknown, where: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? where : undefined;
  if (!value || typeof value !== 'object' || depth > 20) return undefined;
  for (const [key, inner] of Object.entries(value as Body)) {
    if (key.includes('\u0000')) return where || 'A field name';
    const found = findNul(inner, key, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Body media types the route accepts. Routes take HTML forms (urlencoded) unless they say
     * otherwise, e.g. `['application/json']` for a JSON API.
     */
    accepts?: string[];
  }
}

const FORM = 'application/x-www-form-urlencoded';
const BODILESS = new Set(['GET', 'HEAD', 'OPTIONS']);

class UnsupportedMediaType extends Error {
  readonly statusCode = 415;
  readonly code = 'SIGNPOST_UNSUPPORTED_MEDIA_TYPE';
}

function hasBody(req: FastifyRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Refuses input no route could use, before any route sees it: a body of a kind the route does not
 * take (415, before it is parsed), and NUL anywhere in the path, query or body (400).
 */
export function setUpFormInput(app: FastifyInstance): void {
  // preParsing: after every onRequest check (a machine API's missing token is a 401 first), still
  // before the body is read.
  app.addHook('preParsing', async (req, _reply, payload) => {
    if (BODILESS.has(req.method)) return payload;
    const accepts = req.routeOptions.config?.accepts ?? [FORM];
    if (!req.routeOptions.config?.policy) return payload; // no route here: the 404 handler answers
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === '' && !hasBody(req)) return payload;
    if (!accepts.includes(type)) {
      throw new UnsupportedMediaType(
        accepts.includes(FORM)
          ? 'This address takes a form. Send it from the page as a form (application/x-www-form-urlencoded).'
          : `This address takes ${accepts.join(' or ')}.`,
      );
    }
    return payload;
  });
  app.addHook('preValidation', async (req) => {
    const found = findNul(req.params, 'The address') ?? findNul(req.query, 'The address') ?? findNul(req.body, 'What you sent');
    if (found !== undefined) throw new DomainError(400, `${labelFor(found)} ${UNSAVABLE}`, found);
  });
}
