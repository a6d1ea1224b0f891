import type { Db } from '../db/database.ts';

export type ReminderKind = 'follow_up' | 'plan_review' | 'waiting' | 'unable_to_contact' | 'outcome_review';

export interface Condition {
  kind: ReminderKind;
  key: string;
  referralId: string;
  goalId: string | null;
  dueOn: string | null;
  linkWorkerId: string | null;
  detail: string | null;
}

const OPEN = `r.status IN ('received', 'triaged', 'allocated', 'in_contact', 'assessed', 'active_plan')`;

/** Next actions due on or before today on open referrals. */
export async function followUpsDue(db: Db, tenantId: string, today: string): Promise<Condition[]> {
  const { rows } = await db.query<Condition>(
    `SELECT 'follow_up' AS kind, 'follow-up:' || r.id || ':' || to_char(r.next_action_due, 'YYYY-MM-DD') AS key, r.id AS "referralId",
            NULL::uuid AS "goalId", to_char(r.next_action_due, 'YYYY-MM-DD') AS "dueOn", r.assigned_to AS "linkWorkerId", r.next_action AS detail
       FROM referral r
      WHERE r.tenant_id = $1 AND ${OPEN} AND r.next_action_due IS NOT NULL AND r.next_action_due <= $2::date`,
    [tenantId, today],
  );
  return rows;
}

/** Goals still open whose review date has come, on open referrals. */
export async function planReviewsDue(db: Db, tenantId: string, today: string): Promise<Condition[]> {
  const { rows } = await db.query<Condition>(
    `SELECT 'plan_review' AS kind, 'plan-review:' || g.id || ':' || to_char(g.review_date, 'YYYY-MM-DD') AS key, g.referral_id AS "referralId",
            g.id AS "goalId", to_char(g.review_date, 'YYYY-MM-DD') AS "dueOn", r.assigned_to AS "linkWorkerId", g.goal AS detail
       FROM plan_goal g JOIN referral r ON r.tenant_id = g.tenant_id AND r.id = g.referral_id
      WHERE g.tenant_id = $1 AND ${OPEN} AND g.review_date IS NOT NULL AND g.review_date <= $2::date
        AND g.progress IN ('not_started', 'in_progress')`,
    [tenantId, today],
  );
  return rows;
}

/** Open referrals received at or before the cutoff with no contact made yet. */
export async function waitingPastTarget(db: Db, tenantId: string, receivedBefore: Date): Promise<Condition[]> {
  const { rows } = await db.query<Condition>(
    `SELECT 'waiting' AS kind, 'waiting:' || r.id AS key, r.id AS "referralId", NULL::uuid AS "goalId", NULL AS "dueOn",
            r.assigned_to AS "linkWorkerId", NULL AS detail
       FROM referral r
      WHERE r.tenant_id = $1 AND r.status IN ('received', 'triaged', 'allocated') AND r.received_at <= $2
        AND NOT EXISTS (SELECT 1 FROM contact c WHERE c.tenant_id = r.tenant_id AND c.referral_id = r.id AND c.outcome = 'made')`,
    [tenantId, receivedBefore],
  );
  return rows;
}

/** Allocated referrals with at least `threshold` failed attempts since the last contact made. */
export async function unableToContactDue(db: Db, tenantId: string, threshold: number): Promise<Condition[]> {
  const { rows } = await db.query<Condition>(
    `SELECT 'unable_to_contact' AS kind, 'unable-to-contact:' || r.id AS key, r.id AS "referralId", NULL::uuid AS "goalId", NULL AS "dueOn",
            r.assigned_to AS "linkWorkerId", f.n::text AS detail
       FROM referral r
       JOIN LATERAL (SELECT count(*)::int AS n FROM contact c
                      WHERE c.tenant_id = r.tenant_id AND c.referral_id = r.id AND c.outcome = 'attempted'
                        AND c.occurred_at > coalesce((SELECT max(m.occurred_at) FROM contact m
                                                       WHERE m.tenant_id = r.tenant_id AND m.referral_id = r.id AND m.outcome = 'made'), '-infinity')) f ON true
      WHERE r.tenant_id = $1 AND r.status = 'allocated' AND f.n >= $2`,
    [tenantId, threshold],
  );
  return rows;
}

export interface NewReminder {
  id: string;
  key: string;
  kind: ReminderKind;
  referralId: string;
  linkWorkerId: string | null;
  dueOn: string | null;
  detail: string | null;
}

/** Writes the reminders not yet written (by key); returns only the new ones. */
export async function insertReminders(db: Db, tenantId: string, conditions: Condition[], at: Date): Promise<NewReminder[]> {
  if (conditions.length === 0) return [];
  const { rows } = await db.query<NewReminder>(
    `INSERT INTO reminder (tenant_id, referral_id, kind, reminder_key, due_on, goal_id, link_worker_id, detail, created_at)
     SELECT $1, c.referral_id, c.kind, c.key, c.due_on, c.goal_id, c.link_worker_id, c.detail, $3
       FROM jsonb_to_recordset($2::jsonb) AS c(referral_id uuid, kind text, key text, due_on date, goal_id uuid, link_worker_id uuid, detail text)
     ON CONFLICT (tenant_id, reminder_key) DO NOTHING
     RETURNING id, reminder_key AS key, kind, referral_id AS "referralId", link_worker_id AS "linkWorkerId",
               to_char(due_on, 'YYYY-MM-DD') AS "dueOn", detail`,
    [
      tenantId,
      JSON.stringify(
        conditions.map((c) => ({
          referral_id: c.referralId,
          kind: c.kind,
          key: c.key,
          due_on: c.dueOn,
          goal_id: c.goalId,
          link_worker_id: c.linkWorkerId,
          detail: c.detail,
        })),
      ),
      at,
    ],
  );
  return rows;
}

/** Resolves every open reminder whose condition no longer holds (its key is not among the current). */
export async function resolveClearedReminders(db: Db, tenantId: string, currentKeys: string[], at: Date): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE reminder SET resolved_at = $3 WHERE tenant_id = $1 AND resolved_at IS NULL AND NOT (reminder_key = ANY($2::text[]))`,
    [tenantId, currentKeys, at],
  );
  return rowCount ?? 0;
}

export async function resolveRemindersOf(db: Db, tenantId: string, referralId: string, kind: ReminderKind, at: Date): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE reminder SET resolved_at = $4 WHERE tenant_id = $1 AND referral_id = $2 AND kind = $3 AND resolved_at IS NULL`,
    [tenantId, referralId, kind, at],
  );
  return rowCount ?? 0;
}

export interface OpenReminder {
  referralId: string;
  kind: ReminderKind;
  dueOn: string | null;
  detail: string | null;
  createdAt: Date;
}

/**
 * Open reminders for these referrals whose condition still holds now: a next action moved, a goal
 * reviewed or a referral moved on since the last scan hides its reminder at once.
 */
export async function openReminders(db: Db, tenantId: string, referralIds: string[]): Promise<OpenReminder[]> {
  if (referralIds.length === 0) return [];
  // Every table names the tenant ($1) itself, so Citus routes the statement to the tenant's shard.
  const { rows } = await db.query<OpenReminder>(
    `SELECT m.referral_id AS "referralId", m.kind, to_char(m.due_on, 'YYYY-MM-DD') AS "dueOn", m.detail, m.created_at AS "createdAt"
       FROM reminder m JOIN referral r ON r.tenant_id = $1 AND r.id = m.referral_id
       LEFT JOIN plan_goal g ON g.tenant_id = $1 AND g.id = m.goal_id
      WHERE m.tenant_id = $1 AND m.referral_id = ANY($2::uuid[]) AND m.resolved_at IS NULL AND ${OPEN}
        AND CASE m.kind
              WHEN 'follow_up' THEN r.next_action_due = m.due_on
              WHEN 'plan_review' THEN g.review_date = m.due_on AND g.progress IN ('not_started', 'in_progress')
              WHEN 'waiting' THEN r.status IN ('received', 'triaged', 'allocated')
                AND NOT EXISTS (SELECT 1 FROM contact c WHERE c.tenant_id = $1 AND c.referral_id = r.id AND c.outcome = 'made')
              WHEN 'unable_to_contact' THEN r.status = 'allocated'
              -- Supplied by the outcomes area; cleared when a measure is recorded or by the next scan.
              WHEN 'outcome_review' THEN true
              ELSE false END
      ORDER BY m.due_on NULLS LAST, m.created_at`,
    [tenantId, referralIds],
  );
  return rows;
}

export async function userEmail(db: Db, userId: string): Promise<string | null> {
  const { rows } = await db.query<{ email: string | null }>('SELECT email FROM app_user WHERE id = $1', [userId]);
  return rows[0]?.email ?? null;
}

export async function tenantSettings(db: Db, tenantId: string): Promise<Record<string, unknown>> {
  const { rows } = await db.query<{ settings: Record<string, unknown> }>('SELECT settings FROM tenant WHERE id = $1', [tenantId]);
  return rows[0]?.settings ?? {};
}
