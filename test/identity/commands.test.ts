import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openPglite, type Database } from '../../src/db/database.ts';
import { verifyPassword } from '../../src/identity/passwords.ts';
import { backend, freshDatabase } from '../support/database.ts';
import { pgliteTemplatePath } from '../support/template.ts';

// The commands run as a separate process, as an operator would run them: on the PostgreSQL pass
// against this file's database, on the PGlite pass against an embedded database on disk.

let env: Record<string, string>;
let dir: string | undefined;
let serverDatabase: (Database & { url?: string }) | undefined;

async function withDb<T>(work: (database: Database) => Promise<T>): Promise<T> {
  if (serverDatabase) return work(serverDatabase);
  const database = await openPglite(dir!);
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

before(async () => {
  const base = { ...process.env, SIGNPOST_DEMO: 'false', SESSION_SECRET: 's'.repeat(40), LOG_LEVEL: 'silent' } as Record<string, string>;
  if (backend === 'postgres') {
    serverDatabase = await freshDatabase();
    env = { ...base, DATABASE_URL: serverDatabase.url! };
  } else {
    dir = mkdtempSync(path.join(tmpdir(), 'signpost-cli-'));
    env = { ...base, PGLITE_DIR: dir };
    delete env.DATABASE_URL;
    // The migrated template, written to disk as an operator's data directory.
    const prepared = await openPglite(dir, { loadDataDir: new Blob([readFileSync(pgliteTemplatePath())]) });
    await prepared.close();
  }
  await withDb(async (database) => {
    const { rows } = await database.pool.query<{ id: string }>(`INSERT INTO tenant (name) VALUES ('Command Line PCN') RETURNING id`);
    await database.pool.query(`INSERT INTO practice (tenant_id, ods_code, name) VALUES ($1, 'Y90077', 'Command Surgery')`, [rows[0]!.id]);
  });
});
after(async () => {
  await serverDatabase?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function signpost(args: string[], input = '') {
  return spawnSync(process.execPath, ['bin/signpost.mjs', ...args], { env, input, encoding: 'utf8', timeout: 60_000 });
}

test('user add creates a user with roles from a password on standard input', async () => {
  const res = signpost(
    [
      'user',
      'add',
      '--email',
      'cli.referrer@example.nhs.uk',
      '--name',
      'Cleo Line',
      '--tenant',
      'command line pcn',
      '--role',
      'referrer',
      '--role',
      'link_worker',
      '--practice',
      'y90077',
    ],
    'paper-lantern-meadow\n',
  );
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /Created cli\.referrer@example\.nhs\.uk .* as referrer, link_worker/);
  await withDb(async (database) => {
    const { rows } = await database.pool.query<{ hash: string; roles: string[] }>(
      `SELECT u.password_hash AS hash, array_agg(m.role ORDER BY m.role) AS roles FROM app_user u JOIN role_membership m ON m.user_id = u.id
        WHERE u.email = 'cli.referrer@example.nhs.uk' GROUP BY u.id`,
    );
    assert.deepEqual(rows[0]?.roles, ['link_worker', 'referrer']);
    assert.match(rows[0]!.hash, /^\$argon2id\$/);
    assert.equal(await verifyPassword(rows[0]!.hash, 'paper-lantern-meadow'), true, 'the trailing newline is not part of the password');
  });
});

test('tenant add creates a service that users can then be added to, and refuses a duplicate name', async () => {
  const res = signpost(['tenant', 'add', '--name', 'Fresh Start PCN']);
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /Created tenant "Fresh Start PCN"/);
  assert.match(signpost(['tenant', 'add', '--name', 'fresh start pcn']).stderr, /already exists/);
  const admin = signpost(
    ['user', 'add', '--email', 'first.admin@example.nhs.uk', '--name', 'First Admin', '--tenant', 'Fresh Start PCN', '--role', 'admin'],
    'copper-willow-signal',
  );
  assert.equal(admin.status, 0, admin.stderr);
  await withDb(async (database) => {
    const { rows } = await database.pool.query(
      `SELECT e.action FROM audit_event e JOIN tenant t ON t.id = e.tenant_id WHERE t.name = 'Fresh Start PCN' ORDER BY e.seq`,
    );
    assert.deepEqual(
      rows.map((r) => r.action),
      ['tenant.create', 'user.create'],
    );
  });
});

test('user add refuses weak passwords, unknown tenants and roles, and duplicates, with one clear line', () => {
  const weak = signpost(
    ['user', 'add', '--email', 'weak@example.nhs.uk', '--name', 'W', '--tenant', 'Command Line PCN', '--role', 'admin'],
    'password123',
  );
  assert.equal(weak.status, 1);
  assert.match(weak.stderr, /too common/);
  const tenant = signpost(
    ['user', 'add', '--email', 'x@example.nhs.uk', '--name', 'X', '--tenant', 'Nowhere PCN', '--role', 'admin'],
    'paper-lantern-meadow',
  );
  assert.match(tenant.stderr, /No tenant called "Nowhere PCN"/);
  const role = signpost(
    ['user', 'add', '--email', 'x@example.nhs.uk', '--name', 'X', '--tenant', 'Command Line PCN', '--role', 'wizard'],
    'paper-lantern-meadow',
  );
  assert.match(role.stderr, /Unknown role wizard/);
  const twice = signpost(
    ['user', 'add', '--email', 'CLI.referrer@example.nhs.uk', '--name', 'Again', '--tenant', 'Command Line PCN', '--role', 'admin'],
    'paper-lantern-meadow',
  );
  assert.equal(twice.status, 1);
  assert.match(twice.stderr, /already exists/);
  assert.doesNotMatch(twice.stderr, /at .*\.ts/, 'no stack trace');
});

test('audit verify passes on an intact log and names the first broken event after tampering', async () => {
  const ok = signpost(['audit', 'verify']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /The audit log is intact: \d+ event/);
  const seq = await withDb(async (database) => {
    const { rows } = await database.pool.query<{ seq: number }>(
      `SELECT seq FROM audit_event WHERE action = 'user.create' ORDER BY seq LIMIT 1`,
    );
    await database.pool.query(`UPDATE audit_event SET reason = 'roles: admin' WHERE seq = $1`, [rows[0]!.seq]);
    return rows[0]!.seq;
  });
  const broken = signpost(['audit', 'verify']);
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, new RegExp(`at event ${seq} .*content does not match its hash`));
});
