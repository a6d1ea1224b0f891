// Directory search under load: 100,000 generated services with locations across England (the
// outcode centroids, jittered), then over the whole app on loopback with autocannon:
//   - the public search page: words + postcode + one filter (need), rendered HTML;
//   - ORUK /api/oruk/services paging (random pages of 50);
// and, in the same run with the same pool and concurrency, the raw SQL of each, so the
// endpoint/raw ratio shows what the web layer costs; the search's SQL both as the app sends it
// (planned once per connection, src/db/planned-once.ts) and planned on every call. The load
// generator runs in a worker thread (bench/_load.ts), off the server's event loop, and its own CPU
// a request is printed too. PostgreSQL (TEST_DATABASE_URL) then PGlite.
// Beside each run: CPU per request of the Node server thread and of the PostgreSQL backends
// (from /proc; on PGlite the database runs on the Node thread, so "node" is both), a static page
// (the framework's floor), the dense-area search (no words, 10 miles of central London) single
// caller, and the load average.
//   npm run bench -- directory [services] [pglite-services]      (defaults 100000 and 10000)
//   BENCH_BACKEND=postgres|pglite to run one; BENCH_SECONDS (default 10); BENCH_PORT (default any);
//   BENCH_DATABASE=<name> to keep the loaded PostgreSQL database and measure it again later.
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { queryPlannedOnce } from '../src/db/planned-once.ts';
import * as orukq from '../src/directory/oruk/queries.ts';
import { load } from './_directory-data.ts';
import { searchParameters, searchSql } from '../src/directory/search/queries.ts';
import { needTermId } from '../src/directory/taxonomy.ts';
import { lookupPostcode } from '../src/geo/postcodes.ts';
import { buildApp } from '../src/server.ts';
import { onEachBackend } from './_backends.ts';
import { cannon, direct, reportAgainst, reportLine, type Run } from './_load.ts';
import { withCpu, type CpuSample } from './_cpu.ts';
import { loadavg } from 'node:os';

const total = Number(process.argv[2] ?? 100_000);
const pgliteTotal = Number(process.argv[3] ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 10;
const PER_PAGE = 50;
const SEARCH = { q: 'walking', postcode: 'LS6 3AB', need: 'physical-activity' };
// The densest case: every service within 10 miles of central London, no words.
const DENSE = { postcode: 'EC1A 1BB', miles: 10 };

function cpuLine(run: Run, cpu: CpuSample): string {
  const per = (ms: number) => (ms / Math.max(1, run.requests)).toFixed(2);
  return (
    `${' '.repeat(10)}   CPU per request: node ${per(cpu.node)} ms, postgres ${per(cpu.postgres)} ms, total ${per(cpu.node + cpu.postgres)} ms` +
    (run.generatorCpuMs === undefined ? '' : `, load generator ${per(run.generatorCpuMs)} ms`) +
    `   (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`
  );
}

async function benchApp(db: Database): Promise<{ app: FastifyInstance; url: string }> {
  const config = loadConfig({
    SIGNPOST_DEMO: 'false',
    SESSION_SECRET: 'bench-secret-that-is-long-enough-for-cookies-12',
    LOG_LEVEL: 'silent',
    SIGNPOST_WORKER: 'false',
  });
  const app = await buildApp({ config, database: db });
  await app.listen({ port: Number(process.env.BENCH_PORT ?? 0), host: '127.0.0.1' });
  const address = app.server.address();
  return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

async function run(backend: string, db: Database, count: number) {
  await migrate(db.pool);
  // A kept database (BENCH_DATABASE) that already holds this many services is measured as it is.
  const already = Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM directory_service')).rows[0]!.n);
  if (already === count) console.log(`\n${backend}: ${count} services already loaded`);
  else if (already > 0) throw new Error(`The database holds ${already} services, not ${count}: use another BENCH_DATABASE`);
  else {
    console.log(`\n${backend}: loading ${count} services`);
    await load(db, count);
  }
  const { app, url } = await benchApp(db);
  try {
    const searchPath = `/services?q=${SEARCH.q}&postcode=${encodeURIComponent(SEARCH.postcode)}&need=${SEARCH.need}`;
    const check = await (await fetch(`${url}${searchPath}`)).text();
    console.log(
      `  search page: ${/(\d+) services? found/.exec(check)?.[1] ?? '?'} services found for "${SEARCH.q}" near ${SEARCH.postcode} (need ${SEARCH.need})`,
    );
    const origin = (await lookupPostcode(db.pool, SEARCH.postcode))!;
    const search = {
      text: SEARCH.q,
      origin,
      radiusMetres: 10 * 1609.344,
      needTermId: needTermId(SEARCH.need),
      limit: 20,
      offset: 0,
    };
    const params = searchParameters(search);
    const pages = Math.ceil(count / PER_PAGE);

    const load = { connections: CONNECTIONS, seconds: SECONDS };
    const dbName =
      backend === 'PostgreSQL' ? (await db.pool.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name : undefined;
    const measured = async (work: () => Promise<Run>) => withCpu(dbName, work);
    const staticPage = await measured(() => cannon('static page (home, no database)', `${url}/`, load));
    const searchEndpoint = await measured(() => cannon('search page (words + postcode + need)', `${url}${searchPath}`, load));
    const searchRaw = await measured(() =>
      direct('  raw search SQL, planned once', CONNECTIONS, SECONDS, () => queryPlannedOnce(db.pool, searchSql(search), params)),
    );
    const searchRawPlanned = await measured(() =>
      direct('  raw search SQL, planned each time', CONNECTIONS, SECONDS, () => db.pool.query(searchSql(search), params)),
    );
    const densePath = `/services?postcode=${encodeURIComponent(DENSE.postcode)}&miles=${DENSE.miles}`;
    const dense = await (await fetch(`${url}${densePath}`)).text();
    console.log(
      `  dense area: ${/(\d+) services? found/.exec(dense)?.[1] ?? '?'} services found within ${DENSE.miles} miles of ${DENSE.postcode}, no words`,
    );
    const denseRun = await measured(() =>
      cannon('dense area page, single caller (no words, London)', `${url}${densePath}`, { connections: 1, seconds: SECONDS }),
    );
    const pageOf = (i: number) => 1 + ((i * 7919) % pages);
    const orukPaths = Array.from({ length: Math.min(pages, 2000) }, (_, i) => ({
      path: `/api/oruk/services?page=${pageOf(i)}&per_page=${PER_PAGE}`,
    }));
    const orukEndpoint = await cannon(`ORUK /services paging (${PER_PAGE} per page)`, url, { ...load, requests: orukPaths });
    const orukRaw = await direct('  raw ORUK page SQL (ids + one-to-one fields)', CONNECTIONS, SECONDS, async (i) => {
      const { ids } = await orukq.listServiceIds(db.pool, { limit: PER_PAGE, offset: (pageOf(i % orukPaths.length) - 1) * PER_PAGE });
      return orukq.readServiceSummaries(db.pool, ids);
    });
    const single = await measured(() => cannon('search page, single caller', `${url}${searchPath}`, { connections: 1, seconds: SECONDS }));
    console.log('');
    reportLine(backend, staticPage.result);
    console.log(cpuLine(staticPage.result, staticPage.cpu));
    reportAgainst(backend, searchEndpoint.result, searchRaw.result);
    console.log(cpuLine(searchEndpoint.result, searchEndpoint.cpu));
    console.log(
      `${' '.repeat(10)}   raw SQL CPU per query: node ${(searchRaw.cpu.node / searchRaw.result.requests).toFixed(2)} ms, postgres ${(searchRaw.cpu.postgres / searchRaw.result.requests).toFixed(2)} ms`,
    );
    reportLine(backend, searchRawPlanned.result);
    console.log(
      `${' '.repeat(10)}   raw SQL CPU per query: node ${(searchRawPlanned.cpu.node / searchRawPlanned.result.requests).toFixed(2)} ms, postgres ${(searchRawPlanned.cpu.postgres / searchRawPlanned.result.requests).toFixed(2)} ms`,
    );
    reportLine(backend, single.result);
    console.log(cpuLine(single.result, single.cpu));
    reportLine(backend, denseRun.result);
    console.log(cpuLine(denseRun.result, denseRun.cpu));
    reportAgainst(backend, orukEndpoint, orukRaw);
  } finally {
    await app.close();
  }
}

await onEachBackend(20, (backend, database) => run(backend, database, backend === 'PostgreSQL' ? total : pgliteTotal));
