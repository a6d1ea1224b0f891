import type { Database } from '../../src/db/database.ts';
import type { Actor, Role } from '../../src/identity/actor.ts';
import { hashPassword } from '../../src/identity/passwords.ts';
import { anActor } from './factories.ts';

export const TEST_PASSWORD = 'correct-horse-battery-staple';

let cachedHash: Promise<string> | undefined;

/** A user with a real argon2id password hash (TEST_PASSWORD unless given), as an Actor. */
export async function aUserWithPassword(
  database: Database,
  options: {
    tenantId?: string;
    roles?: Role[];
    email?: string;
    name?: string;
    password?: string;
    practiceId?: string;
    providerOrganisationId?: string;
  } = {},
): Promise<Actor & { password: string }> {
  const password = options.password ?? TEST_PASSWORD;
  const passwordHash = options.password ? await hashPassword(password) : await (cachedHash ??= hashPassword(TEST_PASSWORD));
  const actor = await anActor(database, { ...options, passwordHash });
  return { ...actor, password };
}

/** Gives an existing user roles in another tenant. */
export async function aMembership(
  database: Database,
  userId: string,
  tenantId: string,
  role: Role,
  extra: { practiceId?: string; providerOrganisationId?: string } = {},
) {
  await database.pool.query(
    `INSERT INTO role_membership (tenant_id, user_id, role, practice_id, provider_organisation_id) VALUES ($1, $2, $3, $4, $5)`,
    [tenantId, userId, role, extra.practiceId ?? null, extra.providerOrganisationId ?? null],
  );
}

/** The audit events of one tenant (or the installation chain), oldest first, read as the owner. */
export async function auditEvents(database: Database, tenantId: string | null) {
  const { rows } = await database.pool.query<{
    action: string;
    userId: string | null;
    entityId: string | null;
    reason: string | null;
    requestId: string | null;
    roles: string[];
  }>(
    `SELECT action, user_id AS "userId", entity_id AS "entityId", reason, request_id AS "requestId", roles FROM audit_event
      WHERE tenant_id IS NOT DISTINCT FROM $1 ORDER BY seq`,
    [tenantId],
  );
  return rows;
}
