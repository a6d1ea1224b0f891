// Generated directory data for the directory benchmark (not a benchmark itself: names starting
// with _ are not listed by `npm run bench`).
import { performance } from 'node:perf_hooks';
import type { Database } from '../src/db/database.ts';
import * as q from '../src/directory/queries.ts';
import { TEMPLATES } from '../src/directory/seed.ts';
import { deliveryTermId, needTermId } from '../src/directory/taxonomy.ts';
import { outcodeCentroids } from '../src/geo/postcodes.ts';

/** Generates services in SQL batches: one organisation per 5 services, one location, schedule, need and delivery each. */
export async function load(db: Database, count: number) {
  const started = performance.now();
  const centroids = outcodeCentroids().filter(
    (c) => !/^(BT|GY|JE|IM|ZE|KW|IV|AB|DD|PH|PA|FK|KY|EH|G|ML|KA|DG|TD|CF|SA|LL|NP|LD|SY)\d/.test(c.outcode),
  );
  const names = TEMPLATES.map((t) => t.name);
  const descriptions = TEMPLATES.map((t) => t.description);
  const needs = TEMPLATES.map((t) => needTermId(t.needs[0]!));
  const costs = TEMPLATES.map((t) => t.cost?.[0] ?? 0);
  await db.pool.query('SELECT setseed(0.42)');
  const BATCH = 10_000;
  for (let from = 0; from < count; from += BATCH) {
    const to = Math.min(count, from + BATCH);
    const params = [
      from,
      to - 1,
      centroids.map((c) => c.outcode),
      centroids.map((c) => c.latitude),
      centroids.map((c) => c.longitude),
      names,
      descriptions,
      needs,
      costs,
      deliveryTermId('in-person'),
    ];
    await db.pool.query(
      `INSERT INTO directory_organization (id, name, description)
      SELECT 'bench-org-' || g, 'Community Trust ' || g, 'Generated for the benchmark.' FROM generate_series($1::int, $2::int) g WHERE g % 5 = 0`,
      [from, to - 1],
    );
    await db.pool.query(`CREATE TEMP TABLE IF NOT EXISTS bench_pick (g int, c int, t int)`);
    await db.pool.query(`TRUNCATE bench_pick`);
    await db.pool.query(
      `INSERT INTO bench_pick SELECT g, 1 + floor(random() * $3::int)::int, 1 + floor(random() * $4::int)::int
      FROM generate_series($1::int, $2::int) g`,
      [from, to - 1, centroids.length, names.length],
    );
    await db.pool.query(
      `INSERT INTO directory_service (id, organization_id, name, description, status, last_verified_at)
      SELECT 'bench-svc-' || p.g, 'bench-org-' || (p.g - p.g % 5), ($6::text[])[p.t] || ' ' || ($3::text[])[p.c], ($7::text[])[p.t], 'active', now() - random() * interval '300 days'
        FROM bench_pick p, (SELECT $1::int AS a, $2::int AS b, $4::float8[] AS la, $5::float8[] AS lo, $8::text[] AS n, $9::numeric[] AS co, $10::text AS d) x`,
      params,
    );
    await db.pool.query(
      `INSERT INTO directory_location (id, location_type, name, latitude, longitude)
      SELECT 'bench-loc-' || p.g, 'physical', 'Venue ' || p.g, ($4::float8[])[p.c] + (random() - 0.5) * 0.04, ($5::float8[])[p.c] + (random() - 0.5) * 0.06
        FROM bench_pick p, (SELECT $1::int AS a, $2::int AS b, $3::text[] AS o) x`,
      params.slice(0, 5),
    );
    await db.pool.query(
      `INSERT INTO directory_address (id, location_id, address_1, city, postal_code, country, address_type)
      SELECT 'bench-adr-' || p.g, 'bench-loc-' || p.g, p.g || ' High Street', 'England', ($1::text[])[p.c], 'GB', 'physical' FROM bench_pick p`,
      [params[2]],
    );
    await db.pool.query(
      `INSERT INTO directory_service_at_location (id, service_id, location_id) SELECT 'bench-sal-' || g, 'bench-svc-' || g, 'bench-loc-' || g FROM bench_pick`,
    );
    await db.pool.query(`INSERT INTO directory_schedule (id, service_id, freq, byday, opens_at, closes_at)
      SELECT 'bench-sch-' || g, 'bench-svc-' || g, 'WEEKLY', (ARRAY['MO','TU','WE','TH','FR','SA'])[1 + g % 6], make_time(9 + g % 9, 0, 0), make_time(11 + g % 9, 0, 0) FROM bench_pick`);
    await db.pool.query(
      `INSERT INTO directory_cost_option (id, service_id, option, amount)
      SELECT 'bench-cost-' || p.g, 'bench-svc-' || p.g, 'Standard', ($2::numeric[])[p.t] FROM bench_pick p, (SELECT $1::int AS a) x WHERE ($2::numeric[])[p.t] > 0`,
      [0, costs],
    );
    await db.pool.query(
      `INSERT INTO directory_attribute (id, link_id, taxonomy_term_id)
      SELECT 'bench-need-' || p.g, 'bench-svc-' || p.g, ($1::text[])[p.t] FROM bench_pick p
      UNION ALL SELECT 'bench-del-' || g, 'bench-svc-' || g, $2::text FROM bench_pick`,
      [needs, deliveryTermId('in-person')],
    );
    // Fresh statistics for the refresh's plans: without them, a table grown tenfold since it was
    // last analysed gets nested loops over sequential scans (minutes per batch at 70,000 services).
    await db.pool.query(
      'ANALYZE directory_service, directory_attribute, directory_schedule, directory_cost_option, directory_service_at_location, directory_location, directory_service_point',
    );
    const ids = (await db.pool.query<{ id: string }>(`SELECT 'bench-svc-' || g AS id FROM bench_pick`)).rows.map((r) => r.id);
    await q.refreshSearch(db.pool, ids);
    process.stdout.write(`\r  loaded ${to} services (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  // As autovacuum would leave a settled database: statistics, and a visibility map for index-only scans.
  await db.pool.query('VACUUM ANALYZE');
  console.log(
    `\r  loaded ${count} services across ${centroids.length} English outcodes in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}
