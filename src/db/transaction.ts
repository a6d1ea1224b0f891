import type pg from 'pg';
import type { Db } from './database.ts';

/** The non-superuser role every tenant query runs as, so row-level security applies. */
export const APP_ROLE = 'signpost_app';

/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (tx: Db) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Runs `work` as the application role with `app.tenant_id` set for this transaction only, so
 * row-level security confines every statement to one tenant. Both settings are transaction-local:
 * PGlite is a single session and anything session-wide would leak into the next request.
 */
export async function withTenant<T>(pool: pg.Pool, tenantId: string | null, work: (tx: Db) => Promise<T>): Promise<T> {
  return withTransaction(pool, async (tx) => {
    await tx.query(`SET LOCAL ROLE ${APP_ROLE}`);
    await tx.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId ?? '']);
    return work(tx);
  });
}
