import type { Db } from '../../db/database.ts';

export interface ApiClientRow {
  id: string;
  tenantId: string;
  name: string;
  scopes: string[];
  jwks: { keys: Record<string, unknown>[] };
  practiceId: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

const CLIENT_COLUMNS = `c.id, c.tenant_id AS "tenantId", c.name, c.scopes, c.jwks, c.practice_id AS "practiceId",
  c.created_at AS "createdAt", c.revoked_at AS "revokedAt"`;

export async function clientTenant(db: Db, clientId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ tenantId: string | null }>('SELECT api_client_tenant($1::uuid) AS "tenantId"', [clientId]);
  return rows[0]?.tenantId ?? undefined;
}

export async function tokenTenant(db: Db, tokenHash: string): Promise<string | undefined> {
  const { rows } = await db.query<{ tenantId: string | null }>('SELECT api_token_tenant($1) AS "tenantId"', [tokenHash]);
  return rows[0]?.tenantId ?? undefined;
}

export async function insertClient(
  db: Db,
  tenantId: string,
  c: { name: string; scopes: string[]; jwks: unknown; practiceId: string | null; createdBy: string },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO api_client (tenant_id, name, scopes, jwks, practice_id, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [tenantId, c.name, c.scopes, JSON.stringify(c.jwks), c.practiceId, c.createdBy],
  );
  return rows[0]!.id;
}

export async function findClient(db: Db, tenantId: string, clientId: string): Promise<ApiClientRow | undefined> {
  const { rows } = await db.query<ApiClientRow>(`SELECT ${CLIENT_COLUMNS} FROM api_client c WHERE c.tenant_id = $1 AND c.id = $2`, [
    tenantId,
    clientId,
  ]);
  return rows[0];
}

export async function listClients(db: Db, tenantId: string): Promise<ApiClientRow[]> {
  const { rows } = await db.query<ApiClientRow>(
    `SELECT ${CLIENT_COLUMNS} FROM api_client c
      WHERE c.tenant_id = $1 ORDER BY c.revoked_at IS NOT NULL, c.created_at DESC`,
    [tenantId],
  );
  return rows;
}

/** Revokes the client and ends its tokens in the same statement's transaction. */
export async function revokeClient(db: Db, tenantId: string, clientId: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE api_client SET revoked_at = now(), revoked_by = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL`,
    [tenantId, clientId, userId],
  );
  await db.query('DELETE FROM api_token WHERE tenant_id = $1 AND client_id = $2', [tenantId, clientId]);
  return (rowCount ?? 0) > 0;
}

/** Records an assertion id; false when it was already used. Spent entries are cleared on the way. */
export async function useAssertion(db: Db, tenantId: string, clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
  await db.query('DELETE FROM api_assertion WHERE tenant_id = $1 AND client_id = $2 AND expires_at < $3', [tenantId, clientId, now]);
  const { rowCount } = await db.query(
    `INSERT INTO api_assertion (tenant_id, client_id, jti, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [tenantId, clientId, jti, expiresAt],
  );
  return (rowCount ?? 0) > 0;
}

export async function insertToken(
  db: Db,
  tenantId: string,
  t: { tokenHash: string; clientId: string; scopes: string[]; issuedAt: Date; expiresAt: Date },
): Promise<void> {
  await db.query('DELETE FROM api_token WHERE tenant_id = $1 AND client_id = $2 AND expires_at < $3', [tenantId, t.clientId, t.issuedAt]);
  await db.query(
    `INSERT INTO api_token (tenant_id, token_hash, client_id, scopes, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [tenantId, t.tokenHash, t.clientId, t.scopes, t.issuedAt, t.expiresAt],
  );
}

export interface LiveToken {
  clientId: string;
  tenantId: string;
  name: string;
  scopes: string[];
  practiceId: string | null;
}

/** A token that has not expired, of a client that is not revoked. */
export async function findLiveToken(db: Db, tenantId: string, tokenHash: string, now: Date): Promise<LiveToken | undefined> {
  const { rows } = await db.query<LiveToken>(
    `SELECT t.client_id AS "clientId", t.tenant_id AS "tenantId", c.name, t.scopes, c.practice_id AS "practiceId"
       FROM api_token t JOIN api_client c ON c.tenant_id = t.tenant_id AND c.id = t.client_id
      WHERE t.tenant_id = $1 AND t.token_hash = $2 AND t.expires_at > $3 AND c.revoked_at IS NULL`,
    [tenantId, tokenHash, now],
  );
  return rows[0];
}
