// Provider organisations belong to identity: each is the account a community organisation's staff
// sign in under (role_membership points at it), linked to the directory organisation it speaks for.
// Social prescriptions route onward referrals to their inboxes, reminders and nudges write to
// them, and curation confines a provider's edits to their own directory entry; all ask here.
import type { Db } from '../db/database.ts';
import * as q from './queries.ts';

export type { ProviderWithDirectoryEntry } from './queries.ts';

/** The first provider organisation (its Signpost inbox) speaking for a directory organisation. */
export function providerOrganisationForDirectory(db: Db, tenantId: string, directoryOrganizationId: string) {
  return q.providerOrganisationForDirectory(db, tenantId, directoryOrganizationId);
}

/** Which of these directory organisations have a provider organisation (an inbox) in the tenant. */
export function providerOrganisationsForDirectory(db: Db, tenantId: string, directoryOrganizationIds: string[]) {
  return q.providerOrganisationsForDirectory(db, tenantId, directoryOrganizationIds);
}

export function providerOrganisationEmail(db: Db, tenantId: string, id: string) {
  return q.providerOrganisationEmail(db, tenantId, id);
}

/** The tenant's provider organisations linked to a directory organisation and with an email. */
export function providersWithDirectoryEntries(db: Db, tenantId: string) {
  return q.providersWithDirectoryEntries(db, tenantId);
}

/** The directory organisation a provider organisation speaks for (inside the actor's tenant). */
export function providerDirectoryOrganization(db: Db, providerOrganisationId: string) {
  return q.providerDirectoryOrganization(db, providerOrganisationId);
}

/** Demo only: the names of the provider organisations the identity seeder made. */
export function providerOrganisationNames(db: Db, ids: string[]) {
  return q.providerOrganisationNames(db, ids);
}

/** Links a provider organisation to the directory organisation it speaks for. */
export function linkProviderOrganisation(db: Db, providerOrganisationId: string, directoryOrganizationId: string) {
  return q.linkProviderOrganisation(db, providerOrganisationId, directoryOrganizationId);
}
