import { Type, type TSchema } from 'typebox';
import { MAX_FIELD_LENGTH } from './forms.ts';

// The shapes every route declares for its params, query and body. A schema guards shape only
// (an id is an id, a field is text of a sane length); the area's checks give the messages a
// person can act on. A params value that fails its schema is a 404 (see web/error-pages.ts):
// an address with a malformed id names no record.

/** A record id in an address. */
export const Id = Type.String({ format: 'uuid' });

/** Params of the form `{ referralId: Id, goalId: Id }`. */
export function IdParams<K extends string>(...names: K[]) {
  return Type.Object(Object.fromEntries(names.map((name) => [name, Id])) as Record<K, typeof Id>);
}

/** An optional text field of a form or query, at most `max` characters (the check gives the message). */
export function Text(max: number = MAX_FIELD_LENGTH) {
  return Type.Optional(Type.String({ maxLength: max }));
}

/** An optional field a form may send once or several times (checkboxes). */
export function TextOrList(max: number = MAX_FIELD_LENGTH) {
  return Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Array(Type.String({ maxLength: max }), { maxItems: 200 })]));
}

/**
 * A field of a form, in a route's body schema: text, or text sent more than once, up to the body
 * limit. The form's check (web/forms.ts) names what is wrong in words: too long for that field, or
 * sent twice where one answer is expected; a generic schema message would not.
 */
export const FormField = TextOrList(1024 * 1024);

/**
 * A form body: the named fields, plus the CSRF and one-time form tokens every form carries.
 * Unknown fields are allowed and ignored, as browsers send what a page's form holds.
 */
export function FormBody<P extends Record<string, TSchema>>(properties: P) {
  return Type.Object({ ...properties, _csrf: Text(200), formToken: Text(200) });
}

/** A query string of optional text fields. */
export function TextQuery<K extends string>(...names: K[]) {
  return Type.Object(Object.fromEntries(names.map((name) => [name, Text(500)])) as Record<K, ReturnType<typeof Text>>);
}
