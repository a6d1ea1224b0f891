import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import type { PersonInput } from '../../src/people/schema.ts';
import { anActor } from './factories.ts';
import { aDirectoryService, type ServiceOverrides } from './directory-factories.ts';
import { aContact, aReferral } from './referrals-factories.ts';

/** A tenant with a lead, a link worker and a provider user whose organisation runs a directory service. */
export async function aSocialPrescribingTeam(database: Database, tenantId?: string) {
  const lead = await anActor(database, { tenantId, roles: ['lead'] });
  const worker = await anActor(database, { tenantId: lead.tenantId, roles: ['link_worker'] });
  const provider = await anActor(database, { tenantId: lead.tenantId, roles: ['provider'] });
  return { tenantId: lead.tenantId, lead, worker, provider };
}

/** A directory service run by the provider's organisation (linked as the directory seeder does). */
export async function aProviderService(database: Database, provider: Actor, overrides: ServiceOverrides = {}) {
  const service = await aDirectoryService(database, { needs: ['gardening'], ...overrides });
  await database.pool.query('UPDATE provider_organisation SET directory_organization_id = $2, email = $3 WHERE id = $1', [
    provider.providerOrganisationId,
    service.organization_id,
    `inbox-${service.id.slice(0, 8)}@provider.example`,
  ]);
  return service;
}

/** A referral allocated to the worker with a contact made: "in contact", ready to assess. */
export async function anEpisodeInContact(database: Database, team: { lead: Actor; worker: Actor }, person: Partial<PersonInput> = {}) {
  const intake = await aReferral(database, team.lead, {
    person: { email: 'alex@example.com', contactChannels: ['phone', 'email'], ...person },
  });
  await allocateReferral(database.pool, team.lead, intake.referralId, { linkWorkerId: team.worker.userId });
  await recordContact(database.pool, team.worker, intake.referralId, aContact({ outcome: 'made' }));
  return intake;
}

export function anAssessment(overrides: Record<string, unknown> = {}) {
  return {
    whatMatters: 'Getting out of the house and meeting people again',
    needs: [
      { need: 'loneliness', rating: 'high', notes: 'Lives alone since 2024' },
      { need: 'gardening', rating: 'some', notes: null },
      { need: 'money', rating: 'none' },
    ],
    strengths: 'Loves growing tomatoes',
    barriers: ['transport', 'confidence'],
    barrierNotes: null,
    risks: null,
    ...overrides,
  };
}
