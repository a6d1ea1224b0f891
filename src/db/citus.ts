import type pg from 'pg';
import type { Db } from './database.ts';
import { APP_ROLE, withTransaction } from './transaction.ts';
import * as q from './queries.ts';

/**
 * Tables that carry tenant_id but also hold rows of no tenant, so they cannot be distributed by it
 * (Citus refuses NULL in the distribution column). They stay whole on the coordinator, where they
 * behave exactly as on one PostgreSQL server. Each entry says why; docs/scaling.md says the cost.
 */
export const COORDINATOR_TABLES: Readonly<Record<string, string>> = {
  job: 'system jobs belong to no tenant, and one queue claimed with FOR UPDATE SKIP LOCKED needs one node',
  audit_event: 'sign-in events can name no tenant, and each hash chain is extended in order on one node',
  user_session: 'a session is found by its cookie before any tenant is known',
};

/**
 * Shared tables without tenant_id that are written on every sign-in or audited request: as
 * reference tables each write would be a two-phase commit to every node, so they stay with the
 * coordinator tables that write them.
 */
export const COORDINATOR_SHARED_TABLES: Readonly<Record<string, string>> = {
  audit_chain_head: 'the head of each audit hash chain, updated with every audit event',
  sign_in_throttle: 'counts failed sign-ins, written on every attempt',
  job_schedule: 'when each system job last ran, beside the job queue',
  rate_limit_counter: 'counts requests per address or account, written on nearly every public request',
};

/** Citus's own default: enough shards to spread tenants over up to 32 worker cores later. */
export const DEFAULT_SHARD_COUNT = 32;

export interface DistributionStep {
  table: string;
  action: 'drop foreign key' | 'reference' | 'coordinator' | 'distributed' | 'add foreign key';
  sql: string;
}

export interface DistributionPlan {
  /** Statements still to run, in order; empty when the database is already distributed. */
  steps: DistributionStep[];
  /** Tables already placed as planned, left alone. */
  alreadyPlaced: q.CitusTable[];
  /** Run every time: lets SET LOCAL app.tenant_id reach the workers (src/db/transaction.ts), and more. */
  settings: string[];
}

/** Why a schema cannot be distributed as it stands; the message names each table and constraint. */
export class NotDistributable extends Error {}

/** Orders tables so that every table comes after those it references (self-references ignored). */
function foreignKeyOrder(tables: string[], keys: q.ForeignKey[]): string[] {
  const wanted = new Set(tables);
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visit = (table: string, path: Set<string>) => {
    if (placed.has(table) || path.has(table)) return;
    path.add(table);
    for (const key of keys) {
      if (key.table === table && key.references !== table && wanted.has(key.references)) visit(key.references, path);
    }
    placed.add(table);
    ordered.push(table);
  };
  for (const table of [...tables].sort()) visit(table, new Set());
  return ordered;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Reads the catalog and works out how to place every table on Citus: tenant tables distributed by
 * tenant_id, all co-located with the first, so a tenant's rows of every table sit on one shard and
 * a query filtered by tenant is routed to one node; shared tables (tenants, users, the directory,
 * reference data, schema_migration) as reference tables, copied to every node; the few tables in
 * COORDINATOR_TABLES and COORDINATOR_SHARED_TABLES kept on the coordinator. Refuses, naming each
 * table and constraint, when a tenant table breaks the rules in keyRuleBreaches.
 */
export async function planDistribution(db: Db, options: { shardCount?: number } = {}): Promise<DistributionPlan> {
  const shapes = await q.tableShapes(db);
  const keys = await q.foreignKeys(db);
  const placed = (await q.hasCitus(db)) ? await q.citusTables(db) : [];

  const problems: string[] = [];
  const kindOf = new Map<string, q.CitusTable['kind']>();
  for (const shape of shapes) {
    if (shape.name in COORDINATOR_TABLES || shape.name in COORDINATOR_SHARED_TABLES) kindOf.set(shape.name, 'coordinator');
    else if (shape.tenantColumn === 'none') kindOf.set(shape.name, 'reference');
    else if (shape.tenantColumn === 'not null') kindOf.set(shape.name, 'distributed');
    else
      problems.push(
        `${shape.name}: tenant_id may be empty; make it NOT NULL, or keep the table on the coordinator in COORDINATOR_TABLES (src/db/citus.ts)`,
      );
  }
  const distributed = [...kindOf].filter(([, kind]) => kind === 'distributed').map(([name]) => name);
  for (const breach of await q.keyRuleBreaches(db, distributed)) {
    problems.push(`${breach.table} (${breach.constraint}): ${breach.problem}`);
  }
  if (problems.length) throw new NotDistributable(`These tables cannot be distributed by tenant_id:\n  ${problems.join('\n  ')}`);

  // Making `tenant` a reference table turns every local table pointing at it into a Citus local
  // table, and Citus allows no foreign key between a local table and a distributed one, so keys
  // between tenant tables are dropped first and added back once both ends are distributed.
  const placedKind = new Map(placed.map((t) => [t.name, t.kind]));
  const pending = (table: string) => placedKind.get(table) !== kindOf.get(table);
  const byKind = (kind: q.CitusTable['kind']) => [...kindOf].filter(([name, k]) => k === kind && pending(name)).map(([name]) => name);
  const tenantKeys = keys.filter(
    (key) =>
      kindOf.get(key.table) === 'distributed' &&
      kindOf.get(key.references) === 'distributed' &&
      (pending(key.table) || pending(key.references)),
  );
  const tenantOrder = foreignKeyOrder(byKind('distributed'), keys);
  const anchor = placed.find((t) => t.kind === 'distributed')?.name ?? tenantOrder[0];
  const steps: DistributionStep[] = [
    ...tenantKeys.map((key) => ({
      table: key.table,
      action: 'drop foreign key' as const,
      sql: `ALTER TABLE ${quoteIdent(key.table)} DROP CONSTRAINT ${quoteIdent(key.name)};`,
    })),
    // Reference tables before the tables that point at them; the coordinator's own next.
    ...foreignKeyOrder(byKind('reference'), keys).map((table) => ({
      table,
      action: 'reference' as const,
      sql: `SELECT create_reference_table(${quoteLiteral(quoteIdent(table))});`,
    })),
    ...foreignKeyOrder(byKind('coordinator'), keys).map((table) => ({
      table,
      action: 'coordinator' as const,
      sql: `SELECT citus_add_local_table_to_metadata(${quoteLiteral(quoteIdent(table))});`,
    })),
    ...tenantOrder.map((table) => ({
      table,
      action: 'distributed' as const,
      sql: `SELECT create_distributed_table(${quoteLiteral(quoteIdent(table))}, 'tenant_id', ${
        table === anchor
          ? `shard_count => ${options.shardCount ?? DEFAULT_SHARD_COUNT}`
          : `colocate_with => ${quoteLiteral(quoteIdent(anchor!))}`
      });`,
    })),
    ...tenantKeys.map((key) => ({
      table: key.table,
      action: 'add foreign key' as const,
      sql: `ALTER TABLE ${quoteIdent(key.table)} ADD CONSTRAINT ${quoteIdent(key.name)} ${key.definition};`,
    })),
  ];
  const database = await q.currentDatabaseName(db);
  return {
    steps,
    alreadyPlaced: placed.filter((t) => !pending(t.name)),
    settings: [
      `ALTER DATABASE ${quoteIdent(database)} SET citus.propagate_set_commands = 'local';`,
      // A transaction that reads many shards over parallel connections may not then write a reference
      // table (the directory, on import); one connection per node allows both, and routed queries
      // (nearly all of Signpost's) use one connection anyway.
      `ALTER DATABASE ${quoteIdent(database)} SET citus.multi_shard_modify_mode = 'sequential';`,
      // Citus opens connections to the workers as the current role, which is the app role after
      // SET LOCAL ROLE: it must be allowed to log in there (authenticated as pg_hba.conf says).
      `ALTER ROLE ${APP_ROLE} LOGIN;`,
    ],
  };
}

/**
 * Runs a plan in one transaction, reporting each step, so a failure leaves the database as it was
 * (foreign keys included) and the command can simply be run again.
 */
export async function applyDistribution(pool: pg.Pool, plan: DistributionPlan, report: (line: string) => void = () => {}): Promise<void> {
  for (const setting of plan.settings) {
    await pool.query(setting);
    report(setting);
  }
  await withTransaction(pool, async (tx) => {
    // Reference tables written and then pointed at in one transaction need one connection per node.
    await tx.query(`SET LOCAL citus.multi_shard_modify_mode TO 'sequential'`);
    for (const step of plan.steps) {
      const started = Date.now();
      await tx.query(step.sql);
      report(`${step.action.padEnd(16)} ${step.table} (${Date.now() - started} ms)`);
    }
  });
}

/** The SQL of a plan as a script an operator can read or run with psql. */
export function planScript(plan: DistributionPlan): string {
  return [
    '-- Generated by signpost citus distribute --dry-run from the catalog of this database.',
    ...plan.settings,
    'BEGIN;',
    `SET LOCAL citus.multi_shard_modify_mode TO 'sequential';`,
    ...plan.steps.map((step) => step.sql),
    'COMMIT;',
  ].join('\n');
}
