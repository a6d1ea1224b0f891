import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { demoActor } from '../../src/demo/actors.ts';
import { demoSeeders, seedDemo, type DemoContext } from '../../src/demo/seed.ts';
import { identitySeeder } from '../../src/identity/demo.ts';
import { referralsSeeder } from '../../src/referrals/demo.ts';
import { reportingSeeder } from '../../src/reporting/demo.ts';
import { researchSeeder } from '../../src/reporting/research/demo.ts';
import { getExtract, getProject, listProjects } from '../../src/reporting/research/service.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

test('the demo researcher has a project with an extract that has rows after k-anonymity, from demo people who agreed to research', async () => {
  assert.ok(demoSeeders.indexOf(researchSeeder) < demoSeeders.indexOf(reportingSeeder));
  let ids: DemoContext['ids'] = {};
  await seedDemo(database, [
    identitySeeder,
    referralsSeeder,
    researchSeeder,
    {
      area: 'capture',
      async seed(context) {
        ids = context.ids;
      },
    },
  ]);
  const researcher = demoActor(ids.tenant![0]!, ids['user:researcher']![0]!, 'researcher', 'Dr Li Wei');
  const projects = await listProjects(database.pool, researcher);
  assert.equal(projects.length, 1);
  assert.match(projects[0]!.name, /\(demo\)$/);
  const { extracts } = await getProject(database.pool, researcher, projects[0]!.id);
  assert.equal(extracts.length, 1);
  const { extract } = await getExtract(database.pool, researcher, projects[0]!.id, extracts[0]!.id);
  const k = extract.manifest.kAnonymity;
  assert.ok(k.peopleReleased >= 100, `${k.peopleReleased} people released`);
  assert.ok(k.peopleByLevel[0]!.people > 0, 'some people are released as recorded');
  assert.ok(k.smallestGroup >= 5);
  assert.ok(extract.manifest.rowCounts['referrals.csv'] >= k.peopleReleased);
  const { rows } = await database.pool.query<{ with: number; without: number }>(
    `SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM consent c WHERE c.person_id = p.id AND c.kind = 'research'))::int AS with,
            count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM consent c WHERE c.person_id = p.id AND c.kind = 'research'))::int AS without
       FROM person p WHERE p.tenant_id = $1 AND p.merged_into_id IS NULL AND NOT p.awaiting_match`,
    [ids.tenant![0]],
  );
  assert.equal(k.peopleWithConsent, rows[0]!.with);
  assert.ok(rows[0]!.without > 0, 'some demo people did not agree to research');
});
