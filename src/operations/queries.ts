import type { Db } from '../db/database.ts';

/** The application's tables (schema public), for whole-database checks after a soak or a restore. */
export async function listTables(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  return rows.map((row) => row.name);
}

export interface TableFigures {
  table: string;
  rows: number;
  /** md5 of every row's text in a fixed order: equal on two databases only when the rows are. */
  checksum: string;
}

/**
 * Reads the whole table (every row, TOASTed values included) and sums it up. Rows are ordered
 * by their own text, which is stable where a primary key's order might differ by collation.
 */
export async function tableFigures(db: Db, table: string): Promise<TableFigures> {
  // The name comes from pg_class and is quoted by format(%I); values never enter here.
  const {
    rows: [sql],
  } = await db.query<{ text: string }>(
    `SELECT format('SELECT count(*)::int AS rows, coalesce(md5(string_agg(t::text, E''\\n'' ORDER BY t::text COLLATE "C")), '''') AS checksum FROM public.%I t', $1::text) AS text`,
    [table],
  );
  const { rows } = await db.query<{ rows: number; checksum: string }>(sql!.text);
  return { table, ...rows[0]! };
}

export async function hasTables(db: Db): Promise<boolean> {
  return (await listTables(db)).length > 0;
}

export interface IndexCheck {
  indexes: number;
  problems: string[];
}

/**
 * amcheck's bt_index_check on every valid btree index, with heapallindexed: each index's
 * structure, and that every heap tuple has its index entry. Needs `CREATE EXTENSION amcheck`.
 */
export async function checkBtreeIndexes(db: Db): Promise<IndexCheck> {
  const { rows } = await db.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, c.relname AS name FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE am.amname = 'btree' AND i.indisvalid AND i.indisready AND n.nspname = 'public' ORDER BY c.relname`,
  );
  const problems: string[] = [];
  for (const index of rows) {
    try {
      await db.query('SELECT bt_index_check($1::oid, true)', [index.oid]);
    } catch (error) {
      problems.push(`${index.name}: ${(error as Error).message}`);
    }
  }
  return { indexes: rows.length, problems };
}

/** amcheck's verify_heapam on every table: page and tuple corruption, one line per finding. */
export async function checkHeaps(db: Db): Promise<{ tables: number; problems: string[] }> {
  const tables = await listTables(db);
  const problems: string[] = [];
  for (const table of tables) {
    const { rows } = await db.query<{ blkno: number; offnum: number; msg: string }>(
      `SELECT blkno::int, offnum, msg FROM verify_heapam(format('public.%I', $1::text)::regclass, check_toast => true)`,
      [table],
    );
    for (const row of rows) problems.push(`${table} block ${row.blkno} item ${row.offnum}: ${row.msg}`);
  }
  return { tables: tables.length, problems };
}

export async function serverVersionNumber(db: Db): Promise<number> {
  const { rows } = await db.query<{ version: string }>('SHOW server_version_num');
  return Number(rows[0]!.version);
}

/** The roles migrations 0001 and 0032 create; a restore onto a new server needs them before the grants. */
export async function ensureApplicationRoles(db: Db): Promise<void> {
  await db.query(`DO $$
  BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'signpost_app') THEN CREATE ROLE signpost_app NOLOGIN; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'signpost_jobs') THEN CREATE ROLE signpost_jobs NOLOGIN; END IF;
  END
  $$`);
  await db.query('GRANT signpost_app, signpost_jobs TO CURRENT_USER');
}
