// The reminder scan over one large tenant: 20,000 people and 30,000 referrals (times the scale) in
// every life-cycle state, with next actions, contacts and allocations from the demo generator.
// Measures the first scan (writes every reminder and queues the link-worker emails), repeat scans
// (nothing new: the steady state), and the caseload's reminder lookup for a page of 50 referrals,
// beside a bare indexed count of the tenant's referrals in the same run. PostgreSQL
// (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432) then embedded PGlite.
//   npm run bench -- reminders [scale] [pglite-scale]     (defaults 1 and 0.25)
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { withTenant, withTransaction } from '../src/db/transaction.ts';
import { DemoRandom } from '../src/demo/random.ts';
import { generateBatch, insertBatch } from '../src/referrals/bulk.ts';
import { localDate } from '../src/calendar/london.ts';
import { remindersFor, scanReminders } from '../src/reminders/service.ts';
import { onEachBackend } from './_backends.ts';

const scale = Number(process.argv[2] ?? 1);
const pgliteScale = Number(process.argv[3] ?? 0.25);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);

async function insertReturningId(db: Database, sql: string, values: unknown[]): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>(sql, values);
  return rows[0]!.id;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed(label: string, backend: string, runs: number, fn: () => Promise<unknown>) {
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  const total = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  console.log(
    `${backend.padEnd(10)} ${label.padEnd(52)} p50 ${percentile(times, 50).toFixed(1).padStart(8)} ms  p95 ${percentile(times, 95).toFixed(1).padStart(8)} ms  ${(runs / total).toFixed(1).padStart(7)} /s`,
  );
}

async function run(backend: string, db: Database, factor: number) {
  console.log(`\n${backend}: migrating and loading (scale ${factor})`);
  await migrate(db.pool);
  const tenantId = await insertReturningId(db, 'INSERT INTO tenant (name) VALUES ($1) RETURNING id', ['Bench PCN']);
  const practices: string[] = [];
  for (let p = 0; p < 4; p++)
    practices.push(
      await insertReturningId(db, 'INSERT INTO practice (tenant_id, ods_code, name) VALUES ($1, $2, $3) RETURNING id', [
        tenantId,
        `YB${p}`,
        `Bench Surgery ${p}`,
      ]),
    );
  const linkWorkers: string[] = [];
  for (let w = 0; w < 10; w++) {
    const id = await insertReturningId(db, 'INSERT INTO app_user (email, name) VALUES ($1, $2) RETURNING id', [
      `${randomBytes(6).toString('hex')}@bench.example`,
      `Worker ${w}`,
    ]);
    await db.pool.query('INSERT INTO role_membership (tenant_id, user_id, role) VALUES ($1, $2, $3)', [tenantId, id, 'link_worker']);
    linkWorkers.push(id);
  }
  const batch = generateBatch(
    new DemoRandom(7),
    { tenantId, practices, linkWorkers, leadId: null, referrerId: null },
    { people: Math.round(20_000 * factor), referralsPerPerson: 1.5, nhsOffset: 0 },
  );
  await withTransaction(db.pool, (tx) => insertBatch(tx, batch));
  await db.pool.query('ANALYZE');
  console.log(`  ${batch.people.length} people, ${batch.referrals.length} referrals`);

  const now = new Date();
  const first = performance.now();
  const result = await withTenant(db.pool, tenantId, (tx) => scanReminders(tx, tenantId, now));
  console.log(
    `${backend.padEnd(10)} first scan: ${result.created} reminders written, ${result.emailed} emails queued in ${((performance.now() - first) / 1000).toFixed(2)} s`,
  );
  const { rows } = await db.pool.query<{ id: string }>(
    `SELECT r.id FROM referral r WHERE r.tenant_id = $1 AND r.assigned_to = $2 AND r.status IN ('allocated', 'in_contact', 'assessed', 'active_plan') LIMIT 50`,
    [tenantId, linkWorkers[0]],
  );
  const page = rows.map((r) => r.id);
  const today = localDate(now);
  await timed("bare indexed count of the tenant's referrals", backend, RUNS, () =>
    withTenant(db.pool, tenantId, (tx) => tx.query('SELECT count(*) FROM referral WHERE tenant_id = $1', [tenantId])),
  );
  await timed('repeat scan (nothing new)', backend, Math.max(3, Math.round(RUNS / 4)), () =>
    withTenant(db.pool, tenantId, (tx) => scanReminders(tx, tenantId, now)),
  );
  await timed(`caseload reminder lookup (${page.length} referrals)`, backend, RUNS * 5, () =>
    withTenant(db.pool, tenantId, (tx) => remindersFor(tx, tenantId, page, today)),
  );
}

await onEachBackend(5, (backend, database) => run(backend, database, backend === 'PostgreSQL' ? scale : pgliteScale));
