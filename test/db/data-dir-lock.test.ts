import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DataDirLocked, LOCK_FILE, lockDataDir, type LockOwner } from '../../src/db/data-dir-lock.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, openPglite } from '../../src/db/database.ts';
import { backend } from '../support/database.ts';
import { pgliteTemplatePath } from '../support/template.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function aDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'signpost-lock-'));
  dirs.push(dir);
  return dir;
}

function writeLock(dir: string, owner: Partial<LockOwner>) {
  const full: LockOwner = {
    pid: 1,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command: 'signpost serve',
    token: 'earlier',
    ...owner,
  };
  writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(full));
}

/** The pid of a process that has certainly ended. */
function aDeadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('the lock file names its owner and is removed on release', () => {
  const dir = aDataDir();
  const lock = lockDataDir(dir);
  const written = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockOwner;
  assert.equal(written.pid, process.pid);
  assert.equal(written.host, hostname());
  assert.ok(!Number.isNaN(Date.parse(written.startedAt)));
  lock.release();
  assert.equal(existsSync(path.join(dir, LOCK_FILE)), false);
  lockDataDir(dir).release();
});

test('a directory already locked in this process is refused a second time', () => {
  const dir = aDataDir();
  const lock = lockDataDir(dir);
  try {
    assert.throws(
      () => lockDataDir(dir),
      (error: unknown) => error instanceof DataDirLocked && new RegExp(`process ${process.pid}\\b`).test(error.message),
    );
  } finally {
    lock.release();
  }
});

test('a lock held by a live process on this host is refused with its pid and what to do', async () => {
  const dir = aDataDir();
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    writeLock(dir, { pid: child.pid! });
    assert.throws(
      () => lockDataDir(dir),
      (error: unknown) => {
        assert.ok(error instanceof DataDirLocked);
        assert.equal(error.message.split('\n').length, 1);
        assert.match(error.message, new RegExp(`in use by process ${child.pid} \\(signpost serve, since `));
        assert.match(error.message, /Stop that process first, or run this against the server's database with DATABASE_URL/);
        return true;
      },
    );
    // The refusal leaves the owner's lock in place.
    assert.equal((JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockOwner).pid, child.pid);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a lock left by a process that has died on this host is taken over', () => {
  const dir = aDataDir();
  writeLock(dir, { pid: aDeadPid() });
  const lock = lockDataDir(dir);
  assert.equal((JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockOwner).pid, process.pid);
  lock.release();
});

test('a lock whose pid now belongs to a process started after it was taken is taken over', () => {
  const dir = aDataDir();
  // This test process is alive, but started long after a lock dated 2001.
  writeLock(dir, { pid: process.ppid, startedAt: '2001-01-01T00:00:00.000Z' });
  lockDataDir(dir).release();
});

test('a lock held from another host is refused, naming the host and the lock file', () => {
  const dir = aDataDir();
  writeLock(dir, { pid: aDeadPid(), host: 'other-host.example' });
  assert.throws(
    () => lockDataDir(dir),
    (error: unknown) =>
      error instanceof DataDirLocked &&
      /locked by process \d+ on host other-host\.example/.test(error.message) &&
      error.message.includes(path.join(dir, LOCK_FILE)),
  );
});

test(
  'opening the embedded database takes the lock until it is closed',
  { skip: backend !== 'pglite' && 'the embedded database is checked in the PGlite pass' },
  async () => {
    const dir = aDataDir();
    const database = await openPglite(dir, { loadDataDir: new Blob([readFileSync(pgliteTemplatePath())]) });
    try {
      await assert.rejects(openPglite(dir), DataDirLocked);
      assert.equal((await database.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
    } finally {
      await database.close();
    }
    assert.equal(existsSync(path.join(dir, LOCK_FILE)), false);
    // The operator's shared buffers reach the embedded database; unset, PostgreSQL's default stays.
    const small = await openDatabase(loadConfig({ PGLITE_DIR: dir, PGLITE_SHARED_BUFFERS: '16MB' }));
    try {
      assert.equal((await small.pool.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers, '16MB');
    } finally {
      await small.close();
    }
    const again = await openDatabase(loadConfig({ PGLITE_DIR: dir }));
    try {
      assert.equal((await again.pool.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers, '128MB');
    } finally {
      await again.close();
    }
  },
);
