#!/usr/bin/env node
// Reads `npm audit --omit=dev --json` on standard input and decides by what it holds: a report
// (auditReportVersion and metadata.vulnerabilities) fails on any high or critical advisory; an
// error object (the registry's advisory endpoint unreachable, or answering e.g. 405) or no JSON at
// all is said in one line and does not fail, since nothing was learnt about the dependencies.
let input = '';
for await (const chunk of process.stdin) input += chunk;

let audit;
try {
  audit = JSON.parse(input);
} catch {
  console.log('npm audit: no report (the advisory endpoint could not be reached); dependencies were not checked for advisories.');
  process.exit(0);
}

const counts = audit?.metadata?.vulnerabilities;
if (!audit?.auditReportVersion || !counts) {
  const why = audit?.message || audit?.error?.summary || audit?.error?.code || 'no report';
  console.log(
    `npm audit: the registry's advisory endpoint answered an error (${String(why).split('\n')[0]}); dependencies were not checked for advisories.`,
  );
  process.exit(0);
}

const serious = Object.values(audit.vulnerabilities ?? {}).filter((v) => v.severity === 'high' || v.severity === 'critical');
if ((counts.high ?? 0) + (counts.critical ?? 0) === 0) {
  console.log(`npm audit: no high or critical advisories in production dependencies (${counts.total ?? 0} lower).`);
  process.exit(0);
}
console.log(`npm audit: ${counts.critical ?? 0} critical and ${counts.high ?? 0} high advisories in production dependencies:`);
for (const v of serious) {
  const titles = (v.via ?? []).filter((via) => typeof via === 'object').map((via) => `${via.title} (${via.url})`);
  console.log(
    `  ${v.name} ${v.range ?? ''} ${v.severity}${titles.length ? `: ${titles.join('; ')}` : ` (through ${(v.via ?? []).join(', ')})`}${v.fixAvailable ? ', fix available' : ''}`,
  );
}
process.exit(1);
