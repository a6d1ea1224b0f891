import type pg from 'pg';
import { withTenant } from '../db/transaction.ts';
import type { Actor } from '../identity/actor.ts';
import { recordAuditBy } from '../identity/audit.ts';
import { checkNhsNumber } from '../people/schema.ts';
import * as people from '../people/service.ts';
import { InvalidInput, NotFound, RuleBroken } from '../web/errors.ts';

import { requireStaff, requireLead, lockReferral } from './transitions.ts';
import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';

// Referrals held for a lead to say whose they are (every public self-referral, and a staff
// referral whose NHS number is on a record with another name or date of birth), and the consents
// given with them, confirmed later with the person.

/** A held referral beside every existing record that may be the same person, detail by detail. */
export async function matchPage(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  requireLead(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await q.findReferral(tx, actor.tenantId, referralId);
    const match = referral && (await q.findReferralMatch(tx, actor.tenantId, referralId));
    if (!referral || !match) throw new NotFound('referral');
    const held = await people.findPersonWithin(tx, actor.tenantId, match.submittedPersonId);
    if (!held) throw new NotFound('referral');
    const submitted = { ...held, nhsNumber: match.nhsNumber };
    const found = match.decision ? [] : await people.duplicatesWithin(tx, actor.tenantId, submitted);
    const candidates: people.PersonRow[] = [];
    for (const duplicate of found) {
      const record = await people.findPersonWithin(tx, actor.tenantId, duplicate.id);
      if (record) candidates.push(record);
    }
    const clash = match.nhsNumber ? await people.livePersonWithNhsNumber(tx, actor.tenantId, match.nhsNumber) : undefined;
    const consents = (await people.consentsOf(tx, actor.tenantId, match.submittedPersonId)).filter((c) => c.referralId === referralId);
    await recordAuditBy(tx, actor, context, {
      action: 'referral.match-view',
      entityType: 'referral',
      entityId: referralId,
      personId: match.submittedPersonId,
      reason: `${candidates.length} possible record(s) shown`,
    });
    for (const c of candidates) {
      await recordAuditBy(tx, actor, context, {
        action: 'person.view',
        entityType: 'person',
        entityId: c.id,
        personId: c.id,
        reason: `Compared with referral ${referral.reference}`,
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
      recordAuditBy(tx, actor, context, { action, entityType: 'referral', entityId: referralId, personId, reason });

    if (input.choice === 'new') {
      let nhsNumber = match.nhsNumber;
      let note = '';
      if (nhsNumber && (await people.livePersonWithNhsNumber(tx, actor.tenantId, nhsNumber))) {
        const typed = checkNhsNumber(input.nhsNumber?.trim() ?? nhsNumber);
        if (typed.message) throw new InvalidInput([{ field: 'nhsNumber', message: typed.message }]);
        if (typed.value && (await people.livePersonWithNhsNumber(tx, actor.tenantId, typed.value))) {
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
      await people.confirmNewPerson(tx, actor.tenantId, heldId, nhsNumber);
      await q.recordMatchDecision(tx, actor.tenantId, referralId, 'different_person', heldId, actor.userId);
      await audit('referral.match', heldId, `Different person: kept as a new record${note}`);
      return { decision: 'different_person' as const, personId: heldId };
    }

    const existing = await people.findPersonWithin(tx, actor.tenantId, input.choice);
    if (!existing || existing.mergedIntoId || existing.awaitingMatch || existing.id === heldId) throw new NotFound('person');
    await q.moveReferral(tx, actor.tenantId, referralId, existing.id);
    await people.mergeHeldPerson(tx, actor.tenantId, heldId, existing.id);
    if (!existing.nhsNumber && match.nhsNumber && !(await people.livePersonWithNhsNumber(tx, actor.tenantId, match.nhsNumber))) {
      await people.setNhsNumberIfMissing(tx, actor.tenantId, existing.id, match.nhsNumber);
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
      (await people.consentsOf(tx, actor.tenantId, match.submittedPersonId)).filter((c) => c.referralId === referralId).map((c) => c.kind),
    );
    const confirmed = CONSENT_KINDS.filter((kind) => kinds.includes(kind) && submitted.has(kind));
    if (!confirmed.length) throw new InvalidInput([{ field: 'consents', message: 'Select what the person confirmed they agree to' }]);
    for (const kind of confirmed) {
      await people.recordConsentWithin(tx, actor.tenantId, {
        personId: referral.personId,
        referralId,
        kind,
        recordedBy: actor.userId,
        recordedByDescription: null,
      });
    }
    await q.markConsentsConfirmed(tx, actor.tenantId, referralId, actor.userId);
    await recordAuditBy(tx, actor, context, {
      action: 'consent.confirm',
      entityType: 'referral',
      entityId: referralId,
      personId: referral.personId,
      reason: `Confirmed with the person: ${confirmed.join(', ')}`,
    });
    return confirmed;
  });
}
