// Finding people and work: the caseload, triage and a referrer's list searched by name and NHS
// number, a referrer's list a page at a time over thousands of referrals, and a link worker's home
// page (which also counts the header's new work), each beside the unsearched caseload page and a
// bare one-select route measured in the same run. Data as the referrals benchmark: 20 tenants of
// people and referrals (times the scale), a link worker with 400 open referrals.
//   npm run bench -- finding [scale] [pglite-scale]     (defaults 0.1 and 0.02)
import { migrate } from '../src/db/migrate.ts';
import type { Database } from '../src/db/database.ts';
import type { Actor } from '../src/identity/actor.ts';
import { formatNhsNumber } from '../src/people/nhs-number.ts';
import { onEachBackend } from './_backends.ts';
import { cannon, reportLine, type Run } from './_load.ts';
import { benchApp, cookieFor, load } from './_referral-world.ts';

const scale = Number(process.argv[2] ?? 0.1);
const pgliteScale = Number(process.argv[3] ?? 0.02);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

async function run(backend: string, db: Database, factor: number) {
  console.log(`\n${backend}: migrating and loading (scale ${factor})`);
  await migrate(db.pool);
  const world = await load(db, factor);
  const { rows: leads } = await db.pool.query<{ userId: string }>(
    `SELECT user_id AS "userId" FROM role_membership WHERE tenant_id = $1 AND role = 'lead' LIMIT 1`,
    [world.tenantId],
  );
  const lead: Actor = { ...world.worker, userId: leads[0]!.userId, roles: ['lead'] };
  // A person on the worker's caseload, to search for by NHS number.
  const { rows: people } = await db.pool.query<{ nhsNumber: string; familyName: string }>(
    `SELECT p.nhs_number AS "nhsNumber", p.family_name AS "familyName" FROM referral r JOIN person p ON p.tenant_id = r.tenant_id AND p.id = r.person_id
      WHERE r.tenant_id = $1 AND r.assigned_to = $2 AND p.nhs_number IS NOT NULL LIMIT 1`,
    [world.tenantId, world.worker.userId],
  );
  const sought = people[0]!;
  const { rows: counts } = await db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM referral WHERE tenant_id = $1 AND referrer_user_id = $2',
    [world.tenantId, world.referrer.userId],
  );
  const { app, url } = await benchApp(db);
  try {
    const cookie = async (actor: Actor) => ({ headers: { cookie: await cookieFor(app, db, actor) }, connections: 10, seconds: SECONDS });
    const worker = await cookie(world.worker);
    const leadOptions = await cookie(lead);
    const referrer = await cookie(world.referrer);
    const spaced = encodeURIComponent(formatNhsNumber(sought.nhsNumber));
    const name = encodeURIComponent(sought.familyName.toLowerCase());
    const runs: Run[] = [];
    runs.push(
      await cannon('bare route, one indexed select', `${url}/bench/bare?tenant=${world.tenantId}&id=${world.referralId}`, {
        connections: 10,
        seconds: SECONDS,
      }),
    );
    runs.push(await cannon('caseload page (400 open), no search', `${url}/caseload`, worker));
    runs.push(await cannon('caseload, search by surname', `${url}/caseload?q=${name}`, worker));
    runs.push(await cannon('caseload, search by NHS number', `${url}/caseload?q=${spaced}`, worker));
    runs.push(await cannon('triage, search by surname (tenant)', `${url}/triage?q=${name}`, leadOptions));
    runs.push(await cannon(`my referrals page 1 of ${counts[0]!.n}`, `${url}/my-referrals`, referrer));
    runs.push(await cannon('my referrals, search by NHS number', `${url}/my-referrals?q=${spaced}`, referrer));
    runs.push(await cannon('link worker home page', `${url}/home`, worker));
    console.log(`\n${backend}: ${world.people} people, ${world.referrals} referrals`);
    for (const r of runs) reportLine(backend, r);
  } finally {
    await app.close();
  }
}

await onEachBackend(20, async (backend, database) => {
  await run(backend, database, backend === 'PostgreSQL' ? scale : pgliteScale);
});
