import type { Db } from '../db/database.ts';

// Staff referral drafts (the question pages' answers until "check your answers") and the tenant a
// public self-referral lands in.

export async function insertDraft(db: Db, tenantId: string, userId: string, answers: object): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO referral_draft (tenant_id, user_id, answers) VALUES ($1, $2, $3) RETURNING id',
    [tenantId, userId, JSON.stringify(answers)],
  );
  return rows[0]!.id;
}

export async function findDraft(db: Db, tenantId: string, userId: string, id: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await db.query<{ answers: Record<string, unknown> }>(
    `SELECT answers FROM referral_draft WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND created_at > now() - interval '7 days'`,
    [tenantId, userId, id],
  );
  return rows[0]?.answers;
}

export async function updateDraft(db: Db, tenantId: string, userId: string, id: string, answers: object): Promise<void> {
  await db.query('UPDATE referral_draft SET answers = $4 WHERE tenant_id = $1 AND user_id = $2 AND id = $3', [
    tenantId,
    userId,
    id,
    JSON.stringify(answers),
  ]);
}

export async function deleteDraft(db: Db, tenantId: string, id: string): Promise<void> {
  await db.query('DELETE FROM referral_draft WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
}

/** The tenant public self-referrals land in when none is configured: the first created. */
export async function firstTenantId(db: Db): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM tenant ORDER BY created_at, id LIMIT 1');
  return rows[0]?.id;
}
