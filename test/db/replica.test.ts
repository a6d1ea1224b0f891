// Run by `npm run test:replica` (scripts/replica-test.sh) against a real primary and hot standby
// on loopback, with the demo loaded; skipped elsewhere.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { postForm, testApp, testConfig } from '../support/app.ts';
import { signInAs } from '../support/session.ts';

const primaryUrl = process.env.TEST_REPLICA_PRIMARY_URL;
const standbyUrl = process.env.TEST_REPLICA_STANDBY_URL;
const skip = primaryUrl && standbyUrl ? false : 'needs a primary and a standby: npm run test:replica';

let database: Database;
let app: FastifyInstance;
let serviceId: string;

async function commits(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Statistics reach pg_stat_database when a backend goes idle; clear this session's snapshot.
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** Waits (up to 5 s) until `probe` is true: statistics and replication both arrive within a second or so. */
async function eventually(probe: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

before(async () => {
  if (skip) return;
  const env = { DATABASE_URL: primaryUrl!, DATABASE_READ_URL: standbyUrl!, REPLICA_MAX_LAG_SECONDS: '10' };
  database = await openDatabase(testConfig(env));
  app = await testApp(database, env);
  const { rows } = await database.pool.query<{ id: string }>(
    `SELECT id FROM directory_service WHERE status = 'active' ORDER BY name LIMIT 1`,
  );
  serviceId = rows[0]!.id;
});
after(async () => {
  await app?.close();
  await database?.close();
});

test('searches, service pages and the ORUK API are answered by the standby', { skip }, async () => {
  assert.equal((await database.replica!.check()).state, 'ok');
  const standbyBefore = await commits(standbyUrl!);
  const primaryBefore = await commits(primaryUrl!);
  for (let i = 0; i < 10; i++) {
    assert.equal((await app.inject(`/services?q=walking&page=${(i % 2) + 1}`)).statusCode, 200);
    assert.equal((await app.inject(`/services/${serviceId}`)).statusCode, 200);
    assert.equal((await app.inject('/api/oruk/services?per_page=5')).statusCode, 200);
  }
  assert.ok(
    await eventually(async () => (await commits(standbyUrl!)) - standbyBefore >= 30),
    'the standby committed at least one transaction per request',
  );
  // The primary counts only our own two statistics reads, not the thirty pages.
  assert.ok((await commits(primaryUrl!)) - primaryBefore < 10);
});

test(
  "a curator's edit is written to the primary, shown on the next page at once, and reaches the public page through the standby",
  { skip },
  async () => {
    const { rows } = await database.pool.query<{ userId: string; tenantId: string }>(
      `SELECT u.id AS "userId", m.tenant_id AS "tenantId" FROM app_user u JOIN role_membership m ON m.user_id = u.id
      WHERE u.email = 'curator@demo.signpost.example' AND m.role = 'curator'`,
    );
    const cookies = await signInAs(app, database, rows[0]!);
    const editPage = `/curation/services/${serviceId}/edit`;
    const form = await app.inject({ url: editPage, cookies });
    const value = (name: string) => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(form.body)?.[1] ?? '';
    const name = `Replica check ${Date.now()}`;
    const saved = await postForm(
      app,
      cookies,
      editPage,
      {
        name,
        description: 'Checked through a streaming standby.',
        email: String(value('email')),
        url: String(value('url')),
        fees: '',
        status: 'active',
        capacity: 'taking_referrals',
        expectedWaitWeeks: '',
      },
      editPage,
    );
    assert.equal(saved.statusCode, 303, saved.body.slice(0, 500));
    const primary = await database.pool.query('SELECT 1 FROM directory_service WHERE id = $1 AND name = $2', [serviceId, name]);
    assert.equal(primary.rowCount, 1, 'the edit is on the primary');
    const next = await app.inject({ url: editPage, cookies });
    assert.match(next.body, new RegExp(name), 'the curator sees the edit on the next page (read from the primary)');
    assert.ok(
      await eventually(async () => (await app.inject(`/services/${serviceId}`)).body.includes(name)),
      'the public page shows it once replayed',
    );
  },
);

test("a lead's reports are read from the standby, and each view is audited on the primary", { skip }, async () => {
  const { rows } = await database.pool.query<{ userId: string; tenantId: string }>(
    `SELECT u.id AS "userId", m.tenant_id AS "tenantId" FROM app_user u JOIN role_membership m ON m.user_id = u.id
      WHERE u.email = 'lead@demo.signpost.example' AND m.role = 'lead'`,
  );
  const cookies = await signInAs(app, database, rows[0]!);
  const audited = async () =>
    Number(
      (
        await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_event WHERE action = 'report.view' AND user_id = $1`, [
          rows[0]!.userId,
        ])
      ).rows[0]!.n,
    );
  const auditedBefore = await audited();
  const standbyBefore = await commits(standbyUrl!);
  const pages = ['/reports', '/reports/outcomes', '/reports/approaches', '/reports/practices', '/reports/inequalities'];
  for (const page of pages) assert.equal((await app.inject({ url: page, cookies })).statusCode, 200, page);
  assert.ok(
    await eventually(async () => (await commits(standbyUrl!)) - standbyBefore >= pages.length),
    'each report read its figures on the standby',
  );
  assert.equal((await audited()) - auditedBefore, pages.length, 'each view is one audit row on the primary');
});

test('with the standby stopped, pages are still served from the primary and /health/ready says so', { skip }, async () => {
  execFileSync('bash', ['scripts/replica-test.sh', 'stop-standby'], { stdio: 'inherit' });
  assert.equal((await database.replica!.check()).state, 'down');
  const ready = await app.inject('/health/ready');
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json().replica, { state: 'down', usedForReads: false });
  const primaryBefore = await commits(primaryUrl!);
  for (let i = 0; i < 5; i++) assert.equal((await app.inject('/services?q=walking')).statusCode, 200);
  assert.equal((await app.inject(`/services/${serviceId}`)).statusCode, 200);
  assert.ok(await eventually(async () => (await commits(primaryUrl!)) - primaryBefore >= 6), 'the primary answered the searches');
});
