// Queue throughput: jobs per second through the durable job queue with one worker and with four,
// on PostgreSQL (the server in TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432) and
// on embedded PGlite, beside a baseline measured in the same run: a bare loop of one INSERT and one
// UPDATE per job, the least database work any queue must do.
//   npm run bench -- jobs [jobs-per-run]
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { registeredHandlers, registerJobHandler, scheduleJob } from '../src/jobs/queue.ts';
import { JobWorker } from '../src/jobs/worker.ts';

const jobsPerRun = Number(process.argv[2] ?? 2000);
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Result {
  label: string;
  jobs: number;
  seconds: number;
  perJobMs: number[];
}

function report(backend: string, r: Result) {
  const sorted = [...r.perJobMs].sort((a, b) => a - b);
  console.log(
    `${backend.padEnd(10)} ${r.label.padEnd(30)} ${String(r.jobs).padStart(6)} jobs  ${(r.jobs / r.seconds).toFixed(0).padStart(6)} jobs/s  ` +
      `p50 ${percentile(sorted, 50).toFixed(2)} ms  p95 ${percentile(sorted, 95).toFixed(2)} ms per job`,
  );
}

async function baseline(database: Database, n: number): Promise<Result> {
  await database.pool.query(
    'CREATE TABLE IF NOT EXISTS bench_baseline (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, state text NOT NULL, payload jsonb)',
  );
  const perJobMs: number[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const { rows } = await database.pool.query<{ id: number }>(
      `INSERT INTO bench_baseline (state, payload) VALUES ('queued', $1) RETURNING id`,
      [JSON.stringify({ n: i })],
    );
    await database.pool.query(`UPDATE bench_baseline SET state = 'done' WHERE id = $1`, [rows[0]!.id]);
    perJobMs.push(performance.now() - t);
  }
  return { label: 'baseline INSERT+UPDATE loop', jobs: n, seconds: (performance.now() - started) / 1000, perJobMs };
}

let runs = 0;
async function queue(database: Database, n: number, workers: number[]): Promise<Result> {
  const kind = `bench.noop-${++runs}`;
  const lastFinish = new Map<string, number>();
  const perJobMs: number[] = [];
  registerJobHandler(kind, async () => {});
  const handlers = new Map([[kind, registeredHandlers().get(kind)!]]);
  // Jobs are scheduled first and not timed: the figure is how fast workers empty a full queue.
  for (let i = 0; i < n; i++) await scheduleJob(database.pool, { kind, payload: { n: i } });
  const pool = workers.map((_, i) => new JobWorker({ pool: database.pool, handlers, concurrency: 1, workerId: `bench-${i}` }));
  const started = performance.now();
  let done = 0;
  await Promise.all(
    pool.map(async (worker) => {
      lastFinish.set(worker.workerId, performance.now());
      for (;;) {
        const ran = await worker.runOnce();
        if (ran === 0) break;
        const now = performance.now();
        perJobMs.push(now - lastFinish.get(worker.workerId)!);
        lastFinish.set(worker.workerId, now);
        done += ran;
      }
    }),
  );
  return {
    label: `queue, ${workers.length} worker${workers.length > 1 ? 's' : ''}`,
    jobs: done,
    seconds: (performance.now() - started) / 1000,
    perJobMs,
  };
}

async function benchBackend(name: string, database: Database, n: number) {
  await migrate(database.pool);
  report(name, await baseline(database, n));
  report(name, await queue(database, n, [1]));
  report(name, await queue(database, n, [1, 2, 3, 4]));
}

console.log(`Job queue throughput, ${jobsPerRun} no-op jobs per run (handlers do nothing: this is the queue's own cost).\n`);

const dbName = `signpost_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: serverUrl });
let postgresReachable = true;
try {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
} catch (error) {
  postgresReachable = false;
  console.log(`PostgreSQL at ${serverUrl} not reachable (${(error as Error).message}); skipping it.`);
}
if (postgresReachable) {
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const database = openPostgres(url.toString(), 10);
  try {
    await benchBackend('postgres', database, jobsPerRun);
  } finally {
    await database.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

const pglite = await openPglite('memory://');
try {
  await benchBackend('pglite', pglite, Math.min(jobsPerRun, 1000));
} finally {
  await pglite.close();
}
