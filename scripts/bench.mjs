#!/usr/bin/env node
// `npm run bench -- <name> [args]` runs bench/<name>.ts; with no name it lists them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const [name, ...rest] = process.argv.slice(2);
const available = existsSync('bench')
  ? readdirSync('bench')
      .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
      .map((f) => f.replace(/\.ts$/, ''))
  : [];
if (!name || !available.includes(name)) {
  console.log(`Usage: npm run bench -- <name>\nBenchmarks: ${available.join(', ') || '(none yet)'}`);
  process.exit(name ? 1 : 0);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
