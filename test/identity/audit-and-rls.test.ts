import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import { recordAudit, verifyAuditChains } from '../../src/identity/audit.ts';
import { backend, freshDatabase } from '../support/database.ts';
import { aPractice, aTenant, anActor } from '../support/factories.ts';

let database: Database & { url?: string };

before(async () => {
  database = await freshDatabase();
});
after(async () => {
  await database.close();
});

test("a query with no tenant set returns no rows, and another tenant's rows are invisible without any WHERE clause", async () => {
  const mine = await aTenant(database, { name: 'Mine PCN' });
  const theirs = await aTenant(database, { name: 'Theirs PCN' });
  await aPractice(database, mine.id, { name: 'My Surgery' });
  await aPractice(database, theirs.id, { name: 'Their Surgery' });
  await anActor(database, { tenantId: theirs.id, roles: ['admin'] });
  const owner = await database.pool.query('SELECT name FROM practice');
  assert.ok(owner.rows.length >= 2, 'the owner (used by factories) sees every row');

  for (const table of ['tenant', 'practice', 'provider_organisation', 'role_membership', 'audit_event', 'notification']) {
    const none = await withTenant(database.pool, null, (tx) => tx.query(`SELECT * FROM ${table}`));
    assert.equal(none.rows.length, 0, `${table} with no tenant set`);
  }
  const names = await withTenant(database.pool, mine.id, (tx) => tx.query<{ name: string }>('SELECT name FROM practice'));
  assert.deepEqual(
    names.rows.map((r) => r.name),
    ['My Surgery'],
  );
  const tenants = await withTenant(database.pool, mine.id, (tx) => tx.query<{ name: string }>('SELECT name FROM tenant'));
  assert.deepEqual(
    tenants.rows.map((r) => r.name),
    ['Mine PCN'],
  );
  const memberships = await withTenant(database.pool, mine.id, (tx) => tx.query('SELECT * FROM role_membership'));
  assert.equal(memberships.rows.length, 0, 'their admin is invisible');
});

test('a row cannot be written into another tenant, even by naming it', async () => {
  const mine = await aTenant(database);
  const theirs = await aTenant(database);
  await assert.rejects(
    withTenant(database.pool, mine.id, (tx) =>
      tx.query(`INSERT INTO practice (tenant_id, ods_code, name) VALUES ($1, 'Y99999', 'Sneaky')`, [theirs.id]),
    ),
    /row-level security/,
  );
  await assert.rejects(
    withTenant(database.pool, mine.id, (tx) => recordAudit(tx, { tenantId: theirs.id, action: 'x', entityType: 'y' })),
    /row-level security/,
  );
});

test('the application role may add audit events but never change or delete them', async () => {
  const tenant = await aTenant(database);
  await withTenant(database.pool, tenant.id, (tx) =>
    recordAudit(tx, {
      tenantId: tenant.id,
      action: 'person.view',
      entityType: 'person',
      entityId: 'p-1',
      personId: 'p-1',
      reason: 'triage',
    }),
  );
  const seen = await withTenant(database.pool, tenant.id, (tx) => tx.query('SELECT action FROM audit_event'));
  assert.equal(seen.rows.length, 1);
  await assert.rejects(
    withTenant(database.pool, tenant.id, (tx) => tx.query(`UPDATE audit_event SET reason = 'nothing to see'`)),
    /permission denied/,
  );
  await assert.rejects(
    withTenant(database.pool, tenant.id, (tx) => tx.query('DELETE FROM audit_event')),
    /permission denied/,
  );
  await assert.rejects(
    withTenant(database.pool, tenant.id, (tx) => tx.query('SELECT * FROM audit_chain_head')),
    /permission denied/,
  );
});

test("each event carries the previous event's hash, and verification passes on an intact log", async () => {
  const tenant = await aTenant(database);
  for (let i = 0; i < 3; i++) {
    await withTenant(database.pool, tenant.id, (tx) =>
      recordAudit(tx, {
        tenantId: tenant.id,
        actor: { userId: '00000000-0000-4000-8000-000000000001', roles: ['link_worker'] },
        action: 'referral.view',
        entityType: 'referral',
        entityId: `r-${i}`,
        requestId: `req-${i}`,
      }),
    );
  }
  // Sequential transactions may use different pool connections, and so different chains.
  const { rows } = await database.pool.query<{ chain: string; pos: number; prevHash: string; hash: string }>(
    'SELECT chain, chain_pos AS pos, prev_hash AS "prevHash", hash FROM audit_event WHERE tenant_id = $1 ORDER BY chain, chain_pos',
    [tenant.id],
  );
  assert.equal(rows.length, 3);
  rows.forEach((row, i) => {
    const before = rows[i - 1]?.chain === row.chain ? rows[i - 1] : undefined;
    assert.match(row.chain, new RegExp(`^${tenant.id}:\\d+$`));
    assert.equal(row.pos, before ? before.pos + 1 : 1);
    assert.equal(row.prevHash, before ? before.hash : '0'.repeat(64));
    assert.match(row.hash, /^[0-9a-f]{64}$/);
  });
  const result = await verifyAuditChains(database.pool);
  assert.equal(result.broken, undefined);
});

test('audit verify catches a changed row and a deleted row, naming the first broken link', async () => {
  const tenant = await aTenant(database);
  const write = (i: number) =>
    withTenant(database.pool, tenant.id, (tx) =>
      recordAudit(tx, { tenantId: tenant.id, action: 'person.view', entityType: 'person', entityId: `p-${i}`, personId: `p-${i}` }),
    );
  for (let i = 0; i < 5; i++) await write(i);
  const seqs = (
    await database.pool.query<{ seq: number }>('SELECT seq FROM audit_event WHERE tenant_id = $1 ORDER BY seq', [tenant.id])
  ).rows.map((r) => r.seq);

  // A database owner edits history: who viewed the record.
  await database.pool.query(`UPDATE audit_event SET entity_id = 'p-someone-else' WHERE seq = $1`, [seqs[1]]);
  let result = await verifyAuditChains(database.pool);
  assert.equal(result.broken?.seq, seqs[1]);
  assert.match(result.broken!.problem, /content does not match/);
  await database.pool.query(`UPDATE audit_event SET entity_id = 'p-1' WHERE seq = $1`, [seqs[1]]);
  assert.equal((await verifyAuditChains(database.pool)).broken, undefined, 'restoring the row mends it');

  // The command line reports the same, with exit code 1 (PostgreSQL only: PGlite here is in memory).
  if (backend === 'postgres' && database.url) {
    await database.pool.query(`UPDATE audit_event SET reason = 'edited' WHERE seq = $1`, [seqs[2]]);
    const cli = spawnSync(process.execPath, ['bin/signpost.mjs', 'audit', 'verify'], {
      env: { ...process.env, DATABASE_URL: database.url, SIGNPOST_DEMO: 'false', SESSION_SECRET: 'x'.repeat(40) },
      encoding: 'utf8',
    });
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stderr, new RegExp(`broken in chain ${tenant.id}(:\\d+)? at event ${seqs[2]} `));
    await database.pool.query(`UPDATE audit_event SET reason = NULL WHERE seq = $1`, [seqs[2]]);
  }

  await database.pool.query('DELETE FROM audit_event WHERE seq = $1', [seqs[2]]);
  result = await verifyAuditChains(database.pool);
  assert.equal(result.broken?.seq, seqs[3]);
  assert.match(result.broken!.problem, /previous hash/);

  const other = await aTenant(database);
  await withTenant(database.pool, other.id, (tx) => recordAudit(tx, { tenantId: other.id, action: 'a', entityType: 'b' }));
  await withTenant(database.pool, other.id, (tx) => recordAudit(tx, { tenantId: other.id, action: 'a', entityType: 'b' }));
  await database.pool.query(
    'DELETE FROM audit_event WHERE tenant_id = $1 AND seq = (SELECT max(seq) FROM audit_event WHERE tenant_id = $1)',
    [other.id],
  );
  // The earlier break still comes first.
  assert.equal((await verifyAuditChains(database.pool)).broken?.seq, seqs[3]);
});

test('a deleted tail is caught through the chain head', async () => {
  const fresh = await freshDatabase();
  try {
    const tenant = await aTenant(fresh);
    for (let i = 0; i < 3; i++)
      await withTenant(fresh.pool, tenant.id, (tx) => recordAudit(tx, { tenantId: tenant.id, action: 'a', entityType: 'b' }));
    await fresh.pool.query('DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)');
    const result = await verifyAuditChains(fresh.pool);
    assert.match(result.broken?.problem ?? '', /ends before its recorded last event/);
  } finally {
    await fresh.close();
  }
});

test('audited transactions of one tenant running at once all chain correctly, on separate chains per connection', async () => {
  const fresh = await freshDatabase();
  try {
    const tenant = await aTenant(fresh);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        withTenant(fresh.pool, tenant.id, async (tx) => {
          await recordAudit(tx, { tenantId: tenant.id, action: 'person.view', entityType: 'person', entityId: `c-${i}` });
          // Hold the transaction open a moment so others overlap it.
          await tx.query('SELECT pg_sleep(0.01)');
        }),
      ),
    );
    const { rows } = await fresh.pool.query<{ chains: number; events: number }>(
      'SELECT count(DISTINCT chain)::int AS chains, count(*)::int AS events FROM audit_event WHERE tenant_id = $1',
      [tenant.id],
    );
    assert.equal(rows[0]!.events, 40);
    if (backend === 'postgres')
      assert.ok(rows[0]!.chains > 1, `expected several chains for concurrent connections, got ${rows[0]!.chains}`);
    assert.equal((await verifyAuditChains(fresh.pool)).broken, undefined);
  } finally {
    await fresh.close();
  }
});
