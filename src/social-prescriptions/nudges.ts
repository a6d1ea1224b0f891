import { withTenant } from '../db/transaction.ts';
import { queueNotification } from '../jobs/outbox.ts';
import type { JobContext } from '../jobs/service.ts';
import { addWorkingDays } from './lifecycle.ts';
import * as q from './queries.ts';
import { providerOrganisationEmail } from '../identity/provider-organisations.ts';

export const ONWARD_NUDGE_SCAN = 'social-prescribing.nudges';

/** Working days without a response before the provider is nudged; the link worker 5 days later. */
export const PROVIDER_NUDGE_WORKING_DAYS = 10;
export const WORKER_NUDGE_WORKING_DAYS = 15;
/** Days after the first session before the person is asked "did you go, and how was it?". */
export const FOLLOW_UP_DAYS = 3;

function subtractWorkingDays(now: Date, days: number): Date {
  // The latest sent time whose deadline (sent + days working days) is not after now.
  let probe = new Date(now.getTime() - days * 86_400_000);
  while (addWorkingDays(probe, days) > now) probe = new Date(probe.getTime() - 3_600_000);
  return probe;
}

/**
 * Per tenant, once a day: sent onward referrals with no response nudge the provider, then the
 * link worker; a few days after a first session the person is asked how it went. Every message
 * has an idempotency key and a marker column, so a repeated scan sends nothing twice.
 */
export async function onwardNudgeScan(job: JobContext): Promise<void> {
  const now = job.clock.now();
  const tenantId = job.tenantId!;
  await withTenant(job.pool, tenantId, async (tx) => {
    const providerCutoff = subtractWorkingDays(now, PROVIDER_NUDGE_WORKING_DAYS);
    const workerCutoff = subtractWorkingDays(now, WORKER_NUDGE_WORKING_DAYS);
    for (const o of await q.unansweredSent(tx, tenantId, providerCutoff)) {
      const providerEmail = o.providerOrganisationId ? await providerOrganisationEmail(tx, tenantId, o.providerOrganisationId) : null;
      if (providerEmail && !o.nudgedProviderAt) {
        await queueNotification(tx, {
          tenantId,
          channel: 'email',
          recipient: providerEmail,
          template: 'onward_referral_nudge_provider',
          personalisation: { service_name: o.serviceName },
          idempotencyKey: `onward-nudge-provider:${o.id}`,
        });
        await q.markNudged(tx, tenantId, o.id, 'provider', now);
      }
      // Services not on Signpost have no inbox to nudge: the link worker chases them instead.
      const workerDue = o.sentAt! <= workerCutoff || !providerEmail;
      if (workerDue && o.createdByEmail) {
        await queueNotification(tx, {
          tenantId,
          channel: 'email',
          recipient: o.createdByEmail,
          template: 'onward_referral_nudge_worker',
          personalisation: { service_name: o.serviceName },
          idempotencyKey: `onward-nudge-worker:${o.id}`,
        });
        await q.markNudged(tx, tenantId, o.id, 'worker', now);
      }
    }
    const askOnOrBefore = new Date(now.getTime() - FOLLOW_UP_DAYS * 86_400_000).toISOString().slice(0, 10);
    for (const o of await q.dueFollowUps(tx, tenantId, askOnOrBefore)) {
      const channels = o.shared.contactChannels ?? [];
      const sms = channels.includes('sms') && o.shared.phone;
      const recipient = sms ? o.shared.phone : o.shared.email;
      if (recipient) {
        await queueNotification(tx, {
          tenantId,
          channel: sms ? 'sms' : 'email',
          recipient,
          template: 'onward_referral_follow_up',
          personalisation: { service_name: o.serviceName },
          idempotencyKey: `onward-follow-up:${o.id}`,
        });
      }
      await q.markFollowUpAsked(tx, tenantId, o.id, now);
    }
  });
}

export const ONWARD_NUDGE_KIND = 'social-prescribing.nudge-scan';
