// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

// .ci/run pipes `npm audit --omit=dev --json` into .ci/audit.mjs; these are the shapes npm gives.
const audit = (input: string) => spawnSync(process.execPath, ['.ci/audit.mjs'], { input, encoding: 'utf8' });

const report = (high: number, critical: number) =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities:
      high + critical
        ? {
            'parse-thing': {
              name: 'parse-thing',
              severity: critical ? 'critical' : 'high',
              range: '<2.0.1',
              fixAvailable: true,
              via: [
                { title: 'Prototype pollution in parse-thing', url: 'https://github.com/advisories/GHSA-xxxx-yyyy-zzzz', severity: 'high' },
              ],
            },
          }
        : {},
    metadata: { vulnerabilities: { info: 0, low: 2, moderate: 1, high, critical, total: 3 + high + critical } },
  });

test('a high advisory in a production dependency fails CI, naming the package and the advisory', () => {
  const result = audit(report(1, 0));
  assert.equal(result.status, 1);
  assert.match(result.stdout, /0 critical and 1 high advisories/);
  assert.match(
    result.stdout,
    /parse-thing <2\.0\.1 high: Prototype pollution in parse-thing \(https:\/\/github\.com\/advisories\/GHSA-xxxx-yyyy-zzzz\), fix available/,
  );
});

test('a report with only lower advisories passes', () => {
  const result = audit(report(0, 0));
  assert.equal(result.status, 0);
  assert.equal(result.stdout.trim(), 'npm audit: no high or critical advisories in production dependencies (3 lower).');
});

test('an advisory endpoint that answers an error is said in one line and does not fail CI', () => {
  // What npm prints on a registry that does not serve advisories (seen on this build machine).
  const answered = JSON.stringify({
    message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    method: 'POST',
    uri: 'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    statusCode: 405,
    body: '',
    error: { summary: '', detail: '' },
  });
  const result = audit(answered);
  assert.equal(result.status, 0);
  assert.equal(result.stdout.trim().split('\n').length, 1);
  assert.match(result.stdout, /advisory endpoint answered an error \(405 Method Not Allowed - POST .*\); dependencies were not checked/);
  const offline = audit(
    JSON.stringify({
      error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org failed, reason: getaddrinfo ENOTFOUND', detail: '' },
    }),
  );
  assert.equal(offline.status, 0);
  assert.match(offline.stdout, /answered an error \(request to https:\/\/registry\.npmjs\.org failed/);
  assert.equal(audit('').status, 0);
});
