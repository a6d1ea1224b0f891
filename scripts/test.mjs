#!/usr/bin/env node
// The whole suite: typecheck, lint, every test file on PGlite and again on a PostgreSQL
// server, then the browser journeys in Chromium. Options:
//   --only <step>   typecheck | lint | pglite | postgres | browser (repeatable)
//   any other argument filters test files by path substring.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
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
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return findTests(full);
    return entry.endsWith('.test.ts') ? [full] : [];
  }).sort();
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

// Template locations are fixed once by the prepare step and handed to every test file, so all
// files of a run copy the same template.
const templateEnv = {};

function run(step, command, commandArgs, env = {}, capture = false) {
  const started = Date.now();
  console.log(`\n=== ${step} ===`);
  const result = spawnSync(command, commandArgs, {
    stdio: capture ? ['inherit', 'pipe', 'inherit'] : 'inherit', env: { ...process.env, ...templateEnv, ...env }, encoding: 'utf8',
  });
  if (capture) {
    process.stdout.write(result.stdout ?? '');
    const pglite = /PGlite template: (.+)/.exec(result.stdout ?? '')?.[1];
    const postgres = /PostgreSQL template: (.+)/.exec(result.stdout ?? '')?.[1];
    if (pglite) templateEnv.TEST_PGLITE_TEMPLATE = pglite.trim();
    if (postgres) templateEnv.TEST_PG_TEMPLATE = postgres.trim();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${step}: ${seconds}s`);
  if (result.status !== 0) {
    console.error(`\n${step} failed (exit ${result.status ?? result.signal}).`);
    console.log(timings.join('\n'));
    process.exit(1);
  }
}

const node = process.execPath;
const testArgs = (files, extra = []) => ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...extra, ...files];

if (wanted('typecheck')) run('typecheck', node, ['node_modules/typescript/bin/tsc', '-p', '.']);
if (wanted('lint')) run('lint', node, ['node_modules/eslint/bin/eslint.js', '.']);
if (wanted('pglite') && serverTests.length) {
  run('prepare PGlite template', node, ['--import', 'tsx', 'test/support/prepare-templates.ts', 'pglite'], {}, true);
  run('tests on PGlite', node, testArgs(serverTests), { TEST_BACKEND: 'pglite' });
}
if (wanted('postgres') && databaseTests.length) {
  run('prepare PostgreSQL template', node, ['--import', 'tsx', 'test/support/prepare-templates.ts', 'postgres'], {}, true);
  run('tests on PostgreSQL', node, testArgs(databaseTests), { TEST_BACKEND: 'postgres' });
}
if (wanted('browser') && browserTests.length) {
  run('prepare PGlite template (browser)', node, ['--import', 'tsx', 'test/support/prepare-templates.ts', 'pglite'], {}, true);
  run('browser tests in Chromium', node, testArgs(browserTests), { TEST_BACKEND: 'pglite' });
}
console.log(`\nAll passed.\n${timings.join('\n')}`);
