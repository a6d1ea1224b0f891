// Directory search under load: 100,000 generated services with locations across England (the
// outcode centroids, jittered), then over the whole app on loopback with autocannon:
//   - the public search page: words + postcode + one filter (need), rendered HTML;
//   - ORUK /api/oruk/services paging (random pages of 50);
// and, in the same run with the same pool and concurrency, the raw SQL of each, so the
// endpoint/raw ratio shows what the web layer costs. PostgreSQL (TEST_DATABASE_URL) then PGlite.
//   npm run bench -- directory [services] [pglite-services]      (defaults 100000 and 100000)
//   BENCH_BACKEND=postgres|pglite to run one; BENCH_SECONDS (default 10).
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import * as q from '../src/directory/queries.ts';
import { load } from './_directory-data.ts';
import { searchParameters, searchSql } from '../src/directory/search-queries.ts';
import { needTermId } from '../src/directory/taxonomy.ts';
import { lookupPostcode } from '../src/geo/postcodes.ts';
import { buildApp } from '../src/server.ts';
import { onEachBackend } from './_backends.ts';

const total = Number(process.argv[2] ?? 100_000);
const pgliteTotal = Number(process.argv[3] ?? total);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 10;
const PER_PAGE = 50;
const SEARCH = { q: 'walking', postcode: 'LS6 3AB', need: 'physical-activity' };

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

interface Run { label: string; requests: number; seconds: number; latencies: number[] }

async function cannon(label: string, url: string, options: Partial<autocannon.Options> = {}): Promise<Run> {
  const latencies: number[] = [];
  const wrong = new Map<number, number>();
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const instance = autocannon({ url, connections: CONNECTIONS, duration: SECONDS, ...options }, (error) => (error ? reject(error) : resolve()));
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (statusCode !== 200) wrong.set(statusCode, (wrong.get(statusCode) ?? 0) + 1);
    });
  });
  if (wrong.size) console.log(`  ! ${label}: unexpected statuses ${[...wrong].map(([s, n]) => `${s} x${n}`).join(', ')}`);
  return { label, requests: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

/** The same work as an endpoint's SQL, at the same concurrency over the same pool, for as long. */
async function raw(label: string, work: (i: number) => Promise<unknown>): Promise<Run> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + SECONDS * 1000;
  let i = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < until) {
      const t = performance.now();
      await work(i++);
      latencies.push(performance.now() - t);
    }
  }));
  return { label, requests: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

function summary(run: Run) {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), rps: run.requests / run.seconds };
}

function report(backend: string, endpoint: Run, baseline: Run) {
  const e = summary(endpoint);
  const b = summary(baseline);
  const line = (run: Run, s: ReturnType<typeof summary>, extra = '') => console.log(`${backend.padEnd(10)} ${run.label.padEnd(44)} ${String(run.requests).padStart(7)} req ${s.rps.toFixed(0).padStart(6)} req/s  p50 ${s.p50.toFixed(2).padStart(7)} ms  p95 ${s.p95.toFixed(2).padStart(7)} ms${extra}`);
  line(endpoint, e, `  endpoint/raw p50 ${(e.p50 / b.p50).toFixed(2)}x`);
  line(baseline, b);
}

async function benchApp(db: Database): Promise<{ app: FastifyInstance; url: string }> {
  const config = loadConfig({ SIGNPOST_DEMO: 'false', SESSION_SECRET: 'bench-secret-that-is-long-enough-for-cookies-12', LOG_LEVEL: 'silent', SIGNPOST_WORKER: 'false' });
  const app = await buildApp({ config, database: db });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

async function run(backend: string, db: Database, count: number) {
  console.log(`\n${backend}: migrating and loading ${count} services`);
  await migrate(db.pool);
  await load(db, count);
  const { app, url } = await benchApp(db);
  try {
    const searchPath = `/services?q=${SEARCH.q}&postcode=${encodeURIComponent(SEARCH.postcode)}&need=${SEARCH.need}`;
    const check = await (await fetch(`${url}${searchPath}`)).text();
    console.log(`  search page: ${/(\d+) services? found/.exec(check)?.[1] ?? '?'} services found for "${SEARCH.q}" near ${SEARCH.postcode} (need ${SEARCH.need})`);
    const origin = (await lookupPostcode(db.pool, SEARCH.postcode))!;
    const params = searchParameters({ text: SEARCH.q, origin, radiusMetres: 10 * 1609.344, needTermId: needTermId(SEARCH.need), limit: 20, offset: 0 });
    const pages = Math.ceil(count / PER_PAGE);

    const searchEndpoint = await cannon('search page (words + postcode + need)', `${url}${searchPath}`);
    const searchRaw = await raw('  raw search SQL', () => db.pool.query(searchSql(true), params));
    let next = 0;
    const pageOf = (i: number) => 1 + ((i * 7919) % pages);
    const orukEndpoint = await cannon(`ORUK /services paging (${PER_PAGE} per page)`, url, {
      requests: [{ method: 'GET', setupRequest: (request: autocannon.Request) => ({ ...request, path: `/api/oruk/services?page=${pageOf(next++)}&per_page=${PER_PAGE}` }) }],
    });
    const orukRaw = await raw('  raw ORUK page SQL (ids + one-to-one fields)', async (i) => {
      const { ids } = await q.listServiceIds(db.pool, { limit: PER_PAGE, offset: (pageOf(i) - 1) * PER_PAGE });
      return q.readServiceSummaries(db.pool, ids);
    });
    console.log('');
    report(backend, searchEndpoint, searchRaw);
    report(backend, orukEndpoint, orukRaw);
  } finally {
    await app.close();
  }
}

await onEachBackend(20, (backend, database) => run(backend, database, backend === 'PostgreSQL' ? total : pgliteTotal));
