import { randomInt } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withSavepoint, withTenant } from '../db/transaction.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAudit } from '../identity/audit.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { identityDifferences } from '../people/matching.ts';
import type { PersonInput } from '../people/schema.ts';
import * as people from '../people/service.ts';
import { InvalidInput, NotFound } from '../web/errors.ts';
import { type ReferralInput } from './schema.ts';
import { requireReferrer } from './transitions.ts';
import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';

// The one way a referral comes in (staff forms, the public self-referral, FHIR), and the staff
// form's drafts until "check your answers".

const REFERENCE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** SP- and 8 characters from Crockford's base 32 (no I, L, O or U to misread). */
export function newReference(): string {
  let out = 'SP-';
  for (let i = 0; i < 8; i++) out += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
  return out;
}

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
    // The record chosen on a form: an id that is not one names no record.
    if (!isUuid(input.personChoice)) throw new NotFound('person');
    const existing = await people.findPersonWithin(tx, tenantId, input.personChoice);
    if (!existing || existing.mergedIntoId || existing.awaitingMatch) throw new NotFound('person');
    if (input.person.nhsNumber && existing.nhsNumber && existing.nhsNumber !== input.person.nhsNumber) {
      throw new InvalidInput([
        { field: 'personChoice', message: 'The record you chose has a different NHS number. Choose another record or create a new one.' },
      ]);
    }
    if (input.person.nhsNumber && existing.nhsNumber === input.person.nhsNumber && identityDifferences(input.person, existing).length) {
      throw new InvalidInput([{ field: 'personChoice', message: people.NHS_NUMBER_MISMATCH_MESSAGE }]);
    }
    personId = existing.id;
    if (!existing.nhsNumber && input.person.nhsNumber) await people.setNhsNumberIfMissing(tx, tenantId, personId, input.person.nhsNumber);
  } else if (!held && input.person.nhsNumber && (await people.livePersonWithNhsNumber(tx, tenantId, input.person.nhsNumber))) {
    throw new InvalidInput([
      { field: 'personChoice', message: 'A record with this NHS number already exists. Choose it instead of creating a new one.' },
    ]);
  }
  const createdPerson = !personId;
  if (!personId) {
    // A held record carries no NHS number (another live record may hold it); the referral_match row keeps the submitted one.
    const person = held ? { ...input.person, nhsNumber: null } : input.person;
    personId = await people.createPersonWithin(tx, tenantId, person, held);
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
  await people.recordConsentWithin(tx, tenantId, { personId, referralId, kind: 'refer', recordedBy, recordedByDescription: description });
  if (input.referral.consentToShare)
    await people.recordConsentWithin(tx, tenantId, { personId, referralId, kind: 'share', recordedBy, recordedByDescription: description });
  if (input.person.contactChannels.length > 0)
    await people.recordConsentWithin(tx, tenantId, {
      personId,
      referralId,
      kind: 'contact',
      recordedBy,
      recordedByDescription: description,
    });
  if (input.referral.consentToResearch && !(await people.hasActiveConsent(tx, tenantId, personId, 'research'))) {
    await people.recordConsentWithin(tx, tenantId, {
      personId,
      referralId,
      kind: 'research',
      recordedBy,
      recordedByDescription: description,
    });
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

export async function startDraft(pool: pg.Pool, actor: Actor, answers: Record<string, unknown>): Promise<string> {
  requireReferrer(actor);
  return withTenant(pool, actor.tenantId, (tx) => q.insertDraft(tx, actor.tenantId, actor.userId, answers));
}

export async function getDraft(pool: pg.Pool, actor: Actor, draftId: string): Promise<Record<string, unknown>> {
  requireReferrer(actor);
  const answers = await withTenant(pool, actor.tenantId, (tx) => q.findDraft(tx, actor.tenantId, actor.userId, draftId));
  if (!answers) throw new NotFound('referral');
  return answers;
}

export async function saveDraft(pool: pg.Pool, actor: Actor, draftId: string, answers: Record<string, unknown>): Promise<void> {
  requireReferrer(actor);
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
  return withTenant(pool, actor.tenantId, async (tx) => {
    if (!(await q.findDraft(tx, actor.tenantId, actor.userId, draftId))) throw new NotFound('referral');
    const result = await intakeReferral(tx, actor.tenantId, actor, input, context);
    await q.deleteDraft(tx, actor.tenantId, draftId);
    return result;
  });
}
