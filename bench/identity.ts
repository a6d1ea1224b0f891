// What identity costs per request: argon2id per sign-in, and row-level security on a typical
// tenant query, each beside a baseline measured in the same run. On embedded PGlite, and on the
// PostgreSQL server in TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432) when reachable.
//   npm run bench -- identity [iterations]
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openPostgres, pgliteDatabase, pgliteExtensions, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { withTenant, withTransaction } from '../src/db/transaction.ts';
import { hashPassword, verifyPassword } from '../src/identity/passwords.ts';
import { buildApp } from '../src/server.ts';
import { loadConfig } from '../src/config.ts';
import { PGlite } from '@electric-sql/pglite';

const iterations = Number(process.argv[2] ?? 200);
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TENANTS = 20;
const EVENTS_PER_TENANT = 1500;
const USERS_PER_TENANT = 15;

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const total = samples.reduce((a, b) => a + b, 0);
  return { p50: at(50), p95: at(95), perSecond: samples.length / (total / 1000) };
}

function line(scope: string, label: string, samples: number[]) {
  const s = stats(samples);
  console.log(
    `${scope.padEnd(10)} ${label.padEnd(66)} p50 ${s.p50.toFixed(2).padStart(8)} ms  p95 ${s.p95.toFixed(2).padStart(8)} ms  ${s.perSecond.toFixed(0).padStart(6)}/s`,
  );
  return s;
}

async function time(n: number, work: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(10, n); i++) await work(i); // warm up
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await work(i);
    samples.push(performance.now() - t);
  }
  return samples;
}

async function passwords() {
  const hash = await hashPassword('bluebell-harbour-lantern');
  line('argon2id', 'hash a new password (19 MiB, t=2, p=1)', await time(30, () => hashPassword('bluebell-harbour-lantern')));
  line('argon2id', 'verify the right password (one sign-in)', await time(30, () => verifyPassword(hash, 'bluebell-harbour-lantern')));
  line('argon2id', 'verify for an unknown email (same work, by design)', await time(30, () => verifyPassword(null, 'whatever-was-typed')));
}

async function seed(database: Database): Promise<{ tenants: string[]; users: Map<string, string[]> }> {
  const tenants: string[] = [];
  const users = new Map<string, string[]>();
  for (let t = 0; t < TENANTS; t++) {
    const { rows } = await database.pool.query<{ id: string }>('INSERT INTO tenant (name) VALUES ($1) RETURNING id', [`Bench PCN ${t}`]);
    const tenantId = rows[0]!.id;
    tenants.push(tenantId);
    const ids: string[] = [];
    for (let u = 0; u < USERS_PER_TENANT; u++) {
      const { rows: user } = await database.pool.query<{ id: string }>('INSERT INTO app_user (email, name) VALUES ($1, $2) RETURNING id', [
        `bench-${t}-${u}-${randomBytes(3).toString('hex')}@example.nhs.uk`,
        `Bench User ${t}-${u}`,
      ]);
      await database.pool.query(`INSERT INTO role_membership (tenant_id, user_id, role) VALUES ($1, $2, 'link_worker')`, [
        tenantId,
        user[0]!.id,
      ]);
      ids.push(user[0]!.id);
    }
    users.set(tenantId, ids);
    // The audit log is the biggest tenant table identity owns; the trigger chains every row.
    await database.pool.query(
      `INSERT INTO audit_event (tenant_id, user_id, roles, action, entity_type, entity_id, person_id)
       SELECT $1, ($2::uuid[])[1 + (g % $3)], '{link_worker}', 'person.view', 'person', 'p-' || g, 'p-' || (g % 300)
         FROM generate_series(1, $4) g`,
      [tenantId, ids, ids.length, EVENTS_PER_TENANT],
    );
  }
  await database.pool.query('ANALYZE');
  return { tenants, users };
}

// A typical tenant query: an admin's audit page for one user, newest 50, with names joined.
const TYPICAL = `SELECT e.seq, e.occurred_at, e.action, e.entity_id, u.name
                   FROM audit_event e LEFT JOIN app_user u ON u.id = e.user_id
                  WHERE e.tenant_id = $1 AND e.user_id = $2 ORDER BY e.seq DESC LIMIT 50`;
// The same without the tenant in the WHERE clause: row-level security alone confines it.
const RLS_ONLY = `SELECT e.seq, e.occurred_at, e.action, e.entity_id, u.name
                    FROM audit_event e LEFT JOIN app_user u ON u.id = e.user_id
                   WHERE e.user_id = $1 ORDER BY e.seq DESC LIMIT 50`;
const COUNT = 'SELECT count(*) FROM audit_event WHERE tenant_id = $1';
const COUNT_RLS_ONLY = 'SELECT count(*) FROM audit_event';

async function rls(scope: string, database: Database) {
  const { tenants, users } = await seed(database);
  const pick = (i: number) => {
    const tenantId = tenants[i % tenants.length]!;
    const userIds = users.get(tenantId)!;
    return { tenantId, userId: userIds[i % userIds.length]! };
  };
  console.log(`${scope}: ${TENANTS} tenants x ${EVENTS_PER_TENANT} audit events, ${iterations} queries each`);
  line(
    scope,
    'baseline: bare query as owner (no transaction, no RLS)',
    await time(iterations, (i) => {
      const { tenantId, userId } = pick(i);
      return database.pool.query(TYPICAL, [tenantId, userId]);
    }),
  );
  const noRls = line(
    scope,
    'same query in a transaction with tenant set, as owner (RLS off)',
    await time(iterations, (i) => {
      const { tenantId, userId } = pick(i);
      return withTransaction(database.pool, async (tx) => {
        await tx.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
        return tx.query(TYPICAL, [tenantId, userId]);
      });
    }),
  );
  const withRls = line(
    scope,
    'same query through withTenant as signpost_app (RLS on)',
    await time(iterations, (i) => {
      const { tenantId, userId } = pick(i);
      return withTenant(database.pool, tenantId, (tx) => tx.query(TYPICAL, [tenantId, userId]));
    }),
  );
  line(
    scope,
    'RLS on, tenant left out of the WHERE clause',
    await time(iterations, (i) => {
      const { tenantId, userId } = pick(i);
      return withTenant(database.pool, tenantId, (tx) => tx.query(RLS_ONLY, [userId]));
    }),
  );
  console.log(
    `${scope.padEnd(10)} => RLS overhead on the typical query: ${(withRls.p50 - noRls.p50).toFixed(2)} ms at p50 (${((withRls.p50 / noRls.p50 - 1) * 100).toFixed(0)}%)`,
  );
  const countNo = line(
    scope,
    "count a tenant's events in a transaction, as owner (RLS off)",
    await time(Math.ceil(iterations / 4), (i) => withTransaction(database.pool, (tx) => tx.query(COUNT, [pick(i).tenantId]))),
  );
  const countRls = line(
    scope,
    "count a tenant's events through withTenant (RLS on, no WHERE)",
    await time(Math.ceil(iterations / 4), (i) => withTenant(database.pool, pick(i).tenantId, (tx) => tx.query(COUNT_RLS_ONLY))),
  );
  console.log(
    `${scope.padEnd(10)} => RLS overhead on a ${EVENTS_PER_TENANT}-row count: ${(countRls.p50 - countNo.p50).toFixed(2)} ms at p50`,
  );
}

async function signInRequests(database: Database) {
  const app = await buildApp({
    config: loadConfig({ SIGNPOST_DEMO: 'false', SESSION_SECRET: 'bench-secret-that-is-long-enough-0123456789', LOG_LEVEL: 'silent' }),
    database,
  });
  await app.ready();
  const hash = await hashPassword('bluebell-harbour-lantern');
  const { rows } = await database.pool.query<{ id: string }>('SELECT id FROM tenant LIMIT 1');
  const { rows: user } = await database.pool.query<{ id: string }>(
    `INSERT INTO app_user (email, name, password_hash) VALUES ('bench.signin@example.nhs.uk', 'Bench Signin', $1) RETURNING id`,
    [hash],
  );
  await database.pool.query(`INSERT INTO role_membership (tenant_id, user_id, role) VALUES ($1, $2, 'lead')`, [rows[0]!.id, user[0]!.id]);
  const page = await app.inject('/sign-in');
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const cookies = Object.fromEntries(page.cookies.map((c) => [c.name, c.value]));
  const post = (i: number, password: string) =>
    app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies,
      remoteAddress: `10.1.${(i >> 8) & 255}.${i & 255}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: 'bench.signin@example.nhs.uk', password, _csrf: token }).toString(),
    });
  line('request', 'baseline: GET /sign-in (render the form)', await time(50, () => app.inject('/sign-in')));
  line('request', 'POST /sign-in, right password (argon2id + session + audit)', await time(50, (i) => post(i, 'bluebell-harbour-lantern')));
  await app.close();
}

await passwords();

const pglite = pgliteDatabase(await PGlite.create({ extensions: pgliteExtensions }));
await migrate(pglite.pool);
await rls('pglite', pglite);
await signInRequests(pglite);
await pglite.close();

const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
try {
  await admin.connect();
} catch {
  console.log(`postgres   (skipped: no server at ${serverUrl})`);
  process.exit(0);
}
const name = `signpost_bench_identity_${randomBytes(4).toString('hex')}`;
await admin.query(`CREATE DATABASE ${name}`);
try {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const server = openPostgres(url.toString(), 4);
  await migrate(server.pool);
  await rls('postgres', server);
  await signInRequests(server);
  await server.close();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
