import type pg from 'pg';
import type { Db } from './database.ts';
import { isUuid } from './ids.ts';

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

const HEX = /^[0-9a-f]*$/i;

/** A value bound for `SET LOCAL`; thrown before any SQL is sent when it is not of the expected shape. */
export class UnsafeSettingValue extends Error {}

/**
 * `SET LOCAL app.tenant_id = '<uuid>'`, or `''` for no tenant (then no tenant row matches).
 * SET LOCAL rather than set_config(): Citus passes SET LOCAL to its workers (with
 * citus.propagate_set_commands = 'local', which `signpost citus distribute` sets on the database),
 * so row-level security holds on every shard; set_config() never leaves the coordinator. SET takes
 * no bind parameter, so the value is checked to be a UUID before it is written into the statement.
 */
export function tenantSetting(tenantId: string | null): string {
  if (tenantId !== null && !isUuid(tenantId)) throw new UnsafeSettingValue('A tenant id must be a UUID');
  return `SET LOCAL app.tenant_id = '${tenantId ?? ''}'`;
}

/** Confines the rest of this transaction to one tenant (or to none). */
export async function setTenant(tx: Db, tenantId: string | null): Promise<void> {
  await tx.query(tenantSetting(tenantId));
}

/**
 * Sets a transaction-local setting holding a hex digest (a token hash), the same way as the tenant
 * so it reaches Citus workers; anything but hex digits is refused before it reaches SQL.
 */
export async function setDigestSetting(tx: Db, name: 'app.outcome_link_hash', digest: string): Promise<void> {
  if (!HEX.test(digest)) throw new UnsafeSettingValue(`${name} must be hex digits`);
  await tx.query(`SET LOCAL ${name} = '${digest}'`);
}

/**
 * Runs `work` as the application role with `app.tenant_id` set for this transaction only, so
 * row-level security confines every statement to one tenant. Both settings are transaction-local:
 * PGlite is a single session and anything session-wide would leak into the next request. Both go in
 * one round trip.
 */
export async function withTenant<T>(pool: pg.Pool, tenantId: string | null, work: (tx: Db) => Promise<T>): Promise<T> {
  const scope = `SET LOCAL ROLE ${APP_ROLE}; ${tenantSetting(tenantId)}`;
  return withTransaction(pool, async (tx) => {
    await tx.query(scope);
    return work(tx);
  });
}

/** Runs `work` inside a savepoint of the caller's transaction: on failure only its own writes are undone. */
export async function withSavepoint<T>(tx: Db, work: () => Promise<T>): Promise<T> {
  await tx.query('SAVEPOINT signpost_step');
  try {
    const result = await work();
    await tx.query('RELEASE SAVEPOINT signpost_step');
    return result;
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT signpost_step');
    throw error;
  }
}

/**
 * `VALUES ($k, $k+1, ...), (...)` for rows of `width` parameters numbered from `first`, so a statement
 * inserts several rows as a VALUES list. Prefer it to INSERT ... SELECT FROM unnest(...) for writes
 * made as the app's role: Citus sends the latter to the workers as a COPY, which row-level security
 * refuses, while a VALUES list of one tenant's rows is routed to its shard.
 */
export function valuesList(rows: number, width: number, first = 1): string {
  return Array.from(
    { length: rows },
    (_, r) => `(${Array.from({ length: width }, (_, c) => `$${first + r * width + c}`).join(', ')})`,
  ).join(', ');
}
