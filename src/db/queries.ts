import type { Db } from './database.ts';

/** A table of the public schema and whether it carries tenant_id (nullable or not). */
export interface TableShape {
  name: string;
  tenantColumn: 'none' | 'nullable' | 'not null';
}

export async function tableShapes(db: Db): Promise<TableShape[]> {
  const { rows } = await db.query<TableShape>(
    `SELECT c.relname AS name,
            CASE WHEN a.attname IS NULL THEN 'none' WHEN a.attnotnull THEN 'not null' ELSE 'nullable' END AS "tenantColumn"
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
  );
  return rows;
}

/** A foreign key between two tables of the public schema. */
export interface ForeignKey {
  table: string;
  references: string;
  name: string;
  definition: string;
}

export async function foreignKeys(db: Db): Promise<ForeignKey[]> {
  const { rows } = await db.query<ForeignKey>(
    `SELECT k.conrelid::regclass::text AS "table", k.confrelid::regclass::text AS "references",
            k.conname AS name, pg_get_constraintdef(k.oid) AS definition
       FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'f' AND n.nspname = 'public'
      ORDER BY 1, 2, 3`,
  );
  return rows;
}

/** A key or column of a tenant table that stops it being distributed by tenant_id. */
export interface KeyRuleBreach {
  table: string;
  constraint: string;
  problem: string;
}

/**
 * Reads the catalog for the rules a table distributed by tenant_id must keep: a primary key, every
 * unique constraint or unique index and every foreign key to another tenant table leading with
 * tenant_id, no shared table pointing at a tenant table, and no serial or identity column (a global
 * sequence every shard would have to share). `tables` limits the check to the named tables.
 */
export async function keyRuleBreaches(db: Db, tables: string[]): Promise<KeyRuleBreach[]> {
  const { rows } = await db.query<KeyRuleBreach>(
    `WITH tenant_table AS (
       SELECT c.oid, c.relname, a.attnum AS tenant_attnum
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
        WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
     )
     SELECT t.relname AS "table", '(none)' AS "constraint", 'has no primary key' AS problem
       FROM tenant_table t
      WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = t.oid AND k.contype = 'p')
     UNION ALL
     SELECT t.relname, k.conname,
            CASE k.contype WHEN 'p' THEN 'primary key' ELSE 'unique constraint' END || ' ' || pg_get_constraintdef(k.oid) || ' does not lead with tenant_id'
       FROM tenant_table t
       JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype IN ('p', 'u')
      WHERE k.conkey[1] <> t.tenant_attnum
     UNION ALL
     SELECT t.relname, i.indexrelid::regclass::text, 'unique index does not lead with tenant_id'
       FROM tenant_table t
       JOIN pg_index i ON i.indrelid = t.oid AND i.indisunique
      WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u'))
        AND i.indkey[0] <> t.tenant_attnum
     UNION ALL
     SELECT t.relname, k.conname, 'foreign key ' || pg_get_constraintdef(k.oid) || ' to tenant table ' || r.relname || ' does not lead with tenant_id on both sides'
       FROM tenant_table t
       JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype = 'f'
       JOIN tenant_table r ON r.oid = k.confrelid
      WHERE k.conkey[1] <> t.tenant_attnum OR k.confkey[1] <> r.tenant_attnum
     UNION ALL
     SELECT c.relname, k.conname, 'foreign key from a shared table to tenant table ' || r.relname
       FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       JOIN tenant_table r ON r.oid = k.confrelid
      WHERE k.contype = 'f' AND NOT c.relname = ANY($1::text[])
     UNION ALL
     SELECT t.relname, a.attname, 'column ' || a.attname || ' takes its values from a global sequence (serial or identity)'
       FROM tenant_table t
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum
      WHERE a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'
      ORDER BY 1, 2`,
    [tables],
  );
  return rows;
}

/** How Citus holds a table: hash-distributed, reference, or in its metadata on the coordinator only. */
export interface CitusTable {
  name: string;
  kind: 'distributed' | 'reference' | 'coordinator';
}

export async function citusTables(db: Db): Promise<CitusTable[]> {
  const { rows } = await db.query<CitusTable>(
    `SELECT logicalrelid::regclass::text AS name,
            CASE WHEN partmethod = 'h' THEN 'distributed' WHEN repmodel = 't' THEN 'reference' ELSE 'coordinator' END AS kind
       FROM pg_dist_partition ORDER BY 1`,
  );
  return rows;
}

export async function hasCitus(db: Db): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
  return rows.length > 0;
}

export async function currentDatabaseName(db: Db): Promise<string> {
  const { rows } = await db.query<{ name: string }>('SELECT current_database() AS name');
  return rows[0]!.name;
}

/**
 * How far a streaming replica's data is behind its primary, in seconds: 0 when it has replayed all
 * it has received (an idle primary sends nothing, so the last replay time alone would look stale),
 * null when the server is not a replica at all.
 */
export async function replicaLagSeconds(db: Db): Promise<number | null> {
  const { rows } = await db.query<{ lag: number | null }>(
    `SELECT CASE
              WHEN NOT pg_is_in_recovery() THEN NULL
              WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
              ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
            END::float8 AS lag`,
  );
  return rows[0]!.lag;
}
