// The world the authorisation matrix and the fuzz tests call routes in: two tenants, a user per
// role at home, one user holding every role in the other tenant, and each area's records.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../src/db/database.ts';
import { ROLES, type Actor, type Role } from '../../../src/identity/actor.ts';
import { aPractice, aProviderOrganisation, aTenant, anActor } from '../../support/factories.ts';
import type { AreaAccess, MatrixWorld } from './types.ts';

const accessDir = path.dirname(fileURLToPath(import.meta.url));

export async function loadAreas(): Promise<AreaAccess[]> {
  const files = readdirSync(accessDir)
    .filter((f) => f.endsWith('.ts') && f !== 'types.ts' && f !== 'world.ts')
    .sort();
  const loaded: AreaAccess[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(accessDir, file)).href)) as { access?: AreaAccess };
    assert.ok(module.access, `route-access/${file} must export \`access\``);
    loaded.push(module.access);
  }
  return loaded;
}

async function tenantWorld(database: Database, label: string) {
  const tenant = await aTenant(database, { name: `${label} Primary Care Network` });
  const practice = await aPractice(database, tenant.id, { name: `${label} Surgery` });
  const organisation = await aProviderOrganisation(database, tenant.id, { name: `${label} Community Allotments` });
  return {
    tenantId: tenant.id,
    name: tenant.name,
    practiceId: practice.id,
    providerOrganisationId: organisation.id,
    users: {} as Partial<Record<Role, Actor>>,
  };
}

/** Builds the world and runs every area's setUp in it. */
export async function buildMatrixWorld(app: FastifyInstance, database: Database): Promise<{ world: MatrixWorld; areas: AreaAccess[] }> {
  const home = await tenantWorld(database, 'Hometown');
  for (const role of ROLES) {
    home.users[role] = await anActor(database, {
      tenantId: home.tenantId,
      roles: [role],
      name: `Home ${role} Person`,
      practiceId: home.practiceId,
      providerOrganisationId: home.providerOrganisationId,
    });
  }
  const other = await tenantWorld(database, 'Otherbury');
  const everyRole = await anActor(database, {
    tenantId: other.tenantId,
    roles: [...ROLES],
    name: 'Zed Otherbury-Person',
    email: 'zed@otherbury.example',
    practiceId: other.practiceId,
    providerOrganisationId: other.providerOrganisationId,
  });
  for (const role of ROLES) other.users[role] = everyRole;
  const world: MatrixWorld = {
    app,
    database,
    home,
    other: { ...other, everyRole },
    ids: {},
    markers: {
      home: ['Hometown Primary Care Network', 'Hometown Surgery', 'Hometown Community Allotments', ...ROLES.map((r) => `Home ${r} Person`)],
      other: [
        'Otherbury Primary Care Network',
        'Otherbury Surgery',
        'Otherbury Community Allotments',
        'Zed Otherbury-Person',
        'zed@otherbury.example',
      ],
    },
  };
  const areas = await loadAreas();
  for (const area of areas) await area.setUp?.(world);
  return { world, areas };
}
