import type pg from 'pg';
import type { Db } from '../db/database.ts';
import * as q from './queries.ts';

/** Where workers read the time; tests move a clock of their own instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface JobLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What a handler is given: the job's ids and a way to reach the database, never more. */
export interface JobContext<P = Record<string, unknown>> {
  id: number;
  kind: string;
  tenantId: string | null;
  payload: P;
  /** 1 on the first run; a retry or a run after a dead worker counts up. */
  attempt: number;
  maxAttempts: number;
  pool: pg.Pool;
  clock: Clock;
  log: JobLog;
}

/**
 * Handlers must be idempotent: a job runs at least once, and again if its worker dies part way,
 * so a second run has to notice what the first already did (outbox keys, state checks).
 */
export type JobHandler<P = Record<string, unknown>> = (job: JobContext<P>) => Promise<void>;

export interface JobHandlerOptions {
  /** Tries before the job is dead-lettered; stored on each job when it is scheduled. */
  maxAttempts?: number;
  /** First retry delay; each later retry doubles it, up to an hour. */
  backoffSeconds?: number;
}

export interface RegisteredHandler {
  handler: JobHandler;
  options: Required<JobHandlerOptions>;
}

/** Thrown by a handler for a failure that no retry can fix: the job is dead-lettered at once. */
export class PermanentJobError extends Error {}

export const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_BACKOFF_SECONDS = 10;
const MAX_BACKOFF_SECONDS = 3600;

const handlers = new Map<string, RegisteredHandler>();

/** Registers the code that runs jobs of one kind; call once at module load in your area. */
export function registerJobHandler<P = Record<string, unknown>>(
  kind: string,
  handler: JobHandler<P>,
  options: JobHandlerOptions = {},
): void {
  if (!/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/.test(kind)) {
    throw new Error(`Job kind "${kind}" must look like "area.action" (lower case, dot separated).`);
  }
  handlers.set(kind, {
    handler: handler as JobHandler,
    options: {
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      backoffSeconds: options.backoffSeconds ?? DEFAULT_BACKOFF_SECONDS,
    },
  });
}

export function registeredHandlers(): ReadonlyMap<string, RegisteredHandler> {
  return handlers;
}

/** Delay before retry number `attempt` (1 = after the first failure): base, 2x, 4x ... capped. */
export function backoffSeconds(attempt: number, baseSeconds = DEFAULT_BACKOFF_SECONDS): number {
  return Math.min(MAX_BACKOFF_SECONDS, baseSeconds * 2 ** Math.max(0, attempt - 1));
}

export interface NewJob {
  kind: string;
  /** Ids only: the handler reads what it needs inside a tenant-scoped transaction. */
  payload?: Record<string, string | number | boolean | null>;
  /** Required inside `withTenant` (row-level security checks it); null for system work. */
  tenantId?: string | null;
  /** When to run; now (the database's clock) when unset. */
  runAt?: Date;
  /** The same key twice schedules one job; use one per reminder, e.g. `plan-review:<planId>:<due>`. */
  idempotencyKey?: string;
  maxAttempts?: number;
}

/**
 * Schedules a job inside the caller's transaction (or on the pool), so it exists if and only if
 * the change that asked for it commits. Returns the job id, or undefined when the key was used.
 */
export async function scheduleJob(db: Db, job: NewJob): Promise<number | undefined> {
  return q.insertJob(db, {
    kind: job.kind,
    tenantId: job.tenantId ?? null,
    payload: job.payload ?? {},
    runAt: job.runAt ?? null,
    idempotencyKey: job.idempotencyKey ?? null,
    maxAttempts: job.maxAttempts ?? handlers.get(job.kind)?.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  });
}

export interface RecurringJob {
  /** Stable name; re-registering under the same name updates the schedule. */
  name: string;
  /** Five-field cron: minute hour day-of-month month day-of-week, e.g. `0 7 * * 1-5`. */
  cron: string;
  kind: string;
  payload?: Record<string, string | number | boolean | null>;
  /** Cron times are read in this zone; default Europe/London, so 7am stays 7am across BST. */
  timeZone?: string;
}

const recurring = new Map<string, RecurringJob>();

/**
 * Registers periodic work (a reminder scan, a nightly refresh). Workers write the schedule to the
 * database when they start and turn each due run into exactly one job.
 */
export function registerRecurringJob(schedule: RecurringJob): void {
  q.nextCronTime(schedule.cron, schedule.timeZone ?? 'Europe/London', new Date());
  recurring.set(schedule.name, schedule);
}

/** Takes a schedule out of this process (a feed removed from the configuration, say). */
export function unregisterRecurringJob(name: string): void {
  recurring.delete(name);
}

export function registeredRecurringJobs(): RecurringJob[] {
  return [...recurring.values()];
}

export const TENANT_FAN_OUT = 'jobs.tenant-fan-out';

export interface TenantScan {
  /** Stable name; also names the per-tenant jobs' idempotency keys. */
  name: string;
  cron: string;
  /** The job kind run once per tenant, with `tenantId` set: e.g. `referrals.waiting-scan`. */
  kind: string;
  timeZone?: string;
}

/**
 * Periodic work that runs once per tenant (reminders due, referrals waiting past the tenant's
 * target). At each due time one fan-out job schedules `kind` for every tenant; the area's handler
 * then works inside `withTenant(job.pool, job.tenantId, ...)` and schedules one job or notification
 * per reminder with an idempotency key, so a repeated scan makes nothing twice.
 */
export function registerTenantScan(scan: TenantScan): void {
  registerRecurringJob({
    name: scan.name,
    cron: scan.cron,
    kind: TENANT_FAN_OUT,
    payload: { kind: scan.kind, scan: scan.name },
    timeZone: scan.timeZone,
  });
}
