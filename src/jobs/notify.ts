import { NotifyClient } from 'notifications-node-client';
import type { Config } from '../config.ts';
import { withTenant } from '../db/transaction.ts';
import * as q from './queries.ts';
import { templateKey } from './templates.ts';
import { PermanentJobError, registerJobHandler, scheduleJob, type JobContext } from './queue.ts';

export const SEND_NOTIFICATION = 'notification.send';
export const CHECK_NOTIFICATION_STATUS = 'notification.check-status';

export interface NotifySettings {
  apiKey: string | undefined;
  /** Notify's API when unset; a local Notify-compatible endpoint in tests and demos. */
  baseUrl: string | undefined;
  templates: Record<string, string>;
  /** In demo mode without a key, notifications stay in the outbox for admins to read. */
  demo: boolean;
  /** When to ask Notify whether a sent message was delivered. */
  statusCheckDelaySeconds?: number;
  requestTimeoutMs?: number;
}

export function notifySettings(config: Config): NotifySettings {
  return { apiKey: config.notifyApiKey, baseUrl: config.notifyBaseUrl, templates: config.notifyTemplates, demo: config.demo };
}

export { templateKey } from './templates.ts';

interface NotifyResponseError {
  response?: { status?: number; data?: { errors?: Array<{ error?: string; message?: string }> } };
  code?: string;
  message?: string;
}

function notifyError(error: unknown): { status: number | undefined; message: string } {
  const e = error as NotifyResponseError;
  const first = e.response?.data?.errors?.[0];
  return {
    status: e.response?.status,
    message: first ? `${first.error ?? 'Error'}: ${first.message ?? ''}` : `${e.code ?? 'Error'}: ${e.message ?? String(error)}`,
  };
}

/** Notify's 400s that are about the address or number, not our template: the contact detail is bad. */
function isRecipientProblem(message: string): boolean {
  return /\b(email_address|phone_number|address_line_\d|postcode)\b/.test(message);
}

const FAILED_STATES: Record<string, string> = {
  'permanent-failure': 'permanent',
  'temporary-failure': 'temporary',
  'technical-failure': 'technical',
  'validation-failed': 'permanent',
  'virus-scan-failed': 'technical',
};
const DELIVERED_STATES = new Set(['delivered', 'received']);

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`GOV.UK Notify did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface NotificationPayload {
  notificationId: string;
}

function clientFor(settings: NotifySettings): NotifyClient | undefined {
  if (!settings.apiKey) return undefined;
  return settings.baseUrl ? new NotifyClient(settings.baseUrl, settings.apiKey) : new NotifyClient(settings.apiKey);
}

/**
 * Sends one outbox row through GOV.UK Notify, exactly once in effect: the row is marked `sending`
 * (committed) before the request, and a later attempt that finds it `sending` first asks Notify
 * for a notification with our reference (the row id), so a worker that died after Notify accepted
 * the message does not make a second one send it again.
 */
export function sendNotificationHandler(settings: NotifySettings) {
  const client = clientFor(settings);
  const timeout = settings.requestTimeoutMs ?? 30_000;
  return async (job: JobContext<NotificationPayload>) => {
    const tenantId = job.tenantId;
    if (!tenantId) throw new PermanentJobError('A notification job must belong to a tenant.');
    const id = job.payload.notificationId;

    const row = await withTenant(job.pool, tenantId, async (tx) => {
      const found = await q.lockNotification(tx, tenantId, id);
      if (!found || !['queued', 'sending'].includes(found.state)) return undefined;
      if (!client) return found;
      if (!settings.templates[templateKey(found.template)]) return found;
      if (found.state === 'queued') await q.markNotificationSending(tx, tenantId, id);
      return found;
    });
    if (!row) return; // sent, failed or cancelled already: nothing to do
    if (!client) {
      if (settings.demo) {
        job.log.info({ notificationId: id }, 'GOV.UK Notify is not configured; the notification stays in the outbox');
        return;
      }
      throw new PermanentJobError('GOV.UK Notify is not configured: set NOTIFY_API_KEY.');
    }
    const templateId = settings.templates[templateKey(row.template)];
    if (!templateId) {
      throw new PermanentJobError(
        `No GOV.UK Notify template id is configured for "${row.template}": set NOTIFY_TEMPLATE_${templateKey(row.template).toUpperCase()}.`,
      );
    }

    if (row.state === 'sending') {
      const earlier = await withTimeout(client.getNotifications(row.channel, undefined, id), timeout).catch((error: unknown) => {
        throw new Error(`Could not ask GOV.UK Notify about an earlier attempt: ${notifyError(error).message}`);
      });
      const match = earlier.data.notifications.find((n) => n.reference === id);
      if (match) {
        await recordSent(job, tenantId, id, match.id, match.status ?? null);
        return;
      }
    }

    try {
      const options = { personalisation: row.personalisation, reference: id };
      const request: Promise<{ data: { id: string } }> =
        row.channel === 'email'
          ? client.sendEmail(templateId, row.recipient, options)
          : row.channel === 'sms'
            ? client.sendSms(templateId, row.recipient, options)
            : client.sendLetter(templateId, options);
      const response = await withTimeout(request, timeout);
      await recordSent(job, tenantId, id, response.data.id, 'created');
    } catch (error) {
      const { status, message } = notifyError(error);
      if (status === 400 && isRecipientProblem(message)) {
        await withTenant(job.pool, tenantId, (tx) =>
          q.markNotificationOutcome(tx, tenantId, id, {
            state: 'failed',
            failureKind: 'permanent',
            providerStatus: 'validation-failed',
            error: message,
            at: job.clock.now(),
          }),
        );
        return;
      }
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
        // Notify refused the request itself (a template, personalisation or key problem): nothing
        // was sent, so the row goes back to the queue for an admin to retry once it is fixed.
        await withTenant(job.pool, tenantId, (tx) =>
          q.markNotificationOutcome(tx, tenantId, id, {
            state: 'queued',
            failureKind: 'configuration',
            providerStatus: null,
            error: message,
            at: job.clock.now(),
          }),
        );
        throw new PermanentJobError(`GOV.UK Notify refused the notification: ${message}`);
      }
      // Rate limit, server error or network trouble: Notify may or may not have it; the retry checks.
      throw new Error(`GOV.UK Notify could not be reached: ${message}`);
    }
  };

  async function recordSent(
    job: JobContext<NotificationPayload>,
    tenantId: string,
    id: string,
    providerReference: string,
    providerStatus: string | null,
  ) {
    await withTenant(job.pool, tenantId, async (tx) => {
      await q.markNotificationSent(tx, tenantId, id, { providerReference, providerStatus, at: job.clock.now() });
      await scheduleJob(tx, {
        kind: CHECK_NOTIFICATION_STATUS,
        tenantId,
        payload: { notificationId: id },
        runAt: new Date(job.clock.now().getTime() + (settings.statusCheckDelaySeconds ?? 300) * 1000),
        idempotencyKey: `${CHECK_NOTIFICATION_STATUS}:${id}`,
      });
    });
  }
}

/** Asks Notify how a sent notification ended: delivered, or failed (and why). */
export function checkNotificationStatusHandler(settings: NotifySettings) {
  const client = clientFor(settings);
  const timeout = settings.requestTimeoutMs ?? 30_000;
  return async (job: JobContext<NotificationPayload>) => {
    const tenantId = job.tenantId;
    if (!tenantId || !client) return;
    const id = job.payload.notificationId;
    const row = await withTenant(job.pool, tenantId, (tx) => q.findNotification(tx, tenantId, id));
    if (!row || row.state !== 'sent' || !row.providerReference) return;
    const response = await withTimeout(client.getNotificationById(row.providerReference), timeout);
    const status = response.data.status;
    const failureKind = FAILED_STATES[status];
    if (!failureKind && !DELIVERED_STATES.has(status)) {
      await withTenant(job.pool, tenantId, (tx) =>
        q.markNotificationOutcome(tx, tenantId, id, {
          state: 'sent',
          failureKind: null,
          providerStatus: status,
          error: null,
          at: job.clock.now(),
        }),
      );
      throw new Error(`GOV.UK Notify still reports "${status}"; checking again later.`);
    }
    await withTenant(job.pool, tenantId, (tx) =>
      q.markNotificationOutcome(tx, tenantId, id, {
        state: failureKind ? 'failed' : 'delivered',
        failureKind: failureKind ?? null,
        providerStatus: status,
        error: failureKind ? `GOV.UK Notify reported ${status}` : null,
        at: job.clock.now(),
      }),
    );
  };
}

/** Registers the notification jobs; the worker calls this with the running configuration. */
export function registerNotificationJobs(settings: NotifySettings): void {
  registerJobHandler(SEND_NOTIFICATION, sendNotificationHandler(settings), { maxAttempts: 8, backoffSeconds: 30 });
  registerJobHandler(CHECK_NOTIFICATION_STATUS, checkNotificationStatusHandler(settings), { maxAttempts: 10, backoffSeconds: 60 });
}
