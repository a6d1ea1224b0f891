import type { Database } from '../../src/db/database.ts';

/**
 * Makes inserts into `table` that match `condition` (SQL over NEW) fail, as a lost connection or a
 * full disk would at that moment, until the returned function removes it. For checking that an
 * action's writes commit together or not at all.
 */
export async function failingInsert(database: Database, table: string, condition: string): Promise<() => Promise<void>> {
  await database.pool.query(`CREATE OR REPLACE FUNCTION test_injected_failure() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF ${condition} THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
  await database.pool.query(
    `CREATE TRIGGER test_injected_failure BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_injected_failure()`,
  );
  return async () => {
    await database.pool.query(`DROP TRIGGER test_injected_failure ON ${table}`);
  };
}
