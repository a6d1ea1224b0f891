import cronParser from 'cron-parser';
import type { Db } from '../db/database.ts';

export type JobState = 'queued' | 'running' | 'succeeded' | 'dead' | 'cancelled';

export interface JobRow {
  id: number;
  kind: string;
  tenantId: string | null;
  payload: Record<string, unknown>;
  state: JobState;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  lockedBy: string | null;
  lockedUntil: Date | null;
  idempotencyKey: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

const JOB_COLUMNS = `id, kind, tenant_id AS "tenantId", payload, state, run_at AS "runAt", attempts,
  max_attempts AS "maxAttempts", last_error AS "lastError", locked_by AS "lockedBy",
  locked_until AS "lockedUntil", idempotency_key AS "idempotencyKey", created_at AS "createdAt",
  updated_at AS "updatedAt", finished_at AS "finishedAt"`;

export async function insertJob(
  db: Db,
  job: {
    kind: string;
    tenantId: string | null;
    payload: object;
    runAt: Date | null;
    idempotencyKey: string | null;
    maxAttempts: number;
  },
): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO job (kind, tenant_id, payload, run_at, idempotency_key, max_attempts)
     VALUES ($1, $2, $3, COALESCE($4::timestamptz, now()), $5, $6)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING id`,
    [job.kind, job.tenantId, JSON.stringify(job.payload), job.runAt, job.idempotencyKey, job.maxAttempts],
  );
  return rows[0]?.id;
}

/**
 * Claims up to `limit` due jobs of the given kinds: queued ones whose time has come, and running
 * ones whose worker's lock has expired (that worker is presumed dead). SKIP LOCKED lets many
 * workers claim side by side without waiting on, or double-claiming, each other's rows.
 */
export async function claimJobs(
  db: Db,
  claim: {
    workerId: string;
    kinds: string[];
    now: Date;
    lockSeconds: number;
    limit: number;
  },
): Promise<JobRow[]> {
  const { rows } = await db.query<JobRow>(
    `UPDATE job SET state = 'running', attempts = attempts + 1, locked_by = $1,
            locked_until = $3::timestamptz + make_interval(secs => $4), updated_at = $3
      WHERE id IN (
        SELECT id FROM job
         WHERE kind = ANY($2::text[])
           AND ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND locked_until < $3))
         ORDER BY run_at, id
         LIMIT $5
         FOR UPDATE SKIP LOCKED)
      RETURNING ${JOB_COLUMNS}`,
    [claim.workerId, claim.kinds, claim.now, claim.lockSeconds, claim.limit],
  );
  return rows.sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || a.id - b.id);
}

/** Keeps a long job's claim alive; false when another worker has taken it over. */
export async function extendLock(db: Db, id: number, workerId: string, until: Date): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE job SET locked_until = $3 WHERE id = $1 AND locked_by = $2 AND state = 'running'`, [
    id,
    workerId,
    until,
  ]);
  return rowCount === 1;
}

export async function markSucceeded(db: Db, id: number, workerId: string, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE job SET state = 'succeeded', locked_by = NULL, locked_until = NULL, finished_at = $3, updated_at = $3
      WHERE id = $1 AND locked_by = $2 AND state = 'running'`,
    [id, workerId, now],
  );
  return rowCount === 1;
}

export async function markRetry(db: Db, id: number, workerId: string, now: Date, runAt: Date, error: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE job SET state = 'queued', run_at = $4, last_error = $5, locked_by = NULL, locked_until = NULL, updated_at = $3
      WHERE id = $1 AND locked_by = $2 AND state = 'running'`,
    [id, workerId, now, runAt, error],
  );
  return rowCount === 1;
}

export async function markDead(db: Db, id: number, workerId: string, now: Date, error: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE job SET state = 'dead', last_error = $4, locked_by = NULL, locked_until = NULL, finished_at = $3, updated_at = $3
      WHERE id = $1 AND locked_by = $2 AND state = 'running'`,
    [id, workerId, now, error],
  );
  return rowCount === 1;
}

export async function findJob(db: Db, id: number): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM job WHERE id = $1`, [id]);
  return rows[0];
}

export async function findJobByKey(db: Db, idempotencyKey: string): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM job WHERE idempotency_key = $1`, [idempotencyKey]);
  return rows[0];
}

/** One tenant's jobs in a state, newest first (run under `withTenant`, so RLS confines it). */
export async function listJobs(db: Db, tenantId: string, state: JobState, limit: number): Promise<JobRow[]> {
  const { rows } = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM job WHERE tenant_id = $1 AND state = $2 ORDER BY updated_at DESC, id DESC LIMIT $3`,
    [tenantId, state, limit],
  );
  return rows;
}

export async function countJobsByState(db: Db, tenantId: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ state: string; count: number }>(
    'SELECT state, count(*) AS count FROM job WHERE tenant_id = $1 GROUP BY state',
    [tenantId],
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.count]));
}

/** Puts a dead or cancelled job back in the queue with a fresh set of attempts. */
export async function requeueJob(db: Db, tenantId: string | null, id: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE job SET state = 'queued', attempts = 0, run_at = now(), finished_at = NULL, updated_at = now()
      WHERE tenant_id IS NOT DISTINCT FROM $1 AND id = $2 AND state IN ('dead', 'cancelled')`,
    [tenantId, id],
  );
  return rowCount === 1;
}

/** Cancels a job that has not started (or is waiting to retry, or dead). */
export async function cancelJob(db: Db, tenantId: string | null, id: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE job SET state = 'cancelled', finished_at = now(), updated_at = now()
      WHERE tenant_id IS NOT DISTINCT FROM $1 AND id = $2 AND state IN ('queued', 'dead')`,
    [tenantId, id],
  );
  return rowCount === 1;
}

/**
 * Jobs of the whole installation for its operator (the command line, outside row-level security):
 * `system` limits them to jobs that belong to no tenant (schedules, fan-outs, feed imports).
 */
export async function listInstallationJobs(db: Db, state: JobState, systemOnly: boolean, limit: number): Promise<JobRow[]> {
  const { rows } = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM job WHERE state = $1 AND (NOT $2::boolean OR tenant_id IS NULL)
      ORDER BY updated_at DESC, id DESC LIMIT $3`,
    [state, systemOnly, limit],
  );
  return rows;
}

export function nextCronTime(cron: string, timeZone: string, after: Date): Date {
  if (cron.trim().split(/\s+/).length !== 5) throw new Error(`Cron "${cron}" must have five fields: minute hour day month weekday.`);
  return cronParser.parseExpression(cron, { currentDate: after, tz: timeZone }).next().toDate();
}

export async function upsertSchedule(
  db: Db,
  schedule: {
    name: string;
    cron: string;
    timeZone: string;
    kind: string;
    payload: object;
    nextRunAt: Date;
  },
): Promise<void> {
  // A changed cron or zone takes effect from now; an unchanged one keeps its next run.
  await db.query(
    `INSERT INTO job_schedule (name, cron, time_zone, kind, payload, next_run_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (name) DO UPDATE SET
       kind = EXCLUDED.kind, payload = EXCLUDED.payload, updated_at = now(),
       next_run_at = CASE WHEN job_schedule.cron = EXCLUDED.cron AND job_schedule.time_zone = EXCLUDED.time_zone
                          THEN job_schedule.next_run_at ELSE EXCLUDED.next_run_at END,
       cron = EXCLUDED.cron, time_zone = EXCLUDED.time_zone`,
    [schedule.name, schedule.cron, schedule.timeZone, schedule.kind, JSON.stringify(schedule.payload), schedule.nextRunAt],
  );
}

export interface DueSchedule {
  name: string;
  cron: string;
  timeZone: string;
  kind: string;
  payload: Record<string, string | number | boolean | null>;
  nextRunAt: Date;
}

export async function lockDueSchedules(db: Db, now: Date, names: string[]): Promise<DueSchedule[]> {
  const { rows } = await db.query<DueSchedule>(
    `SELECT name, cron, time_zone AS "timeZone", kind, payload, next_run_at AS "nextRunAt"
       FROM job_schedule WHERE next_run_at <= $1 AND name = ANY($2::text[])
      ORDER BY next_run_at FOR UPDATE SKIP LOCKED`,
    [now, names],
  );
  return rows;
}

export async function advanceSchedule(db: Db, name: string, ranAt: Date, nextRunAt: Date): Promise<void> {
  await db.query('UPDATE job_schedule SET last_run_at = $2, next_run_at = $3, updated_at = now() WHERE name = $1', [
    name,
    ranAt,
    nextRunAt,
  ]);
}

export interface OutboxRow {
  id: string;
  tenantId: string;
  channel: 'email' | 'sms' | 'letter';
  recipient: string;
  template: string;
  personalisation: Record<string, string>;
  state: 'queued' | 'sending' | 'sent' | 'delivered' | 'failed' | 'cancelled';
  providerReference: string | null;
  providerStatus: string | null;
  failureKind: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

const OUTBOX_COLUMNS = `tenant_id AS "tenantId", id, channel, recipient, template, personalisation, state,
  provider_reference AS "providerReference", provider_status AS "providerStatus", failure_kind AS "failureKind",
  attempts, last_error AS "lastError", created_at AS "createdAt", sent_at AS "sentAt"`;

export async function lockNotification(db: Db, tenantId: string, id: string): Promise<OutboxRow | undefined> {
  const { rows } = await db.query<OutboxRow>(`SELECT ${OUTBOX_COLUMNS} FROM notification WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [
    tenantId,
    id,
  ]);
  return rows[0];
}

export async function markNotificationSending(db: Db, tenantId: string, id: string): Promise<void> {
  await db.query(`UPDATE notification SET state = 'sending', attempts = attempts + 1 WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
}

/** Replaces the values of a notification's secret personalisation keys, once it needs them no more. */
const WITHOUT_SECRETS = `personalisation || coalesce((SELECT jsonb_object_agg(k, '(removed once sent)') FROM unnest(secret_keys) k
  WHERE personalisation ? k), '{}'::jsonb)`;

export async function markNotificationSent(
  db: Db,
  tenantId: string,
  id: string,
  sent: {
    providerReference: string;
    providerStatus: string | null;
    at: Date;
  },
): Promise<void> {
  await db.query(
    `UPDATE notification SET state = 'sent', provider_reference = $3, provider_status = $4, sent_at = $5, last_error = NULL,
            personalisation = ${WITHOUT_SECRETS}
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, sent.providerReference, sent.providerStatus, sent.at],
  );
}

export async function markNotificationOutcome(
  db: Db,
  tenantId: string,
  id: string,
  outcome: {
    state: 'queued' | 'sending' | 'sent' | 'delivered' | 'failed';
    failureKind: string | null;
    providerStatus: string | null;
    error: string | null;
    at: Date;
  },
): Promise<void> {
  await db.query(
    `UPDATE notification SET state = $3, failure_kind = $4, provider_status = COALESCE($5, provider_status),
            last_error = $6, status_checked_at = $7,
            -- A message that failed for good is never sent again: its secrets can go too.
            personalisation = CASE WHEN $3 = 'failed' THEN ${WITHOUT_SECRETS} ELSE personalisation END
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, outcome.state, outcome.failureKind, outcome.providerStatus, outcome.error, outcome.at],
  );
}

export async function findNotification(db: Db, tenantId: string, id: string): Promise<OutboxRow | undefined> {
  const { rows } = await db.query<OutboxRow>(`SELECT ${OUTBOX_COLUMNS} FROM notification WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return rows[0];
}

export async function listNotifications(db: Db, tenantId: string, limit: number): Promise<OutboxRow[]> {
  const { rows } = await db.query<OutboxRow>(
    `SELECT ${OUTBOX_COLUMNS} FROM notification WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT $2`,
    [tenantId, limit],
  );
  return rows;
}

/**
 * The latest settled notification to each recipient; a permanent failure there means the contact
 * detail does not work. A later successful delivery to the same address clears it.
 */
export async function latestSettledByRecipient(
  db: Db,
  tenantId: string,
  normalisedRecipients: string[],
): Promise<Array<OutboxRow & { key: string }>> {
  const { rows } = await db.query<OutboxRow & { key: string }>(
    `SELECT DISTINCT ON (key) * FROM (
       SELECT ${OUTBOX_COLUMNS}, lower(regexp_replace(recipient, '\\s', '', 'g')) AS key,
              COALESCE(status_checked_at, sent_at, created_at) AS settled_at
         FROM notification
        WHERE tenant_id = $1 AND state IN ('sent', 'delivered', 'failed')
          AND lower(regexp_replace(recipient, '\\s', '', 'g')) = ANY($2::text[])) latest
     ORDER BY key, settled_at DESC`,
    [tenantId, normalisedRecipients],
  );
  return rows;
}

/** Every tenant id, read as the one role allowed to list them (see migration 0032). */
export async function listTenantIds(db: Db): Promise<string[]> {
  await db.query('SET LOCAL ROLE signpost_jobs');
  const { rows } = await db.query<{ id: string }>('SELECT id FROM tenant ORDER BY id');
  return rows.map((r) => r.id);
}

/**
 * Deletes finished jobs (done or cancelled) last changed before `before` whose idempotency key can
 * never come round again: none, a schedule run's (it names its time), or one of `kinds` (whose keys
 * name a row that is itself idempotent). Other keyed jobs stay, so an area's reminder key is never
 * free to be used a second time; dead jobs stay for admins.
 */
export async function pruneFinishedJobs(db: Db, before: Date, kinds: string[]): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM job WHERE state IN ('succeeded', 'cancelled') AND updated_at < $1
        AND (idempotency_key IS NULL OR idempotency_key LIKE 'schedule:%' OR kind = ANY($2::text[]))`,
    [before, kinds],
  );
  return rowCount ?? 0;
}

/** A notification in the outbox; undefined when its idempotency key was already used. */
export async function insertNotification(
  db: Db,
  n: {
    tenantId: string;
    channel: string;
    recipient: string;
    template: string;
    personalisation: Record<string, string>;
    idempotencyKey: string;
    secretKeys?: string[];
  },
): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO notification (tenant_id, channel, recipient, template, personalisation, idempotency_key, secret_keys)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
     RETURNING id`,
    [n.tenantId, n.channel, n.recipient, n.template, JSON.stringify(n.personalisation), n.idempotencyKey, n.secretKeys ?? []],
  );
  return rows[0]?.id;
}
