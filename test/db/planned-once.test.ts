import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import type { Database } from '../../src/db/database.ts';
import { queryPlannedOnce } from '../../src/db/planned-once.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const STATEMENT = 'SELECT n, n * $1::int AS times FROM generate_series(1, 3) n ORDER BY n';

async function planCacheMode(client: pg.ClientBase): Promise<string> {
  return (await client.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode')).rows[0]!.plan_cache_mode;
}

test('a statement planned once answers as a plain query does, with one generic plan kept on its connection', async () => {
  const plain = await database.pool.query(STATEMENT, [7]);
  const first = await queryPlannedOnce(database.pool, STATEMENT, [7]);
  const second = await queryPlannedOnce(database.pool, STATEMENT, [2]);
  assert.deepEqual(first.rows, plain.rows);
  assert.deepEqual(
    second.rows.map((r) => r.times),
    [2, 4, 6],
  );
  // The pool hands back the connection just released: its setting is put back, its plan kept.
  const client = await database.pool.connect();
  try {
    assert.equal(await planCacheMode(client), 'auto');
    const { rows } = await client.query<{ generic_plans: number; custom_plans: number }>(
      'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1',
      [STATEMENT],
    );
    assert.deepEqual(rows, [{ generic_plans: 2, custom_plans: 0 }]);
  } finally {
    client.release();
  }
});

test('a statement that fails leaves no connection of the pool planning generically', async () => {
  await assert.rejects(queryPlannedOnce(database.pool, 'SELECT 1 / $1::int AS quotient', [0]), /division by zero/);
  const clients = await Promise.all(Array.from({ length: Math.min(3, database.pool.options.max ?? 1) }, () => database.pool.connect()));
  try {
    for (const client of clients) assert.equal(await planCacheMode(client), 'auto');
  } finally {
    for (const client of clients) client.release();
  }
  assert.deepEqual((await queryPlannedOnce(database.pool, STATEMENT, [1])).rows.length, 3, 'the pool still answers');
});

test('inside a transaction the setting is put back after the statement, and rolled back with a failed transaction', async () => {
  await withTransaction(database.pool, async (tx) => {
    assert.equal((await queryPlannedOnce(tx, STATEMENT, [3])).rows.length, 3);
    assert.equal(await planCacheMode(tx as pg.ClientBase), 'auto');
  });
  await assert.rejects(
    withTransaction(database.pool, (tx) => queryPlannedOnce(tx, 'SELECT 1 / $1::int AS quotient', [0])),
    /division by zero/,
  );
  const client = await database.pool.connect();
  try {
    assert.equal(await planCacheMode(client), 'auto');
  } finally {
    client.release();
  }
});
