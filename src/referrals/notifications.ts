import type { Db } from '../db/database.ts';
import type { Actor } from '../identity/actor.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { STATUS_LABELS, type ReferralRow } from './service.ts';
import { personChannel } from '../people/service.ts';

// Referral status notifications: registered as a transition listener in src/wiring.ts.

/** Status changes the referrer hears about. Unable to contact and discharge send their own letters. */
export const REFERRER_NOTIFIED = ['allocated', 'in_contact', 'declined', 'not_suitable'] as const;

/**
 * Queued in the transaction of the status change itself: the referrer (not for self-referrals) is
 * told the referral's new status, by reference only; a person who referred themself hears that a
 * link worker has been allocated, on the channel they chose, unless they withdrew consent.
 */
export async function notifyStatusChange(tx: Db, actor: Actor, referral: ReferralRow, from: string, to: string): Promise<void> {
  if (!(REFERRER_NOTIFIED as readonly string[]).includes(to)) return;
  const tenantId = actor.tenantId;
  if (referral.source !== 'self') {
    const recipient = referral.referrerEmail ?? referral.referrerUserEmail;
    if (!recipient || recipient.toLowerCase() === actor.email?.toLowerCase()) return; // no news to the one who made it
    await queueNotification(tx, {
      tenantId,
      channel: 'email',
      recipient,
      template: 'referral_status_changed',
      personalisation: {
        reference: referral.reference,
        referrer_name: referral.referrerName ?? referral.referrerUserName ?? 'colleague',
        status: STATUS_LABELS[to as keyof typeof STATUS_LABELS] ?? to,
        previous_status: STATUS_LABELS[from as keyof typeof STATUS_LABELS] ?? from,
      },
      idempotencyKey: `referral-status:${referral.id}:${to}`,
    });
    return;
  }
  if (to !== 'allocated') return;
  const reach = await personChannel(tx, tenantId, referral.personId);
  if (!reach) return;
  await queueNotification(tx, {
    tenantId,
    channel: reach.channel,
    recipient: reach.recipient,
    template: 'self_referral_allocated',
    personalisation: { reference: referral.reference },
    idempotencyKey: `self-referral-allocated:${referral.id}`,
  });
}
