import { createProject, generateExtract } from '../../../src/reporting/research/service.ts';
import { onlyRoles, type AreaAccess, type MatrixWorld } from './types.ts';

const researchers = ['researcher'] as const;
const extractPath = (w: MatrixWorld) => `/research/projects/${w.ids.researchProject}/extracts/${w.ids.researchExtract}`;

/**
 * Research projects and extracts: researchers of the tenant only. The other tenant's caller, who
 * holds every role there, sees its own list and gets a 404 for the home tenant's project.
 */
export const access: AreaAccess = {
  area: 'research',
  async setUp(world) {
    for (const [tenant, researcher, name] of [
      [world.home, world.home.users.researcher!, 'Hometown Matrix Study'],
      [world.other, world.other.everyRole, 'Otherbury Matrix Study'],
    ] as const) {
      const projectId = await createProject(world.database.pool, researcher, tenant.tenantId, {
        name,
        purpose: 'Matrix',
        approvalReference: `REC ${name}`,
      });
      const extract = await generateExtract(world.database.pool, researcher, tenant.tenantId, projectId, new Date());
      if (tenant === world.home) {
        world.ids.researchProject = projectId;
        world.ids.researchExtract = extract.extractId;
      }
    }
    world.markers.home.push('Hometown Matrix Study');
    world.markers.other.push('Otherbury Matrix Study');
  },
  routes: [
    { method: 'GET', url: '/research', expect: onlyRoles(researchers) },
    { method: 'GET', url: '/research/projects/new', expect: onlyRoles(researchers) },
    {
      method: 'POST',
      url: '/research/projects',
      form: () => ({ name: 'Matrix new project', purpose: 'Access check', approvalReference: 'IRAS 1' }),
      expect: onlyRoles(researchers, { ok: 303 }),
    },
    {
      method: 'GET',
      url: '/research/projects/:projectId',
      path: (w) => `/research/projects/${w.ids.researchProject}`,
      expect: onlyRoles(researchers, { otherTenant: 404 }),
    },
    {
      method: 'POST',
      url: '/research/projects/:projectId/extracts',
      path: (w) => `/research/projects/${w.ids.researchProject}/extracts`,
      expect: onlyRoles(researchers, { ok: 303, otherTenant: 404 }),
    },
    {
      method: 'GET',
      url: '/research/projects/:projectId/extracts/:extractId',
      path: extractPath,
      expect: onlyRoles(researchers, { otherTenant: 404 }),
    },
    {
      method: 'GET',
      url: '/research/projects/:projectId/extracts/:extractId/extract.zip',
      path: (w) => `${extractPath(w)}/extract.zip`,
      expect: onlyRoles(researchers, { otherTenant: 404 }),
    },
    {
      method: 'GET',
      url: '/research/projects/:projectId/extracts/:extractId/files/:file',
      path: (w) => `${extractPath(w)}/files/referrals.csv`,
      expect: onlyRoles(researchers, { otherTenant: 404 }),
    },
  ],
};
