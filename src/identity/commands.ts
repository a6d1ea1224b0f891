import { readStdin, UsageError, type Command } from '../cli/command.ts';
import { withDatabase, withMigratedDatabase } from '../cli/core-commands.ts';
import type { Database } from '../db/database.ts';
import { DomainError, InvalidInput } from '../web/errors.ts';
import { ROLES, type Role } from './actor.ts';
import { verifyAuditChains } from './audit.ts';
import { addTenant, addUser, findPracticeIdByOdsCode, findProviderOrganisationId, findTenantByName, setTenantAddress } from './service.ts';

async function tenantNamed(database: Database, name: string) {
  const tenant = await findTenantByName(database.pool, name);
  if (!tenant) throw new UsageError(`No tenant called "${name}".`);
  return tenant;
}

export const userAddCommand: Command = {
  name: 'user add',
  summary: 'Create a user with a role in a tenant (password read from standard input)',
  usage: [
    'Usage: echo "<password>" | signpost user add --email <email> --name "<full name>" --tenant "<tenant name or id>" --role <role> [--role <role>]',
    '                 [--practice <ODS code>] [--provider-organisation <name>]',
    '',
    `Roles: ${ROLES.join(', ')}. Referrers need --practice, providers --provider-organisation.`,
    'The password is read from standard input so it never appears in the process list or shell history.',
  ].join('\n'),
  options: {
    email: { type: 'string' },
    name: { type: 'string' },
    tenant: { type: 'string' },
    role: { type: 'string', multiple: true },
    practice: { type: 'string' },
    'provider-organisation': { type: 'string' },
  },
  async run({ values }) {
    const email = String(values.email ?? '');
    const name = String(values.name ?? '');
    const tenantName = String(values.tenant ?? '');
    const roles = ((values.role as unknown as string[] | undefined) ?? []) as Role[];
    if (!email || !name || !tenantName || roles.length === 0)
      throw new UsageError(`Give --email, --name, --tenant and at least one --role.\n\n${this.usage}`);
    const unknown = roles.filter((r) => !ROLES.includes(r));
    if (unknown.length) throw new UsageError(`Unknown role ${unknown.join(', ')}. Roles: ${ROLES.join(', ')}.`);
    const password = (await readStdin()).replace(/\r?\n$/, '');
    return withMigratedDatabase(async (database) => {
      const tenant = await tenantNamed(database, tenantName);
      let practiceId: string | undefined;
      let providerOrganisationId: string | undefined;
      if (values.practice) {
        practiceId = await findPracticeIdByOdsCode(database.pool, tenant.id, String(values.practice));
        if (!practiceId) throw new UsageError(`No practice with ODS code ${String(values.practice)} in ${tenant.name}.`);
      }
      if (values['provider-organisation']) {
        providerOrganisationId = await findProviderOrganisationId(database.pool, tenant.id, String(values['provider-organisation']));
        if (!providerOrganisationId)
          throw new UsageError(`No provider organisation "${String(values['provider-organisation'])}" in ${tenant.name}.`);
      }
      try {
        const id = await addUser(database.pool, { email, name, tenantId: tenant.id, roles, password, practiceId, providerOrganisationId });
        console.log(`Created ${email} (${id}) in ${tenant.name} as ${roles.join(', ')}.`);
        return 0;
      } catch (error) {
        if (error instanceof InvalidInput) throw new UsageError(error.errors.map((e) => e.message).join('\n'));
        if (error instanceof DomainError) throw new UsageError(error.message);
        throw error;
      }
    });
  },
};

export const tenantAddCommand: Command = {
  name: 'tenant add',
  summary: 'Create a tenant (a social prescribing service), to which users are then added',
  usage:
    'Usage: signpost tenant add --name "<service name>"\n\nThen: echo "<password>" | signpost user add --tenant "<service name>" --role admin ...',
  options: { name: { type: 'string' } },
  async run({ values }) {
    const name = String(values.name ?? '').trim();
    if (!name) throw new UsageError(`Give --name.\n\n${this.usage}`);
    if (name.length > 200) throw new UsageError('The name must be 200 characters or fewer.');
    return withMigratedDatabase(async (database) => {
      if (await findTenantByName(database.pool, name)) throw new UsageError(`A tenant called "${name}" already exists.`);
      const id = await addTenant(database.pool, name);
      console.log(`Created tenant "${name}" (${id}).`);
      return 0;
    });
  },
};

export const tenantAddressCommand: Command = {
  name: 'tenant address',
  summary: 'Set the postal address printed with the tenant’s name at the top of its discharge summaries',
  usage: 'Usage: signpost tenant address --tenant "<service name>" --address "<line 1, line 2, town, postcode>"',
  options: { tenant: { type: 'string' }, address: { type: 'string' } },
  async run({ values }) {
    const tenant = String(values.tenant ?? '').trim();
    const address = String(values.address ?? '').trim();
    if (!tenant || !address) throw new UsageError(`Give --tenant and --address.\n\n${this.usage}`);
    if (address.length > 500) throw new UsageError('The address must be 500 characters or fewer.');
    return withMigratedDatabase(async (database) => {
      const found = await tenantNamed(database, tenant);
      await setTenantAddress(database.pool, found.id, address);
      console.log(`The address of "${found.name}" is now: ${address}`);
      return 0;
    });
  },
};

export const auditVerifyCommand: Command = {
  name: 'audit verify',
  summary: 'Check the audit log hash chains and report the first broken link',
  usage: 'Usage: signpost audit verify\n\nExits 0 when every chain is intact, 1 when a link is broken.',
  async run() {
    const result = await withDatabase((database) => verifyAuditChains(database.pool));
    if (!result.broken) {
      console.log(`The audit log is intact: ${result.events} event(s) in ${result.chains} chain(s).`);
      return 0;
    }
    const b = result.broken;
    console.error(`The audit log is broken in chain ${b.chain} at event ${b.seq}${b.id ? ` (${b.id})` : ''}: ${b.problem}.`);
    return 1;
  },
};
