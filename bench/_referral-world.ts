// The referral world shared by the referral and scale benchmarks: 20 tenants of people and
// referrals (times a factor) from src/referrals/bulk.ts, a link worker with exactly 400 open
// referrals, and the app listening on loopback with a bare one-select route as the baseline.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { withTransaction } from '../src/db/transaction.ts';
import { DemoRandom } from '../src/demo/random.ts';
import type { Actor } from '../src/identity/actor.ts';
import { publicAccess } from '../src/identity/policy.ts';
import { createSession, SESSION_COOKIE } from '../src/identity/sessions.ts';
import { generateBatch, insertBatch, type BulkTenant } from '../src/referrals/bulk.ts';
import { buildApp } from '../src/server.ts';
import { migrate } from '../src/db/migrate.ts';
import { testRangeNhsNumbers } from '../src/people/nhs-number.ts';
import * as referrals from '../src/referrals/service.ts';
import { cannon, reportLine, type Run } from './_load.ts';

export const TENANTS = 20;
const PEOPLE_PER_TENANT = 10_000;
const REFERRALS_PER_PERSON = 1.5;
const CASELOAD = 400;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 10;

async function insertReturningId(db: Database, sql: string, values: unknown[]): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>(sql, values);
  return rows[0]!.id;
}

async function aUser(db: Database, tenantId: string, role: string, name: string, practiceId: string | null = null): Promise<string> {
  const id = await insertReturningId(db, 'INSERT INTO app_user (email, name) VALUES ($1, $2) RETURNING id', [
    `${randomBytes(6).toString('hex')}@bench.example`,
    name,
  ]);
  await db.pool.query('INSERT INTO role_membership (tenant_id, user_id, role, practice_id) VALUES ($1, $2, $3, $4)', [
    tenantId,
    id,
    role,
    role === 'referrer' ? practiceId : null,
  ]);
  return id;
}

export interface World {
  tenantId: string;
  worker: Actor;
  referrer: Actor;
  referralId: string;
  people: number;
  referrals: number;
}

export async function load(db: Database, factor: number): Promise<World> {
  const random = new DemoRandom(42);
  const started = performance.now();
  let people = 0;
  let total = 0;
  let first: (BulkTenant & { practiceIds: string[] }) | undefined;
  for (let t = 0; t < TENANTS; t++) {
    const tenantId = await insertReturningId(db, 'INSERT INTO tenant (name) VALUES ($1) RETURNING id', [`Bench PCN ${t}`]);
    const practices: string[] = [];
    for (let p = 0; p < 4; p++)
      practices.push(
        await insertReturningId(db, 'INSERT INTO practice (tenant_id, ods_code, name) VALUES ($1, $2, $3) RETURNING id', [
          tenantId,
          `Y${t}B${p}`,
          `Bench Surgery ${t}-${p}`,
        ]),
      );
    const linkWorkers: string[] = [];
    for (let w = 0; w < 8; w++) linkWorkers.push(await aUser(db, tenantId, 'link_worker', `Worker ${t}-${w}`));
    const tenant = {
      tenantId,
      practices,
      linkWorkers,
      leadId: await aUser(db, tenantId, 'lead', `Lead ${t}`),
      referrerId: await aUser(db, tenantId, 'referrer', `Referrer ${t}`, practices[0]),
    };
    if (t === 0) first = { ...tenant, practiceIds: practices };
    const batch = generateBatch(random, tenant, {
      people: Math.round(PEOPLE_PER_TENANT * factor),
      referralsPerPerson: REFERRALS_PER_PERSON,
      nhsOffset: t * 20_000,
    });
    await withTransaction(db.pool, (tx) => insertBatch(tx, batch));
    people += batch.people.length;
    total += batch.referrals.length;
    process.stdout.write(
      `\r  loaded tenant ${t + 1}/${TENANTS}: ${people} people, ${total} referrals (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
  // The link worker under test: exactly CASELOAD open referrals.
  const tenantId = first!.tenantId;
  const workerId = await aUser(db, tenantId, 'link_worker', 'Bench Caseload Worker');
  const mine = generateBatch(
    random,
    { ...first!, linkWorkers: [workerId] },
    {
      people: CASELOAD,
      referralsPerPerson: 1,
      nhsOffset: 600_000,
      statuses: ['allocated', 'in_contact', 'assessed', 'active_plan'],
    },
  );
  await withTransaction(db.pool, (tx) => insertBatch(tx, mine));
  people += CASELOAD;
  total += CASELOAD;
  await db.pool.query('ANALYZE');
  console.log(
    `\r  loaded ${people} people and ${total} referrals in ${TENANTS} tenants in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  const referrerId = first!.referrerId!;
  const actor = (userId: string, roles: Actor['roles'], practiceId: string | null): Actor => ({
    userId,
    tenantId,
    email: '',
    name: 'Bench',
    roles,
    practiceId,
    providerOrganisationId: null,
    sessionId: '',
  });
  return {
    tenantId,
    worker: actor(workerId, ['link_worker'], null),
    referrer: actor(referrerId, ['referrer'], first!.practiceIds[0]!),
    referralId: mine.referrals[0]!.id,
    people,
    referrals: total,
  };
}

export async function benchApp(db: Database): Promise<{ app: FastifyInstance; url: string }> {
  const config = loadConfig({
    SIGNPOST_DEMO: 'false',
    SESSION_SECRET: 'bench-secret-that-is-long-enough-for-cookies-12',
    LOG_LEVEL: 'silent',
    SIGNPOST_WORKER: 'false',
  });
  const app = await buildApp({ config, database: db });
  // The baseline: the least a route can do with the database.
  app.get('/bench/bare', { config: { policy: publicAccess } }, async (req) => {
    const { tenant, id } = req.query as { tenant: string; id: string };
    const { rows } = await db.pool.query('SELECT id, status FROM referral WHERE tenant_id = $1 AND id = $2', [tenant, id]);
    return rows[0] ?? {};
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

export async function cookieFor(app: FastifyInstance, db: Database, actor: Actor): Promise<string> {
  const session = await createSession(db.pool, actor.userId, actor.tenantId);
  return `${SESSION_COOKIE}=${app.signCookie(session.token)}`;
}

/**
 * Loads the world at `factor`, then measures the bare route, the caseload page and the intake POST
 * under load and prints a line for each. `prepare` runs after migrating (Citus distributes there).
 */
export async function runReferralBench(
  backend: string,
  db: Database,
  factor: number,
  options: { prepare?: (db: Database) => Promise<void>; intakeCount?: number } = {},
): Promise<Run[]> {
  console.log(`\n${backend}: migrating and loading (scale ${factor})`);
  await migrate(db.pool);
  await options.prepare?.(db);
  const world = await load(db, factor);
  const { app, url } = await benchApp(db);
  try {
    const workerCookie = await cookieFor(app, db, world.worker);
    const referrerCookie = await cookieFor(app, db, world.referrer);
    const check = await fetch(`${url}/caseload`, { headers: { cookie: workerCookie } });
    const html = await check.text();
    const listed = (html.match(/href="\/referrals\/[0-9a-f-]{36}"/g) ?? []).length;
    const rows = Number(/(\d+) open referrals/.exec(html)?.[1] ?? 0);
    console.log(`  caseload page: HTTP ${check.status}, ${rows} open referrals, ${listed} on the first page`);
    // One CSRF token and its cookie, reused by every intake POST in this session.
    const form = await fetch(`${url}/referrals/new`, { headers: { cookie: referrerCookie } });
    const csrfCookie = (form.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
    const token = decodeURIComponent(/name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!);
    const drafts: string[] = [];
    const intakeCount = options.intakeCount ?? (backend === 'PGlite' ? 600 : 3000);
    const numbers = testRangeNhsNumbers(700_000);
    for (let i = 0; i < intakeCount; i++) {
      const born = new Date(Date.UTC(1930, 0, 1) + i * 86_400_000).toISOString().slice(0, 10).split('-');
      drafts.push(
        await referrals.startDraft(db.pool, world.referrer, {
          person: {
            givenName: `Benchgiven${i}`,
            familyName: `Benchfamily${i}`,
            nhsNumber: numbers.next().value,
            'dateOfBirth[day]': born[2],
            'dateOfBirth[month]': born[1],
            'dateOfBirth[year]': born[0],
            phone: '07700 900000',
            contactChannels: 'phone',
          },
          reason: { source: 'gp', reasons: ['loneliness', 'money'], urgency: 'routine', context: 'Benchmark referral.' },
          consent: { consentToRefer: 'yes', consentToShare: 'yes' },
        }),
      );
    }
    const load = { connections: CONNECTIONS, seconds: SECONDS };
    const results: Run[] = [];
    results.push(await cannon('bare route, one indexed select', `${url}/bench/bare?tenant=${world.tenantId}&id=${world.referralId}`, load));
    results.push(
      await cannon(`caseload page (${rows} open, ${listed} shown)`, `${url}/caseload`, { ...load, headers: { cookie: workerCookie } }),
    );
    results.push(
      await cannon('intake POST (check answers -> saved)', url, {
        ...load,
        amount: intakeCount,
        expect: 303,
        requests: drafts.map((draft) => ({
          method: 'POST' as const,
          path: `/referrals/new/${draft}/check`,
          headers: { cookie: `${referrerCookie}; ${csrfCookie}`, 'content-type': 'application/x-www-form-urlencoded' },
          // Each post is its own form (intake is once per form), as each referral's page would mint.
          body: `_csrf=${encodeURIComponent(token)}&formToken=${randomBytes(18).toString('base64url')}`,
        })),
      }),
    );
    console.log('');
    for (const r of results) reportLine(backend, r);
    const { rows: audit } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_event WHERE tenant_id = $1 AND action = 'referral.create'`,
      [world.tenantId],
    );
    console.log(`${backend.padEnd(10)} audit events for created referrals: ${audit[0]!.n}`);
    return results;
  } finally {
    await app.close();
  }
}
