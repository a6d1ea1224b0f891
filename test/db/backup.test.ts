import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../../src/db/database.ts';
import { BackupRefused, restorePglite, restoreServer } from '../../src/operations/backup.ts';
import { listTables, tableFigures, type TableFigures } from '../../src/operations/queries.ts';
import { backend, freshDatabase } from '../support/database.ts';
import { aProviderService, aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { pgliteTemplatePath, serverUrl, urlForDatabase } from '../support/template.ts';

// Backups are made and restored by the real command, as an operator would; the refusals that
// need no second process call the restore functions directly.

const work = mkdtempSync(path.join(tmpdir(), 'signpost-backup-'));
const env = {
  ...process.env,
  SIGNPOST_DEMO: 'false',
  SESSION_SECRET: 'backup-test-secret-that-is-long-enough-0',
  LOG_LEVEL: 'silent',
} as Record<string, string>;
const signpost = (args: string[], extra: Record<string, string>) =>
  spawnSync(process.execPath, ['bin/signpost.mjs', ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });

let source: Database & { url?: string };
let sourceDir: string | undefined;
const targets: string[] = [];

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** An empty database of the backend under test: a new server database, or a PGLITE_DIR. */
async function anEmptyTarget(): Promise<Record<string, string>> {
  if (backend === 'pglite') return { PGLITE_DIR: path.join(work, `target-${randomBytes(3).toString('hex')}`), DATABASE_URL: '' };
  const name = `signpost_restore_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  targets.push(name);
  return { DATABASE_URL: urlForDatabase(name) };
}

async function withTarget<T>(target: Record<string, string>, read: (database: Database) => Promise<T>): Promise<T> {
  const database = target.DATABASE_URL ? openPostgres(target.DATABASE_URL, 1) : await openPglite(target.PGLITE_DIR!);
  try {
    return await read(database);
  } finally {
    await database.close();
  }
}

async function figures(database: Database): Promise<TableFigures[]> {
  const all: TableFigures[] = [];
  for (const table of await listTables(database.pool)) all.push(await tableFigures(database.pool, table));
  return all;
}

let sourceFigures: TableFigures[];
let backupFile: string;

before(async () => {
  if (backend === 'pglite') {
    sourceDir = path.join(work, 'source');
    source = await openPglite(sourceDir, { loadDataDir: new Blob([readFileSync(pgliteTemplatePath())]) });
  } else {
    source = await freshDatabase();
  }
  const team = await aSocialPrescribingTeam(source);
  await aProviderService(source, team.provider, { name: 'Backup Walking Group' });
  for (let i = 0; i < 3; i++) await anEpisodeInContact(source, team);
  sourceFigures = await figures(source);
  if (sourceDir) await source.close();
  backupFile = path.join(work, 'signpost.backup');
});

after(async () => {
  if (!sourceDir) await source.close();
  for (const name of targets) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  rmSync(work, { recursive: true, force: true });
});

const sourceEnv = (): Record<string, string> => (sourceDir ? { PGLITE_DIR: sourceDir, DATABASE_URL: '' } : { DATABASE_URL: source.url! });

test(`backup then restore into an empty ${backend} database gives the same rows in every table`, { timeout: 240_000 }, async () => {
  const made = signpost(['backup', backupFile], sourceEnv());
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /^Backed up the .* to .*signpost\.backup \(\d+\.\d MB/);
  assert.equal(
    readFileSync(backupFile)
      .subarray(0, backend === 'pglite' ? 2 : 5)
      .toString('latin1'),
    backend === 'pglite' ? '\x1f\x8b' : 'PGDMP',
  );

  const target = await anEmptyTarget();
  const restored = signpost(['restore', backupFile], target);
  assert.equal(restored.status, 0, restored.stderr);
  assert.match(restored.stdout, /The restored database is up to date\./);
  const after = await withTarget(target, figures);
  assert.ok(sourceFigures.length > 40 && sourceFigures.some((t) => t.table === 'referral' && t.rows === 3));
  assert.deepEqual(after, sourceFigures);

  // A second restore onto the now non-empty target is refused with one line, exit 1.
  const again = signpost(['restore', backupFile], target);
  assert.equal(again.status, 1);
  assert.equal(again.stderr.trim().split('\n').length, 1);
  assert.match(
    again.stderr,
    backend === 'pglite' ? /already holds a database; give --force to replace it/ : /already has tables; give --force/,
  );
});

test('a damaged, cut-short or foreign file is refused and the target is left as it was', { timeout: 240_000 }, async () => {
  if (!existsSync(backupFile)) assert.equal(signpost(['backup', backupFile], sourceEnv()).status, 0);
  const whole = readFileSync(backupFile);
  const truncated = path.join(work, 'truncated.backup');
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
  const text = path.join(work, 'notes.txt');
  writeFileSync(text, 'not a backup at all\n');
  const foreign = path.join(work, 'foreign.backup');
  writeFileSync(
    foreign,
    backend === 'pglite' ? Buffer.concat([Buffer.from('PGDMP'), whole.subarray(0, 200)]) : Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]),
  );

  const target = await anEmptyTarget();
  const restore = (file: string, force = false) =>
    target.DATABASE_URL
      ? withTarget(target, (database) => restoreServer(database, target.DATABASE_URL!, file, { force }))
      : restorePglite(target.PGLITE_DIR!, file, { force });
  await assert.rejects(
    restore(truncated, true),
    (error: unknown) => error instanceof BackupRefused && /damaged or cut short|cut short/.test(error.message),
  );
  await assert.rejects(
    restore(text, true),
    /is not a Signpost backup: expected an embedded-database backup \(gzip\) or a pg_dump custom-format archive \(PGDMP\)/,
  );
  await assert.rejects(
    restore(foreign, true),
    backend === 'pglite'
      ? /is a pg_dump archive of a PostgreSQL server: restore it with DATABASE_URL set/
      : /is an embedded-database backup: restore it with DATABASE_URL unset/,
  );
  await assert.rejects(restore(path.join(work, 'missing.backup')), /Cannot read .*missing\.backup: there is no such file/);
  if (target.PGLITE_DIR)
    assert.ok(!existsSync(target.PGLITE_DIR) || readdirSync(target.PGLITE_DIR).length === 0, 'nothing was written to PGLITE_DIR');
  else assert.deepEqual(await withTarget(target, (database) => listTables(database.pool)), []);

  // With --force a good backup replaces what is there; the embedded database it replaced is kept.
  await restore(backupFile);
  await restore(backupFile, true);
  assert.deepEqual(await withTarget(target, figures), sourceFigures);
  if (target.PGLITE_DIR)
    assert.equal(
      readdirSync(path.dirname(target.PGLITE_DIR)).filter((e) => e.startsWith(`${path.basename(target.PGLITE_DIR!)}.replaced-`)).length,
      1,
    );
});

test(
  'the embedded database cannot be backed up while another process has it open',
  { skip: backend !== 'pglite' && 'the embedded database lock is checked in the PGlite pass', timeout: 120_000 },
  async () => {
    const holder = await openPglite(sourceDir!);
    try {
      const refused = signpost(['backup', path.join(work, 'while-open.backup')], sourceEnv());
      assert.equal(refused.status, 1);
      assert.match(refused.stderr.trim(), new RegExp(`^The embedded database in .* is in use by process ${process.pid} `));
      assert.equal(existsSync(path.join(work, 'while-open.backup')), false);
    } finally {
      await holder.close();
    }
  },
);
