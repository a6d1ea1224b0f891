import { randomInt } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withSavepoint, withTenant } from '../db/transaction.ts';
import { findNeed } from '../directory/needs.ts';
import { lookupPostcode } from '../geo/postcodes.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { auditEventsAboutPeople, recordAudit } from '../identity/audit.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { localDate } from '../geo/calendar.ts';
import { remindersFor } from '../reminders/caseload.ts';
import { Forbidden, InvalidInput, NotFound, RuleBroken } from '../web/errors.ts';
import {
  ALLOCATED_STATUSES,
  allowedNext,
  canTransition,
  illegalTransitionMessage,
  isReferralStatus,
  OPEN_STATUSES,
  STATUS_LABELS,
  type ReferralStatus,
} from './lifecycle.ts';
import { identityDifferences } from './matching.ts';
import * as q from './queries.ts';

/** A referral as other areas receive it (transition listeners, notifications). */
export type { ReferralRow } from './queries.ts';
import { checkNhsNumber, isUuid, type ContactInput, type PersonInput, type ReferralInput } from './schema.ts';

export { STATUS_LABELS, allowedNext } from './lifecycle.ts';

/** Where an action came from, for the audit trail. */
export interface RequestContext {
  requestId?: string;
}

export const STALE_RECORD_MESSAGE =
  'This record changed since you opened it. Reload the page to see the latest version, then make your change again.';

/** Failed contact attempts before "unable to contact" is offered, unless the tenant sets its own. */
export const DEFAULT_UNABLE_TO_CONTACT_ATTEMPTS = 3;

/** Trigram similarity of full names, with the same date of birth, above which we call it a likely duplicate. */
export const NAME_SIMILARITY_THRESHOLD = 0.3;

function requireStaff(actor: Actor) {
  if (!hasRole(actor, 'link_worker', 'lead')) throw new Forbidden();
}

function requireLead(actor: Actor) {
  if (!hasRole(actor, 'lead')) throw new Forbidden('Only a link worker lead can do that.');
}

function requireReferrer(actor: Actor) {
  if (!hasRole(actor, 'referrer', 'link_worker', 'lead')) throw new Forbidden();
}

function checkId(id: string, what: string) {
  if (!isUuid(id)) throw new NotFound(what);
}

const REFERENCE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** SP- and 8 characters from Crockford's base 32 (no I, L, O or U to misread). */
export function newReference(): string {
  let out = 'SP-';
  for (let i = 0; i < 8; i++) out += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
  return out;
}

async function deprivationFor(db: Db, postcode: string | null): Promise<number | null> {
  if (!postcode) return null;
  const found = await lookupPostcode(db, postcode);
  return found?.imdDecile ?? null;
}

async function unableToContactThreshold(db: Db, tenantId: string): Promise<number> {
  const value = (await q.tenantSettings(db, tenantId)).unableToContactAttempts;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : DEFAULT_UNABLE_TO_CONTACT_ATTEMPTS;
}

// ---------------------------------------------------------------------------------------------
// People

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
): Promise<IntakeInput['personChoice']> {
  if (!person.nhsNumber) return 'new';
  const sameNumber = (await q.findDuplicates(tx, tenantId, person, NAME_SIMILARITY_THRESHOLD)).find((d) => d.matchedOn === 'nhs_number');
  if (!sameNumber) return 'new';
  return identityDifferences(person, sameNumber).length ? 'unmatched' : sameNumber.id;
}

export async function getPerson(pool: pg.Pool, actor: Actor, personId: string, context: RequestContext = {}) {
  requireStaff(actor);
  checkId(personId, 'person');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const person = await q.findPerson(tx, actor.tenantId, personId);
    if (!person) throw new NotFound('person');
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'person.view',
      entityType: 'person',
      entityId: personId,
      personId,
      requestId: context.requestId,
    });
    const ids = await q.mergedPersonIds(tx, actor.tenantId, personId);
    const referrals = await q.referralsOfPeople(tx, actor.tenantId, ids);
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
  checkId(personId, 'person');
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
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'person.update',
      entityType: 'person',
      entityId: personId,
      personId,
      requestId: context.requestId,
    });
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
  checkId(survivorId, 'person');
  checkId(duplicateId, 'person');
  if (survivorId === duplicateId) throw new RuleBroken('Choose two different records to merge.');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const survivor = await q.findPerson(tx, actor.tenantId, survivorId);
    const duplicate = await q.findPerson(tx, actor.tenantId, duplicateId);
    if (!survivor || survivor.mergedIntoId || !duplicate || duplicate.mergedIntoId) throw new NotFound('person');
    if (survivor.awaitingMatch || duplicate.awaitingMatch) throw new RuleBroken(HELD_RECORD_MESSAGE);
    if (survivor.nhsNumber && duplicate.nhsNumber && survivor.nhsNumber !== duplicate.nhsNumber) {
      throw new RuleBroken('These records have different NHS numbers, so they are different people. They cannot be merged.');
    }
    const moved = await q.moveReferralsAndConsents(tx, actor.tenantId, duplicateId, survivorId);
    await q.markMerged(tx, actor.tenantId, duplicateId, survivorId);
    if (!survivor.nhsNumber && duplicate.nhsNumber) await q.setNhsNumberIfMissing(tx, actor.tenantId, survivorId, duplicate.nhsNumber);
    const reason = `Merged record ${duplicateId} into ${survivorId}: ${moved.referrals} referral(s), ${moved.consents} consent(s) moved`;
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'person.merge',
      entityType: 'person',
      entityId: survivorId,
      personId: survivorId,
      reason,
      requestId: context.requestId,
    });
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'person.merged-away',
      entityType: 'person',
      entityId: duplicateId,
      personId: duplicateId,
      reason,
      requestId: context.requestId,
    });
    return moved;
  });
}

/** Every audit event about this person, including those recorded against records merged into it. */
export async function personAuditTrail(pool: pg.Pool, actor: Actor, personId: string) {
  requireStaff(actor);
  checkId(personId, 'person');
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
  checkId(personId, 'person');
  checkId(consentId, 'consent');
  await withTenant(pool, actor.tenantId, async (tx) => {
    if (!(await q.withdrawConsent(tx, actor.tenantId, consentId, personId, actor.userId, reason))) throw new NotFound('consent');
    await q.withdrawOtherResearchConsents(tx, actor.tenantId, personId, consentId, actor.userId, reason);
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'consent.withdraw',
      entityType: 'consent',
      entityId: consentId,
      personId,
      reason,
      requestId: context.requestId,
    });
  });
}

/**
 * Records the person's consent to the use of their pseudonymised records in approved research
 * (asked on the person page when it was not asked at intake). Refused while one is active.
 */
export async function recordResearchConsent(pool: pg.Pool, actor: Actor, personId: string, context: RequestContext = {}) {
  requireStaff(actor);
  checkId(personId, 'person');
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
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'consent.record',
      entityType: 'consent',
      entityId: consentId,
      personId,
      reason: 'research',
      requestId: context.requestId,
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Intake

export interface IntakeInput {
  person: PersonInput;
  referral: ReferralInput;
  /**
   * 'new' creates a record; a person id attaches the referral to that record (chosen by staff on
   * "check your answers"); 'unmatched' holds the referral on a new record made from the submitted
   * details until a lead says whose it is (public intake always, staff when the NHS number is on
   * a record with another name or date of birth). Nothing attaches to an existing record by itself.
   */
  personChoice: 'new' | 'unmatched' | string;
  /** Who gave consent when no user did: "the person, online", "GP system". */
  consentRecordedByDescription?: string;
}

export interface IntakeResult {
  referralId: string;
  reference: string;
  personId: string;
}

/**
 * The one way a referral enters Signpost: staff forms, the public self-referral form and FHIR
 * intake all land here, inside the caller's tenant transaction. `actor` is null for the public and
 * for machine intake. Writes the person (or reuses one), the referral, its first transition,
 * consent records and audit events.
 */
export async function intakeReferral(
  tx: Db,
  tenantId: string,
  actor: Actor | null,
  input: IntakeInput,
  context: RequestContext = {},
): Promise<IntakeResult> {
  if (!input.referral.consentToRefer) {
    throw new InvalidInput([{ field: 'consentToRefer', message: 'The person must agree to the referral before it is sent' }]);
  }
  let personId: string | undefined;
  const held = input.personChoice === 'unmatched';
  if (!held && input.personChoice !== 'new') {
    checkId(input.personChoice, 'person');
    const existing = await q.findPerson(tx, tenantId, input.personChoice);
    if (!existing || existing.mergedIntoId || existing.awaitingMatch) throw new NotFound('person');
    if (input.person.nhsNumber && existing.nhsNumber && existing.nhsNumber !== input.person.nhsNumber) {
      throw new InvalidInput([
        { field: 'personChoice', message: 'The record you chose has a different NHS number. Choose another record or create a new one.' },
      ]);
    }
    if (input.person.nhsNumber && existing.nhsNumber === input.person.nhsNumber && identityDifferences(input.person, existing).length) {
      throw new InvalidInput([{ field: 'personChoice', message: NHS_NUMBER_MISMATCH_MESSAGE }]);
    }
    personId = existing.id;
    if (!existing.nhsNumber && input.person.nhsNumber) await q.setNhsNumberIfMissing(tx, tenantId, personId, input.person.nhsNumber);
  } else if (!held && input.person.nhsNumber && (await q.findLivePersonByNhsNumber(tx, tenantId, input.person.nhsNumber))) {
    throw new InvalidInput([
      { field: 'personChoice', message: 'A record with this NHS number already exists. Choose it instead of creating a new one.' },
    ]);
  }
  const createdPerson = !personId;
  if (!personId) {
    // A held record carries no NHS number (another live record may hold it); the referral_match row keeps the submitted one.
    const person = held ? { ...input.person, nhsNumber: null } : input.person;
    personId = await q.insertPerson(tx, tenantId, person, await deprivationFor(tx, input.person.postcode), held);
  }

  const referrerIsPracticeStaff = actor && hasRole(actor, 'referrer') && actor.practiceId;
  const practiceId = referrerIsPracticeStaff ? actor.practiceId : (input.person.practiceId ?? null);
  let inserted: { id: string; receivedAt: Date } | undefined;
  let reference = '';
  for (let attempt = 0; !inserted; attempt++) {
    reference = newReference();
    try {
      // A savepoint, so a (vanishingly rare) clash of references can be retried in this transaction.
      inserted = await withSavepoint(tx, () =>
        q.insertReferral(tx, tenantId, {
          ...input.referral,
          reference,
          personId,
          referrerUserId: actor?.userId ?? null,
          practiceId,
          referrerName: input.referral.referrerName ?? actor?.name ?? null,
          referrerEmail: input.referral.referrerEmail ?? (actor && hasRole(actor, 'referrer') ? actor.email : null),
        }),
      );
    } catch (error) {
      if (attempt >= 3 || !/referral_tenant_id_reference_key/.test((error as Error).message)) throw error;
    }
  }
  const referralId = inserted.id;
  if (held) {
    await q.insertReferralMatch(tx, tenantId, {
      referralId,
      reason: actor ? 'nhs_number_mismatch' : 'self_referral',
      submittedPersonId: personId,
      nhsNumber: input.person.nhsNumber,
    });
  }
  await q.insertTransition(tx, tenantId, {
    referralId,
    from: null,
    to: 'received',
    byUserId: actor?.userId ?? null,
    reason: `Referral received (${input.referral.channel})`,
  });
  const recordedBy = actor?.userId ?? null;
  const description = actor ? null : (input.consentRecordedByDescription ?? 'The person, online');
  await q.insertConsent(tx, tenantId, { personId, referralId, kind: 'refer', recordedBy, recordedByDescription: description });
  if (input.referral.consentToShare)
    await q.insertConsent(tx, tenantId, { personId, referralId, kind: 'share', recordedBy, recordedByDescription: description });
  if (input.person.contactChannels.length > 0)
    await q.insertConsent(tx, tenantId, { personId, referralId, kind: 'contact', recordedBy, recordedByDescription: description });
  if (input.referral.consentToResearch && !(await q.hasActiveConsent(tx, tenantId, personId, 'research'))) {
    await q.insertConsent(tx, tenantId, { personId, referralId, kind: 'research', recordedBy, recordedByDescription: description });
  }
  if (createdPerson) {
    await recordAudit(tx, {
      actor: actor ?? undefined,
      tenantId,
      action: 'person.create',
      entityType: 'person',
      entityId: personId,
      personId,
      requestId: context.requestId,
    });
  }
  await recordAudit(tx, {
    actor: actor ?? undefined,
    tenantId,
    action: 'referral.create',
    entityType: 'referral',
    entityId: referralId,
    personId,
    reason: held ? `${input.referral.channel}, held for a lead to match` : input.referral.channel,
    requestId: context.requestId,
  });
  return { referralId, reference, personId };
}

/** A staff referral (referrer, or a link worker entering a letter or phone referral). */
export async function submitStaffReferral(
  pool: pg.Pool,
  actor: Actor,
  input: IntakeInput,
  context: RequestContext = {},
): Promise<IntakeResult> {
  requireReferrer(actor);
  return withTenant(pool, actor.tenantId, (tx) => intakeReferral(tx, actor.tenantId, actor, input, context));
}

/**
 * A public self-referral. The answer is the same whether or not the person already has a record,
 * so the form cannot be used to find out who is known to the service. It never attaches to an
 * existing record, even one with every detail the same: anyone can type anyone's details, so it
 * is held for a lead to match, and the consents given with it stay on the held record.
 */
export async function submitSelfReferral(
  pool: pg.Pool,
  tenantId: string,
  person: PersonInput,
  referral: ReferralInput,
  context: RequestContext = {},
): Promise<{ reference: string }> {
  return withTenant(pool, tenantId, async (tx) => {
    const result = await intakeReferral(
      tx,
      tenantId,
      null,
      { person, referral: { ...referral, source: 'self', channel: 'self' }, personChoice: 'unmatched' },
      context,
    );
    const personalisation = { reference: result.reference };
    if (person.email && (person.contactChannels.length === 0 || person.contactChannels.includes('email'))) {
      await queueNotification(tx, {
        tenantId,
        channel: 'email',
        recipient: person.email,
        template: 'self_referral_confirmation',
        personalisation,
        idempotencyKey: `self-referral:${result.referralId}`,
      });
    } else if (person.phone && person.contactChannels.includes('sms')) {
      await queueNotification(tx, {
        tenantId,
        channel: 'sms',
        recipient: person.phone,
        template: 'self_referral_confirmation',
        personalisation,
        idempotencyKey: `self-referral:${result.referralId}`,
      });
    }
    return { reference: result.reference };
  });
}

/** The tenant public self-referrals land in: the configured one, or the first tenant created. */
export async function selfReferralTenant(pool: pg.Pool, configured: string | undefined): Promise<string | undefined> {
  return configured ?? q.firstTenantId(pool);
}

// Staff referral drafts: the question pages save their answers here until "check your answers".

export async function startDraft(pool: pg.Pool, actor: Actor, answers: Record<string, unknown>): Promise<string> {
  requireReferrer(actor);
  return withTenant(pool, actor.tenantId, (tx) => q.insertDraft(tx, actor.tenantId, actor.userId, answers));
}

export async function getDraft(pool: pg.Pool, actor: Actor, draftId: string): Promise<Record<string, unknown>> {
  requireReferrer(actor);
  checkId(draftId, 'referral');
  const answers = await withTenant(pool, actor.tenantId, (tx) => q.findDraft(tx, actor.tenantId, actor.userId, draftId));
  if (!answers) throw new NotFound('referral');
  return answers;
}

export async function saveDraft(pool: pg.Pool, actor: Actor, draftId: string, answers: Record<string, unknown>): Promise<void> {
  requireReferrer(actor);
  checkId(draftId, 'referral');
  await withTenant(pool, actor.tenantId, (tx) => q.updateDraft(tx, actor.tenantId, actor.userId, draftId, answers));
}

export async function submitDraft(
  pool: pg.Pool,
  actor: Actor,
  draftId: string,
  input: IntakeInput,
  context: RequestContext = {},
): Promise<IntakeResult> {
  requireReferrer(actor);
  checkId(draftId, 'referral');
  return withTenant(pool, actor.tenantId, async (tx) => {
    if (!(await q.findDraft(tx, actor.tenantId, actor.userId, draftId))) throw new NotFound('referral');
    const result = await intakeReferral(tx, actor.tenantId, actor, input, context);
    await q.deleteDraft(tx, actor.tenantId, draftId);
    return result;
  });
}

export async function practices(pool: pg.Pool, actor: Actor) {
  return withTenant(pool, actor.tenantId, (tx) => q.practicesOf(tx, actor.tenantId));
}

// ---------------------------------------------------------------------------------------------
// Life cycle

export interface TransitionRequest {
  to: ReferralStatus | string;
  reason?: string | null;
  /** The version the person saw; a different current version is refused as a stale edit. */
  version?: number;
  notSuitableReason?: string | null;
  redirectedTo?: string | null;
}

/** Another area (notifications to referrers) hears of every status change, inside its transaction. */
export type TransitionListener = (tx: Db, actor: Actor, referral: q.ReferralRow, from: ReferralStatus, to: ReferralStatus) => Promise<void>;

const transitionListeners: TransitionListener[] = [];

export function registerTransitionListener(listener: TransitionListener): void {
  transitionListeners.push(listener);
}

export const MATCH_FIRST_MESSAGE = 'Match this referral to a person before accepting or allocating it: it is waiting to be matched.';

async function applyTransition(
  tx: Db,
  actor: Actor,
  referral: q.ReferralRow,
  to: ReferralStatus,
  reason: string | null,
  extra: { notSuitableReason?: string | null; redirectedTo?: string | null } = {},
  context: RequestContext = {},
) {
  if (!canTransition(referral.status, to)) throw new RuleBroken(illegalTransitionMessage(referral.status, to), 'status');
  // Work on a held referral would be done for whoever typed the details; closing it is still allowed.
  if ((to === 'triaged' || to === 'allocated') && referral.status === 'received') {
    const match = await q.findReferralMatch(tx, actor.tenantId, referral.id);
    if (match && !match.decision) throw new RuleBroken(MATCH_FIRST_MESSAGE);
  }
  await q.setStatus(tx, actor.tenantId, referral.id, to, extra);
  await q.insertTransition(tx, actor.tenantId, { referralId: referral.id, from: referral.status, to, byUserId: actor.userId, reason });
  await recordAudit(tx, {
    actor,
    tenantId: actor.tenantId,
    action: 'referral.transition',
    entityType: 'referral',
    entityId: referral.id,
    personId: referral.personId,
    reason: `${referral.status} -> ${to}${reason ? `: ${reason}` : ''}`,
    requestId: context.requestId,
  });
  const from = referral.status;
  referral.status = to;
  referral.version += 1;
  for (const listener of transitionListeners) await listener(tx, actor, referral, from, to);
}

async function lockReferral(tx: Db, actor: Actor, referralId: string, version: number | undefined): Promise<q.ReferralRow> {
  checkId(referralId, 'referral');
  const referral = await q.findReferral(tx, actor.tenantId, referralId, { lock: true });
  if (!referral) throw new NotFound('referral');
  if (version !== undefined && version !== referral.version) throw new RuleBroken(STALE_RECORD_MESSAGE);
  return referral;
}

/** Moves a referral along its life cycle, refusing anything the transition table does not allow. */
export async function transitionReferral(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  request: TransitionRequest,
  context: RequestContext = {},
) {
  requireStaff(actor);
  if (!isReferralStatus(request.to)) throw new InvalidInput([{ field: 'status', message: 'Select what happened from the list' }]);
  const to = request.to;
  if (to === 'unable_to_contact')
    return markUnableToContact(pool, actor, referralId, { version: request.version, reason: request.reason ?? null }, context);
  if (['triaged', 'not_suitable', 'allocated'].includes(to)) requireLead(actor);
  const reason = request.reason?.trim() || null;
  if (to === 'not_suitable') {
    const errors = [];
    if (!request.notSuitableReason?.trim()) errors.push({ field: 'notSuitableReason', message: 'Enter why the referral is not suitable' });
    if (!request.redirectedTo?.trim())
      errors.push({ field: 'redirectedTo', message: 'Enter where the person was redirected (or "nowhere" and why)' });
    if (errors.length) throw new InvalidInput(errors);
  }
  if ((to === 'declined' || to === 'withdrawn') && !reason) {
    throw new InvalidInput([
      { field: 'reason', message: to === 'declined' ? 'Enter why the person declined' : 'Enter why the referral was withdrawn' },
    ]);
  }
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockReferral(tx, actor, referralId, request.version);
    await applyTransition(
      tx,
      actor,
      referral,
      to,
      reason ?? (to === 'not_suitable' ? request.notSuitableReason!.trim() : null),
      {
        notSuitableReason: request.notSuitableReason?.trim() || null,
        redirectedTo: request.redirectedTo?.trim() || null,
      },
      context,
    );
    return { status: referral.status, version: referral.version };
  });
}

/**
 * The referral a piece of work is about, locked until the caller's transaction ends, so a check
 * on its status holds until the work is written (a discharge and an onward referral made at the
 * same moment are taken one after the other). Another tenant's referral is a 404. Not audited as a
 * view: the write it serves is audited.
 */
export async function lockReferralForWork(tx: Db, actor: Actor, referralId: string): Promise<q.ReferralRow> {
  requireStaff(actor);
  return lockReferral(tx, actor, referralId, undefined);
}

/** A life-cycle move inside the caller's transaction, on a referral it has locked. */
export async function transitionWithin(
  tx: Db,
  actor: Actor,
  referral: q.ReferralRow,
  to: ReferralStatus,
  reason: string | null,
  context: RequestContext = {},
) {
  requireStaff(actor);
  await applyTransition(tx, actor, referral, to, reason, {}, context);
  return { status: referral.status, version: referral.version };
}

/** A person's details for work written in the caller's transaction (not audited as a view). */
export async function personWithin(tx: Db, actor: Actor, personId: string) {
  requireStaff(actor);
  checkId(personId, 'person');
  const person = await q.findPerson(tx, actor.tenantId, personId);
  if (!person) throw new NotFound('person');
  return person;
}

/** A referral's contacts inside the caller's transaction (a discharge summary counts them), with no view audit row. */
export async function contactsWithin(tx: Db, actor: Actor, referralId: string) {
  requireStaff(actor);
  return q.contactsOf(tx, actor.tenantId, [referralId]);
}

/**
 * Discharges a referral inside the caller's transaction, so the discharge record written beside it
 * and the life-cycle move commit together or not at all.
 */
export async function dischargeWithin(tx: Db, actor: Actor, referralId: string, reason: string, context: RequestContext = {}) {
  requireStaff(actor);
  const referral = await lockReferral(tx, actor, referralId, undefined);
  await applyTransition(tx, actor, referral, 'discharged', reason, {}, context);
  return { status: referral.status, version: referral.version };
}

/**
 * The referrer's system withdraws a referral it sent (a FHIR Task cancelled), inside the caller's
 * transaction. No user is signed in: the transition row names none and its reason names the
 * system; the audit event carries the system's client id. Transition listeners are not called:
 * they expect a user, and a withdrawal notifies no one.
 */
export async function withdrawReferralForSystem(
  tx: Db,
  tenantId: string,
  referralId: string,
  reason: string,
  system: { clientId: string; name: string },
  context: RequestContext = {},
) {
  checkId(referralId, 'referral');
  if (!reason.trim()) throw new InvalidInput([{ field: 'reason', message: 'Enter why the referral was withdrawn' }]);
  const referral = await q.findReferral(tx, tenantId, referralId, { lock: true });
  if (!referral) throw new NotFound('referral');
  if (!canTransition(referral.status, 'withdrawn')) throw new RuleBroken(illegalTransitionMessage(referral.status, 'withdrawn'), 'status');
  const why = `${reason.trim()} (withdrawn by ${system.name})`;
  await q.setStatus(tx, tenantId, referral.id, 'withdrawn');
  await q.insertTransition(tx, tenantId, { referralId: referral.id, from: referral.status, to: 'withdrawn', byUserId: null, reason: why });
  await recordAudit(tx, {
    actor: { userId: system.clientId, roles: [] },
    tenantId,
    action: 'referral.transition',
    entityType: 'referral',
    entityId: referral.id,
    personId: referral.personId,
    reason: `${referral.status} -> withdrawn: ${why}`,
    requestId: context.requestId,
  });
  return { status: 'withdrawn' as const };
}

/** Triage: the lead accepts the referral for the service. */
export async function acceptReferral(pool: pg.Pool, actor: Actor, referralId: string, version?: number, context: RequestContext = {}) {
  requireLead(actor);
  return transitionReferral(pool, actor, referralId, { to: 'triaged', reason: 'Accepted at triage', version }, context);
}

export interface AllocationSuggestion {
  workers: (q.LinkWorkerLoad & { suggested: boolean })[];
  suggestedUserId: string | undefined;
}

/**
 * Suggests the link worker with the lightest open caseload, counting each person they already
 * support from the same practice as a few fewer (a worker who knows the practice is worth a little).
 */
export async function suggestAllocation(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
): Promise<AllocationSuggestion & { referral: q.ReferralRow }> {
  requireLead(actor);
  checkId(referralId, 'referral');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await q.findReferral(tx, actor.tenantId, referralId);
    if (!referral) throw new NotFound('referral');
    const practiceId = referral.personPracticeId ?? referral.practiceId;
    const loads = await q.linkWorkerLoads(tx, actor.tenantId, OPEN_STATUSES, practiceId);
    const score = (w: q.LinkWorkerLoad) => w.openReferrals - Math.min(w.samePractice, 3) * 2;
    const candidates = loads.filter((w) => w.userId !== referral.assignedTo);
    const best = [...candidates].sort((a, b) => score(a) - score(b) || a.name.localeCompare(b.name))[0];
    return {
      referral,
      workers: loads.map((w) => ({ ...w, suggested: w.userId === best?.userId })),
      suggestedUserId: best?.userId,
    };
  });
}

/**
 * Allocates (or reallocates) a referral to a link worker. A new referral is accepted on the way
 * (two transition rows); reallocation keeps the status and adds an allocation row.
 */
export async function allocateReferral(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: { linkWorkerId: string; reason?: string | null; version?: number },
  context: RequestContext = {},
) {
  requireLead(actor);
  if (!isUuid(input.linkWorkerId)) throw new InvalidInput([{ field: 'linkWorkerId', message: 'Select a link worker' }]);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockReferral(tx, actor, referralId, input.version);
    if (!(await q.isLinkWorker(tx, actor.tenantId, input.linkWorkerId)))
      throw new InvalidInput([{ field: 'linkWorkerId', message: 'Select a link worker from the list' }]);
    await allocateWithin(tx, actor, referral, input.linkWorkerId, input.reason?.trim() || null, context);
    return { status: referral.status };
  });
}

async function allocateWithin(
  tx: Db,
  actor: Actor,
  referral: q.ReferralRow,
  linkWorkerId: string,
  reason: string | null,
  context: RequestContext,
) {
  const previous = referral.assignedTo;
  if (ALLOCATED_STATUSES.includes(referral.status)) {
    if (previous === linkWorkerId) throw new RuleBroken('This referral is already allocated to that link worker.', 'linkWorkerId');
  } else {
    if (referral.status === 'received') await applyTransition(tx, actor, referral, 'triaged', 'Accepted at allocation', {}, context);
    await applyTransition(tx, actor, referral, 'allocated', reason, {}, context);
  }
  await q.setAssignee(tx, actor.tenantId, referral.id, linkWorkerId);
  await q.insertAllocation(tx, actor.tenantId, {
    referralId: referral.id,
    linkWorkerId,
    previousLinkWorkerId: previous,
    allocatedBy: actor.userId,
    reason,
  });
  await recordAudit(tx, {
    actor,
    tenantId: actor.tenantId,
    action: previous ? 'referral.reallocate' : 'referral.allocate',
    entityType: 'referral',
    entityId: referral.id,
    personId: referral.personId,
    reason: `to ${linkWorkerId}${reason ? `: ${reason}` : ''}`,
    requestId: context.requestId,
  });
}

export interface BulkTriageRequest {
  action: 'accept' | 'allocate' | string;
  referralIds: string[];
  linkWorkerId?: string;
}

/** The most referrals one bulk action takes: a triage page's worth. */
export const BULK_TRIAGE_LIMIT = 100;

/**
 * Accepts, or allocates to one link worker, several referrals from the triage queue at once. All
 * or nothing in one transaction: if any referral cannot move (held for matching, already moved on,
 * changed by someone else), nothing changes and the refusal names each such referral by reference.
 * Each referral gets its own transition and audit rows, as if done one at a time.
 */
export async function bulkTriage(pool: pg.Pool, actor: Actor, request: BulkTriageRequest, context: RequestContext = {}) {
  requireLead(actor);
  const errors: { field: string; message: string }[] = [];
  if (request.action !== 'accept' && request.action !== 'allocate')
    errors.push({ field: 'action', message: 'Choose whether to accept or allocate the selected referrals' });
  const ids = [...new Set(request.referralIds)];
  if (ids.length === 0) errors.push({ field: 'referralIds', message: 'Select at least one referral' });
  if (ids.length > BULK_TRIAGE_LIMIT)
    errors.push({ field: 'referralIds', message: `Select ${BULK_TRIAGE_LIMIT} referrals or fewer at a time` });
  if (ids.some((id) => !isUuid(id)))
    errors.push({ field: 'referralIds', message: 'One of the selected referrals does not exist. Reload the page and select again' });
  if (request.action === 'allocate' && !isUuid(request.linkWorkerId ?? ''))
    errors.push({ field: 'linkWorkerId', message: 'Select a link worker to allocate the referrals to' });
  if (errors.length) throw new InvalidInput(errors);
  return withTenant(pool, actor.tenantId, async (tx) => {
    if (request.action === 'allocate' && !(await q.isLinkWorker(tx, actor.tenantId, request.linkWorkerId!))) {
      throw new InvalidInput([{ field: 'linkWorkerId', message: 'Select a link worker from the list' }]);
    }
    const refused: { field: string; message: string }[] = [];
    for (const id of ids) {
      const referral = await q.findReferral(tx, actor.tenantId, id, { lock: true });
      if (!referral) {
        refused.push({ field: 'referralIds', message: 'One of the selected referrals does not exist. Reload the page and select again' });
        continue;
      }
      try {
        // Only the queue's own referrals: a bulk action must not reallocate someone's caseload.
        if (referral.status !== 'received' && referral.status !== 'triaged') {
          throw new RuleBroken(`it is already ${STATUS_LABELS[referral.status].toLowerCase()}`);
        }
        if (request.action === 'accept') {
          if (referral.status !== 'received') throw new RuleBroken('it was already accepted');
          await applyTransition(tx, actor, referral, 'triaged', 'Accepted at triage', {}, context);
        } else {
          await allocateWithin(tx, actor, referral, request.linkWorkerId!, null, context);
        }
      } catch (error) {
        if (!(error instanceof RuleBroken)) throw error;
        const why = error.message === MATCH_FIRST_MESSAGE ? 'it is waiting to be matched to a person' : error.message.replace(/\.$/, '');
        refused.push({
          field: `referral-${referral.id}`,
          message: `${referral.reference} (${referral.givenName} ${referral.familyName}): ${why}`,
        });
      }
    }
    // Throwing rolls back every change made above, so the queue is as it was.
    if (refused.length)
      throw new InvalidInput([
        {
          field: 'referralIds',
          message: `Nothing was changed. ${refused.length === 1 ? 'This referral' : 'These referrals'} cannot be ${request.action === 'accept' ? 'accepted' : 'allocated'}; untick ${refused.length === 1 ? 'it' : 'them'} and try again`,
        },
        ...refused,
      ]);
    return { count: ids.length };
  });
}

export async function getReferral(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  requireStaff(actor);
  checkId(referralId, 'referral');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await q.findReferral(tx, actor.tenantId, referralId);
    if (!referral) throw new NotFound('referral');
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'referral.view',
      entityType: 'referral',
      entityId: referralId,
      personId: referral.personId,
      requestId: context.requestId,
    });
    const transitions = await q.transitionsOf(tx, actor.tenantId, [referralId]);
    const contacts = await q.contactsOf(tx, actor.tenantId, [referralId]);
    const allocations = await q.allocationsOf(tx, actor.tenantId, [referralId]);
    const failedAttempts = await q.failedAttemptsSinceLastContact(tx, actor.tenantId, referralId);
    const threshold = await unableToContactThreshold(tx, actor.tenantId);
    const match = await q.findReferralMatch(tx, actor.tenantId, referralId);
    // Attached to an existing record, the consents given with the submission were not added to it:
    // the link worker confirms them with the person.
    const submittedConsents =
      match?.decision === 'same_person'
        ? (await q.consentsOf(tx, actor.tenantId, match.submittedPersonId)).filter((c) => c.referralId === referralId)
        : [];
    return {
      referral,
      transitions,
      contacts,
      allocations,
      failedAttempts,
      threshold,
      match,
      submittedConsents,
      offerUnableToContact: referral.status === 'allocated' && failedAttempts >= threshold,
      allowedNext: allowedNext(referral.status),
      waiting: waitingTimes(referral.receivedAt, transitions),
      reasons: referral.reasons.map((code) => ({ code, label: findNeed(code)?.label ?? code, snomed: findNeed(code)?.snomed })),
    };
  });
}

export interface WaitingTimes {
  /** Calendar days from the referral arriving to the first contact made, when there has been one (0 the same day). */
  toFirstContactDays: number | null;
  toAssessmentDays: number | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Waiting times from the transition rows: the first move into "in contact" and into "assessed". */
export function waitingTimes(receivedAt: Date, transitions: { toStatus: string; occurredAt: Date }[]): WaitingTimes {
  const first = (status: string) => transitions.find((t) => t.toStatus === status)?.occurredAt;
  // Calendar days in England, as the reports count them: a contact on the day it arrived is 0.
  const days = (at: Date | undefined) => (at ? Math.round((Date.parse(localDate(at)) - Date.parse(localDate(receivedAt))) / DAY_MS) : null);
  return { toFirstContactDays: days(first('in_contact')), toAssessmentDays: days(first('assessed')) };
}

/** Waiting times for one referral, read from its transitions. */
export async function referralWaitingTimes(pool: pg.Pool, actor: Actor, referralId: string): Promise<WaitingTimes> {
  requireStaff(actor);
  checkId(referralId, 'referral');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await q.findReferral(tx, actor.tenantId, referralId);
    if (!referral) throw new NotFound('referral');
    return waitingTimes(referral.receivedAt, await q.transitionsOf(tx, actor.tenantId, [referralId]));
  });
}

export async function setNextAction(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: { nextAction: string; due: string; version: number | undefined },
  context: RequestContext = {},
) {
  requireStaff(actor);
  const errors = [];
  const nextAction = input.nextAction.trim();
  if (nextAction.length > 500) errors.push({ field: 'nextAction', message: 'Next action must be 500 characters or fewer' });
  let due: string | null = null;
  if (input.due) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.due) || Number.isNaN(Date.parse(input.due)))
      errors.push({ field: 'due', message: 'Due date must be a real date' });
    // An action due in the past is overdue as soon as it is set: almost always a mistyped date.
    else if (input.due < localDate(new Date())) errors.push({ field: 'due', message: 'Due date must be today or in the future' });
    else due = input.due;
  }
  if (nextAction && !due) errors.push({ field: 'due', message: 'Enter when the next action is due' });
  if (errors.length) throw new InvalidInput(errors);
  await withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockReferral(tx, actor, referralId, input.version);
    if (
      input.version === undefined ||
      !(await q.updateNextAction(tx, actor.tenantId, referralId, input.version, nextAction || null, due))
    ) {
      throw new RuleBroken(STALE_RECORD_MESSAGE);
    }
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'referral.next-action',
      entityType: 'referral',
      entityId: referralId,
      personId: referral.personId,
      requestId: context.requestId,
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Contacts

/**
 * Records a contact. The first contact made moves an allocated (or unable-to-contact) referral to
 * "in contact". Returns how many attempts have failed since the last contact made, and whether
 * "unable to contact" is now offered.
 */
export async function recordContact(pool: pg.Pool, actor: Actor, referralId: string, input: ContactInput, context: RequestContext = {}) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockReferral(tx, actor, referralId, undefined);
    if (!ALLOCATED_STATUSES.includes(referral.status) && referral.status !== 'unable_to_contact') {
      throw new RuleBroken(`Contacts can be recorded once the referral is allocated. It is "${STATUS_LABELS[referral.status]}".`);
    }
    const contactId = await q.insertContact(tx, actor.tenantId, referral.id, input, actor.userId);
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'contact.create',
      entityType: 'contact',
      entityId: contactId,
      personId: referral.personId,
      reason: input.outcome,
      requestId: context.requestId,
    });
    if (input.outcome === 'made' && (referral.status === 'allocated' || referral.status === 'unable_to_contact')) {
      await applyTransition(tx, actor, referral, 'in_contact', 'First contact made', {}, context);
    }
    const failedAttempts = await q.failedAttemptsSinceLastContact(tx, actor.tenantId, referral.id);
    const threshold = await unableToContactThreshold(tx, actor.tenantId);
    return {
      contactId,
      status: referral.status,
      failedAttempts,
      offerUnableToContact: referral.status === 'allocated' && failedAttempts >= threshold,
    };
  });
}

/**
 * "Unable to contact", offered once the tenant's number of failed attempts is reached. Writes to
 * the referrer through the notification outbox.
 */
export async function markUnableToContact(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: { version?: number; reason?: string | null },
  context: RequestContext = {},
) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockReferral(tx, actor, referralId, input.version);
    if (!canTransition(referral.status, 'unable_to_contact'))
      throw new RuleBroken(illegalTransitionMessage(referral.status, 'unable_to_contact'), 'status');
    const failed = await q.failedAttemptsSinceLastContact(tx, actor.tenantId, referral.id);
    const threshold = await unableToContactThreshold(tx, actor.tenantId);
    if (failed < threshold) {
      throw new RuleBroken(
        `"Unable to contact" is offered after ${threshold} failed attempts. ${failed} ${failed === 1 ? 'has' : 'have'} been recorded.`,
        'status',
      );
    }
    await applyTransition(
      tx,
      actor,
      referral,
      'unable_to_contact',
      input.reason?.trim() || `${failed} attempts to make contact failed`,
      {},
      context,
    );
    const recipient = referral.referrerEmail ?? referral.referrerUserEmail;
    let letterQueued = false;
    if (recipient && referral.source !== 'self') {
      letterQueued = !!(await queueNotification(tx, {
        tenantId: actor.tenantId,
        channel: 'email',
        recipient,
        template: 'unable_to_contact',
        personalisation: {
          reference: referral.reference,
          referrer_name: referral.referrerName ?? referral.referrerUserName ?? 'colleague',
          person_name: `${referral.givenName} ${referral.familyName}`,
          date_of_birth: referral.dateOfBirth,
          attempts: String(failed),
        },
        idempotencyKey: `unable-to-contact:${referral.id}`,
      }));
    }
    return { status: referral.status, letterQueued };
  });
}

// ---------------------------------------------------------------------------------------------
// Triage, caseload, referrer view

/** The longest search a list accepts: a full name with room to spare. */
export const SEARCH_MAX_LENGTH = 100;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Reads what someone typed into a list's search box: an NHS number with or without spaces, a
 * reference with or without its "SP-", or words of a name. Empty text searches for nothing.
 */
export function personSearch(text: string | undefined): q.PersonSearch | null {
  const typed = (text ?? '').trim().slice(0, SEARCH_MAX_LENGTH);
  if (!typed) return null;
  const digits = typed.replace(/[\s-]/g, '');
  const reference = /^(?:SP-?)?([0-9A-Z]{8})$/.exec(typed.toUpperCase().replace(/\s/g, ''));
  return {
    namePatterns: typed
      .toLowerCase()
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => `%${escapeLike(word)}%`),
    nhsNumber: /^\d{10}$/.test(digits) ? digits : null,
    reference: reference ? `SP-${reference[1]}` : null,
  };
}

export async function triageQueue(pool: pg.Pool, actor: Actor, context: RequestContext & { search?: string } = {}) {
  requireLead(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const rows = await q.triageQueue(tx, actor.tenantId, personSearch(context.search));
    // Referrals waiting past the first-contact target before anyone is allocated show it here.
    const reminders = await remindersFor(
      tx,
      actor.tenantId,
      rows.map((r) => r.id),
      localDate(new Date()),
    );
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'triage.view',
      entityType: 'referral',
      reason: `${rows.length} referrals listed`,
      requestId: context.requestId,
    });
    return rows.map((row) => ({ ...row, reminders: reminders.get(row.id) ?? [] }));
  });
}

// ---------------------------------------------------------------------------------------------
// Matching held referrals

/** A held referral beside every existing record that may be the same person, detail by detail. */
export async function matchPage(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  requireLead(actor);
  checkId(referralId, 'referral');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await q.findReferral(tx, actor.tenantId, referralId);
    const match = referral && (await q.findReferralMatch(tx, actor.tenantId, referralId));
    if (!referral || !match) throw new NotFound('referral');
    const held = await q.findPerson(tx, actor.tenantId, match.submittedPersonId);
    if (!held) throw new NotFound('referral');
    const submitted = { ...held, nhsNumber: match.nhsNumber };
    const found = match.decision ? [] : await q.findDuplicates(tx, actor.tenantId, submitted, NAME_SIMILARITY_THRESHOLD);
    const candidates: q.PersonRow[] = [];
    for (const duplicate of found) {
      const record = await q.findPerson(tx, actor.tenantId, duplicate.id);
      if (record) candidates.push(record);
    }
    const clash = match.nhsNumber ? await q.findLivePersonByNhsNumber(tx, actor.tenantId, match.nhsNumber) : undefined;
    const consents = (await q.consentsOf(tx, actor.tenantId, match.submittedPersonId)).filter((c) => c.referralId === referralId);
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'referral.match-view',
      entityType: 'referral',
      entityId: referralId,
      personId: match.submittedPersonId,
      reason: `${candidates.length} possible record(s) shown`,
      requestId: context.requestId,
    });
    for (const c of candidates) {
      await recordAudit(tx, {
        actor,
        tenantId: actor.tenantId,
        action: 'person.view',
        entityType: 'person',
        entityId: c.id,
        personId: c.id,
        reason: `Compared with referral ${referral.reference}`,
        requestId: context.requestId,
      });
    }
    return { referral, match, submitted, candidates, nhsNumberHeldElsewhere: !!clash, consents };
  });
}

export interface MatchDecisionInput {
  /** An existing person's id ("this is the same person"), or 'new' ("a different person"). */
  choice: string;
  /**
   * For a different person whose submitted NHS number another live record holds: the corrected
   * NHS number as typed, or '' to keep the record without one. Ignored otherwise.
   */
  nhsNumber?: string;
}

export const ALREADY_MATCHED_MESSAGE = 'This referral has already been matched by someone else. Reload the page to see what they decided.';

/**
 * A lead decides whose a held referral is. "The same person" moves the referral to the existing
 * record and merges the held record into it, leaving that record's consents as they were (the
 * consents given with the submission stay on the held record, for the link worker to confirm with
 * the person). "A different person" keeps the held record as a new person; if another live record
 * holds the submitted NHS number, the lead corrects it or clears it.
 */
export async function resolveMatch(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: MatchDecisionInput,
  context: RequestContext = {},
) {
  requireLead(actor);
  checkId(referralId, 'referral');
  if (input.choice !== 'new' && !isUuid(input.choice)) {
    throw new InvalidInput([
      { field: 'choice', message: 'Select whether this is the same person as a record shown, or a different person' },
    ]);
  }
  return withTenant(pool, actor.tenantId, async (tx) => {
    const match = await q.findReferralMatch(tx, actor.tenantId, referralId, { lock: true });
    const referral = match && (await q.findReferral(tx, actor.tenantId, referralId, { lock: true }));
    if (!match || !referral) throw new NotFound('referral');
    if (match.decision) throw new RuleBroken(ALREADY_MATCHED_MESSAGE, 'choice');
    const heldId = match.submittedPersonId;
    const audit = (action: string, personId: string, reason: string) =>
      recordAudit(tx, {
        actor,
        tenantId: actor.tenantId,
        action,
        entityType: 'referral',
        entityId: referralId,
        personId,
        reason,
        requestId: context.requestId,
      });

    if (input.choice === 'new') {
      let nhsNumber = match.nhsNumber;
      let note = '';
      if (nhsNumber && (await q.findLivePersonByNhsNumber(tx, actor.tenantId, nhsNumber))) {
        const typed = checkNhsNumber(input.nhsNumber?.trim() ?? nhsNumber);
        if (typed.message) throw new InvalidInput([{ field: 'nhsNumber', message: typed.message }]);
        if (typed.value && (await q.findLivePersonByNhsNumber(tx, actor.tenantId, typed.value))) {
          throw new InvalidInput([
            {
              field: 'nhsNumber',
              message:
                'Another record has this NHS number. Enter the correct NHS number for this person, or leave it empty to keep the record without one.',
            },
          ]);
        }
        nhsNumber = typed.value;
        note = nhsNumber ? ', NHS number corrected' : ', NHS number cleared (it is on another record)';
      }
      await q.confirmNewPerson(tx, actor.tenantId, heldId, nhsNumber);
      await q.recordMatchDecision(tx, actor.tenantId, referralId, 'different_person', heldId, actor.userId);
      await audit('referral.match', heldId, `Different person: kept as a new record${note}`);
      return { decision: 'different_person' as const, personId: heldId };
    }

    const existing = await q.findPerson(tx, actor.tenantId, input.choice);
    if (!existing || existing.mergedIntoId || existing.awaitingMatch || existing.id === heldId) throw new NotFound('person');
    await q.moveReferral(tx, actor.tenantId, referralId, existing.id);
    await q.mergeHeldPerson(tx, actor.tenantId, heldId, existing.id);
    if (!existing.nhsNumber && match.nhsNumber && !(await q.findLivePersonByNhsNumber(tx, actor.tenantId, match.nhsNumber))) {
      await q.setNhsNumberIfMissing(tx, actor.tenantId, existing.id, match.nhsNumber);
    }
    await q.recordMatchDecision(tx, actor.tenantId, referralId, 'same_person', existing.id, actor.userId);
    const reason = `Same person: referral ${referral.reference} attached; the record's consents unchanged`;
    await audit('referral.match', existing.id, reason);
    await audit('person.merged-away', heldId, reason);
    return { decision: 'same_person' as const, personId: existing.id };
  });
}

const CONSENT_KINDS = ['refer', 'share', 'contact'] as const;

/**
 * A link worker records on the person's record the consents the person gave online, once they have
 * confirmed them with the person: only the statements that came with the submission, once.
 */
export async function confirmSubmittedConsents(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  kinds: string[],
  context: RequestContext = {},
) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockReferral(tx, actor, referralId, undefined);
    const match = await q.findReferralMatch(tx, actor.tenantId, referralId, { lock: true });
    if (match?.decision !== 'same_person') throw new RuleBroken('This referral has no consents from the person to confirm.', 'consents');
    if (match.consentsConfirmedAt)
      throw new RuleBroken(
        `These were already confirmed with the person by ${match.consentsConfirmedByName ?? 'a link worker'}.`,
        'consents',
      );
    const submitted = new Set(
      (await q.consentsOf(tx, actor.tenantId, match.submittedPersonId)).filter((c) => c.referralId === referralId).map((c) => c.kind),
    );
    const confirmed = CONSENT_KINDS.filter((kind) => kinds.includes(kind) && submitted.has(kind));
    if (!confirmed.length) throw new InvalidInput([{ field: 'consents', message: 'Select what the person confirmed they agree to' }]);
    for (const kind of confirmed) {
      await q.insertConsent(tx, actor.tenantId, {
        personId: referral.personId,
        referralId,
        kind,
        recordedBy: actor.userId,
        recordedByDescription: null,
      });
    }
    await q.markConsentsConfirmed(tx, actor.tenantId, referralId, actor.userId);
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'consent.confirm',
      entityType: 'referral',
      entityId: referralId,
      personId: referral.personId,
      reason: `Confirmed with the person: ${confirmed.join(', ')}`,
      requestId: context.requestId,
    });
    return confirmed;
  });
}

export interface CaseloadFilter {
  /** A user id, 'all' (leads only) or undefined for the actor's own. */
  worker?: string;
  status?: string;
  overdueOnly?: boolean;
  sort?: string;
  /** 1-based page of CASELOAD_PAGE_SIZE rows. */
  page?: number;
  /** A name, NHS number or reference. */
  search?: string;
}

/** Rows per caseload page; counts (total, overdue) cover the whole caseload. */
export const CASELOAD_PAGE_SIZE = 50;

export async function caseload(pool: pg.Pool, actor: Actor, filter: CaseloadFilter = {}, context: RequestContext = {}) {
  requireStaff(actor);
  const isLead = hasRole(actor, 'lead');
  let assignedTo: string | null = actor.userId;
  if (filter.worker && filter.worker !== actor.userId) {
    if (!isLead) throw new Forbidden('You can see your own caseload. A lead can see everyone’s.');
    if (filter.worker === 'all') assignedTo = null;
    else if (isUuid(filter.worker)) assignedTo = filter.worker;
    else throw new InvalidInput([{ field: 'worker', message: 'Select a link worker from the list' }]);
  } else if (!filter.worker && isLead && !hasRole(actor, 'link_worker')) {
    assignedTo = null;
  }
  const statuses = filter.status && OPEN_STATUSES.includes(filter.status as ReferralStatus) ? [filter.status] : OPEN_STATUSES;
  const sort = (filter.sort && filter.sort in q.CASELOAD_SORTS ? filter.sort : 'waiting') as q.CaseloadSort;
  return withTenant(pool, actor.tenantId, async (tx) => {
    const page = filter.page && Number.isInteger(filter.page) && filter.page > 0 ? filter.page : 1;
    const rows = await q.caseload(tx, actor.tenantId, {
      assignedTo,
      statuses,
      overdueOnly: !!filter.overdueOnly,
      sort,
      limit: CASELOAD_PAGE_SIZE,
      offset: (page - 1) * CASELOAD_PAGE_SIZE,
      search: personSearch(filter.search),
    });
    const workers = isLead ? await q.linkWorkerLoads(tx, actor.tenantId, OPEN_STATUSES, null) : [];
    const reminders = await remindersFor(
      tx,
      actor.tenantId,
      rows.map((r) => r.id),
      localDate(new Date()),
    );
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'caseload.view',
      entityType: 'caseload',
      entityId: assignedTo,
      reason: `${rows.length} referrals listed (page ${page})`,
      requestId: context.requestId,
    });
    const total = rows[0]?.total ?? 0;
    return {
      rows,
      total,
      overdue: rows[0]?.overdueTotal ?? 0,
      page,
      pages: Math.max(1, Math.ceil(total / CASELOAD_PAGE_SIZE)),
      assignedTo,
      sort,
      status: statuses.length === 1 ? statuses[0] : '',
      workers,
      isLead,
      reminders,
      remindersTotal: [...reminders.values()].reduce((n, list) => n + list.length, 0),
    };
  });
}

export async function referrerView(pool: pg.Pool, actor: Actor, context: RequestContext = {}) {
  if (!hasRole(actor, 'referrer')) throw new Forbidden();
  return withTenant(pool, actor.tenantId, async (tx) => {
    const rows = await q.referrerReferrals(tx, actor.tenantId, actor.userId, actor.practiceId);
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'referrer-view.view',
      entityType: 'referral',
      reason: `${rows.length} referrals listed`,
      requestId: context.requestId,
    });
    return rows;
  });
}

/** Rows per page of the referrer's view. */
export const REFERRER_PAGE_SIZE = 25;

/** The referrer's view a page at a time, newest first, optionally narrowed by a search. */
export async function referrerPage(
  pool: pg.Pool,
  actor: Actor,
  options: { page?: number; search?: string } = {},
  context: RequestContext = {},
) {
  if (!hasRole(actor, 'referrer')) throw new Forbidden();
  const page = options.page && Number.isInteger(options.page) && options.page > 0 ? options.page : 1;
  return withTenant(pool, actor.tenantId, async (tx) => {
    const rows = await q.referrerReferralsPage(tx, actor.tenantId, actor.userId, actor.practiceId, {
      search: personSearch(options.search),
      limit: REFERRER_PAGE_SIZE,
      offset: (page - 1) * REFERRER_PAGE_SIZE,
    });
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'referrer-view.view',
      entityType: 'referral',
      reason: `${rows.length} referrals listed (page ${page})`,
      requestId: context.requestId,
    });
    const total = rows[0]?.total ?? 0;
    return { rows, total, page, pages: Math.max(1, Math.ceil(total / REFERRER_PAGE_SIZE)) };
  });
}

/**
 * One referral as its referrer sees it: who, what was asked, where it is now and each step's
 * date. Reasons given at each step stay with the service; a referral the referrer may not see is
 * a 404, never confirming it exists.
 */
export async function referralForReferrer(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  if (!hasRole(actor, 'referrer')) throw new Forbidden();
  checkId(referralId, 'referral');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await q.referralForReferrer(tx, actor.tenantId, referralId, actor.userId, actor.practiceId);
    if (!referral) throw new NotFound('referral');
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'referrer-view.referral',
      entityType: 'referral',
      entityId: referralId,
      personId: referral.personId,
      requestId: context.requestId,
    });
    const transitions = (await q.transitionsOf(tx, actor.tenantId, [referralId])).map((t) => ({
      toStatus: t.toStatus,
      occurredAt: t.occurredAt,
    }));
    return { referral, transitions };
  });
}

/** A link worker's referrals allocated and not yet contacted, most urgent first. */
export async function newAllocations(pool: pg.Pool, actor: Actor, limit = 10) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const rows = await q.newAllocations(tx, actor.tenantId, actor.userId, limit);
    return { rows, total: rows[0]?.total ?? 0 };
  });
}

/** The number of new allocations alone, for the header. */
export async function newAllocationCount(tx: Db, actor: Actor): Promise<number> {
  if (!hasRole(actor, 'link_worker')) return 0;
  return (await q.newAllocations(tx, actor.tenantId, actor.userId, 1))[0]?.total ?? 0;
}

/** The lead's overview: referrals waiting at triage and every link worker's open caseload. */
export async function teamOverview(pool: pg.Pool, actor: Actor) {
  requireLead(actor);
  return withTenant(pool, actor.tenantId, async (tx) => ({
    triage: await q.triageCounts(tx, actor.tenantId),
    caseloads: await q.linkWorkerLoads(tx, actor.tenantId, OPEN_STATUSES, null),
  }));
}

// ---------------------------------------------------------------------------------------------
// Person timeline

export interface TimelineEntry {
  at: Date;
  kind: string;
  title: string;
  detail?: string;
  referralId?: string;
  href?: string;
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
    const entries: TimelineEntry[] = [];
    for (const r of page.referrals) {
      entries.push({
        at: r.receivedAt,
        kind: 'referral',
        title: `Referral ${r.reference} received`,
        detail: r.reasons.map((c) => findNeed(c)?.label ?? c).join(', '),
        referralId: r.id,
        href: `/referrals/${r.id}`,
      });
    }
    for (const t of await q.transitionsOf(tx, actor.tenantId, referralIds)) {
      if (t.fromStatus === null) continue;
      entries.push({
        at: t.occurredAt,
        kind: 'transition',
        title: `${STATUS_LABELS[t.fromStatus]} → ${STATUS_LABELS[t.toStatus]}`,
        detail: [t.reason, t.byUserName ? `by ${t.byUserName}` : ''].filter(Boolean).join(' · '),
        referralId: t.referralId,
      });
    }
    for (const a of await q.allocationsOf(tx, actor.tenantId, referralIds)) {
      entries.push({
        at: a.allocatedAt,
        kind: 'allocation',
        title: a.previousLinkWorkerName
          ? `Reallocated from ${a.previousLinkWorkerName} to ${a.linkWorkerName}`
          : `Allocated to ${a.linkWorkerName}`,
        detail: [a.reason, a.allocatedByName ? `by ${a.allocatedByName}` : ''].filter(Boolean).join(' · '),
        referralId: a.referralId,
      });
    }
    for (const c of await q.contactsOf(tx, actor.tenantId, referralIds)) {
      entries.push({
        at: c.occurredAt,
        kind: 'contact',
        title: c.outcome === 'made' ? 'Contact made' : 'Contact attempted',
        detail: [
          c.mode.replace(/_/g, ' '),
          c.minutes !== null ? `${c.minutes} minutes` : '',
          c.recordedByName ? `by ${c.recordedByName}` : '',
        ]
          .filter(Boolean)
          .join(' · '),
        referralId: c.referralId,
      });
    }
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
