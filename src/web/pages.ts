import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import type { Actor } from '../identity/actor.ts';
import type { Policy } from '../identity/policy.ts';
import { DomainError, Forbidden, InvalidInput, type FieldError } from './errors.ts';
import { bodyValues } from './forms.ts';
import { FormBody, IdParams, TextQuery } from './schemas.ts';

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

/** How a form page is drawn: on a first visit (200, nothing posted), or again after a refused post. */
export interface FormState {
  status: number;
  values: Record<string, unknown>;
  errors: FieldError[];
}

export const firstVisit = (values: Record<string, unknown> = {}): FormState => ({ status: 200, values, errors: [] });

/** A form page drawn again because what was posted failed the page's own checks. */
export const invalidForm = (errors: FieldError[], values: Record<string, unknown> = {}): FormState => ({ status: 400, values, errors });

/**
 * A form's action, run. A refusal its page can show comes back as the page to draw again: the
 * refusal's status and errors (a rule broken names `field`) with `values` filled in; anything else
 * goes to the error handler.
 */
export async function attempt<T>(
  action: () => Promise<T>,
  refused: { field?: string; values?: Record<string, unknown> } = {},
): Promise<{ ok: true; value: T } | { ok: false; form: FormState }> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    const shown = asFieldErrors(error, refused.field);
    if (!shown) throw error;
    return { ok: false, form: { ...shown, values: refused.values ?? {} } };
  }
}

/** A page about one record (its id from the address) with a form on it: first drawn, or drawn again after a refused post. */
export type RecordPage = (req: FastifyRequest, reply: FastifyReply, id: string, form?: FormState) => Promise<unknown>;

/** The id in an address whose one parameter names a record (`/referrals/:referralId/support`). */
function recordAddress(path: string) {
  const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  if (names.length !== 1) throw new Error(`This address should name one record: ${path}`);
  const [name] = names;
  return { params: IdParams(name), idOf: (req: FastifyRequest) => (req.params as Record<string, string>)[name] };
}

/**
 * `page` drawn at `path`, with the text `query` fields it reads (`?done=...`) allowed in the address.
 * With `body`, it is drawn from a posted form that changes nothing (check your answers).
 */
export function recordPage(
  app: Parameters<FastifyPluginAsyncTypebox>[0],
  path: string,
  options: { policy: Policy; query?: string[]; body?: Record<string, TSchema>; page: RecordPage },
) {
  const { params, idOf } = recordAddress(path);
  const draw = async (req: FastifyRequest, reply: FastifyReply) => options.page(req, reply, idOf(req));
  const config = { policy: options.policy };
  if (options.body) {
    app.post(path, { schema: { params, body: FormBody(options.body) }, config }, draw);
  } else {
    app.get(path, { schema: options.query ? { params, querystring: TextQuery(...options.query) } : { params }, config }, draw);
  }
}

/**
 * A step on one record, posted from a form on `page` to `path` (whose one parameter is the record's
 * id): it runs, then goes on to `next`; refused, it draws `page` again with what was posted and why
 * (a rule broken is shown on `field`). With `pageHere`, the page itself is drawn at the same address.
 */
export function formStep<T>(
  app: Parameters<FastifyPluginAsyncTypebox>[0],
  path: string,
  step: {
    policy: Policy;
    oncePerForm?: true;
    pageHere?: true;
    body: Record<string, TSchema>;
    page: RecordPage;
    field: string;
    act: (actor: Actor, id: string, body: Record<string, unknown>, req: FastifyRequest) => Promise<T>;
    next: (id: string, done: T) => string;
  },
) {
  const { params, idOf } = recordAddress(path);
  if (step.pageHere) recordPage(app, path, { policy: step.policy, page: step.page });
  app.post(
    path,
    { schema: { params, body: FormBody(step.body) }, config: { policy: step.policy, oncePerForm: step.oncePerForm } },
    async (req, reply) => {
      const id = idOf(req);
      const body = bodyValues(req.body);
      const done = await attempt(() => step.act(signedIn(req), id, body, req), { field: step.field, values: body });
      if (!done.ok) return step.page(req, reply, id, done.form);
      return reply.redirect(step.next(id, done.value), 303);
    },
  );
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

/**
 * A file made for the person asking: `inline` opens in the browser (a PDF to read or print),
 * `attachment` is saved. Never cached: it holds records.
 */
export function sendFile(
  reply: FastifyReply,
  file: { type: string; disposition: 'inline' | 'attachment'; name: string },
  body: string | Buffer | Uint8Array,
) {
  return reply
    .type(file.type)
    .header('content-disposition', `${file.disposition}; filename="${file.name}"`)
    .header('cache-control', 'no-store')
    .send(body);
}

/** Previous and next links for the nhsuk pagination macro ("Page 2 of 5"); none past either end. */
export function pageLinks(page: number, pages: number, href: (page: number) => string) {
  const link = (to: number) => ({ href: href(to), labelText: `Page ${to} of ${pages}` });
  return { previous: page > 1 ? link(page - 1) : undefined, next: page < pages ? link(page + 1) : undefined };
}

/** `pageLinks` for a list filtered by its address's query: empty filters are left out, the page number comes last. */
export function filteredPageLinks(path: string, filters: Record<string, string | undefined>, list: { page: number; pages: number }) {
  const kept = Object.entries(filters).filter((entry): entry is [string, string] => !!entry[1]);
  return pageLinks(list.page, list.pages, (page) => `${path}?${new URLSearchParams([...kept, ['page', String(page)]]).toString()}`);
}

// Option lists and values for the nhsuk macros (radios, checkboxes, selects).

export type Items = { value: string; text: string; checked?: boolean; selected?: boolean; hint?: { text: string } }[];

export function optionItems(
  map: Record<string, string>,
  chosen: string | string[] | undefined,
  key: 'checked' | 'selected' = 'checked',
): Items {
  const picked = Array.isArray(chosen) ? chosen : chosen ? [chosen] : [];
  return Object.entries(map).map(([value, text]) => ({ value, text, [key]: picked.includes(value) }));
}

/** A select's options: the first with no value ("None", "Any need"), then `choices`, the one whose value is `chosen` selected. */
export function selectItems(first: string, choices: { value: string; text: string }[], chosen: unknown): Items {
  return [{ value: '', text: first }, ...choices.map((c) => ({ ...c, selected: c.value === chosen }))];
}

export function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' && value ? [value] : [];
}

export const str = (value: unknown) => (typeof value === 'string' ? value : '');
