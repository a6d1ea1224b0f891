// Referral pages under load: the caseload page of a link worker with 400 open referrals, and the
// staff intake POST (check your answers -> saved referral, with audit events and row-level
// security), beside a bare route doing one indexed select, measured in the same run, over the
// whole app on loopback. Data: 200,000 people and 300,000 referrals across 20 tenants (times the
// scale), with transitions, allocations, contacts and consents. PostgreSQL (TEST_DATABASE_URL,
// default postgres://postgres@127.0.0.1:5432) then embedded PGlite.
//   npm run bench -- referrals [scale] [pglite-scale]     (defaults 1 and 0.25)
import { onEachBackend } from './_backends.ts';
import { runReferralBench } from './_referral-world.ts';

const scale = Number(process.argv[2] ?? 1);
const pgliteScale = Number(process.argv[3] ?? 0.25);

await onEachBackend(20, async (backend, database) => {
  await runReferralBench(backend, database, backend === 'PostgreSQL' ? scale : pgliteScale);
});
