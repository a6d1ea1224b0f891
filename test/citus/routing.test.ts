// Run by `npm run test:citus` against the demo distributed on a local Citus cluster
// (TEST_CITUS_DEMO_URL); skipped elsewhere. Every statement the caseload, a referral's page and a
// self-referral send is recorded, then EXPLAINed as the app runs it: each must reach one shard.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import { newFormToken, testApp } from '../support/app.ts';
import { signInAs } from '../support/session.ts';

const demoUrl = process.env.TEST_CITUS_DEMO_URL;
const skip = demoUrl ? false : 'needs a Citus cluster: npm run test:citus';

interface Statement {
  text: string;
  values: unknown[];
}

let database: Database;
let app: FastifyInstance;
let recording: Statement[] | undefined;
let worker: { userId: string; tenantId: string };

before(async () => {
  if (!demoUrl) return;
  database = openPostgres(demoUrl, 4);
  // Every client the pool hands out reports what it is asked while a page is being recorded.
  const patched = new WeakSet<pg.PoolClient>();
  database.pool.on('acquire', (client) => {
    if (patched.has(client)) return;
    patched.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (recording && typeof args[0] === 'string') recording.push({ text: args[0], values: (args[1] as unknown[]) ?? [] });
      return query(...args);
    };
  });
  const { rows } = await database.pool.query<{ userId: string; tenantId: string }>(
    `SELECT u.id AS "userId", m.tenant_id AS "tenantId" FROM app_user u JOIN role_membership m ON m.user_id = u.id
      WHERE u.email = 'linkworker@demo.signpost.example' AND m.role = 'link_worker'`,
  );
  worker = rows[0]!;
  app = await testApp(database);
});
after(async () => {
  await app?.close();
  await database?.close();
});

async function record(work: () => Promise<unknown>): Promise<Statement[]> {
  recording = [];
  try {
    await work();
    return recording;
  } finally {
    recording = undefined;
  }
}

/** Statements touching a distributed table that Citus would send to more than one shard. */
async function multiShard(statements: Statement[]): Promise<string[]> {
  const found: string[] = [];
  for (const statement of statements) {
    if (!/^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(statement.text)) continue;
    // The session lookup joins the coordinator's user_session to role_membership: Citus 13.2.2
    // crashes a backend EXPLAINing it with parameters (it runs fine). It reads every shard of
    // role_membership: see docs/scaling.md.
    if (/FROM user_session s\s+JOIN app_user/.test(statement.text)) continue;
    const plan = await withTenant(database.pool, worker.tenantId, async (tx) =>
      (await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.text}`, statement.values)).rows.map((r) => r['QUERY PLAN']).join('\n'),
    );
    const tasks = [...plan.matchAll(/Task Count: (\d+)/g)].map((m) => Number(m[1]));
    if (tasks.some((count) => count > 1))
      found.push(`${statement.text.replace(/\s+/g, ' ').slice(0, 160)} -> Task Count ${tasks.join(', ')}`);
  }
  return found;
}

function explainCount(statements: Statement[]) {
  return statements.filter((s) => /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(s.text)).length;
}

test('the demo is distributed: tenant tables by tenant_id, the directory as reference tables', { skip }, async () => {
  const { rows } = await database.pool.query<{ kind: string; tables: string[] }>(
    `SELECT citus_table_type AS kind, array_agg(table_name::text ORDER BY table_name::text) AS tables FROM citus_tables GROUP BY 1`,
  );
  const byKind = Object.fromEntries(rows.map((r) => [r.kind, r.tables]));
  assert.ok(byKind.distributed?.includes('referral') && byKind.distributed.includes('person'));
  assert.ok(byKind.reference?.includes('directory_service') && byKind.reference.includes('tenant'));
  const { rows: columns } = await database.pool.query<{ column: string }>(
    `SELECT DISTINCT distribution_column AS column FROM citus_tables WHERE citus_table_type = 'distributed'`,
  );
  assert.deepEqual(columns, [{ column: 'tenant_id' }]);
});

test(
  'row-level security holds on the workers: another tenant set in the transaction sees none of the demo referrals',
  { skip },
  async () => {
    const own = await withTenant(
      database.pool,
      worker.tenantId,
      async (tx) => (await tx.query<{ n: number }>('SELECT count(*) AS n FROM referral')).rows[0]!.n,
    );
    const other = await withTenant(
      database.pool,
      '00000000-0000-4000-8000-000000000000',
      async (tx) => (await tx.query<{ n: number }>('SELECT count(*) AS n FROM referral')).rows[0]!.n,
    );
    const none = await withTenant(
      database.pool,
      null,
      async (tx) => (await tx.query<{ n: number }>('SELECT count(*) AS n FROM referral')).rows[0]!.n,
    );
    assert.ok(own > 0, 'the demo tenant sees its referrals');
    assert.equal(other, 0);
    assert.equal(none, 0);
  },
);

test('every statement of the caseload page is routed to one shard', { skip }, async () => {
  const cookies = await signInAs(app, database, worker);
  let status = 0;
  const statements = await record(async () => {
    status = (await app.inject({ url: '/caseload', cookies })).statusCode;
  });
  assert.equal(status, 200);
  assert.ok(explainCount(statements) >= 3, `recorded ${explainCount(statements)} statements`);
  assert.deepEqual(await multiShard(statements), []);
});

test("every statement of a referral's page is routed to one shard", { skip }, async () => {
  const cookies = await signInAs(app, database, worker);
  const { rows } = await database.pool.query<{ id: string }>(
    'SELECT id FROM referral WHERE tenant_id = $1 ORDER BY received_at DESC LIMIT 1',
    [worker.tenantId],
  );
  let status = 0;
  const statements = await record(async () => {
    status = (await app.inject({ url: `/referrals/${rows[0]!.id}`, cookies })).statusCode;
  });
  assert.equal(status, 200);
  assert.deepEqual(await multiShard(statements), []);
});

test('every statement of a self-referral (intake) is routed to one shard, and the referral is saved', { skip }, async () => {
  const form = {
    givenName: 'Robin',
    familyName: 'Sharded',
    'dateOfBirth[day]': '3',
    'dateOfBirth[month]': '9',
    'dateOfBirth[year]': '1958',
    postcode: 'LS6 3AB',
    phone: '07700 900456',
    email: 'robin@example.com',
    contactChannels: 'email',
    safeToLeaveMessage: 'yes',
    reasons: 'loneliness',
    context: 'Routed to one shard.',
    consentToRefer: 'yes',
    consentToShare: 'yes',
    website: '',
  };
  const page = await app.inject({ url: '/refer-yourself' });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const cookies = Object.fromEntries(page.cookies.map((c) => [c.name, c.value]));
  const body = new URLSearchParams({ _csrf: token, answers: JSON.stringify(form), formToken: newFormToken() }).toString();
  let reply: { statusCode: number; body: string; headers?: Record<string, unknown> } = { statusCode: 0, body: '' };
  const statements = await record(async () => {
    reply = await app.inject({
      method: 'POST',
      url: '/refer-yourself/send',
      cookies,
      payload: body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      remoteAddress: '10.9.9.9',
    });
  });
  assert.equal(reply.statusCode, 303, reply.body.slice(0, 300));
  const confirmation = await app.inject({ url: String(reply.headers?.location), cookies });
  const reference = /(SP-[0-9A-Z]{8})/.exec(confirmation.body)?.[1];
  assert.ok(reference);
  const saved = await database.pool.query('SELECT 1 FROM referral WHERE reference = $1', [reference]);
  assert.equal(saved.rowCount, 1);
  assert.deepEqual(await multiShard(statements), []);
});
