import { randomUUID } from 'node:crypto';
import type { Actor, Role } from '../identity/actor.ts';
import type { PersonInput } from '../people/schema.ts';

/**
 * A demo user acting through the areas' own services while the demo is seeded, as if signed in:
 * the seeders create records the way people would, with their audit events.
 */
export function demoActor(tenantId: string, userId: string, role: Role, name: string, extra: Partial<Actor> = {}): Actor {
  return {
    userId,
    tenantId,
    email: `${role.replace('_', '')}@demo.signpost.example`,
    name,
    roles: [role],
    practiceId: null,
    providerOrganisationId: null,
    sessionId: randomUUID(),
    ...extra,
  };
}

/** The first demo tenant's link worker (Sam Okafor), once the identity seeder has run. */
export function demoLinkWorker(ids: Record<string, string[]>): Actor | undefined {
  const tenantId = ids.tenant?.[0];
  const workerId = ids.linkWorkers?.[0];
  return tenantId && workerId ? demoActor(tenantId, workerId, 'link_worker', 'Sam Okafor') : undefined;
}

/** A demo person known by these details alone: nothing else recorded, no communication needs. */
export function demoPerson(
  details: Pick<
    PersonInput,
    'nhsNumber' | 'givenName' | 'familyName' | 'dateOfBirth' | 'postcode' | 'phone' | 'contactChannels' | 'practiceId'
  >,
): PersonInput {
  return {
    preferredName: null,
    sex: null,
    genderIdentity: null,
    ethnicity: null,
    address: null,
    email: null,
    safeToLeaveMessage: true,
    interpreterLanguage: null,
    largePrint: false,
    easyRead: false,
    bsl: false,
    otherCommunicationNeeds: null,
    ...details,
  };
}
