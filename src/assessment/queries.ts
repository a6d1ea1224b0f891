import type { Db } from '../db/database.ts';

export interface NeedRating {
  need: string;
  rating: 'none' | 'some' | 'high';
  notes: string | null;
}

export interface AssessmentRow {
  id: string;
  referralId: string;
  personId: string;
  whatMatters: string;
  needs: NeedRating[];
  strengths: string | null;
  barriers: string[];
  barrierNotes: string | null;
  risks: string | null;
  assessedBy: string | null;
  assessedByName: string | null;
  assessedAt: Date;
}

const ASSESSMENT_COLUMNS = `a.id, a.referral_id AS "referralId", a.person_id AS "personId", a.what_matters AS "whatMatters", a.needs,
  a.strengths, a.barriers, a.barrier_notes AS "barrierNotes", a.risks, a.assessed_by AS "assessedBy", u.name AS "assessedByName",
  a.assessed_at AS "assessedAt"`;

export async function insertAssessment(
  db: Db,
  tenantId: string,
  a: Omit<AssessmentRow, 'id' | 'assessedAt' | 'assessedByName'>,
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO assessment (tenant_id, referral_id, person_id, what_matters, needs, strengths, barriers, barrier_notes, risks, assessed_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [
      tenantId,
      a.referralId,
      a.personId,
      a.whatMatters,
      JSON.stringify(a.needs),
      a.strengths,
      a.barriers,
      a.barrierNotes,
      a.risks,
      a.assessedBy,
    ],
  );
  return rows[0]!.id;
}

export async function assessmentsOf(db: Db, tenantId: string, referralIds: string[]): Promise<AssessmentRow[]> {
  const { rows } = await db.query<AssessmentRow>(
    `SELECT ${ASSESSMENT_COLUMNS} FROM assessment a LEFT JOIN app_user u ON u.id = a.assessed_by
      WHERE a.tenant_id = $1 AND a.referral_id = ANY($2::uuid[]) ORDER BY a.assessed_at DESC, a.id`,
    [tenantId, referralIds],
  );
  return rows;
}

export async function assessmentsOfPeople(db: Db, tenantId: string, personIds: string[]): Promise<AssessmentRow[]> {
  const { rows } = await db.query<AssessmentRow>(
    `SELECT ${ASSESSMENT_COLUMNS} FROM assessment a LEFT JOIN app_user u ON u.id = a.assessed_by
      WHERE a.tenant_id = $1 AND a.person_id = ANY($2::uuid[])`,
    [tenantId, personIds],
  );
  return rows;
}

export interface ConcernRow {
  id: string;
  referralId: string;
  personId: string;
  concern: string;
  raisedBy: string | null;
  raisedByName: string | null;
  raisedAt: Date;
  actionTaken: string | null;
  actionedByName: string | null;
  actionedAt: Date | null;
  givenName: string;
  familyName: string;
}

const CONCERN_COLUMNS = `c.id, c.referral_id AS "referralId", c.person_id AS "personId", c.concern, c.raised_by AS "raisedBy", ru.name AS "raisedByName",
  c.raised_at AS "raisedAt", c.action_taken AS "actionTaken", au.name AS "actionedByName", c.actioned_at AS "actionedAt",
  p.given_name AS "givenName", p.family_name AS "familyName"`;
const CONCERN_FROM = `safeguarding_concern c JOIN person p ON p.tenant_id = c.tenant_id AND p.id = c.person_id
  LEFT JOIN app_user ru ON ru.id = c.raised_by LEFT JOIN app_user au ON au.id = c.actioned_by`;

export async function insertConcern(
  db: Db,
  tenantId: string,
  c: { referralId: string; personId: string; concern: string; raisedBy: string },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO safeguarding_concern (tenant_id, referral_id, person_id, concern, raised_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [tenantId, c.referralId, c.personId, c.concern, c.raisedBy],
  );
  return rows[0]!.id;
}

export async function findConcern(db: Db, tenantId: string, id: string, options: { lock?: boolean } = {}): Promise<ConcernRow | undefined> {
  if (options.lock) await db.query('SELECT 1 FROM safeguarding_concern WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id]);
  const { rows } = await db.query<ConcernRow>(`SELECT ${CONCERN_COLUMNS} FROM ${CONCERN_FROM} WHERE c.tenant_id = $1 AND c.id = $2`, [
    tenantId,
    id,
  ]);
  return rows[0];
}

export async function concernsOfPeople(db: Db, tenantId: string, personIds: string[]): Promise<ConcernRow[]> {
  const { rows } = await db.query<ConcernRow>(
    `SELECT ${CONCERN_COLUMNS} FROM ${CONCERN_FROM} WHERE c.tenant_id = $1 AND c.person_id = ANY($2::uuid[]) ORDER BY c.raised_at DESC`,
    [tenantId, personIds],
  );
  return rows;
}

export async function openConcerns(db: Db, tenantId: string): Promise<ConcernRow[]> {
  const { rows } = await db.query<ConcernRow>(
    `SELECT ${CONCERN_COLUMNS} FROM ${CONCERN_FROM} WHERE c.tenant_id = $1 AND c.actioned_at IS NULL ORDER BY c.raised_at`,
    [tenantId],
  );
  return rows;
}

export async function recordAction(db: Db, tenantId: string, id: string, action: string, userId: string): Promise<void> {
  await db.query(
    `UPDATE safeguarding_concern SET action_taken = $3, actioned_by = $4, actioned_at = now() WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, action, userId],
  );
}

export async function leadEmails(db: Db, tenantId: string): Promise<string[]> {
  const { rows } = await db.query<{ email: string }>(
    `SELECT DISTINCT u.email FROM role_membership m JOIN app_user u ON u.id = m.user_id
      WHERE m.tenant_id = $1 AND m.role = 'lead' AND u.active ORDER BY u.email`,
    [tenantId],
  );
  return rows.map((r) => r.email);
}
