// Runs a benchmark once per backend: a throwaway database on the PostgreSQL server named by
// TEST_DATABASE_URL (dropped afterwards), then in-memory PGlite. BENCH_BACKEND=postgres|pglite
// runs just one. BENCH_DATABASE=<name> keeps the PostgreSQL database under that name instead (created
// if missing, never dropped), so a benchmark that finds its data already loaded can skip loading.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../src/db/database.ts';

export const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function onServer(sql: string) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await admin.end();
  }
}

export async function onEachBackend(poolSize: number, run: (backend: 'PostgreSQL' | 'PGlite', database: Database) => Promise<void>) {
  const only = process.env.BENCH_BACKEND;
  if (only !== 'pglite') {
    const kept = process.env.BENCH_DATABASE;
    if (kept && !/^[a-z_][a-z0-9_]*$/.test(kept)) throw new Error('BENCH_DATABASE must be a plain lower-case database name');
    const name = kept ?? `signpost_bench_${randomBytes(4).toString('hex')}`;
    if (!kept || !(await databaseExists(name))) await onServer(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const database = openPostgres(url.toString(), poolSize);
    try {
      await run('PostgreSQL', database);
    } finally {
      await database.close();
      if (!kept) await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  }
  if (only !== 'postgres') {
    const database = await openPglite('memory://');
    try {
      await run('PGlite', database);
    } finally {
      await database.close();
    }
  }
}
