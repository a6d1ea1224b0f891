// Soak: the demo service on embedded PGlite, served by a child process and driven through HTTP
// with a mixed workload (directory searches and pages, curation edits, onward referrals, provider
// responses, caseloads, reports and their refresh) while the server also scans reminders and
// imports an ORUK feed; restarted with SIGTERM and SIGKILL along the way; then the database is
// checked with amcheck and every table re-read in full.
//   npm run bench -- soak [--minutes 30] [--restarts 6] [--port 3170]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD } from '../src/identity/demo.ts';
import { printSoakReport, runSoak } from './_soak.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    restarts: { type: 'string', default: '6' },
    port: { type: 'string', default: '3170' },
    keep: { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const restarts = Number(values.restarts);
const dataDir = mkdtempSync(path.join(tmpdir(), 'signpost-soak-'));
console.log(`Soak for ${minutes} minutes on ${dataDir}, ${restarts} restarts alternating SIGTERM and SIGKILL (first start seeds the demo)`);
const report = await runSoak({
  dataDir,
  port: Number(values.port),
  durationMs: minutes * 60_000,
  restarts: Array.from({ length: restarts }, (_, i) => (i % 2 === 0 ? 'SIGTERM' : 'SIGKILL')),
  accounts: {
    linkWorker: 'linkworker@demo.signpost.example',
    provider: 'provider@demo.signpost.example',
    lead: 'lead@demo.signpost.example',
    password: DEMO_PASSWORD,
  },
  env: { SIGNPOST_DEMO: 'true', SESSION_SECRET: 'soak-session-secret-that-is-long-enough' },
  progress: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
});
printSoakReport(report);
if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
const clean =
  report.serverErrors === 0 && report.errors === 0 && report.amcheck.indexProblems.length === 0 && report.amcheck.heapProblems.length === 0;
process.exitCode = clean ? 0 : 1;
