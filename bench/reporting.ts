// Report pages over a large service: referrals in 20 tenants (3 practices each, working in
// different styles) with contacts, outcome measures, discharges and onward referrals from the
// evidence generator; the nightly refresh of every tenant; then every report page of one tenant
// through the whole app (median of 3), each beside the same figures read from the raw tables.
// PostgreSQL only (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432), in a database
// of its own that is dropped afterwards.
//   npm run bench -- reporting [--referrals N]     (default 1,000,000)
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { openPostgres, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { withTenant, withTransaction } from '../src/db/transaction.ts';
import { DemoRandom } from '../src/demo/random.ts';
import { createSession, SESSION_COOKIE } from '../src/identity/sessions.ts';
import { evidenceData, insertEvidenceData } from '../src/reporting/evidence-data.ts';
import { refreshReporting } from '../src/reporting/service.ts';
import { buildApp } from '../src/server.ts';
import { serverUrl } from './_backends.ts';

const argument = process.argv.indexOf('--referrals');
const REFERRALS = argument > 0 ? Number(process.argv[argument + 1]) : 1_000_000;
const TENANTS = 20;
const PRACTICES = 3;

async function onServer(sql: string) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try { await admin.query(sql); } finally { await admin.end(); }
}

async function insertReturningId(db: Database, sql: string, values: unknown[]): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>(sql, values);
  return rows[0]!.id;
}

async function aUser(db: Database, tenantId: string, role: string, name: string): Promise<string> {
  const id = await insertReturningId(db, 'INSERT INTO app_user (email, name) VALUES ($1, $2) RETURNING id', [`${randomBytes(6).toString('hex')}@bench.example`, name]);
  await db.pool.query('INSERT INTO role_membership (tenant_id, user_id, role) VALUES ($1, $2, $3)', [tenantId, id, role]);
  return id;
}

async function load(db: Database): Promise<{ tenantId: string; leadId: string }[]> {
  const random = new DemoRandom(7);
  const started = performance.now();
  const perPractice = Math.max(1, Math.round(REFERRALS / TENANTS / PRACTICES));
  const tenants: { tenantId: string; leadId: string }[] = [];
  for (let t = 0; t < TENANTS; t++) {
    const tenantId = await insertReturningId(db, 'INSERT INTO tenant (name) VALUES ($1) RETURNING id', [`Bench PCN ${t}`]);
    const practices = [];
    for (let p = 0; p < PRACTICES; p++) {
      practices.push(await insertReturningId(db, 'INSERT INTO practice (tenant_id, ods_code, name, list_size) VALUES ($1, $2, $3, $4) RETURNING id',
        [tenantId, `Y${t}R${p}`, `Bench Surgery ${t}-${p}`, 8000 + p * 2000]));
    }
    const linkWorkers = [];
    for (let w = 0; w < 6; w++) linkWorkers.push(await aUser(db, tenantId, 'link_worker', `Worker ${t}-${w}`));
    const leadId = await aUser(db, tenantId, 'lead', `Lead ${t}`);
    // In slices, so a million referrals never sit in memory at once.
    const slices = Math.ceil(perPractice / 5000);
    for (let s = 0; s < slices; s++) {
      const size = Math.min(5000, perPractice - s * 5000);
      const data = evidenceData(random, {
        tenantId, linkWorkers, leadId, referrerId: null,
        practices: [{ id: practices[0]!, style: 'signposting' }, { id: practices[1]!, style: 'coaching' }, { id: practices[2]!, style: 'mixed' }],
      }, size, { nhsOffset: (t * 20 + s) * 3 * 5000 });
      await withTransaction(db.pool, (tx) => insertEvidenceData(tx, data, 5000));
    }
    tenants.push({ tenantId, leadId });
    process.stdout.write(`\r  loaded tenant ${t + 1}/${TENANTS}: ${(t + 1) * perPractice * PRACTICES} referrals (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  await db.pool.query('ANALYZE');
  console.log(`\n  loaded ${TENANTS * perPractice * PRACTICES} referrals in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return tenants;
}

/** The same figures read straight from the source tables, without the read model. */
const RAW: Record<string, string> = {
  '/reports': `SELECT date_trunc('month', r.received_at AT TIME ZONE 'Europe/London') AS month, r.source, count(*),
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY (t.first_contact AT TIME ZONE 'Europe/London')::date - (r.received_at AT TIME ZONE 'Europe/London')::date)
                 FROM referral r LEFT JOIN LATERAL (SELECT min(occurred_at) AS first_contact FROM referral_transition t
                                                     WHERE t.tenant_id = r.tenant_id AND t.referral_id = r.id AND t.to_status = 'in_contact') t ON true
                WHERE r.tenant_id = $1 GROUP BY 1, 2`,
  '/reports/approaches': `SELECT b.referral_id, b.metric_score, f.metric_score, p.sex, p.deprivation_decile, r.reasons,
                                 (SELECT array_agg(DISTINCT approach) FROM contact c WHERE c.tenant_id = r.tenant_id AND c.referral_id = r.id AND c.outcome = 'made'),
                                 (SELECT count(*) FROM contact c WHERE c.tenant_id = r.tenant_id AND c.referral_id = r.id AND c.outcome = 'made')
                            FROM outcome_administration b
                            JOIN referral r ON r.tenant_id = b.tenant_id AND r.id = b.referral_id
                            JOIN person p ON p.tenant_id = r.tenant_id AND p.id = r.person_id
                            LEFT JOIN outcome_administration f ON f.tenant_id = b.tenant_id AND f.referral_id = b.referral_id AND f.instrument = 'swemwbs' AND f.timepoint = 'discharge'
                           WHERE b.tenant_id = $1 AND b.instrument = 'swemwbs' AND b.timepoint = 'baseline'`,
  '/reports/practices': `SELECT r.practice_id, count(*), sum(c.minutes), count(DISTINCT c.approach)
                           FROM referral r LEFT JOIN contact c ON c.tenant_id = r.tenant_id AND c.referral_id = r.id AND c.outcome = 'made'
                          WHERE r.tenant_id = $1 GROUP BY 1`,
};
RAW['/reports/outcomes'] = RAW['/reports/approaches']!;
RAW['/reports/inequalities'] = RAW['/reports/approaches']!;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function run() {
  const name = `signpost_bench_reporting_${randomBytes(4).toString('hex')}`;
  await onServer(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString(), 10);
  try {
    console.log(`PostgreSQL: migrating and loading ${REFERRALS} referrals in ${TENANTS} tenants`);
    await migrate(db.pool);
    const tenants = await load(db);
    const refreshTimes: number[] = [];
    const started = performance.now();
    for (const t of tenants) {
      const result = await withTenant(db.pool, t.tenantId, (tx) => refreshReporting(tx, t.tenantId, new Date(), 'nightly'));
      refreshTimes.push(result.durationMs);
    }
    console.log(`  nightly refresh of ${TENANTS} tenants: ${((performance.now() - started) / 1000).toFixed(1)} s in all, ${median(refreshTimes)} ms median per tenant, ${Math.max(...refreshTimes)} ms slowest`);
    await db.pool.query('ANALYZE');
    const config = loadConfig({ SIGNPOST_DEMO: 'false', SESSION_SECRET: 'bench-secret-that-is-long-enough-for-cookies-12', LOG_LEVEL: 'silent', SIGNPOST_WORKER: 'false' });
    const app = await buildApp({ config, database: db });
    await app.ready();
    try {
      const { tenantId, leadId } = tenants[0]!;
      const session = await createSession(db.pool, leadId, tenantId);
      const cookies = { [SESSION_COOKIE]: app.signCookie(session.token) };
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM referral WHERE tenant_id = $1', [tenantId]);
      console.log(`  pages of one tenant (${rows[0]!.n} referrals), median of 3, whole app, as a lead:`);
      for (const path of ['/reports', '/reports/outcomes', '/reports/approaches', '/reports/practices', '/reports/inequalities']) {
        const times: number[] = [];
        let status = 0;
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          const response = await app.inject({ method: 'GET', url: path, cookies });
          times.push(performance.now() - t0);
          status = response.statusCode;
        }
        const raw: number[] = [];
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          await db.pool.query(RAW[path]!, [tenantId]);
          raw.push(performance.now() - t0);
        }
        console.log(`  ${path.padEnd(24)} HTTP ${status}  ${median(times).toFixed(0).padStart(6)} ms   same figures from the raw tables: ${median(raw).toFixed(0).padStart(6)} ms (query only)`);
      }
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

await run();
