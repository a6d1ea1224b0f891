import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import type { Actor, Role } from '../../src/identity/actor.ts';

// Factories write straight to the database as its owner (outside row-level security), fill
// sensible defaults and take overrides; each test adds the rows it needs.

let counter = 0;
const next = () => `${process.pid}-${++counter}`;

export async function aTenant(database: Database, overrides: { name?: string; settings?: object } = {}) {
  const { rows } = await database.pool.query<{ id: string; name: string }>(
    'INSERT INTO tenant (name, settings) VALUES ($1, $2) RETURNING id, name',
    [overrides.name ?? `Test PCN ${next()}`, JSON.stringify(overrides.settings ?? {})],
  );
  return rows[0]!;
}

export async function aPractice(database: Database, tenantId: string, overrides: { name?: string; odsCode?: string } = {}) {
  const ods = overrides.odsCode ?? `Y${String(++counter).padStart(5, '0')}`;
  const { rows } = await database.pool.query<{ id: string; name: string; odsCode: string }>(
    `INSERT INTO practice (tenant_id, ods_code, name) VALUES ($1, $2, $3)
     RETURNING id, name, ods_code AS "odsCode"`,
    [tenantId, ods, overrides.name ?? `Test Surgery ${ods}`],
  );
  return rows[0]!;
}

export async function aProviderOrganisation(
  database: Database,
  tenantId: string,
  overrides: { name?: string; directoryOrganizationId?: string } = {},
) {
  const { rows } = await database.pool.query<{ id: string; name: string }>(
    `INSERT INTO provider_organisation (tenant_id, name, directory_organization_id) VALUES ($1, $2, $3) RETURNING id, name`,
    [tenantId, overrides.name ?? `Test Community Group ${next()}`, overrides.directoryOrganizationId ?? null],
  );
  return rows[0]!;
}

/**
 * A user with roles in one tenant, returned as the Actor a signed-in request would carry.
 * Referrers get a practice and providers a provider organisation unless given one.
 */
export async function anActor(
  database: Database,
  options: {
    tenantId?: string;
    roles?: Role[];
    email?: string;
    name?: string;
    practiceId?: string;
    providerOrganisationId?: string;
    passwordHash?: string;
  } = {},
): Promise<Actor> {
  const tenantId = options.tenantId ?? (await aTenant(database)).id;
  const roles = options.roles ?? ['link_worker'];
  const email = options.email ?? `user-${next()}@example.nhs.uk`;
  const name = options.name ?? `Test User ${counter}`;
  const { rows } = await database.pool.query<{ id: string }>(
    'INSERT INTO app_user (email, name, password_hash) VALUES ($1, $2, $3) RETURNING id',
    [email, name, options.passwordHash ?? null],
  );
  const userId = rows[0]!.id;
  const practiceId = options.practiceId ?? (roles.includes('referrer') ? (await aPractice(database, tenantId)).id : null);
  const providerOrganisationId =
    options.providerOrganisationId ?? (roles.includes('provider') ? (await aProviderOrganisation(database, tenantId)).id : null);
  for (const role of roles) {
    await database.pool.query(
      `INSERT INTO role_membership (tenant_id, user_id, role, practice_id, provider_organisation_id) VALUES ($1, $2, $3, $4, $5)`,
      [tenantId, userId, role, role === 'referrer' ? practiceId : null, role === 'provider' ? providerOrganisationId : null],
    );
  }
  return { userId, tenantId, email, name, roles, practiceId, providerOrganisationId, sessionId: randomUUID() };
}
