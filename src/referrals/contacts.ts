import type pg from 'pg';
import { withTenant } from '../db/transaction.ts';
import type { Actor } from '../identity/actor.ts';
import { recordAuditBy } from '../identity/audit.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { RuleBroken } from '../web/errors.ts';
import { ALLOCATED_STATUSES, canTransition, illegalTransitionMessage, STATUS_LABELS } from './lifecycle.ts';
import type { ContactInput } from './schema.ts';
import { requireStaff, unableToContactThreshold, applyTransition, lockReferral } from './transitions.ts';
import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';

// Contacts with the person, attempted or made, and "unable to contact" after enough attempts.

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
    await recordAuditBy(tx, actor, context, {
      action: 'contact.create',
      entityType: 'contact',
      entityId: contactId,
      personId: referral.personId,
      reason: input.outcome,
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
