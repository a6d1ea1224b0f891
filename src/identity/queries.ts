import type { Db } from '../db/database.ts';
import type { Role } from './actor.ts';

// Sign-in queries run before a tenant is known, as the database owner; admin queries run inside
// withTenant, where row-level security confines role_membership to the admin's tenant.

export interface SessionActorRow {
  sessionId: string;
  userId: string;
  tenantId: string | null;
  email: string;
  name: string;
  roles: Role[] | null;
  practiceId: string | null;
  providerOrganisationId: string | null;
  lastSeenAt: Date;
}

export async function findLiveSession(db: Db, sessionHash: string, idleSeconds: number): Promise<SessionActorRow | undefined> {
  const { rows } = await db.query<SessionActorRow>(
    `SELECT s.id AS "sessionId", s.user_id AS "userId", s.tenant_id AS "tenantId", u.email, u.name, s.last_seen_at AS "lastSeenAt",
            array_agg(m.role ORDER BY m.role) FILTER (WHERE m.role IS NOT NULL) AS roles,
            (array_agg(m.practice_id) FILTER (WHERE m.practice_id IS NOT NULL))[1] AS "practiceId",
            (array_agg(m.provider_organisation_id) FILTER (WHERE m.provider_organisation_id IS NOT NULL))[1] AS "providerOrganisationId"
       FROM user_session s
       JOIN app_user u ON u.id = s.user_id AND u.active
       LEFT JOIN role_membership m ON m.user_id = s.user_id AND m.tenant_id = s.tenant_id
      WHERE s.id = $1 AND s.ended_at IS NULL AND s.expires_at > now()
        AND s.last_seen_at > now() - make_interval(secs => $2)
      -- Every column named: on Citus the session table is joined as a subquery, which loses the
      -- primary key that lets PostgreSQL infer the rest.
      GROUP BY s.id, s.user_id, s.tenant_id, s.last_seen_at, u.id, u.email, u.name`,
    [sessionHash, idleSeconds],
  );
  return rows[0];
}

export async function touchSession(db: Db, sessionHash: string): Promise<void> {
  await db.query('UPDATE user_session SET last_seen_at = now() WHERE id = $1', [sessionHash]);
}

export async function insertSession(
  db: Db,
  session: { id: string; userId: string; tenantId: string | null; absoluteSeconds: number },
): Promise<void> {
  await db.query(`INSERT INTO user_session (id, user_id, tenant_id, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`, [
    session.id,
    session.userId,
    session.tenantId,
    session.absoluteSeconds,
  ]);
}

export async function setSessionTenant(db: Db, sessionHash: string, tenantId: string): Promise<void> {
  await db.query('UPDATE user_session SET tenant_id = $2, last_seen_at = now() WHERE id = $1 AND ended_at IS NULL', [
    sessionHash,
    tenantId,
  ]);
}

export async function endSession(db: Db, sessionHash: string, reason: string): Promise<void> {
  await db.query('UPDATE user_session SET ended_at = now(), ended_reason = $2 WHERE id = $1 AND ended_at IS NULL', [sessionHash, reason]);
}

/** Ends a user's sessions (in one tenant, or everywhere); returns how many ended. */
export async function endUserSessions(db: Db, userId: string, reason: string, tenantId?: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE user_session SET ended_at = now(), ended_reason = $2
      WHERE user_id = $1 AND ended_at IS NULL AND ($3::uuid IS NULL OR tenant_id = $3 OR tenant_id IS NULL)`,
    [userId, reason, tenantId ?? null],
  );
  return rowCount ?? 0;
}

export interface UserRow {
  id: string;
  email: string;
  name: string;
  passwordHash: string | null;
  active: boolean;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    `SELECT id, email, name, password_hash AS "passwordHash", active FROM app_user WHERE lower(email) = lower($1)`,
    [email],
  );
  return rows[0];
}

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT id, email, name, password_hash AS "passwordHash", active FROM app_user WHERE id = $1`, [
    id,
  ]);
  return rows[0];
}

export interface TenantChoice {
  id: string;
  name: string;
  roles: Role[];
}

/** Every tenant a user holds a role in (as the owner: across tenants, for sign-in). */
export async function tenantsOfUser(db: Db, userId: string): Promise<TenantChoice[]> {
  const { rows } = await db.query<TenantChoice>(
    `SELECT t.id, t.name, array_agg(m.role ORDER BY m.role) AS roles
       FROM role_membership m JOIN tenant t ON t.id = m.tenant_id
      WHERE m.user_id = $1 GROUP BY t.id, t.name ORDER BY t.name`,
    [userId],
  );
  return rows;
}

export interface Throttle {
  failures: number;
  lockedUntil: Date | null;
}

export async function findThrottle(db: Db, emailKey: string): Promise<Throttle | undefined> {
  const { rows } = await db.query<Throttle & { locked: boolean }>(
    `SELECT failures, locked_until AS "lockedUntil" FROM sign_in_throttle WHERE email_key = $1 AND locked_until > now()`,
    [emailKey],
  );
  return rows[0];
}

/** Counts a failure; after `limit` within the window the address is locked for `lockSeconds`. */
export async function recordFailure(db: Db, emailKey: string, limit: number, lockSeconds: number): Promise<{ locked: boolean }> {
  const { rows } = await db.query<{ locked: boolean }>(
    `INSERT INTO sign_in_throttle (email_key, failures, last_failure_at) VALUES ($1, 1, now())
     ON CONFLICT (email_key) DO UPDATE SET
       failures = CASE WHEN sign_in_throttle.last_failure_at < now() - make_interval(secs => $3)
                         OR sign_in_throttle.locked_until IS NOT NULL THEN 1
                       ELSE sign_in_throttle.failures + 1 END,
       locked_until = NULL,
       last_failure_at = now()
     RETURNING failures >= $2 AS locked`,
    [emailKey, limit, lockSeconds],
  );
  const locked = rows[0]?.locked ?? false;
  if (locked) {
    await db.query(`UPDATE sign_in_throttle SET locked_until = now() + make_interval(secs => $2) WHERE email_key = $1`, [
      emailKey,
      lockSeconds,
    ]);
  }
  return { locked };
}

export async function clearThrottle(db: Db, emailKey: string): Promise<void> {
  await db.query('DELETE FROM sign_in_throttle WHERE email_key = $1', [emailKey]);
}

/** Counts one request in a fixed window: a new window starts once the last one has run its length. */
export async function countRequest(db: Db, key: string, windowSeconds: number, now = new Date()): Promise<{ hits: number; ttlMs: number }> {
  // The times are parameters and the time left is worked out here: Citus refuses non-immutable
  // functions (now(), timestamp arithmetic) in an upsert's SET and RETURNING.
  const { rows } = await db.query<{ hits: number; windowStart: Date }>(
    `INSERT INTO rate_limit_counter AS c (key, window_start, hits) VALUES ($1, $2, 1)
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN c.window_start <= $3 THEN 1 ELSE c.hits + 1 END,
       window_start = CASE WHEN c.window_start <= $3 THEN $2 ELSE c.window_start END
     RETURNING hits, window_start AS "windowStart"`,
    [key, now, new Date(now.getTime() - windowSeconds * 1000)],
  );
  const { hits, windowStart } = rows[0]!;
  return { hits, ttlMs: Math.max(0, Math.ceil(windowStart.getTime() + windowSeconds * 1000 - now.getTime())) };
}

export async function readRequestCount(db: Db, key: string, windowSeconds: number): Promise<{ hits: number; ttlMs: number }> {
  const { rows } = await db.query<{ hits: number; ttlMs: number }>(
    `SELECT hits, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()) * 1000)::int AS "ttlMs"
       FROM rate_limit_counter WHERE key = $1 AND window_start > now() - make_interval(secs => $2)`,
    [key, windowSeconds],
  );
  return rows[0] ?? { hits: 0, ttlMs: 0 };
}

export async function insertUser(db: Db, user: { email: string; name: string; passwordHash: string | null }): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO app_user (email, name, password_hash, password_changed_at) VALUES ($1, $2, $3, CASE WHEN $3::text IS NULL THEN NULL ELSE now() END)
     RETURNING id`,
    [user.email, user.name, user.passwordHash],
  );
  return rows[0]!.id;
}

export async function setPassword(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.query('UPDATE app_user SET password_hash = $2, password_changed_at = now(), active = true WHERE id = $1', [
    userId,
    passwordHash,
  ]);
}

export async function setUserActive(db: Db, userId: string, active: boolean): Promise<void> {
  await db.query('UPDATE app_user SET active = $2 WHERE id = $1', [userId, active]);
}

export async function insertMembership(
  db: Db,
  m: { tenantId: string; userId: string; role: Role; practiceId: string | null; providerOrganisationId: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO role_membership (tenant_id, user_id, role, practice_id, provider_organisation_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, user_id, role) DO UPDATE SET practice_id = EXCLUDED.practice_id, provider_organisation_id = EXCLUDED.provider_organisation_id`,
    [m.tenantId, m.userId, m.role, m.practiceId, m.providerOrganisationId],
  );
}

export async function deleteMemberships(db: Db, tenantId: string, userId: string, keep: Role[] = []): Promise<void> {
  await db.query('DELETE FROM role_membership WHERE tenant_id = $1 AND user_id = $2 AND NOT (role = ANY($3::text[]))', [
    tenantId,
    userId,
    keep,
  ]);
}

/** Whether an active user holds the role in the tenant. */
export async function activeUserHoldsRole(db: Db, tenantId: string, userId: string, role: Role): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM role_membership m JOIN app_user u ON u.id = m.user_id AND u.active
      WHERE m.tenant_id = $1 AND m.user_id = $2 AND m.role = $3`,
    [tenantId, userId, role],
  );
  return rows.length > 0;
}

export async function countMembershipsAnywhere(db: Db, userId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM role_membership WHERE user_id = $1', [userId]);
  return rows[0]!.n;
}

export interface MemberRow {
  id: string;
  email: string;
  name: string;
  active: boolean;
  roles: Role[];
  practiceId: string | null;
  providerOrganisationId: string | null;
  hasPassword: boolean;
}

/** Users with a role in the current tenant (row-level security decides which tenant). */
export function listMembers(db: Db): Promise<MemberRow[]> {
  return members(db, null);
}

export async function findMember(db: Db, userId: string): Promise<MemberRow | undefined> {
  return (await members(db, userId))[0];
}

async function members(db: Db, userId: string | null): Promise<MemberRow[]> {
  const { rows } = await db.query<MemberRow>(
    `SELECT u.id, u.email, u.name, u.active, u.password_hash IS NOT NULL AS "hasPassword",
            array_agg(m.role ORDER BY m.role) AS roles,
            (array_agg(m.practice_id) FILTER (WHERE m.practice_id IS NOT NULL))[1] AS "practiceId",
            (array_agg(m.provider_organisation_id) FILTER (WHERE m.provider_organisation_id IS NOT NULL))[1] AS "providerOrganisationId"
       FROM role_membership m JOIN app_user u ON u.id = m.user_id
      WHERE ($1::uuid IS NULL OR u.id = $1)
      GROUP BY u.id ORDER BY u.name, u.email`,
    [userId],
  );
  return rows;
}

export interface PracticeRow {
  id: string;
  name: string;
  odsCode: string;
  meshMailboxId: string | null;
}

export async function listPractices(db: Db): Promise<PracticeRow[]> {
  const { rows } = await db.query<PracticeRow>(
    'SELECT id, name, ods_code AS "odsCode", mesh_mailbox_id AS "meshMailboxId" FROM practice ORDER BY name',
  );
  return rows;
}

export async function findPractices(db: Db, tenantId: string, practiceIds: string[]): Promise<PracticeRow[]> {
  const { rows } = await db.query<PracticeRow>(
    'SELECT id, name, ods_code AS "odsCode", mesh_mailbox_id AS "meshMailboxId" FROM practice WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
    [tenantId, practiceIds],
  );
  return rows;
}

export async function setPracticeMailbox(db: Db, tenantId: string, practiceId: string, mailbox: string | null): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE practice SET mesh_mailbox_id = $3 WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    practiceId,
    mailbox,
  ]);
  return (rowCount ?? 0) > 0;
}

export async function listProviderOrganisations(db: Db): Promise<{ id: string; name: string }[]> {
  const { rows } = await db.query<{ id: string; name: string }>('SELECT id, name FROM provider_organisation ORDER BY name');
  return rows;
}

export async function insertToken(
  db: Db,
  token: { id: string; userId: string; tenantId: string; purpose: 'invitation' | 'password_reset'; ttlSeconds: number },
): Promise<void> {
  await db.query(
    `INSERT INTO user_token (id, user_id, tenant_id, purpose, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
    [token.id, token.userId, token.tenantId, token.purpose, token.ttlSeconds],
  );
}

export interface TokenRow {
  id: string;
  userId: string;
  tenantId: string;
  purpose: 'invitation' | 'password_reset';
  email: string;
  name: string;
}

export async function findUsableToken(db: Db, tokenHash: string): Promise<TokenRow | undefined> {
  const { rows } = await db.query<TokenRow>(
    `SELECT t.id, t.user_id AS "userId", t.tenant_id AS "tenantId", t.purpose, u.email, u.name
       FROM user_token t JOIN app_user u ON u.id = t.user_id
      WHERE t.id = $1 AND t.used_at IS NULL AND t.expires_at > now()`,
    [tokenHash],
  );
  return rows[0];
}

/** Marks a token used; false when it was already used (two tabs racing). */
export async function useToken(db: Db, tokenHash: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE user_token SET used_at = now() WHERE id = $1 AND used_at IS NULL AND expires_at > now()', [
    tokenHash,
  ]);
  return (rowCount ?? 0) === 1;
}

export async function expireOtherTokens(db: Db, userId: string, purpose: string): Promise<void> {
  await db.query('UPDATE user_token SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL', [userId, purpose]);
}

/** What an audit event records: written by insertAuditEvent, read back by searchAudit. */
interface AuditEventFields {
  userId: string | null;
  roles: string[];
  action: string;
  entityType: string;
  entityId: string | null;
  personId: string | null;
  reason: string | null;
  requestId: string | null;
}

export interface AuditRow extends AuditEventFields {
  seq: number;
  occurredAt: Date;
  userName: string | null;
  /** The name of the user the event is about, when it is about a user. */
  subjectName: string | null;
}

/** Audit events of the current tenant, newest first, filtered. */
export async function searchAudit(
  db: Db,
  filter: { userId?: string; personId?: string; from?: string; to?: string; limit: number },
): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT e.seq, e.occurred_at AS "occurredAt", e.user_id AS "userId", u.name AS "userName", e.roles, e.action,
            e.entity_type AS "entityType", e.entity_id AS "entityId", e.person_id AS "personId", e.reason, e.request_id AS "requestId",
            s.name AS "subjectName"
       FROM audit_event e LEFT JOIN app_user u ON u.id = e.user_id
       LEFT JOIN app_user s ON e.entity_type = 'user' AND s.id::text = e.entity_id
      WHERE ($1::uuid IS NULL OR e.user_id = $1)
        AND ($2::text IS NULL OR e.person_id = $2)
        AND ($3::date IS NULL OR e.occurred_at >= $3::date)
        AND ($4::date IS NULL OR e.occurred_at < $4::date + 1)
      ORDER BY e.seq DESC LIMIT $5`,
    [filter.userId ?? null, filter.personId ?? null, filter.from ?? null, filter.to ?? null, filter.limit],
  );
  return rows;
}

export async function insertPractice(
  db: Db,
  tenantId: string,
  odsCode: string,
  name: string,
  meshMailboxId: string | null = null,
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO practice (tenant_id, ods_code, name, mesh_mailbox_id) VALUES ($1, $2, $3, $4) RETURNING id',
    [tenantId, odsCode, name, meshMailboxId],
  );
  return rows[0]!.id;
}

// ---------------------------------------------------------------------------------------------
// Audit log

export async function insertAuditEvent(db: Db, e: AuditEventFields & { tenantId: string | null }): Promise<void> {
  await db.query(
    `INSERT INTO audit_event (tenant_id, user_id, roles, action, entity_type, entity_id, person_id, reason, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [e.tenantId, e.userId, e.roles, e.action, e.entityType, e.entityId, e.personId, e.reason, e.requestId],
  );
}

/** Every event in chain order, with the hash its content gives now. Events before migration 0011 sit on their tenant-wide chain in sequence order. */
export async function auditEventsInChainOrder(db: Db) {
  const { rows } = await db.query<{ seq: number; id: string; chain: string; prevHash: string; hash: string; computed: string }>(
    `SELECT e.seq, e.id, coalesce(e.chain, e.tenant_id::text, 'installation') AS chain, e.prev_hash AS "prevHash", e.hash,
            encode(sha256(convert_to(audit_event_content(e), 'UTF8')), 'hex') AS computed
       FROM audit_event e
      ORDER BY coalesce(e.chain, e.tenant_id::text, 'installation'), coalesce(e.chain_pos, e.seq)`,
  );
  return rows;
}

export async function auditChainHeads(db: Db) {
  const { rows } = await db.query<{ chain: string; lastHash: string; lastSeq: number }>(
    'SELECT chain, last_hash AS "lastHash", last_seq AS "lastSeq" FROM audit_chain_head ORDER BY chain',
  );
  return rows;
}

export async function auditEventsAboutPeople(db: Db, tenantId: string, personIds: string[]) {
  const { rows } = await db.query<{ action: string; personId: string; occurredAt: Date; reason: string | null }>(
    `SELECT action, person_id AS "personId", occurred_at AS "occurredAt", reason FROM audit_event
      WHERE tenant_id = $1 AND person_id = ANY($2::text[]) ORDER BY seq`,
    [tenantId, personIds],
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Single sign-on and pruning

export async function oidcSubjectOf(db: Db, userId: string): Promise<string | null> {
  const { rows } = await db.query<{ oidcSubject: string | null }>('SELECT oidc_subject AS "oidcSubject" FROM app_user WHERE id = $1', [
    userId,
  ]);
  return rows[0]?.oidcSubject ?? null;
}

export async function linkOidcSubject(db: Db, userId: string, subject: string): Promise<void> {
  await db.query('UPDATE app_user SET oidc_subject = $2 WHERE id = $1 AND oidc_subject IS NULL', [userId, subject]);
}

export async function pruneSessions(db: Db, before: Date): Promise<number> {
  return (await db.query('DELETE FROM user_session WHERE coalesce(ended_at, expires_at) < $1', [before])).rowCount ?? 0;
}

export async function pruneTokens(db: Db, before: Date): Promise<number> {
  return (await db.query('DELETE FROM user_token WHERE coalesce(used_at, expires_at) < $1', [before])).rowCount ?? 0;
}

export async function pruneSignInThrottles(db: Db, now: Date): Promise<number> {
  return (
    (
      await db.query(`DELETE FROM sign_in_throttle WHERE coalesce(locked_until, last_failure_at) < $1::timestamptz - interval '1 day'`, [
        now,
      ])
    ).rowCount ?? 0
  );
}

/** The longest rate-limit window is an hour; a day-old count limits nothing. */
export async function pruneRateLimitCounts(db: Db, now: Date): Promise<number> {
  return (await db.query(`DELETE FROM rate_limit_counter WHERE window_start < $1::timestamptz - interval '1 day'`, [now])).rowCount ?? 0;
}

// Command line and demo: run as the database owner, before any tenant is chosen.

export async function findTenantByNameOrId(db: Db, nameOrId: string): Promise<{ id: string; name: string } | undefined> {
  const { rows } = await db.query<{ id: string; name: string }>(
    `SELECT id, name FROM tenant WHERE id::text = $1 OR lower(name) = lower($1) ORDER BY created_at LIMIT 1`,
    [nameOrId],
  );
  return rows[0];
}

export async function tenantName(db: Db, tenantId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM tenant WHERE id = $1', [tenantId]);
  return rows[0]?.name;
}

export async function insertTenant(db: Db, name: string, postalAddress: string | null = null): Promise<string> {
  const { rows } = await db.query<{ id: string }>('INSERT INTO tenant (name, postal_address) VALUES ($1, $2) RETURNING id', [
    name,
    postalAddress,
  ]);
  return rows[0]!.id;
}

export async function insertProviderOrganisation(db: Db, tenantId: string, name: string, email: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO provider_organisation (tenant_id, name, email) VALUES ($1, $2, $3) RETURNING id',
    [tenantId, name, email],
  );
  return rows[0]!.id;
}

export async function findPracticeIdByOdsCode(db: Db, tenantId: string, odsCode: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM practice WHERE tenant_id = $1 AND ods_code = $2', [
    tenantId,
    odsCode.toUpperCase(),
  ]);
  return rows[0]?.id;
}

/** A provider organisation by id or by name (any case). */
export async function findProviderOrganisationId(db: Db, tenantId: string, idOrName: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM provider_organisation WHERE tenant_id = $1 AND (id::text = $2 OR lower(name) = lower($2))',
    [tenantId, idOrName],
  );
  return rows[0]?.id;
}

/** The tenant's name and postal address: the letterhead of what it sends (read inside withTenant). */
export async function tenantLetterhead(db: Db, tenantId: string): Promise<{ name: string; address: string | null } | undefined> {
  const { rows } = await db.query<{ name: string; address: string | null }>(
    'SELECT name, postal_address AS address FROM tenant WHERE id = $1',
    [tenantId],
  );
  return rows[0];
}

export async function setTenantAddress(db: Db, tenantId: string, address: string | null): Promise<void> {
  await db.query('UPDATE tenant SET postal_address = $2 WHERE id = $1', [tenantId, address]);
}

// Provider organisations: the community organisations whose staff use the provider inbox, and the
// directory organisation each speaks for. Other areas ask for them through provider-organisations.ts.

export interface ProviderWithDirectoryEntry {
  id: string;
  name: string;
  email: string;
  directoryOrganizationId: string;
}

/** The tenant's provider organisations that are linked to a directory organisation and have an email. */
export async function providersWithDirectoryEntries(db: Db, tenantId: string): Promise<ProviderWithDirectoryEntry[]> {
  const { rows } = await db.query<ProviderWithDirectoryEntry>(
    `SELECT id, name, email, directory_organization_id AS "directoryOrganizationId" FROM provider_organisation
      WHERE tenant_id = $1 AND directory_organization_id IS NOT NULL AND email IS NOT NULL`,
    [tenantId],
  );
  return rows;
}

export async function providerOrganisationForDirectory(
  db: Db,
  tenantId: string,
  directoryOrganizationId: string,
): Promise<{ id: string; name: string; email: string | null } | undefined> {
  const { rows } = await db.query<{ id: string; name: string; email: string | null }>(
    `SELECT id, name, email FROM provider_organisation WHERE tenant_id = $1 AND directory_organization_id = $2 ORDER BY created_at LIMIT 1`,
    [tenantId, directoryOrganizationId],
  );
  return rows[0];
}

/** The tenant's provider organisations (their Signpost inboxes) for these directory organisations. */
export async function providerOrganisationsForDirectory(
  db: Db,
  tenantId: string,
  directoryOrganizationIds: string[],
): Promise<Array<{ id: string; directoryOrganizationId: string }>> {
  if (directoryOrganizationIds.length === 0) return [];
  const { rows } = await db.query<{ id: string; directoryOrganizationId: string }>(
    `SELECT DISTINCT ON (directory_organization_id) id, directory_organization_id AS "directoryOrganizationId"
       FROM provider_organisation WHERE tenant_id = $1 AND directory_organization_id = ANY($2::text[])
      ORDER BY directory_organization_id, created_at`,
    [tenantId, directoryOrganizationIds],
  );
  return rows;
}

export async function providerOrganisationEmail(db: Db, tenantId: string, id: string): Promise<string | null> {
  const { rows } = await db.query<{ email: string | null }>('SELECT email FROM provider_organisation WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    id,
  ]);
  return rows[0]?.email ?? null;
}

/**
 * The directory organisation a provider organisation speaks for. Runs inside the actor's tenant
 * transaction, so row-level security confines it to their own tenant.
 */
export async function providerDirectoryOrganization(db: Db, providerOrganisationId: string): Promise<string | null> {
  const { rows } = await db.query<{ id: string | null }>(
    'SELECT directory_organization_id AS id FROM provider_organisation WHERE id = $1',
    [providerOrganisationId],
  );
  return rows[0]?.id ?? null;
}

/** Demo only: the provider organisations the identity seeder made, to list them in the directory. */
export async function providerOrganisationNames(db: Db, ids: string[]): Promise<Array<{ id: string; name: string }>> {
  const { rows } = await db.query<{ id: string; name: string }>(
    'SELECT id, name FROM provider_organisation WHERE id = ANY ($1::uuid[]) ORDER BY name',
    [ids],
  );
  return rows;
}

export async function linkProviderOrganisation(db: Db, providerOrganisationId: string, directoryOrganizationId: string) {
  await db.query('UPDATE provider_organisation SET directory_organization_id = $2 WHERE id = $1', [
    providerOrganisationId,
    directoryOrganizationId,
  ]);
}
