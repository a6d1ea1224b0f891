// Beyond one server, each beside its single-node baseline in the same run (docs/scaling.md):
//   1. referral pages (bare select, caseload, intake POST) on one PostgreSQL server
//      (TEST_DATABASE_URL) and on Citus (coordinator CITUS_URL, default 127.0.0.1:5433, started by
//      `KEEP_CITUS=1 npm run test:citus` or shared/citus/cluster.sh start), same generated data;
//   2. directory search with every read on the primary, then with reads on a hot standby
//      (REPLICA_PRIMARY_URL / REPLICA_STANDBY_URL, default 5440 / 5441: scripts/replica-test.sh start);
//   3. directory search on one `signpost serve` process (3801) and on two behind HAProxy (3900),
//      against the replica pair's primary.
// A section whose servers are not running is skipped with a note.
//   npm run bench -- scale [scale]      (default 0.1: 30,000 referrals over 20 tenants; 1 = 300,000)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { openPostgres, withReadReplica, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { seedDemo } from '../src/demo/seed.ts';
import { buildApp } from '../src/server.ts';
import { createCitusDatabase, distributeDatabase } from '../test/support/citus.ts';
import { serverUrl } from './_backends.ts';
import { cannon, reportLine, summarise, type Run } from './_load.ts';
import { runReferralBench } from './_referral-world.ts';

const scale = Number(process.argv[2] ?? 0.1);
const citusUrl = process.env.CITUS_URL ?? 'postgres://postgres@127.0.0.1:5433/postgres';
const primaryUrl = process.env.REPLICA_PRIMARY_URL ?? 'postgres://postgres@127.0.0.1:5440/signpost';
const standbyUrl = process.env.REPLICA_STANDBY_URL ?? 'postgres://postgres@127.0.0.1:5441/signpost';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// Intake POSTs per backend (each makes a referral, so a run cannot repeat one).
const INTAKES = Number(process.env.BENCH_INTAKES ?? 500);
const summary: string[] = [];

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function withName(url: string, name: string): string {
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

async function admin(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function compare(section: string, baseline: Run, other: Run, otherName: string, baselineName: string) {
  const b = summarise(baseline);
  const o = summarise(other);
  summary.push(
    `${section.padEnd(34)} ${baselineName.padEnd(22)} p50 ${b.p50.toFixed(1).padStart(6)} ms ${b.rps.toFixed(0).padStart(5)}/s | ` +
      `${otherName.padEnd(22)} p50 ${o.p50.toFixed(1).padStart(6)} ms ${o.rps.toFixed(0).padStart(5)}/s`,
  );
}

// 1. One PostgreSQL server against Citus.
if (await reachable(citusUrl)) {
  const name = `signpost_scale_${Date.now().toString(36)}`;
  await admin(serverUrl, `CREATE DATABASE ${name}`);
  const single = openPostgres(withName(serverUrl, name), 20);
  let singleRuns: Run[] = [];
  try {
    singleRuns = await runReferralBench('PostgreSQL', single, scale, { intakeCount: INTAKES });
  } finally {
    await single.close();
    await admin(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  const citusDb = await createCitusDatabase(citusUrl, name);
  const citus = openPostgres(citusDb, 20);
  try {
    const citusRuns = await runReferralBench('Citus', citus, scale, {
      // Distributed after migrating and before loading, as an operator would with an empty database.
      prepare: async () => distributeDatabase(citusDb),
      intakeCount: INTAKES,
    });
    for (let i = 0; i < citusRuns.length; i++)
      compare(`referrals: ${citusRuns[i]!.label.slice(0, 24)}`, singleRuns[i]!, citusRuns[i]!, 'Citus (3 nodes)', 'one PostgreSQL');
  } finally {
    await citus.close();
    for (const port of ['5433', '5434', '5435']) {
      const url = new URL(citusUrl);
      url.port = port;
      await admin(url.toString(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    }
  }
} else {
  console.log(`\nCitus: skipped (no coordinator at ${citusUrl}; start one with KEEP_CITUS=1 npm run test:citus)`);
}

async function listen(database: Database) {
  const config = loadConfig({
    SIGNPOST_DEMO: 'false',
    SESSION_SECRET: 'bench-secret-that-is-long-enough-for-cookies-12',
    LOG_LEVEL: 'silent',
    SIGNPOST_WORKER: 'false',
  });
  const app = await buildApp({ config, database });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

const searches = ['walking', 'lonely', 'art', 'money advice', 'gardening'].map((q) => ({ path: `/services?q=${encodeURIComponent(q)}` }));

// 2 and 3 need the primary and its standby.
if ((await reachable(primaryUrl)) && (await reachable(standbyUrl))) {
  const primary = openPostgres(primaryUrl, 10);
  await migrate(primary.pool);
  await seedDemo(primary);
  const { rows } = await primary.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM directory_service WHERE status = 'active'`);
  console.log(`\nDirectory: ${rows[0]!.n} active services (the demo)`);
  const load = { connections: 10, seconds: SECONDS, requests: searches, expect: 200 };
  const onPrimary = await listen(primary);
  const primaryRun = await cannon('directory search, reads on the primary', onPrimary.url, load);
  reportLine('Replica', primaryRun);
  await onPrimary.app.close();
  const replicated = withReadReplica(openPostgres(primaryUrl, 10), standbyUrl, 10);
  await replicated.replica!.check();
  const onReplica = await listen(replicated);
  const replicaRun = await cannon('directory search, reads on the standby', onReplica.url, load);
  reportLine('Replica', replicaRun, `  (replica ${replicated.replica!.status().state})`);
  await onReplica.app.close();
  await replicated.close();
  compare('directory search', primaryRun, replicaRun, 'reads on the standby', 'reads on the primary');

  // 3. One process, then two behind HAProxy: real `signpost serve` processes, as deployed.
  const work = mkdtempSync(path.join(tmpdir(), 'signpost-scale-'));
  const env = {
    ...process.env,
    DATABASE_URL: primaryUrl,
    SIGNPOST_DEMO: 'false',
    LOG_LEVEL: 'warn',
    SIGNPOST_WORKER: 'false',
    SESSION_SECRET: 'bench-secret-that-is-long-enough-for-cookies-12',
  };
  const children: ChildProcess[] = [];
  const serve = (port: number) =>
    children.push(spawn(process.execPath, ['bin/signpost.mjs', 'serve'], { env: { ...env, PORT: String(port) }, stdio: 'ignore' }));
  const ready = async (url: string) => {
    for (let i = 0; i < 240; i++) {
      try {
        if ((await fetch(`${url}/health/ready`)).ok) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`${url} did not become ready`);
  };
  try {
    serve(3801);
    serve(3802);
    const config = readFileSync('deploy/haproxy.cfg', 'utf8')
      .replace('${BALANCER_PORT}', '3900')
      .replace('${APP1_PORT}', '3801')
      .replace('${APP2_PORT}', '3802');
    writeFileSync(path.join(work, 'haproxy.cfg'), config);
    children.push(spawn('haproxy', ['-f', path.join(work, 'haproxy.cfg'), '-db'], { stdio: 'ignore' }));
    await ready('http://127.0.0.1:3801');
    await ready('http://127.0.0.1:3802');
    await ready('http://127.0.0.1:3900');
    const one = await cannon('directory search, one process', 'http://127.0.0.1:3801', load);
    reportLine('Balanced', one);
    const two = await cannon('directory search, two processes + HAProxy', 'http://127.0.0.1:3900', load);
    reportLine('Balanced', two);
    compare('directory search', one, two, 'two behind HAProxy', 'one process');
  } catch (error) {
    console.log(`\nBalanced: skipped (${(error as Error).message}; is haproxy installed?)`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
  await primary.close();
} else {
  console.log(`\nReplica and balancer: skipped (start a primary and standby with scripts/replica-test.sh start)`);
}

console.log(`\nSummary (scale ${scale}, ${SECONDS} s per run, 10 connections):\n${summary.join('\n')}`);
