#!/usr/bin/env node
// The whole suite: typecheck, lint, every test file on PGlite and again on a PostgreSQL
// server, then the browser journeys in Chromium. Options:
//   --only <step>   typecheck | lint | pglite | postgres | browser (repeatable)
//   any other argument filters test files by path substring.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const only = [];
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only') only.push(args[++i]);
  else filters.push(args[i]);
}
const wanted = (step) => only.length === 0 || only.includes(step);

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) return findTests(full);
      return entry.endsWith('.test.ts') ? [full] : [];
    })
    .sort();
}

const matches = (file) => filters.length === 0 || filters.some((f) => file.includes(f));
const all = findTests('test').filter(matches);
const browserTests = all.filter((f) => f.startsWith(path.join('test', 'browser')));
const serverTests = all.filter((f) => !browserTests.includes(f));
// A file that touches no database says so on its first line and runs once, in the PGlite pass.
const NO_DATABASE = '// Touches no database';
const databaseTests = serverTests.filter((f) => !readFileSync(f, 'utf8').startsWith(NO_DATABASE));
const concurrency = Math.max(2, cpus().length);
const timings = [];

// Test files share worker processes (test/support/file-queue.ts): importing the app and starting
// PGlite cost about 2 s of CPU a file, a third of the suite. A file that changes what the whole
// process sees says so on a line of its own and runs in a process of its own.
const OWN_PROCESS = /^\/\/ Own process:/m;
const TIMINGS = 'test/support/file-timings.json';
const CACHED_TIMINGS = 'node_modules/.cache/signpost/file-timings.json';
const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
};
const knownSeconds = { ...readJson(TIMINGS), ...readJson(CACHED_TIMINGS) };
const expectedSeconds = (file) => knownSeconds[file] ?? statSync(file).size / 2000;

/** The arguments for `node --test`: files that need their own process, then the shared workers. */
function queued(step, files) {
  const own = files.filter((f) => OWN_PROCESS.test(readFileSync(f, 'utf8')));
  const shared = files.filter((f) => !own.includes(f)).sort((a, b) => expectedSeconds(b) - expectedSeconds(a));
  const dir = mkdtempSync(path.join(tmpdir(), `signpost-${step}-`));
  mkdirSync(path.join(dir, 'waiting'));
  mkdirSync(path.join(dir, 'claimed'));
  shared.forEach((file, i) => writeFileSync(path.join(dir, 'waiting', String(i).padStart(4, '0')), file));
  const workers = Array.from({ length: Math.min(concurrency, shared.length) }, (_, i) => {
    const worker = path.join(dir, `worker-${i + 1}.mjs`);
    writeFileSync(worker, `await import(${JSON.stringify(new URL('../test/support/file-queue.ts', import.meta.url).href)});\n`);
    return worker;
  });
  return { dir, files: [...own.sort((a, b) => expectedSeconds(b) - expectedSeconds(a)), ...workers] };
}

/** Keeps each file's time from this run, so the next run queues the slowest first. */
function keepTimings(dir) {
  const lines = existsSync(path.join(dir, 'timings.jsonl'))
    ? readFileSync(path.join(dir, 'timings.jsonl'), 'utf8').trim().split('\n').filter(Boolean)
    : [];
  for (const line of lines) {
    const { file, seconds } = JSON.parse(line);
    knownSeconds[file] = Math.round(seconds * 10) / 10;
  }
  mkdirSync(path.dirname(CACHED_TIMINGS), { recursive: true });
  writeFileSync(CACHED_TIMINGS, `${JSON.stringify(knownSeconds, null, 1)}\n`);
  rmSync(dir, { recursive: true, force: true });
}

// Template locations are fixed once by the prepare step and handed to every test file, so all
// files of a run copy the same template.
const templateEnv = {};

function run(step, command, commandArgs, env = {}, capture = false, after = () => {}) {
  const started = Date.now();
  console.log(`\n=== ${step} ===`);
  const result = spawnSync(command, commandArgs, {
    stdio: capture ? ['inherit', 'pipe', 'inherit'] : 'inherit',
    env: { ...process.env, ...templateEnv, ...env },
    encoding: 'utf8',
  });
  if (capture) {
    process.stdout.write(result.stdout ?? '');
    const pglite = /PGlite template: (.+)/.exec(result.stdout ?? '')?.[1];
    const postgres = /PostgreSQL template: (.+)/.exec(result.stdout ?? '')?.[1];
    if (pglite) templateEnv.TEST_PGLITE_TEMPLATE = pglite.trim();
    if (postgres) templateEnv.TEST_PG_TEMPLATE = postgres.trim();
  }
  after();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${step}: ${seconds}s`);
  if (result.status !== 0) {
    console.error(`\n${step} failed (exit ${result.status ?? result.signal}).`);
    console.log(timings.join('\n'));
    process.exit(1);
  }
}

const node = process.execPath;
const testArgs = (files, extra = []) => [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  ...(process.env.TEST_TAP ? ['--test-reporter=tap', `--test-reporter-destination=${process.env.TEST_TAP}`] : []),
  `--test-concurrency=${concurrency}`,
  '--test-timeout=2400000',
  ...extra,
  ...files,
];

if (wanted('typecheck')) run('typecheck', node, ['node_modules/typescript/bin/tsc', '-p', '.']);
if (wanted('lint')) {
  run('lint', node, ['node_modules/eslint/bin/eslint.js', '.']);
  run('format', node, ['node_modules/prettier/bin/prettier.cjs', '--check', '--log-level', 'warn', '.']);
}
if (wanted('pglite') && serverTests.length) {
  run('prepare PGlite template', node, ['--import', 'tsx', 'test/support/prepare-templates.ts', 'pglite'], {}, true);
  const q = queued('pglite', serverTests);
  // Commands and servers the tests start open small embedded databases: 16 MB of shared buffers
  // rather than 128 MB spares zeroing memory they never fill, about half a second of CPU an open.
  const env = { TEST_BACKEND: 'pglite', TEST_QUEUE_DIR: q.dir, PGLITE_SHARED_BUFFERS: '16MB' };
  run('tests on PGlite', node, testArgs(q.files), env, false, () => keepTimings(q.dir));
}
if (wanted('postgres') && databaseTests.length) {
  run('prepare PostgreSQL template', node, ['--import', 'tsx', 'test/support/prepare-templates.ts', 'postgres'], {}, true);
  const q = queued('postgres', databaseTests);
  run('tests on PostgreSQL', node, testArgs(q.files), { TEST_BACKEND: 'postgres', TEST_QUEUE_DIR: q.dir }, false, () => keepTimings(q.dir));
}
// The journeys test pages, which are the same on either backend (both passes above cover the
// database): they run against the PostgreSQL server, whose native queries leave the 2 cores to
// Chromium. TEST_BROWSER_BACKEND=pglite runs them on the embedded database instead.
if (wanted('browser') && browserTests.length) {
  const browserBackend = process.env.TEST_BROWSER_BACKEND ?? 'postgres';
  run('prepare template (browser)', node, ['--import', 'tsx', 'test/support/prepare-templates.ts', browserBackend], {}, true);
  const q = queued('browser', browserTests);
  run('browser tests in Chromium', node, testArgs(q.files), { TEST_BACKEND: browserBackend, TEST_QUEUE_DIR: q.dir }, false, () =>
    keepTimings(q.dir),
  );
}
console.log(`\nAll passed.\n${timings.join('\n')}`);
