import type { Db } from '../db/database.ts';
import * as q from './queries.ts';
import type { NotificationTemplate } from './templates.ts';
import { scheduleJob } from './queue.ts';

export type NotificationChannel = 'email' | 'sms' | 'letter';

export interface NewNotification {
  tenantId: string;
  channel: NotificationChannel;
  recipient: string;
  /** Our template name; configuration maps it to a GOV.UK Notify template id. */
  template: NotificationTemplate;
  personalisation: Record<string, string>;
  /** The same key twice queues one notification: e.g. `invite:<userId>:<tokenId>`. */
  idempotencyKey: string;
  /**
   * Personalisation keys whose values are secrets (a link holding a token): removed from the outbox
   * once the message is sent or has failed for good, so the database keeps no working token.
   */
  secretKeys?: string[];
}

/**
 * Queues a notification inside the caller's transaction, so it is sent if and only if the change
 * that caused it commits. Returns the notification id, or undefined when the key was already used.
 * The job that sends it is scheduled in the same transaction and carries only the ids.
 */
export async function queueNotification(db: Db, notification: NewNotification): Promise<string | undefined> {
  const id = await q.insertNotification(db, notification);
  if (id) {
    await scheduleJob(db, {
      kind: 'notification.send',
      tenantId: notification.tenantId,
      payload: { notificationId: id },
      idempotencyKey: `notification.send:${id}`,
      maxAttempts: 8,
    });
  }
  return id;
}

/** The tenant's latest notifications, newest first (the admins' outbox page), inside the caller's transaction. */
export async function latestNotifications(db: Db, tenantId: string, limit: number) {
  return q.listNotifications(db, tenantId, limit);
}
