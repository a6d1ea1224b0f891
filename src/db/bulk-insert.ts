import type { Db } from './database.ts';

// Many rows in one statement: each column travels as one array parameter and unnest turns the
// arrays back into rows. Used to load the demo and the benchmarks' data.

/** The types a column's values travel as, and what a row holds for each. */
interface BulkValues {
  uuid: string;
  text: string;
  int: number;
  numeric: number;
  boolean: boolean;
  date: string;
  timestamptz: Date;
}

export type BulkType = keyof BulkValues;

/** A column's type; `?` after it where the row may hold null. */
type Travels = BulkType | `${BulkType}?`;

/**
 * A column, by its name in the table. Its value travels from the row's field named as the column
 * in camelCase, unless `field` names another. `as` is the value written, where it differs from what
 * travels: an SQL expression over the travelling columns, written in code, never from input
 * (e.g. `string_to_array(reasons, ',')`); a column with `as` and no type takes nothing from the row.
 */
type BulkColumn = Travels | { type: Travels; field?: string; as?: string } | { as: string };

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

type ValueOf<T> = T extends `${infer Type extends BulkType}?` ? BulkValues[Type] | null : T extends BulkType ? BulkValues[T] : never;

type FieldOf<Name, Column> = Column extends { type: Travels; field: infer Field extends string }
  ? Field
  : Column extends Travels | { type: Travels }
    ? CamelCase<Name & string>
    : never;

/** A table written in bulk: its name and its columns in the order they are written. */
export interface BulkTable<Columns extends Record<string, BulkColumn>> {
  name: string;
  columns: Columns;
}

/** The row a table written in bulk takes: one field for each column that travels. */
export type BulkRow<Table> =
  Table extends BulkTable<infer Columns>
    ? {
        -readonly [Name in keyof Columns as FieldOf<Name, Columns[Name]>]: ValueOf<
          Columns[Name] extends { type: infer Type } ? Type : Columns[Name]
        >;
      }
    : never;

export function bulkTable<const Columns extends Record<string, BulkColumn>>(name: string, columns: Columns): BulkTable<Columns> {
  return { name, columns };
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`Not a plain SQL identifier: ${name}`);
  return name;
}

const camelCase = (name: string) => name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/**
 * Inserts the rows into the table in one statement. The SQL names only the table and columns given
 * in code (checked to be plain identifiers); every value is a parameter.
 */
export async function bulkInsert<Columns extends Record<string, BulkColumn>>(
  db: Db,
  table: BulkTable<Columns>,
  rows: BulkRow<BulkTable<Columns>>[],
): Promise<void> {
  if (!rows.length) return;
  const columns = Object.entries(table.columns as Record<string, BulkColumn>).map(([name, column]) => {
    const spec = typeof column === 'string' ? { type: column } : column;
    const type = 'type' in spec ? spec.type.replace('?', '') : undefined;
    const field = 'field' in spec && spec.field ? spec.field : camelCase(name);
    return { name: identifier(name), type, field, value: spec.as ?? name };
  });
  const travelling = columns.filter((c) => c.type !== undefined);
  await db.query(
    `INSERT INTO ${identifier(table.name)} (${columns.map((c) => c.name).join(', ')})
     SELECT ${columns.map((c) => c.value).join(', ')}
       FROM unnest(${travelling.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')}) AS x(${travelling.map((c) => c.name).join(', ')})`,
    travelling.map((c) => rows.map((row) => (row as Record<string, unknown>)[c.field])),
  );
}
