// The rules that let Citus distribute every tenant table by tenant_id (docs/scaling.md), read from
// the catalog of a migrated database, so a table added by any migration is checked too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { COORDINATOR_SHARED_TABLES, COORDINATOR_TABLES, planDistribution, planScript } from '../../src/db/citus.ts';
import { keyRuleBreaches, tableShapes, type TableShape } from '../../src/db/queries.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
let shapes: TableShape[];
before(async () => {
  database = await freshDatabase();
  shapes = await tableShapes(database.pool);
});
after(() => database.close());

const tenantTables = () => shapes.filter((t) => t.tenantColumn !== 'none' && !(t.name in COORDINATOR_TABLES)).map((t) => t.name);

test('every tenant table leads its primary key, unique keys and keys to other tenant tables with tenant_id, and uses no global sequence', async () => {
  assert.ok(tenantTables().includes('referral') && tenantTables().includes('user_token'));
  const breaches = await keyRuleBreaches(database.pool, tenantTables());
  assert.deepEqual(
    breaches.map((b) => `${b.table} (${b.constraint}): ${b.problem}`),
    [],
  );
});

test('a tenant table may leave tenant_id empty only if it is named, with a reason, as staying on the coordinator', () => {
  const nullable = shapes
    .filter((t) => t.tenantColumn === 'nullable')
    .map((t) => t.name)
    .sort();
  assert.deepEqual(nullable, Object.keys(COORDINATOR_TABLES).sort());
  for (const name of [...Object.keys(COORDINATOR_TABLES), ...Object.keys(COORDINATOR_SHARED_TABLES)]) {
    assert.ok(
      shapes.some((t) => t.name === name),
      `${name} is listed in src/db/citus.ts but no longer exists`,
    );
  }
});

test('the check names the table and the constraint that break the rules', async () => {
  const rolledBack = new Error('roll back the made-up tables');
  await assert.rejects(
    withTransaction(database.pool, async (tx) => {
      await tx.query(
        `CREATE TABLE rule_breaker (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenant (id), code text UNIQUE)`,
      );
      await tx.query(
        `CREATE TABLE rule_follower (tenant_id uuid NOT NULL, id uuid NOT NULL DEFAULT gen_random_uuid(), breaker_id bigint REFERENCES rule_breaker (id), PRIMARY KEY (tenant_id, id))`,
      );
      const problems = (await keyRuleBreaches(tx, ['rule_breaker', 'rule_follower'])).map((b) => `${b.table} ${b.constraint}`);
      assert.deepEqual(problems.sort(), [
        'rule_breaker id',
        'rule_breaker rule_breaker_code_key',
        'rule_breaker rule_breaker_pkey',
        'rule_follower rule_follower_breaker_id_fkey',
      ]);
      await assert.rejects(
        planDistribution(tx),
        /rule_breaker \(rule_breaker_pkey\): primary key PRIMARY KEY \(id\) does not lead with tenant_id/,
      );
      throw rolledBack;
    }),
    rolledBack,
  );
});

test('the distribution plan places referenced tables first and co-locates every tenant table with the first', async () => {
  const plan = await planDistribution(database.pool, { shardCount: 8 });
  const order = plan.steps.map((s) => s.table);
  const at = (table: string, action: string) => plan.steps.findIndex((s) => s.table === table && s.action === action);
  assert.ok(at('tenant', 'reference') >= 0 && at('directory_service', 'reference') >= 0 && at('schema_migration', 'reference') >= 0);
  assert.ok(at('job', 'coordinator') >= 0 && at('audit_event', 'coordinator') >= 0);
  assert.ok(at('person', 'distributed') < at('referral', 'distributed'));
  assert.ok(at('referral', 'distributed') < at('contact', 'distributed'));
  const distributed = plan.steps.filter((s) => s.action === 'distributed');
  assert.match(distributed[0]!.sql, /shard_count => 8/);
  for (const step of distributed.slice(1)) assert.match(step.sql, new RegExp(`colocate_with => '"${distributed[0]!.table}"'`));
  // Keys between tenant tables are dropped before and restored after, the same number each way.
  assert.equal(
    plan.steps.filter((s) => s.action === 'drop foreign key').length,
    plan.steps.filter((s) => s.action === 'add foreign key').length,
  );
  assert.ok(order.length >= shapes.length);
  assert.match(planScript(plan), /^BEGIN;$[\s\S]*^COMMIT;$/m);
});
