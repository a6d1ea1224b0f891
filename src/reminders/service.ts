import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { queueNotification } from '../jobs/outbox.ts';
import type { JobContext } from '../jobs/service.ts';
import { DEFAULT_UNABLE_TO_CONTACT_ATTEMPTS } from '../referrals/service.ts';
import { addWorkingDays, localDate } from '../calendar/london.ts';
import * as q from './queries.ts';

export { remindersFor } from './caseload.ts';

/** Working days a referral may wait for its first contact before it is flagged, unless the tenant sets its own. */
export const DEFAULT_FIRST_CONTACT_TARGET_WORKING_DAYS = 10;

export const REMINDER_SCAN = 'reminders.link-workers';
export const REMINDER_SCAN_KIND = 'reminders.scan';

function positiveInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : fallback;
}

/** The latest received time whose target (received + days working days) is not after now. */
export function receivedCutoff(now: Date, workingDays: number): Date {
  let probe = new Date(now.getTime() - workingDays * 86_400_000);
  while (addWorkingDays(probe, workingDays) > now) probe = new Date(probe.getTime() - 3_600_000);
  return probe;
}

/**
 * Another area adds reminder conditions to the scan (outcomes: review due, baseline missing), so
 * the reminders area never reads that area's tables. A source gets the tenant's settings and
 * returns the conditions that hold now; keys must be stable while a condition holds.
 */
export type ReminderSource = (tx: Db, tenantId: string, now: Date, settings: Record<string, unknown>) => Promise<q.Condition[]>;
export type { Condition as ReminderCondition } from './queries.ts';

const reminderSources: ReminderSource[] = [];

export function registerReminderSource(source: ReminderSource): void {
  reminderSources.push(source);
}

/**
 * Resolves the open reminders of one kind on a referral at once, when the change that clears them
 * is made (an outcome review recorded), rather than at the next scan.
 */
export async function resolveReminders(tx: Db, tenantId: string, referralId: string, kind: q.ReminderKind, at: Date): Promise<number> {
  return q.resolveRemindersOf(tx, tenantId, referralId, kind, at);
}

export interface ScanResult {
  created: number;
  resolved: number;
  emailed: number;
}

/**
 * One tenant's reminder scan: works out which conditions hold now, writes a reminder row for each
 * new one (its key makes a second scan write nothing), emails each link worker with new reminders
 * at most once a day, and resolves the reminders whose condition has cleared.
 */
export async function scanReminders(db: Db, tenantId: string, now: Date, options: { email?: boolean } = {}): Promise<ScanResult> {
  const today = localDate(now);
  const settings = await q.tenantSettings(db, tenantId);
  const target = positiveInteger(settings.firstContactTargetWorkingDays, DEFAULT_FIRST_CONTACT_TARGET_WORKING_DAYS);
  const attempts = positiveInteger(settings.unableToContactAttempts, DEFAULT_UNABLE_TO_CONTACT_ATTEMPTS);
  const conditions = [
    ...(await q.followUpsDue(db, tenantId, today)),
    ...(await q.planReviewsDue(db, tenantId, today)),
    ...(await q.waitingPastTarget(db, tenantId, receivedCutoff(now, target))),
    ...(await q.unableToContactDue(db, tenantId, attempts)),
  ];
  for (const source of reminderSources) conditions.push(...(await source(db, tenantId, now, settings)));
  const created = await q.insertReminders(db, tenantId, conditions, now);
  // One email a day at most to each link worker with new reminders, however many there are: the
  // caseload lists them. It names no one and no referral.
  let emailed = 0;
  const perWorker = new Map<string, number>();
  for (const reminder of created) {
    if (reminder.linkWorkerId) perWorker.set(reminder.linkWorkerId, (perWorker.get(reminder.linkWorkerId) ?? 0) + 1);
  }
  for (const [workerId, count] of options.email === false ? [] : perWorker) {
    const email = await q.userEmail(db, workerId);
    if (!email) continue;
    const id = await queueNotification(db, {
      tenantId,
      channel: 'email',
      recipient: email,
      template: 'link_worker_reminders',
      personalisation: { count: String(count), reminders: count === 1 ? 'reminder' : 'reminders', link: '/caseload' },
      idempotencyKey: `reminders:${workerId}:${today}`,
    });
    if (id) emailed++;
  }
  const resolved = await q.resolveClearedReminders(
    db,
    tenantId,
    conditions.map((c) => c.key),
    now,
  );
  return { created: created.length, resolved, emailed };
}

export async function reminderScanJob(job: JobContext): Promise<void> {
  const tenantId = job.tenantId!;
  const result = await withTenant(job.pool, tenantId, (tx) => scanReminders(tx, tenantId, job.clock.now()));
  if (result.created || result.resolved) job.log.info({ tenantId, ...result }, 'reminder scan');
}
