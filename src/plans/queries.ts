import type { Db } from '../db/database.ts';

export interface GoalRow {
  id: string;
  referralId: string;
  personId: string;
  goal: string;
  steps: string | null;
  whoDoesWhat: string | null;
  reviewDate: string | null;
  progress: 'not_started' | 'in_progress' | 'achieved' | 'no_longer_relevant';
  createdAt: Date;
}

const GOAL_COLUMNS = `id, referral_id AS "referralId", person_id AS "personId", goal, steps, who_does_what AS "whoDoesWhat",
  to_char(review_date, 'YYYY-MM-DD') AS "reviewDate", progress, created_at AS "createdAt"`;

export async function insertGoal(
  db: Db,
  tenantId: string,
  g: Pick<GoalRow, 'referralId' | 'personId' | 'goal' | 'steps' | 'whoDoesWhat' | 'reviewDate'> & { createdBy: string },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO plan_goal (tenant_id, referral_id, person_id, goal, steps, who_does_what, review_date, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [tenantId, g.referralId, g.personId, g.goal, g.steps, g.whoDoesWhat, g.reviewDate, g.createdBy],
  );
  return rows[0]!.id;
}

export async function findGoal(db: Db, tenantId: string, id: string): Promise<GoalRow | undefined> {
  await db.query('SELECT 1 FROM plan_goal WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id]);
  const { rows } = await db.query<GoalRow>(`SELECT ${GOAL_COLUMNS} FROM plan_goal WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return rows[0];
}

export async function goalsOf(db: Db, tenantId: string, referralIds: string[]): Promise<GoalRow[]> {
  const { rows } = await db.query<GoalRow>(
    `SELECT ${GOAL_COLUMNS} FROM plan_goal WHERE tenant_id = $1 AND referral_id = ANY($2::uuid[]) ORDER BY created_at, id`,
    [tenantId, referralIds],
  );
  return rows;
}

export async function goalsOfPeople(db: Db, tenantId: string, personIds: string[]): Promise<GoalRow[]> {
  const { rows } = await db.query<GoalRow>(`SELECT ${GOAL_COLUMNS} FROM plan_goal WHERE tenant_id = $1 AND person_id = ANY($2::uuid[])`, [
    tenantId,
    personIds,
  ]);
  return rows;
}

export async function setGoalProgress(db: Db, tenantId: string, id: string, progress: string): Promise<void> {
  await db.query('UPDATE plan_goal SET progress = $3 WHERE tenant_id = $1 AND id = $2', [tenantId, id, progress]);
}

export interface ProgressRow {
  goalId: string;
  fromProgress: string | null;
  toProgress: string;
  note: string | null;
  byUserName: string | null;
  occurredAt: Date;
}

export async function insertProgress(
  db: Db,
  tenantId: string,
  p: { goalId: string; from: string | null; to: string; note: string | null; byUserId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO goal_progress (tenant_id, goal_id, from_progress, to_progress, note, by_user_id, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp())`,
    [tenantId, p.goalId, p.from, p.to, p.note, p.byUserId],
  );
}

export async function progressOf(db: Db, tenantId: string, goalIds: string[]): Promise<ProgressRow[]> {
  const { rows } = await db.query<ProgressRow>(
    `SELECT g.goal_id AS "goalId", g.from_progress AS "fromProgress", g.to_progress AS "toProgress", g.note, u.name AS "byUserName", g.occurred_at AS "occurredAt"
       FROM goal_progress g LEFT JOIN app_user u ON u.id = g.by_user_id
      WHERE g.tenant_id = $1 AND g.goal_id = ANY($2::uuid[]) ORDER BY g.occurred_at, g.id`,
    [tenantId, goalIds],
  );
  return rows;
}

export interface GoalFollowUpRow {
  referralId: string;
  what: string;
  due: string;
  givenName: string;
  familyName: string;
}

/** Goal reviews still open for one link worker (or everyone, for a lead), on episodes not yet discharged. */
export async function goalFollowUps(db: Db, tenantId: string, createdBy: string | null, limit: number): Promise<GoalFollowUpRow[]> {
  const { rows } = await db.query<GoalFollowUpRow>(
    `SELECT g.referral_id AS "referralId", 'Review goal: ' || g.goal AS what, to_char(g.review_date, 'YYYY-MM-DD') AS due,
            p.given_name AS "givenName", p.family_name AS "familyName"
       FROM plan_goal g JOIN person p ON p.tenant_id = g.tenant_id AND p.id = g.person_id
      WHERE g.tenant_id = $1 AND ($2::uuid IS NULL OR g.created_by = $2) AND g.review_date IS NOT NULL AND g.progress IN ('not_started', 'in_progress')
        AND NOT EXISTS (SELECT 1 FROM discharge d WHERE d.tenant_id = g.tenant_id AND d.referral_id = g.referral_id)
      ORDER BY due, "referralId"
      LIMIT $3`,
    [tenantId, createdBy, limit],
  );
  return rows;
}
