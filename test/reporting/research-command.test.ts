import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { pgliteDatabase, pgliteExtensions, type Database } from '../../src/db/database.ts';
import { createProject } from '../../src/reporting/research/service.ts';
import { backend, freshDatabase } from '../support/database.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { auditEvents } from '../support/identity-factories.ts';
import { aResearchPerson, csvRows } from '../support/research-factories.ts';
import { pgliteTemplatePath } from '../support/template.ts';

// The command runs as a separate process, as an operator would run it: on the PostgreSQL pass
// against this file's database, on the PGlite pass against an embedded database on disk.

let env: Record<string, string>;
let work: string;
let serverDatabase: (Database & { url?: string }) | undefined;
let tenantId: string;

async function withDb<T>(run: (database: Database) => Promise<T>): Promise<T> {
  if (serverDatabase) return run(serverDatabase);
  // A copy of the migrated template on disk: no initdb, no migrations to run.
  const dir = path.join(work, 'data');
  const loadDataDir = existsSync(path.join(dir, 'PG_VERSION')) ? undefined : new Blob([readFileSync(pgliteTemplatePath())]);
  const database = pgliteDatabase(await PGlite.create(dir, { extensions: pgliteExtensions, ...(loadDataDir ? { loadDataDir } : {}) }));
  try {
    return await run(database);
  } finally {
    await database.close();
  }
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'signpost-research-cli-'));
  const base = { ...process.env, SIGNPOST_DEMO: 'false', SESSION_SECRET: 's'.repeat(40), LOG_LEVEL: 'silent' } as Record<string, string>;
  if (backend === 'postgres') {
    serverDatabase = await freshDatabase();
    env = { ...base, DATABASE_URL: serverDatabase.url! };
  } else {
    env = { ...base, PGLITE_DIR: path.join(work, 'data') };
    delete env.DATABASE_URL;
  }
  await withDb(async (database) => {
    tenantId = (await aTenant(database, { name: 'Command Research PCN' })).id;
    const practiceId = (await aPractice(database, tenantId)).id;
    for (let i = 0; i < 5; i++) {
      await aResearchPerson(database, tenantId, {
        givenName: `Cornelius${i}`,
        familyName: `Commandline${i}`,
        dateOfBirth: '1948-08-08',
        sex: 'male',
        ethnicity: 'A',
        deprivationDecile: 5,
        practiceId,
      });
    }
    await createProject(database.pool, null, tenantId, {
      name: 'Command line study',
      purpose: 'Checking the command',
      approvalReference: 'REC 26/CL/0001',
    });
  });
});
after(async () => {
  await serverDatabase?.close();
  rmSync(work, { recursive: true, force: true });
});

function signpost(args: string[]) {
  return spawnSync(process.execPath, ['bin/signpost.mjs', ...args], { env, encoding: 'utf8', timeout: 120_000 });
}

test('export research writes every file of the extract into the folder, and the extract is stored and audited', async () => {
  const out = path.join(work, 'extract');
  const res = signpost(['export', 'research', '--project', 'command LINE study', '--out', out]);
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /5 of 5 people with consent released \(0 generalised, 0 suppressed\)/);
  for (const name of [
    'referrals.csv',
    'contacts.csv',
    'outcome_measures.csv',
    'onward_referrals.csv',
    'data_dictionary.csv',
    'data_dictionary.md',
    'manifest.json',
  ]) {
    assert.ok(existsSync(path.join(out, name)), name);
  }
  assert.equal(csvRows(readFileSync(path.join(out, 'referrals.csv'), 'utf8')).length, 5);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
    project: { name: string };
    rowCounts: Record<string, number>;
  };
  assert.equal(manifest.project.name, 'Command line study');
  assert.equal(manifest.rowCounts['contacts.csv'], 5);
  assert.ok(!readFileSync(path.join(out, 'referrals.csv'), 'utf8').includes('Commandline'));
  await withDb(async (database) => {
    const events = (await auditEvents(database, tenantId)).filter((e) => e.action === 'research.extract');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.userId, null);
    assert.match(events[0]!.reason!, /\(command line\): 5 people released/);
    const { rows } = await database.pool.query('SELECT 1 FROM research_extract WHERE tenant_id = $1', [tenantId]);
    assert.equal(rows.length, 1);
  });
});

test('export research names the problem in one line for an unknown project or none given', () => {
  const unknown = signpost(['export', 'research', '--project', 'No such study']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /No research project called "No such study"/);
  const missing = signpost(['export', 'research']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Give --project/);
  assert.doesNotMatch(unknown.stderr + missing.stderr, /\n\s+at /, 'no stack');
});

test('export research takes the filters of the page, lists them in the manifest, and names a bad one', async () => {
  const out = path.join(work, 'filtered');
  const res = signpost([
    'export',
    'research',
    '--project',
    'Command line study',
    '--out',
    out,
    '--from',
    '2026-09',
    '--to',
    '2026-09',
    '--need',
    'loneliness',
  ]);
  assert.equal(res.status, 0, res.stderr);
  assert.match(
    res.stdout,
    /Filters: received 2026-09 to 2026-09; practice: all practices, and referrals with no practice; need: loneliness/,
  );
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
    filters: Record<string, string>;
    rowCounts: Record<string, number>;
  };
  assert.equal(manifest.filters.received_from, '2026-09');
  assert.equal(manifest.rowCounts['referrals.csv'], 5);
  const none = signpost(['export', 'research', '--project', 'Command line study', '--out', path.join(work, 'none'), '--from', '2027-01']);
  assert.equal(none.status, 0, none.stderr);
  assert.match(none.stdout, /0 of 0 people with consent released/, 'no referral received from 2027 on');
  const bad = signpost(['export', 'research', '--project', 'Command line study', '--practice', 'No Such Surgery', '--from', 'last spring']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--from: Enter the first month as a year and month/);
  assert.match(bad.stderr, /--practice: Select a practice from the list/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack');
});
