import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openPglite } from '../src/db/database.ts';
import { backend, freshDatabase } from './support/database.ts';
import { pgliteTemplatePath } from './support/template.ts';

const cli = path.resolve('bin/signpost.mjs');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

test('signpost --help lists the commands', () => {
  const result = run(['--help']);
  assert.equal(result.status, 0);
  for (const command of ['serve', 'migrate', 'seed']) assert.match(result.stdout, new RegExp(`\\n  ${command} `));
});

test('each command explains itself with --help', () => {
  const result = run(['serve', '--help']);
  assert.equal(result.status, 0);
  assert.match(result.stdout, /Usage: signpost serve/);
});

test('an unknown command or option is refused with usage, exit 1', () => {
  const unknown = run(['frobnicate']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /Unknown command "frobnicate"/);
  const option = run(['migrate', '--bogus']);
  assert.equal(option.status, 1);
  assert.match(option.stderr, /Unknown option '--bogus'/);
});

test('a bad setting stops start-up with one line naming the variable and no stack trace', () => {
  const result = run(['serve'], { PORT: 'eighty', PGLITE_DIR: mkdtempSync(path.join(tmpdir(), 'signpost-cli-')) });
  assert.equal(result.status, 1);
  assert.equal(result.stderr.trim(), 'Configuration error: PORT must be a whole number from 0 to 65535 (got "eighty")');
});

/** Starts `signpost serve` and resolves with its URL once it says it is running. */
// Servers still running when the file ends (a failed assertion skips stop) are killed, so the
// test process can exit.
const running = new Set<ReturnType<typeof spawn>>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

interface Server {
  url: string;
  pid: number;
  readonly output: string;
  stop: () => Promise<void>;
  kill: () => Promise<void>;
  ms: number;
}

function startServer(env: Record<string, string>): Promise<Server> {
  const started = Date.now();
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', SIGNPOST_WORKER: 'false', ...env },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no start within 120 s:\n${output}`));
    }, 120_000);
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const url = /running at (http:\/\/[^\s]+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({
          url,
          pid: child.pid!,
          ms: Date.now() - started,
          get output() {
            return output;
          },
          stop: () =>
            new Promise((done) => {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
          kill: () =>
            new Promise((done) => {
              child.once('exit', () => done());
              child.kill('SIGKILL');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}:\n${output}`));
    });
  });
}

test(
  'serve migrates an empty embedded database, answers, stops cleanly, and starts again on the same data',
  { skip: backend !== 'pglite' && 'embedded-database start is checked in the PGlite pass' },
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'signpost-serve-'));
    const first = await startServer({ PGLITE_DIR: dir });
    const ready = await fetch(`${first.url}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { database: 'ok' });
    assert.match(first.output, /Demo sign-in accounts/);
    assert.match(first.output, /linkworker@demo\.signpost\.example/);
    await first.stop();
    const second = await startServer({ PGLITE_DIR: dir });
    assert.equal((await fetch(`${second.url}/`)).status, 200);
    // The demo is loaded once and kept: the same accounts, and the directory is there.
    assert.match(second.output, /linkworker@demo\.signpost\.example/);
    const search = await (await fetch(`${second.url}/services?q=walking`)).text();
    assert.match(search, /walk/i);
    await second.stop();
  },
);

test(
  'serve runs on the PostgreSQL server named by DATABASE_URL',
  { skip: backend !== 'postgres' && 'the server backend is checked in the PostgreSQL pass' },
  async () => {
    const database = await freshDatabase();
    try {
      const server = await startServer({ DATABASE_URL: database.url!, PGLITE_DIR: mkdtempSync(path.join(tmpdir(), 'signpost-unused-')) });
      const ready = await fetch(`${server.url}/health/ready`);
      assert.equal(ready.status, 200);
      assert.match(server.output, /PostgreSQL server/);
      await server.stop();
    } finally {
      await database.close();
    }
  },
);

test(
  "a second server or a command on a running server's embedded database is refused; a killed server's lock is taken over",
  { skip: backend !== 'pglite' && 'the embedded database lock is checked in the PGlite pass', timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'signpost-locked-'));
    const prepared = await openPglite(dir, { loadDataDir: new Blob([readFileSync(pgliteTemplatePath())]) });
    await prepared.close();
    const env = { PGLITE_DIR: dir, SIGNPOST_DEMO: 'false', SESSION_SECRET: 'lock-test-secret-that-is-long-enough-00' };
    const first = await startServer({ ...env, PORT: '3161' });
    const lockLine = new RegExp(
      `^The embedded database in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by process ${first.pid} \\(signpost serve, since [^)]+\\)\\. Stop that process first, or run this against the server's database with DATABASE_URL\\.$`,
    );

    const second = run(['serve'], { ...env, PORT: '3162', LOG_LEVEL: 'warn' });
    assert.equal(second.status, 1);
    assert.match(second.stderr.trim(), lockLine);
    const command = run(['tenant', 'add', '--name', 'Second Writer PCN'], env);
    assert.equal(command.status, 1);
    assert.match(command.stderr.trim(), lockLine);
    const worker = run(['worker'], env);
    assert.equal(worker.status, 1);
    assert.match(
      worker.stderr.trim(),
      new RegExp(
        `^signpost worker cannot share the embedded database in .* with process ${first.pid} .*the server runs its own job worker in-process`,
      ),
    );

    assert.equal((await fetch(`${first.url}/health/ready`)).status, 200);
    await first.kill();
    assert.ok(existsSync(path.join(dir, 'signpost.lock')), 'SIGKILL leaves the lock behind');
    const third = await startServer({ ...env, PORT: '3163' });
    assert.equal((await fetch(`${third.url}/health/ready`)).status, 200);
    await third.stop();
    assert.equal(existsSync(path.join(dir, 'signpost.lock')), false, 'a clean stop releases the lock');
    // Nothing the refused command meant to write reached the database.
    const database = await openPglite(dir);
    const { rows } = await database.pool.query(`SELECT 1 FROM tenant WHERE name = 'Second Writer PCN'`);
    await database.close();
    assert.equal(rows.length, 0);
    rmSync(dir, { recursive: true, force: true });
  },
);
