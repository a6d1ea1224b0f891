import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { printSoakReport, runSoak } from '../../bench/_soak.ts';
import { openPglite } from '../../src/db/database.ts';
import { backend } from '../support/database.ts';
import { TEST_PASSWORD, aUserWithPassword } from '../support/identity-factories.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aProviderService, anEpisodeInContact } from '../support/plans-factories.ts';
import { aTenant } from '../support/factories.ts';
import { pgliteTemplatePath } from '../support/template.ts';

// The short soak of bench/soak.ts: 150 mixed requests through a real server process,
// one SIGTERM and one SIGKILL restart, then amcheck and a full re-read of the database.
test(
  'a mixed workload with a clean and a killed restart leaves the embedded database sound and never answers 5xx',
  { skip: backend !== 'pglite' && 'the embedded database is soaked in the PGlite pass', timeout: 600_000 },
  async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'signpost-soak-'));
    try {
      const database = await openPglite(dataDir, { loadDataDir: new Blob([readFileSync(pgliteTemplatePath())]) });
      const { id: tenantId } = await aTenant(database, { name: 'Soak PCN' });
      const lead = await aUserWithPassword(database, { tenantId, roles: ['lead'], email: 'lead@soak.example' });
      const worker = await aUserWithPassword(database, { tenantId, roles: ['link_worker'], email: 'worker@soak.example' });
      const provider = await aUserWithPassword(database, { tenantId, roles: ['provider'], email: 'provider@soak.example' });
      for (const name of ['Soak Walking Group', 'Soak Garden Club']) await aProviderService(database, provider, { name });
      for (const name of ['Soak Art Class', 'Soak Money Advice']) await aDirectoryService(database, { name });
      for (let i = 0; i < 6; i++) await anEpisodeInContact(database, { lead, worker });
      await database.close();

      const report = await runSoak({
        dataDir,
        port: 3171,
        durationMs: 300_000,
        maxRequests: 150,
        restarts: ['SIGTERM', 'SIGKILL'],
        concurrency: 3,
        accounts: { linkWorker: worker.email, provider: provider.email, lead: lead.email, password: TEST_PASSWORD },
        env: {
          SIGNPOST_DEMO: 'false',
          SESSION_SECRET: 'soak-test-secret-that-is-long-enough-000',
          SOAK_SCAN_MS: '2000',
          SOAK_IMPORT_MS: '4000',
        },
      });
      const lines: string[] = [];
      printSoakReport(report, (line) => lines.push(line));
      const figures = lines.join('\n');
      assert.equal(report.serverErrors, 0, figures);
      assert.equal(report.errors, 0, figures);
      assert.deepEqual(
        report.restarts.map((r) => r.signal),
        ['SIGTERM', 'SIGKILL'],
      );
      assert.ok(Object.values(report.requests).reduce((a, b) => a + b, 0) === 150, figures);
      for (const kind of ['directory search', 'curation edit', 'onward referral', 'provider response'])
        assert.ok(report.requests[kind]! > 0, `${kind} ran: ${figures}`);
      assert.ok(report.amcheck.indexes > 50, figures);
      assert.deepEqual([...report.amcheck.indexProblems, ...report.amcheck.heapProblems], []);
      const rows = Object.fromEntries(report.tables.map((t) => [t.table, t.rows]));
      assert.ok(rows.onward_referral! > 0, `onward referrals were written: ${figures}`);
      for (const kind of ['reminder-scan', 'oruk-import']) assert.equal(report.background[kind]?.error ?? 0, 0, figures);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
