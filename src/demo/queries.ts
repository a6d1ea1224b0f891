import type { Db } from '../db/database.ts';

// The demo's record of itself in installation_fact: when it was loaded, and its accounts.

/** A fact about this installation (when the demo was loaded, its accounts), or undefined. */
export async function installationFact(db: Db, key: string): Promise<string | undefined> {
  const { rows } = await db.query<{ value: string }>('SELECT value FROM installation_fact WHERE key = $1', [key]);
  return rows[0]?.value;
}

export async function recordInstallationFact(db: Db, key: string, value: string): Promise<void> {
  await db.query('INSERT INTO installation_fact (key, value) VALUES ($1, $2)', [key, value]);
}
