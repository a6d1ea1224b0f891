import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { migrate, MigrationError, readMigrations, type Migration } from '../../src/db/migrate.ts';
import { withTenant, withTransaction } from '../../src/db/transaction.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const extra = (name: string, sql: string): Migration => ({ name, sql, checksum: `sum-${sql}` });

test('every migration in the project is recorded with its checksum, and running again applies nothing', async () => {
  const { rows } = await database.pool.query<{ name: string; checksum: string }>(
    'SELECT name, checksum FROM schema_migration ORDER BY name',
  );
  assert.deepEqual(
    rows.map((r) => r.name),
    readMigrations().map((m) => m.name),
  );
  assert.deepEqual(
    rows.map((r) => r.checksum),
    readMigrations().map((m) => m.checksum),
  );
  assert.deepEqual(await migrate(database.pool), []);
});

test('the extensions later areas rely on are installed', async () => {
  const { rows } = await database.pool.query<{ extname: string }>('SELECT extname FROM pg_extension');
  const names = rows.map((r) => r.extname);
  for (const name of ['pg_trgm', 'cube', 'earthdistance', 'pgcrypto', 'unaccent']) assert.ok(names.includes(name), name);
  const distance = await database.pool.query<{ metres: number }>(
    'SELECT earth_distance(ll_to_earth(53.7997, -1.5492), ll_to_earth(53.8008, -1.5491)) AS metres',
  );
  assert.ok(distance.rows[0]!.metres > 100 && distance.rows[0]!.metres < 150);
});

test('a new migration is applied once, in order', async () => {
  const migrations = [...readMigrations(), extra('9001_note.sql', 'CREATE TABLE migration_probe (id int PRIMARY KEY)')];
  assert.deepEqual(await migrate(database.pool, migrations), ['9001_note.sql']);
  assert.deepEqual(await migrate(database.pool, migrations), []);
  await database.pool.query('INSERT INTO migration_probe VALUES (1)');
});

test('an applied migration that was edited is refused with a clear message', async () => {
  const edited = [...readMigrations(), extra('9001_note.sql', 'CREATE TABLE migration_probe (id bigint PRIMARY KEY)')];
  await assert.rejects(
    migrate(database.pool, edited),
    (error: unknown) => error instanceof MigrationError && /9001_note\.sql was changed after it was applied/.test(error.message),
  );
});

test('a failing migration leaves nothing behind and is not recorded', async () => {
  const broken = [
    ...readMigrations(),
    extra('9001_note.sql', 'CREATE TABLE migration_probe (id int PRIMARY KEY)'),
    extra('9002_broken.sql', 'CREATE TABLE half_done (id int); SELECT no_such_function();'),
  ];
  await assert.rejects(migrate(database.pool, broken));
  const { rows } = await database.pool.query(
    `SELECT to_regclass('half_done') AS t, (SELECT count(*) FROM schema_migration WHERE name = '9002_broken.sql') AS n`,
  );
  assert.equal(rows[0].t, null);
  assert.equal(rows[0].n, 0);
});

test('a transaction that throws is rolled back', async () => {
  await assert.rejects(
    withTransaction(database.pool, async (tx) => {
      await tx.query('INSERT INTO migration_probe VALUES (2)');
      throw new Error('stop');
    }),
    /stop/,
  );
  const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM migration_probe WHERE id = 2');
  assert.equal(rows[0].n, 0);
});

test('a tenant transaction runs as the application role with the tenant set only inside it', async () => {
  const tenant = '00000000-0000-4000-8000-000000000001';
  const inside = await withTenant(
    database.pool,
    tenant,
    async (tx) => (await tx.query('SELECT current_user AS who, current_tenant_id() AS tenant')).rows[0],
  );
  assert.deepEqual(inside, { who: 'signpost_app', tenant });
  const afterwards = (await database.pool.query(`SELECT current_user AS who, current_setting('app.tenant_id', true) AS tenant`)).rows[0];
  assert.notEqual(afterwards.who, 'signpost_app');
  assert.ok(!afterwards.tenant, 'the tenant setting must not outlive its transaction');
  const none = await withTenant(database.pool, null, async (tx) => (await tx.query('SELECT current_tenant_id() AS tenant')).rows[0]);
  assert.equal(none.tenant, null);
});
