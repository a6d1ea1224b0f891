// The dense-area search both ways on one database: every point sorted, or read nearest first.
import pg from 'pg';
import { openPostgres } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { searchParameters, searchSql } from '../src/directory/search-queries.ts';
import { lookupPostcode } from '../src/geo/postcodes.ts';
import { load } from './_directory-data.ts';
import { serverUrl } from './_backends.ts';

const count = Number(process.argv[2] ?? 20000);
const name = `signpost_bench_dense_${process.pid}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(serverUrl);
url.pathname = `/${name}`;
const db = openPostgres(url.toString(), 2);
try {
  await migrate(db.pool);
  await load(db, count);
  const dense = (await lookupPostcode(db.pool, 'EC1A 1BB'))!;
  const params = searchParameters({ origin: dense, radiusMetres: 10 * 1609.344, limit: 20, offset: 0 });
  for (const nearestFirst of [false, true, false, true]) {
    const times: number[] = [];
    let ids = '';
    for (let i = 0; i < 12; i++) {
      const { rows } = await db.pool.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${searchSql(true, nearestFirst)}`, params);
      const plan = rows[0]['QUERY PLAN'][0];
      if (i >= 2) times.push(plan['Execution Time'] + plan['Planning Time']);
    }
    const { rows } = await db.pool.query(searchSql(true, nearestFirst), params);
    ids = rows.map((r) => r.id).join(',');
    times.sort((a, b) => a - b);
    console.log(`${nearestFirst ? 'nearest first (KNN)' : 'all points sorted  '}: median ${times[5]!.toFixed(2)} ms, min ${times[0]!.toFixed(2)} ms; total ${rows[0]?.total} capped ${rows[0]?.capped}; first page ${ids.length} chars, hash ${ids.split(',').slice(0, 3).join(' ')}`);
  }
} finally {
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
