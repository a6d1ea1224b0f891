import type { Db } from '../db/database.ts';

/** Claims a form's token; false when it was claimed before. Old claims are cleared on the way. */
export async function claimFormSubmission(db: Db, tenantId: string, tokenHash: string): Promise<boolean> {
  await db.query(`DELETE FROM form_submission WHERE tenant_id = $1 AND submitted_at < now() - interval '7 days'`, [tenantId]);
  const { rows } = await db.query(
    `INSERT INTO form_submission (tenant_id, token_hash) VALUES ($1, $2)
     ON CONFLICT (tenant_id, token_hash) DO NOTHING
     RETURNING true AS claimed`,
    [tenantId, tokenHash],
  );
  return rows.length > 0;
}

/** Where the first post of a form led, once it has finished; undefined while it is still running. */
export async function formSubmissionResult(db: Db, tenantId: string, tokenHash: string): Promise<string | undefined> {
  const { rows } = await db.query<{ resultUrl: string | null }>(
    `SELECT result_url AS "resultUrl" FROM form_submission WHERE tenant_id = $1 AND token_hash = $2`,
    [tenantId, tokenHash],
  );
  return rows[0]?.resultUrl ?? undefined;
}

export async function recordFormSubmissionResult(db: Db, tenantId: string, tokenHash: string, resultUrl: string): Promise<void> {
  await db.query(`UPDATE form_submission SET result_url = $3 WHERE tenant_id = $1 AND token_hash = $2`, [tenantId, tokenHash, resultUrl]);
}

/** A post that was refused saved nothing, so its form may be sent again (corrected). */
export async function releaseFormSubmission(db: Db, tenantId: string, tokenHash: string): Promise<void> {
  await db.query(`DELETE FROM form_submission WHERE tenant_id = $1 AND token_hash = $2 AND result_url IS NULL`, [tenantId, tokenHash]);
}

/** The cheapest round trip: is the database answering? */
export async function ping(db: Db): Promise<void> {
  await db.query('SELECT 1');
}
