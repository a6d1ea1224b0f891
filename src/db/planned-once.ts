import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Db } from './database.ts';

const GENERIC_PLANS = 'SET plan_cache_mode = force_generic_plan';
const PLANS_AS_BEFORE = 'RESET plan_cache_mode';

const names = new Map<string, string>();

/** One prepared statement name per statement text (node-postgres refuses one name for two texts). */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `planned_once_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Runs a statement that costs more to plan than to run with one plan kept per connection: a named
 * prepared statement under `plan_cache_mode = force_generic_plan`, so the server plans it once per
 * connection rather than on every call. PostgreSQL's own choice would keep planning it, because a
 * plan made without the parameters' values is estimated dearer than it turns out to be. Only for
 * statements whose one plan was measured to suit every value (docs/performance.md): others get
 * worse plans this way. The setting is put back before the connection does anything else, also
 * when the statement fails.
 */
export async function queryPlannedOnce<R extends pg.QueryResultRow>(db: Db, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
  const statement = { name: statementName(text), text, values };
  if (!(db instanceof pg.Pool)) {
    // Inside a transaction: if the statement fails the transaction is aborted, and its rollback
    // puts the setting back with everything else.
    const tx = db as pg.ClientBase;
    await tx.query(GENERIC_PLANS);
    const result = await tx.query<R>(statement);
    await tx.query(PLANS_AS_BEFORE);
    return result;
  }
  const client = await db.connect();
  let putBack = false;
  try {
    await client.query(GENERIC_PLANS);
    try {
      return await client.query<R>(statement);
    } finally {
      await client.query(PLANS_AS_BEFORE);
      putBack = true;
    }
  } finally {
    // A connection whose setting could not be put back is closed, never handed to other work.
    client.release(putBack ? undefined : true);
  }
}
