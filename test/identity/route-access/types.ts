// Shared shapes and helpers for the authorisation matrix (see ../authorisation-matrix.test.ts).
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../src/db/database.ts';
import { ROLES, type Actor, type Role } from '../../../src/identity/actor.ts';

/** Who calls: a user holding one role in the home tenant, a user of another tenant, or nobody. */
export type Caller = Role | 'otherTenant' | 'anonymous';
export const CALLERS: readonly Caller[] = [...ROLES, 'otherTenant', 'anonymous'];

export interface TenantWorld {
  tenantId: string;
  name: string;
  practiceId: string;
  providerOrganisationId: string;
  /** Home tenant: one user per role. Other tenant: `admin` is one user holding every role. */
  users: Partial<Record<Role, Actor>>;
}

export interface MatrixWorld {
  app: FastifyInstance;
  database: Database;
  home: TenantWorld;
  /** The other tenant's caller holds every role there, so only tenancy can keep it out. */
  other: TenantWorld & { everyRole: Actor };
  /** Ids an area's setUp made, for paths: `world.ids.referral`. */
  ids: Record<string, string>;
  /**
   * Text that identifies each tenant's data. Bodies served to home callers must contain no
   * `other` marker, and bodies served to the other tenant's caller no `home` marker. setUp
   * functions add distinctive strings (names, references) of the records they create.
   */
  markers: { home: string[]; other: string[] };
}

export type Expected = number | readonly number[];

export interface RouteAccess {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** The route exactly as registered, e.g. `/admin/users/:userId`. */
  url: string;
  /** The concrete path to call; required when `url` has parameters. */
  path?: (world: MatrixWorld) => string;
  /** A form body (a valid `_csrf` is added); without one state-changing routes get an empty form. */
  form?: (world: MatrixWorld) => Record<string, string | string[]>;
  /** A JSON body instead of a form. */
  json?: (world: MatrixWorld) => unknown;
  /** The status each caller must get; every caller needs one (use the helpers below). */
  expect: Record<Caller, Expected>;
}

export interface AreaAccess {
  area: string;
  /** Creates the records the area's routes need, in `world.home` and `world.other`. */
  setUp?: (world: MatrixWorld) => Promise<void>;
  routes: RouteAccess[];
}

/** The same status for every caller (public pages). */
export function everyone(status: Expected): Record<Caller, Expected> {
  return Object.fromEntries(CALLERS.map((c) => [c, status])) as Record<Caller, Expected>;
}

/**
 * Only `allowed` roles get `ok`; other roles get `denied` (403); anonymous callers `anonymous`
 * (303 to the sign-in page; 401 on JSON APIs). The other tenant's caller holds every role, so it
 * gets `ok` on lists of its own tenant, and should get `otherTenant` (404) on a home record.
 */
export function onlyRoles(
  allowed: readonly Role[],
  options: { ok?: Expected; denied?: Expected; anonymous?: Expected; otherTenant?: Expected } = {},
): Record<Caller, Expected> {
  const ok = options.ok ?? 200;
  const result = {} as Record<Caller, Expected>;
  for (const role of ROLES) result[role] = allowed.includes(role) ? ok : (options.denied ?? 403);
  result.otherTenant = options.otherTenant ?? ok;
  result.anonymous = options.anonymous ?? 303;
  return result;
}

/** Any signed-in caller gets `ok`. */
export function signedIn(options: { ok?: Expected; anonymous?: Expected; otherTenant?: Expected } = {}): Record<Caller, Expected> {
  return onlyRoles(ROLES, options);
}
