// Report pages over a large service: referrals in 20 tenants (3 practices each, working in
// different styles) with contacts, outcome measures, discharges and onward referrals from the
// evidence generator; the nightly refresh of every tenant; then every report page of one tenant
// through the whole app (median of 3), each beside the same figures read from the raw tables.
// PostgreSQL only (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432), in a database
// of its own that is dropped afterwards.
//   npm run bench -- reporting [--referrals N]     (default 1,000,000)
// With --one-tenant N: one tenant of N referrals only, and the evidence page services called
// directly (no HTTP), each split into its SQL (time waiting on each statement, which includes
// node-postgres parsing the rows) and its JavaScript (the rest), with the Node process's CPU time,
// beside the raw-table query and the models fitted the way they were before
// (bench/_evidence-reference.ts) on the same rows. --queries prints each statement's time.
//   npm run bench -- reporting --one-tenant 50000
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
import type { Actor } from '../src/identity/actor.ts';
import { approachesReport, inequalitiesReport, outcomesReport, practicesReport, type EvidenceQuery } from '../src/reporting/evidence.ts';
import { approachEffects, groupChanges, type OutcomeCase } from '../src/reporting/analysis.ts';
import { APPROACH_CODES } from '../src/reporting/approaches.ts';
import { pairedOutcomeRows } from '../src/reporting/queries.ts';
import { checkReportFilter, refreshReporting } from '../src/reporting/service.ts';
import { NEEDS } from '../src/vocabulary/needs.ts';
import { referenceApproachEffects, referenceGroupChanges } from './_evidence-reference.ts';
import { buildApp } from '../src/server.ts';
import { serverUrl } from './_backends.ts';

const option = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
};
const ONE_TENANT = option('--one-tenant');
const REFERRALS = ONE_TENANT ?? option('--referrals') ?? 1_000_000;
const TENANTS = ONE_TENANT ? 1 : 20;
const PRACTICES = 3;

async function onServer(sql: string) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

async function insertReturningId(db: Database, sql: string, values: unknown[]): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>(sql, values);
  return rows[0]!.id;
}

async function aUser(db: Database, tenantId: string, role: string, name: string): Promise<string> {
  const id = await insertReturningId(db, 'INSERT INTO app_user (email, name) VALUES ($1, $2) RETURNING id', [
    `${randomBytes(6).toString('hex')}@bench.example`,
    name,
  ]);
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
      practices.push(
        await insertReturningId(db, 'INSERT INTO practice (tenant_id, ods_code, name, list_size) VALUES ($1, $2, $3, $4) RETURNING id', [
          tenantId,
          `Y${t}R${p}`,
          `Bench Surgery ${t}-${p}`,
          8000 + p * 2000,
        ]),
      );
    }
    const linkWorkers = [];
    for (let w = 0; w < 6; w++) linkWorkers.push(await aUser(db, tenantId, 'link_worker', `Worker ${t}-${w}`));
    const leadId = await aUser(db, tenantId, 'lead', `Lead ${t}`);
    // In slices, so a million referrals never sit in memory at once.
    const slices = Math.ceil(perPractice / 5000);
    for (let s = 0; s < slices; s++) {
      const size = Math.min(5000, perPractice - s * 5000);
      const data = evidenceData(
        random,
        {
          tenantId,
          linkWorkers,
          leadId,
          referrerId: null,
          practices: [
            { id: practices[0]!, style: 'signposting' },
            { id: practices[1]!, style: 'coaching' },
            { id: practices[2]!, style: 'mixed' },
          ],
        },
        size,
        { nhsOffset: (t * 20 + s) * 3 * 5000 },
      );
      await withTransaction(db.pool, (tx) => insertEvidenceData(tx, data, 5000));
    }
    tenants.push({ tenantId, leadId });
    process.stdout.write(
      `\r  loaded tenant ${t + 1}/${TENANTS}: ${(t + 1) * perPractice * PRACTICES} referrals (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
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
  // --keep leaves the loaded database behind and --reuse NAME starts from one, for profiling runs.
  const reuse = process.argv.includes('--reuse') ? process.argv[process.argv.indexOf('--reuse') + 1]! : null;
  const keep = process.argv.includes('--keep') || reuse !== null;
  const name = reuse ?? `signpost_bench_reporting_${randomBytes(4).toString('hex')}`;
  if (!reuse) await onServer(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString(), 10);
  try {
    let tenants: { tenantId: string; leadId: string }[];
    if (reuse) {
      tenants = (
        await db.pool.query<{ tenantId: string; leadId: string }>(
          `SELECT m.tenant_id AS "tenantId", m.user_id AS "leadId" FROM role_membership m JOIN tenant t ON t.id = m.tenant_id
          WHERE m.role = 'lead' ORDER BY t.name`,
        )
      ).rows;
      console.log(`PostgreSQL: reusing ${name} (${tenants.length} tenants)`);
    } else {
      console.log(`PostgreSQL: migrating and loading ${REFERRALS} referrals in ${TENANTS} tenants`);
      await migrate(db.pool);
      tenants = await load(db);
    }
    const refreshTimes: number[] = [];
    const started = performance.now();
    // A reused database keeps its last refresh.
    for (const t of reuse ? [] : tenants) {
      const result = await withTenant(db.pool, t.tenantId, (tx) => refreshReporting(tx, t.tenantId, new Date(), 'nightly'));
      refreshTimes.push(result.durationMs);
    }
    if (!reuse)
      console.log(
        `  nightly refresh of ${tenants.length} tenants: ${((performance.now() - started) / 1000).toFixed(1)} s in all, ${median(refreshTimes)} ms median per tenant, ${Math.max(...refreshTimes)} ms slowest`,
      );
    await db.pool.query('ANALYZE');
    if (ONE_TENANT) {
      await evidenceServices(db, tenants[0]!);
      return;
    }
    const config = loadConfig({
      SIGNPOST_DEMO: 'false',
      SESSION_SECRET: 'bench-secret-that-is-long-enough-for-cookies-12',
      LOG_LEVEL: 'silent',
      SIGNPOST_WORKER: 'false',
    });
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
        console.log(
          `  ${path.padEnd(24)} HTTP ${status}  ${median(times).toFixed(0).padStart(6)} ms   same figures from the raw tables: ${median(raw).toFixed(0).padStart(6)} ms (query only)`,
        );
      }
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    if (keep) console.log(`  kept database ${name}`);
    else await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/** Time spent waiting on SQL while `measuring` is set: every query of the pool's clients, sequential within a page. */
let sqlMs = 0;
let measuring = false;
/** With --queries, each statement's time in the last run of a page, to see which one dominates. */
const eachQuery: [string, number][] = [];
const clientQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function timedQuery(this: pg.Client, ...args: unknown[]) {
  const result = (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
  if (measuring && result instanceof Promise) {
    const t0 = performance.now();
    return result.finally(() => {
      sqlMs += performance.now() - t0;
      const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string }).text ?? '');
      eachQuery.push([text.replace(/\s+/g, ' ').slice(0, 90), performance.now() - t0]);
    });
  }
  return result;
} as typeof clientQuery;

type EvidenceService = (db: pg.Pool, actor: Actor, query: EvidenceQuery, now: Date) => Promise<unknown>;

/** Each evidence page service called directly, median of 3, its SQL and JavaScript apart, beside the raw-table query. */
async function evidenceServices(db: Database, tenant: { tenantId: string; leadId: string }) {
  const session = await createSession(db.pool, tenant.leadId, tenant.tenantId);
  const actor: Actor = {
    userId: tenant.leadId,
    tenantId: tenant.tenantId,
    email: 'lead@bench.example',
    name: 'Lead',
    roles: ['lead'],
    practiceId: null,
    providerOrganisationId: null,
    sessionId: session.hash,
  };
  const now = new Date();
  const { rows } = await db.pool.query<{ n: number; paired: number }>(
    `SELECT (SELECT count(*)::int FROM referral WHERE tenant_id = $1) AS n,
            (SELECT count(*)::int FROM reporting_outcome_fact WHERE tenant_id = $1 AND measure = 'swemwbs' AND follow_up IS NOT NULL) AS paired`,
    [tenant.tenantId],
  );
  console.log(
    `  evidence page services of one tenant (${rows[0]!.n} referrals, ${rows[0]!.paired} people with paired SWEMWBS), median of 3, no HTTP, as a lead:`,
  );
  const pages: [string, EvidenceService][] = [
    ['/reports/outcomes', outcomesReport],
    ['/reports/approaches', approachesReport],
    ['/reports/practices', practicesReport],
    ['/reports/inequalities', inequalitiesReport],
  ];
  for (const [path, service] of pages) {
    const whole: number[] = [];
    const sql: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 3; i++) {
      sqlMs = 0;
      eachQuery.length = 0;
      measuring = true;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      await service(db.pool, actor, {}, now);
      whole.push(performance.now() - t0);
      const used = process.cpuUsage(cpu0);
      cpu.push((used.user + used.system) / 1000);
      measuring = false;
      sql.push(sqlMs);
    }
    const raw: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await db.pool.query(RAW[path]!, [tenant.tenantId]);
      raw.push(performance.now() - t0);
    }
    const js = whole.map((w, i) => w - sql[i]!);
    if (process.argv.includes('--queries'))
      for (const [text, ms] of eachQuery) console.log(`      ${ms.toFixed(0).padStart(5)} ms  ${text}`);
    console.log(
      `  ${path.padEnd(24)} ${median(whole).toFixed(0).padStart(6)} ms (SQL ${median(sql).toFixed(0).padStart(5)} ms, JavaScript ${median(js).toFixed(0).padStart(5)} ms; Node CPU ${median(cpu).toFixed(0).padStart(5)} ms)   same figures from the raw tables: ${median(raw).toFixed(0).padStart(6)} ms (query only)`,
    );
  }
  await modelTimes(db, actor, now);
}

/** The largest difference between two sets of figures (every number in them, in order). */
function largestDifference(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b);
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return Math.max(0, ...[...keys].map((k) => largestDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])));
  }
  if (a !== b) throw new Error(`The figures differ: ${String(a)} against ${String(b)}`);
  return 0;
}

/** The models alone on the same rows: as fitted before (dense columns) and now (sparse, grouped once). */
async function modelTimes(db: Database, actor: Actor, now: Date) {
  const filter = checkReportFilter({}, [], now);
  const rows = await withTenant(db.pool, actor.tenantId, (tx) =>
    pairedOutcomeRows(tx, actor.tenantId, { practiceId: null, fromMonth: `${filter.from}-01`, toMonth: `${filter.to}-01` }, 'swemwbs'),
  );
  const needCodes = NEEDS.map((n) => n.code);
  const asCases = () =>
    rows.map((r): OutcomeCase => ({
      baseline: r.baseline,
      followUp: r.followUp,
      approaches: r.approaches,
      contacts: r.contacts,
      ageBand: r.ageBand,
      sex: r.sex,
      imdQuintile: r.imdQuintile,
      needs: r.needs,
    }));
  const models: [string, (fitApproaches: typeof approachEffects, fitGroups: typeof groupChanges) => unknown][] = [
    ['approaches (1 model)', (fitApproaches) => fitApproaches(asCases(), APPROACH_CODES, needCodes)],
    [
      'practices (2 models)',
      (_, fitGroups) => {
        const cases = asCases();
        return [
          fitGroups(
            cases,
            rows.map((r) => r.practiceId ?? 'none'),
            needCodes,
          ),
          fitGroups(
            cases,
            rows.map((r) => r.linkWorkerId ?? 'none'),
            needCodes,
          ),
        ];
      },
    ],
    [
      'inequalities (2 models)',
      (_, fitGroups) => {
        const cases = asCases();
        return [
          fitGroups(
            cases,
            rows.map((r) => r.imdQuintile),
            needCodes,
            { imdIsTheGroup: true },
          ),
          fitGroups(
            cases,
            rows.map((r) => r.ethnicGroup),
            needCodes,
          ),
        ];
      },
    ],
  ];
  console.log(
    `  the models alone on the same ${rows.length} people (median of 3): before (dense columns per model), now (sparse rows, grouped once)`,
  );
  for (const [label, fit] of models) {
    const time = (fitApproaches: typeof approachEffects, fitGroups: typeof groupChanges) => {
      const times: number[] = [];
      let figures: unknown;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        figures = fit(fitApproaches, fitGroups);
        times.push(performance.now() - t0);
      }
      return { ms: median(times), figures };
    };
    const before = time(referenceApproachEffects, referenceGroupChanges);
    const after = time(approachEffects, groupChanges);
    console.log(
      `  ${label.padEnd(24)} before ${before.ms.toFixed(0).padStart(5)} ms   now ${after.ms.toFixed(0).padStart(5)} ms   largest difference in any figure ${largestDifference(before.figures, after.figures).toExponential(1)}`,
    );
  }
}

await run();
