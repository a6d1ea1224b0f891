import { field as formField, fields } from '../web/forms.ts';
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

/** Practices as a select offers them: "Name (ODS code)". */
export const practiceChoices = (practices: { id: string; name: string; odsCode: string }[]) =>
  practices.map((p) => ({ value: p.id, text: `${p.name} (${p.odsCode})` }));

/** A local path to go back to after sign-in; anything else (other sites, `//host`) is dropped. */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return undefined;
  if ([...value].some((c) => c.charCodeAt(0) < 0x20 || c === '\\')) return undefined;
  if (value.startsWith('/sign-in') || value.startsWith('/sign-out')) return undefined;
  return value;
}

/** A field exactly as typed (passwords keep their spaces); strings or a 400, as every form. */
export function field(body: unknown, name: string): string {
  return formField(body, name, undefined, { trim: false });
}

export { fields };
