import type { DemoContext, DemoSeeder } from '../demo/seed.ts';
import type { Role } from './actor.ts';
import * as q from './queries.ts';
import { addUser } from './service.ts';

/** Every demo account shares this password (three random words, as NCSC suggests). */
export const DEMO_PASSWORD = 'bluebell-harbour-lantern';

const ROLE_EMAIL: Record<Role, string> = {
  referrer: 'referrer',
  link_worker: 'linkworker',
  lead: 'lead',
  provider: 'provider',
  commissioner: 'commissioner',
  researcher: 'researcher',
  curator: 'curator',
  admin: 'admin',
};

async function insertTenant(context: DemoContext, name: string): Promise<string> {
  // A fictional address for the letterhead of the demo's discharge summaries.
  return q.insertTenant(context.database.pool, name, `${name}, 1 Example Street, Leeds, LS1 1AA`);
}

async function insertPractice(context: DemoContext, tenantId: string, odsCode: string, name: string): Promise<string> {
  return q.insertPractice(context.database.pool, tenantId, odsCode, name);
}

async function insertProvider(context: DemoContext, tenantId: string, name: string, email: string): Promise<string> {
  return q.insertProviderOrganisation(context.database.pool, tenantId, name, email);
}

/**
 * The fictional service: one PCN with three practices, two community organisations and one user
 * per role, plus a small second tenant so cross-tenant checks have something to miss.
 * Everything here is made up; ODS codes use the unallocated Y9xxxx range.
 */
export const identitySeeder: DemoSeeder = {
  area: 'identity',
  async seed(context) {
    const ids = context.ids;
    const tenant = await insertTenant(context, 'Leeds Central Primary Care Network (demo)');
    const practices = [
      await insertPractice(context, tenant, 'Y90001', 'Kirkgate Medical Practice (demo)'),
      await insertPractice(context, tenant, 'Y90002', 'Aire Valley Surgery (demo)'),
      await insertPractice(context, tenant, 'Y90003', 'Woodhouse Health Centre (demo)'),
    ];
    const providers = [
      await insertProvider(context, tenant, 'Leeds Community Gardening Collective (demo)', 'gardening@demo.signpost.example'),
      await insertProvider(context, tenant, 'Money Matters Advice Leeds (demo)', 'moneymatters@demo.signpost.example'),
    ];
    ids.tenant = [tenant];
    ids.practices = practices;
    ids.providerOrganisations = providers;
    ids.linkWorkers = [];

    const people: { role: Role; name: string }[] = [
      { role: 'referrer', name: 'Dr Amira Shah' },
      { role: 'link_worker', name: 'Sam Okafor' },
      { role: 'lead', name: 'Priya Desai' },
      { role: 'provider', name: 'Tom Whitaker' },
      { role: 'commissioner', name: 'Helen Brooks' },
      { role: 'researcher', name: 'Dr Li Wei' },
      { role: 'curator', name: 'Grace Adeyemi' },
      { role: 'admin', name: 'Martin Hale' },
    ];
    for (const person of people) {
      const email = `${ROLE_EMAIL[person.role]}@demo.signpost.example`;
      const userId = await addUser(context.database.pool, {
        email,
        name: person.name,
        tenantId: tenant,
        roles: [person.role],
        password: DEMO_PASSWORD,
        practiceId: practices[0],
        providerOrganisationId: providers[0],
      });
      ids[`user:${person.role}`] = [userId];
      context.accounts.push({ role: person.role, email, password: DEMO_PASSWORD });
    }
    // A second link worker, so caseloads and allocation have a choice.
    const second = await addUser(context.database.pool, {
      email: 'linkworker2@demo.signpost.example',
      name: 'Jo Barker',
      tenantId: tenant,
      roles: ['link_worker'],
      password: DEMO_PASSWORD,
    });
    ids.linkWorkers = [ids['user:link_worker']![0]!, second];

    const other = await insertTenant(context, 'Bradford East Primary Care Network (demo)');
    const otherPractice = await insertPractice(context, other, 'Y90011', 'Bowling Green Surgery (demo)');
    const otherProvider = await insertProvider(context, other, 'Bradford Walking Friends (demo)', 'walking@demo.signpost.example');
    const otherLinkWorker = await addUser(context.database.pool, {
      email: 'linkworker@bradford.demo.signpost.example',
      name: 'Aisha Rahman',
      tenantId: other,
      roles: ['link_worker'],
      password: DEMO_PASSWORD,
    });
    const otherAdmin = await addUser(context.database.pool, {
      email: 'admin@bradford.demo.signpost.example',
      name: 'Neil Carter',
      tenantId: other,
      roles: ['admin', 'lead'],
      password: DEMO_PASSWORD,
    });
    ids.otherTenant = [other];
    ids['otherTenant:practices'] = [otherPractice];
    ids['otherTenant:providerOrganisations'] = [otherProvider];
    ids['otherTenant:user:link_worker'] = [otherLinkWorker];
    ids['otherTenant:user:admin'] = [otherAdmin];
    context.accounts.push({
      role: 'link_worker (2nd tenant)',
      email: 'linkworker@bradford.demo.signpost.example',
      password: DEMO_PASSWORD,
    });
  },
};
