import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { lookupPostcode } from '../geo/postcodes.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { auditEventsAboutPeople, recordAuditBy } from '../identity/audit.ts';

import type { ReferralStatus } from '../referrals/lifecycle.ts';
import { InvalidInput, NotFound, RuleBroken, Forbidden } from '../web/errors.ts';
import { identityDifferences } from './matching.ts';
import * as q from './queries.ts';
import type { PersonInput } from './schema.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';

// People: a person's record, their consents, likely duplicates and merging two records of the same
// person. Other areas ask here, never the person tables.

export type { BulkConsent, BulkPerson, ConsentRow, DuplicateCandidate, PersonRow } from './queries.ts';

export const STALE_RECORD_MESSAGE =
  'This record changed since you opened it. Reload the page to see the latest version, then make your change again.';

async function deprivationFor(db: Db, postcode: string | null): Promise<number | null> {
  if (!postcode) return null;
  const found = await lookupPostcode(db, postcode);
  return found?.imdDecile ?? null;
}

function requireStaff(actor: Actor) {
  if (!hasRole(actor, 'link_worker', 'lead')) throw new Forbidden();
}

function requireReferrer(actor: Actor) {
  if (!hasRole(actor, 'referrer', 'link_worker', 'lead')) throw new Forbidden();
}

/** A person's referral as the person page lists it. */
export interface PersonReferral {
  id: string;
  reference: string;
  status: ReferralStatus;
  receivedAt: Date;
  reasons: string[];
}

/**
 * What the referrals area tells this one about a person's referrals: the list on the person page,
 * their entries on its timeline, and moving them when two records are merged. Set in wiring.ts.
 */
export interface ReferralsOfPeople {
  /** The referrals of these records, newest first. */
  list(tx: Db, tenantId: string, personIds: string[]): Promise<PersonReferral[]>;
  timeline(tx: Db, tenantId: string, referrals: PersonReferral[]): Promise<TimelineEntry[]>;
  /** Every referral of one record moved to another; how many moved. */
  move(tx: Db, tenantId: string, fromPersonId: string, toPersonId: string): Promise<number>;
}

let referralsOfPeople: ReferralsOfPeople | undefined;

export function registerReferralsOfPeople(source: ReferralsOfPeople): void {
  referralsOfPeople = source;
}

function referralsOf(): ReferralsOfPeople {
  // A merge without the referrals area would leave referrals on the merged-away record.
  if (!referralsOfPeople) throw new Error('The referrals area is not wired: call wireAreas() first');
  return referralsOfPeople;
}

/** Trigram similarity of full names, with the same date of birth, above which we call it a likely duplicate. */
export const NAME_SIMILARITY_THRESHOLD = 0.3;

export async function findDuplicates(
  pool: pg.Pool,
  actor: Actor,
  person: Pick<PersonInput, 'nhsNumber' | 'givenName' | 'familyName' | 'dateOfBirth'>,
) {
  requireReferrer(actor);
  return withTenant(pool, actor.tenantId, (tx) => q.findDuplicates(tx, actor.tenantId, person, NAME_SIMILARITY_THRESHOLD));
}

export const NHS_NUMBER_MISMATCH_MESSAGE =
  'This NHS number is on a record with a different name or date of birth. Correct the NHS number, or send the referral for a lead to match.';

/**
 * What "check your answers" offers for a staff referral. A record with the same NHS number and
 * the same name and date of birth, or no NHS number and a close name with the same date of birth,
 * is a likely duplicate to choose. A record with the same NHS number but another name or date of
 * birth is a mismatch: only which fields differ is said (the other person's details are not
 * shown), and nothing can be attached to it from here.
 */
export async function checkForExistingRecords(
  pool: pg.Pool,
  actor: Actor,
  person: Pick<PersonInput, 'nhsNumber' | 'givenName' | 'familyName' | 'dateOfBirth'>,
) {
  const duplicates = await findDuplicates(pool, actor, person);
  const sameNhsNumber = duplicates.find((d) => d.matchedOn === 'nhs_number');
  const differences = sameNhsNumber ? identityDifferences(person, sameNhsNumber) : [];
  if (differences.length) return { duplicates: [], mismatch: { differences } };
  return { duplicates, mismatch: undefined };
}

/**
 * Whose record a referral from a GP system joins. The NHS number comes from the GP record, so a
 * live record with that number and the same name and date of birth is the person; the same number
 * with another name or date of birth is held for a lead to match, as on the staff form.
 */
export async function personChoiceForSystem(
  tx: Db,
  tenantId: string,
  person: Pick<PersonInput, 'nhsNumber' | 'givenName' | 'familyName' | 'dateOfBirth'>,
): Promise<'new' | 'unmatched' | string> {
  if (!person.nhsNumber) return 'new';
  const sameNumber = (await q.findDuplicates(tx, tenantId, person, NAME_SIMILARITY_THRESHOLD)).find((d) => d.matchedOn === 'nhs_number');
  if (!sameNumber) return 'new';
  return identityDifferences(person, sameNumber).length ? 'unmatched' : sameNumber.id;
}

export async function getPerson(pool: pg.Pool, actor: Actor, personId: string, context: RequestContext = {}) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const person = await q.findPerson(tx, actor.tenantId, personId);
    if (!person) throw new NotFound('person');
    await recordAuditBy(tx, actor, context, { action: 'person.view', entityType: 'person', entityId: personId, personId });
    const ids = await q.mergedPersonIds(tx, actor.tenantId, personId);
    const referrals = await referralsOf().list(tx, actor.tenantId, ids);
    const consents = await q.consentsOf(tx, actor.tenantId, personId);
    return { person, referrals, consents, mergedFrom: ids.filter((id) => id !== personId) };
  });
}

export const HELD_RECORD_MESSAGE =
  'This record holds the details sent with a referral that is waiting for a lead to match it at triage. Match it there first.';

export async function updatePerson(
  pool: pg.Pool,
  actor: Actor,
  personId: string,
  version: number | undefined,
  input: PersonInput,
  context: RequestContext = {},
) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const current = await q.findPerson(tx, actor.tenantId, personId);
    if (!current || current.mergedIntoId) throw new NotFound('person');
    if (current.awaitingMatch) throw new RuleBroken(HELD_RECORD_MESSAGE);
    if (version === undefined || version !== current.version) throw new RuleBroken(STALE_RECORD_MESSAGE);
    if (input.nhsNumber && input.nhsNumber !== current.nhsNumber) {
      const other = await q.findLivePersonByNhsNumber(tx, actor.tenantId, input.nhsNumber);
      if (other && other.id !== personId) {
        throw new InvalidInput([
          { field: 'nhsNumber', message: 'Another record already has this NHS number. Merge the two records instead.' },
        ]);
      }
    }
    const next = await q.updatePerson(tx, actor.tenantId, personId, version, input, await deprivationFor(tx, input.postcode));
    if (next === undefined) throw new RuleBroken(STALE_RECORD_MESSAGE);
    await recordAuditBy(tx, actor, context, { action: 'person.update', entityType: 'person', entityId: personId, personId });
    return { version: next };
  });
}

/**
 * Merges `duplicateId` into `survivorId`: every referral and consent moves to the survivor, and
 * the duplicate stays (marked merged) so the audit events that name it still resolve; the person
 * audit trail reads both.
 */
export async function mergePeople(pool: pg.Pool, actor: Actor, survivorId: string, duplicateId: string, context: RequestContext = {}) {
  requireStaff(actor);
  // The duplicate is chosen on the form: an id that is not one names no record.
  if (!isUuid(duplicateId)) throw new NotFound('person');
  if (survivorId === duplicateId) throw new RuleBroken('Choose two different records to merge.');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const survivor = await q.findPerson(tx, actor.tenantId, survivorId);
    const duplicate = await q.findPerson(tx, actor.tenantId, duplicateId);
    if (!survivor || survivor.mergedIntoId || !duplicate || duplicate.mergedIntoId) throw new NotFound('person');
    if (survivor.awaitingMatch || duplicate.awaitingMatch) throw new RuleBroken(HELD_RECORD_MESSAGE);
    if (survivor.nhsNumber && duplicate.nhsNumber && survivor.nhsNumber !== duplicate.nhsNumber) {
      throw new RuleBroken('These records have different NHS numbers, so they are different people. They cannot be merged.');
    }
    const moved = {
      referrals: await referralsOf().move(tx, actor.tenantId, duplicateId, survivorId),
      consents: await q.moveConsents(tx, actor.tenantId, duplicateId, survivorId),
    };
    await q.markMerged(tx, actor.tenantId, duplicateId, survivorId);
    if (!survivor.nhsNumber && duplicate.nhsNumber) await q.setNhsNumberIfMissing(tx, actor.tenantId, survivorId, duplicate.nhsNumber);
    const reason = `Merged record ${duplicateId} into ${survivorId}: ${moved.referrals} referral(s), ${moved.consents} consent(s) moved`;
    await recordAuditBy(tx, actor, context, {
      action: 'person.merge',
      entityType: 'person',
      entityId: survivorId,
      personId: survivorId,
      reason,
    });
    await recordAuditBy(tx, actor, context, {
      action: 'person.merged-away',
      entityType: 'person',
      entityId: duplicateId,
      personId: duplicateId,
      reason,
    });
    return moved;
  });
}

/** Every audit event about this person, including those recorded against records merged into it. */
export async function personAuditTrail(pool: pg.Pool, actor: Actor, personId: string) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const ids = await q.mergedPersonIds(tx, actor.tenantId, personId);
    return auditEventsAboutPeople(tx, actor.tenantId, ids);
  });
}

export async function withdrawConsent(
  pool: pg.Pool,
  actor: Actor,
  personId: string,
  consentId: string,
  reason: string | null,
  context: RequestContext = {},
) {
  requireStaff(actor);
  await withTenant(pool, actor.tenantId, async (tx) => {
    if (!(await q.withdrawConsent(tx, actor.tenantId, consentId, personId, actor.userId, reason))) throw new NotFound('consent');
    await q.withdrawOtherResearchConsents(tx, actor.tenantId, personId, consentId, actor.userId, reason);
    await recordAuditBy(tx, actor, context, { action: 'consent.withdraw', entityType: 'consent', entityId: consentId, personId, reason });
  });
}

/**
 * Records the person's consent to the use of their pseudonymised records in approved research
 * (asked on the person page when it was not asked at intake). Refused while one is active.
 */
export async function recordResearchConsent(pool: pg.Pool, actor: Actor, personId: string, context: RequestContext = {}) {
  requireStaff(actor);
  await withTenant(pool, actor.tenantId, async (tx) => {
    const person = await q.findPerson(tx, actor.tenantId, personId);
    if (!person || person.mergedIntoId) throw new NotFound('person');
    if (await q.hasActiveConsent(tx, actor.tenantId, personId, 'research'))
      throw new RuleBroken('Consent to research is already recorded for this person.');
    const consentId = await q.insertConsent(tx, actor.tenantId, {
      personId,
      referralId: null,
      kind: 'research',
      recordedBy: actor.userId,
      recordedByDescription: null,
    });
    await recordAuditBy(tx, actor, context, {
      action: 'consent.record',
      entityType: 'consent',
      entityId: consentId,
      personId,
      reason: 'research',
    });
  });
}

/** A person's details for work written in the caller's transaction (not audited as a view). */
export async function personWithin(tx: Db, actor: Actor, personId: string) {
  requireStaff(actor);
  const person = await q.findPerson(tx, actor.tenantId, personId);
  if (!person) throw new NotFound('person');
  return person;
}

export interface TimelineEntry {
  at: Date;
  kind: string;
  title: string;
  detail?: string;
  referralId?: string;
  href?: string;
}

/** An entry's detail: the parts it has (what, why, by whom), joined by middle dots. */
export function timelineDetail(...parts: (string | null | undefined)[]): string {
  return parts.filter(Boolean).join(' · ');
}

/** Another area (assessments, plans, social prescriptions, outcomes) adds its entries here. */
export type TimelineSource = (tx: Db, tenantId: string, personIds: string[], referralIds: string[]) => Promise<TimelineEntry[]>;

const timelineSources: TimelineSource[] = [];

export function registerTimelineSource(source: TimelineSource): void {
  timelineSources.push(source);
}

/** The person page: their record and everything that happened, newest first. */
export async function personPage(pool: pg.Pool, actor: Actor, personId: string, context: RequestContext = {}) {
  const page = await getPerson(pool, actor, personId, context);
  const referralIds = page.referrals.map((r) => r.id);
  const timeline = await withTenant(pool, actor.tenantId, async (tx) => {
    // The referrals' own entries first, then consents, then other areas': entries at the same moment keep that order.
    const entries: TimelineEntry[] = await referralsOf().timeline(tx, actor.tenantId, page.referrals);
    for (const c of page.consents) {
      entries.push({
        at: c.recordedAt,
        kind: 'consent',
        title: `Consent recorded: ${c.kind}`,
        detail: c.recordedByName ?? c.recordedByDescription ?? undefined,
      });
      if (c.withdrawnAt)
        entries.push({ at: c.withdrawnAt, kind: 'consent', title: `Consent withdrawn: ${c.kind}`, detail: c.withdrawnReason ?? undefined });
    }
    const ids = [personId, ...page.mergedFrom];
    for (const source of timelineSources) entries.push(...(await source(tx, actor.tenantId, ids, referralIds)));
    return entries.sort((a, b) => b.at.getTime() - a.at.getTime());
  });
  return { ...page, timeline };
}

/**
 * How a person may be sent a message: email if they chose it and gave an address, else SMS if
 * they chose it and gave a number; nothing if they withdrew consent to contact or to refer.
 */
export async function personChannel(
  tx: Db,
  tenantId: string,
  personId: string,
): Promise<{ channel: 'email' | 'sms'; recipient: string } | undefined> {
  const person = await q.personContact(tx, tenantId, personId);
  if (!person || person.contactWithdrawn) return undefined;
  if (person.contactChannels.includes('email') && person.email) return { channel: 'email', recipient: person.email };
  if (person.contactChannels.includes('sms') && person.phone) return { channel: 'sms', recipient: person.phone };
  return undefined;
}

export async function practices(pool: pg.Pool, actor: Actor) {
  return withTenant(pool, actor.tenantId, (tx) => q.practicesOf(tx, actor.tenantId));
}

/**
 * The people of the referrals a system sent (a GP system over FHIR), live records only, oldest
 * first, a page at a time; each row carries the total. The caller scopes them to the people of
 * those referrals and audits the read as the system's.
 */
export async function peopleForSystem(
  tx: Db,
  tenantId: string,
  personIds: string[],
  search: { id?: string | null; nhsNumber?: string | null; count: number; offset: number },
) {
  if (!personIds.length) return [];
  const filter = { id: search.id ?? null, nhsNumber: search.nhsNumber ?? null };
  return q.livePeoplePage(tx, tenantId, personIds, filter, search.count, search.offset);
}

/** Bulk loading of people and consents for the demo and the benchmark. */
export { bulkInsertConsents, bulkInsertPeople } from './queries.ts';

// Reads and writes inside a caller's transaction, for intake and matching in the referrals area.

export const findPersonWithin = (tx: Db, tenantId: string, personId: string) => q.findPerson(tx, tenantId, personId);
export const livePersonWithNhsNumber = (tx: Db, tenantId: string, nhsNumber: string) =>
  q.findLivePersonByNhsNumber(tx, tenantId, nhsNumber);
export const duplicatesWithin = (
  tx: Db,
  tenantId: string,
  person: Pick<PersonInput, 'nhsNumber' | 'givenName' | 'familyName' | 'dateOfBirth'>,
) => q.findDuplicates(tx, tenantId, person, NAME_SIMILARITY_THRESHOLD);
export const setNhsNumberIfMissing = q.setNhsNumberIfMissing;
export const consentsOf = q.consentsOf;
export const hasActiveConsent = q.hasActiveConsent;
export const recordConsentWithin = q.insertConsent;
/** A held record confirmed as a new person: it takes its NHS number (or none) and joins the live records. */
export const confirmNewPerson = q.confirmNewPerson;
/** A held record found to be an existing person: kept for the trail, merged into theirs. */
export const mergeHeldPerson = q.mergeHeldPerson;

/** A new person's record, with the area deprivation of their postcode; `held` while a lead matches it. */
export async function createPersonWithin(tx: Db, tenantId: string, person: PersonInput, held: boolean): Promise<string> {
  return q.insertPerson(tx, tenantId, person, await deprivationFor(tx, person.postcode), held);
}
