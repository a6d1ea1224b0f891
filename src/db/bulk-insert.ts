import type { Db } from './database.ts';

// Many rows in one statement: each column travels as one array parameter and unnest turns the
// arrays back into rows. Used to load the demo and the benchmarks' data.

/** The types a column's values travel as. */
export type BulkType = 'uuid' | 'text' | 'int' | 'boolean' | 'date' | 'timestamptz';

export interface BulkColumn<T> {
  type: BulkType;
  /** The row's field that holds the value, or how the row gives it. */
  from: keyof T | ((row: T) => unknown);
  /**
   * The column's value, where it differs from what travels: an SQL expression over the column's
   * own name, written in code, never from input (e.g. `string_to_array(reasons, ',')`).
   */
  as?: string;
}

/** A table's columns in the order they are written, each with where its value comes from. */
export type BulkColumns<T> = Record<string, BulkColumn<T>>;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`Not a plain SQL identifier: ${name}`);
  return name;
}

/**
 * Inserts the rows into the table in one statement. The SQL names only the table and columns given
 * in code (checked to be plain identifiers); every value is a parameter.
 */
export async function bulkInsert<T>(db: Db, table: string, columns: BulkColumns<T>, rows: T[]): Promise<void> {
  if (!rows.length) return;
  const entries = Object.entries(columns);
  const names = entries.map(([name]) => identifier(name));
  const arrays = entries.map(([, c], i) => `$${i + 1}::${c.type}[]`);
  const values = entries.map(([name, c]) => c.as ?? name);
  await db.query(
    `INSERT INTO ${identifier(table)} (${names.join(', ')})
     SELECT ${values.join(', ')} FROM unnest(${arrays.join(', ')}) AS x(${names.join(', ')})`,
    entries.map(([, c]) => rows.map((row) => (typeof c.from === 'function' ? c.from(row) : row[c.from]))),
  );
}
