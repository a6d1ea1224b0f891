import type { Db } from '../db/database.ts';
import type { Actor } from '../identity/actor.ts';
import { NotFound, RuleBroken } from '../web/errors.ts';
import * as q from './queries.ts';

export {
  registerJobHandler,
  registerRecurringJob,
  registerTenantScan,
  scheduleJob,
  unregisterRecurringJob,
  PermanentJobError,
} from './queue.ts';
export type { JobContext, JobHandler, NewJob, RecurringJob, TenantScan } from './queue.ts';
export { queueNotification } from './outbox.ts';

export const JOB_STATES = ['dead', 'queued', 'running', 'succeeded', 'cancelled'] as const;
export type { JobState } from './queries.ts';

export interface FailingContactDetail {
  recipient: string;
  channel: 'email' | 'sms' | 'letter';
  failedAt: Date;
  /** Why, in words for the person page. */
  reason: string;
}

const REASONS: Record<string, string> = {
  email: 'Emails to this address cannot be delivered (GOV.UK Notify reported a permanent failure).',
  sms: 'Text messages to this number cannot be delivered (GOV.UK Notify reported a permanent failure).',
  letter: 'Letters to this address cannot be delivered (GOV.UK Notify rejected the address).',
};

export function normaliseRecipient(recipient: string): string {
  return recipient.replace(/\s/g, '').toLowerCase();
}

/**
 * Which of a person's contact details are failing: the latest message to each ended in a
 * permanent failure (invalid number, bounced email). Call inside `withTenant` for that person.
 */
export async function failingContactDetails(db: Db, tenantId: string, recipients: string[]): Promise<FailingContactDetail[]> {
  if (recipients.length === 0) return [];
  const latest = await q.latestSettledByRecipient(db, tenantId, recipients.map(normaliseRecipient));
  return latest
    .filter((n) => n.state === 'failed' && n.failureKind === 'permanent')
    .map((n) => ({
      recipient: recipients.find((r) => normaliseRecipient(r) === n.key) ?? n.recipient,
      channel: n.channel,
      failedAt: n.sentAt ?? n.createdAt,
      reason:
        n.providerStatus === 'validation-failed' && n.channel !== 'letter'
          ? `GOV.UK Notify says this is not a valid ${n.channel === 'email' ? 'email address' : 'mobile number'}.`
          : REASONS[n.channel]!,
    }));
}

export interface JobsOverview {
  state: q.JobState;
  counts: Record<string, number>;
  jobs: q.JobRow[];
}

/** The admin view of one tenant's jobs in one state (the latest 100), with counts for every state. */
export async function jobsOverview(db: Db, actor: Actor, state: q.JobState): Promise<JobsOverview> {
  const counts = await q.countJobsByState(db, actor.tenantId);
  const jobs = await q.listJobs(db, actor.tenantId, state, 100);
  return { state, counts, jobs };
}

/**
 * Puts a dead or cancelled job back in the queue with a fresh set of attempts. A tenant's admin
 * passes their tenant; the installation's operator (command line) passes 'installation' and may
 * act on any job, including system jobs that belong to no tenant.
 */
export async function retryJob(db: Db, who: Actor | 'installation', jobId: number): Promise<void> {
  const job = await jobFor(db, who, jobId);
  if (!(await q.requeueJob(db, job.tenantId, jobId))) {
    throw new RuleBroken(`Only a dead or cancelled job can be retried; this one is ${job.state}.`);
  }
}

export async function cancelJob(db: Db, who: Actor | 'installation', jobId: number): Promise<void> {
  const job = await jobFor(db, who, jobId);
  if (!(await q.cancelJob(db, job.tenantId, jobId))) {
    throw new RuleBroken(`Only a waiting or dead job can be cancelled; this one is ${job.state}.`);
  }
}

async function jobFor(db: Db, who: Actor | 'installation', jobId: number): Promise<q.JobRow> {
  const job = await q.findJob(db, jobId);
  if (!job || (who !== 'installation' && job.tenantId !== who.tenantId)) throw new NotFound('job');
  return job;
}

/** The installation's jobs in one state for its operator, newest first; `systemOnly` keeps tenant-less ones. */
export function installationJobs(db: Db, state: q.JobState, systemOnly: boolean): Promise<q.JobRow[]> {
  return q.listInstallationJobs(db, state, systemOnly, 100);
}
