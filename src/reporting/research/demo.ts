import { withTenant, withTransaction } from '../../db/transaction.ts';
import type { DemoSeeder } from '../../demo/seed.ts';
import { demoActor } from '../../demo/actors.ts';
import { generateBatch, insertBatch } from '../../referrals/bulk.ts';
import * as q from './queries.ts';
import { createProject, generateExtract } from './service.ts';

const DAY = 86_400_000;

/**
 * Research in the demo: a cohort of fictional people whose make-up is like a real practice's
 * (mostly older, White British, in the most deprived areas), since the demo's other people are
 * spread so evenly over every age, ethnic category and decile that almost none would share a
 * combination with four others; research consent for them and for three in four other people;
 * and the demo researcher's project with one extract already made.
 */
export const researchSeeder: DemoSeeder = {
  area: 'research',
  async seed(context) {
    const { ids, random } = context;
    const tenantId = ids.tenant?.[0];
    const workerId = ids.linkWorkers?.[0];
    const researcherId = ids['user:researcher']?.[0];
    if (!tenantId || !workerId || !researcherId) return;
    const pool = context.database.pool;
    const now = Date.now();
    const cohort = generateBatch(
      random,
      {
        tenantId,
        practices: (ids.practices ?? []).slice(0, 1),
        linkWorkers: ids.linkWorkers ?? [],
        leadId: ids['user:lead']?.[0] ?? null,
        referrerId: ids['user:referrer']?.[0] ?? null,
      },
      { people: 90, referralsPerPerson: 1.1, nhsOffset: 700_000 },
    );
    for (const person of cohort.people) {
      const age = random.chance(0.7) ? random.int(62, 77) : random.int(42, 57);
      person.dateOfBirth = new Date(now - (age * 365.25 + random.int(30, 330)) * DAY).toISOString().slice(0, 10);
      person.sex = random.chance(0.6) ? 'female' : 'male';
      person.ethnicity = random.chance(0.85) ? 'A' : 'J';
      person.deprivationDecile = random.chance(0.7) ? random.int(1, 2) : 3;
    }
    await withTransaction(pool, (tx) => insertBatch(tx, cohort));
    await withTenant(pool, tenantId, async (tx) => {
      const cohortIds = new Set(cohort.people.map((p) => p.id));
      const consenting = (await q.livePeople(tx, tenantId)).filter((id) => cohortIds.has(id) || random.chance(0.75));
      await q.insertResearchConsents(tx, tenantId, consenting, workerId);
    });
    const researcher = demoActor(tenantId, researcherId, 'researcher', 'Dr Li Wei');
    const projectId = await createProject(pool, researcher, tenantId, {
      name: 'Loneliness and social prescribing in Leeds (demo)',
      purpose:
        'Does link worker support reduce loneliness (UCLA 3-item) and raise wellbeing (SWEMWBS) over six months, and does that differ by area deprivation?',
      approvalReference: 'REC 26/YH/0000 (demo)',
    });
    await generateExtract(pool, researcher, tenantId, projectId, new Date());
    ids.researchProjects = [projectId];
  },
};
