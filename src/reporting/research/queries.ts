import type { Db } from '../../db/database.ts';
import { valuesList } from '../../db/transaction.ts';

// Research projects, their extracts, and the rows an extract is made from. Source rows come only
// for live people with an active consent to research; they hold ids and dates of birth, which
// never leave the service: extract.ts turns them into pseudonyms and bands.

export interface ProjectRow {
  id: string;
  name: string;
  purpose: string;
  approvalReference: string;
  createdAt: Date;
  createdByName: string | null;
  extracts: number;
  lastExtractAt: Date | null;
}

// The creator's name by a subquery, not an outer join: Citus on PostgreSQL 15 refuses outer joins
// from a distributed table to a reference table when the plan holds pseudoconstant quals.
const PROJECT_COLUMNS = `p.id, p.name, p.purpose, p.approval_reference AS "approvalReference", p.created_at AS "createdAt",
  (SELECT u.name FROM app_user u WHERE u.id = p.created_by) AS "createdByName",
  (SELECT count(*)::int FROM research_extract e WHERE e.tenant_id = p.tenant_id AND e.project_id = p.id) AS extracts,
  (SELECT max(e.generated_at) FROM research_extract e WHERE e.tenant_id = p.tenant_id AND e.project_id = p.id) AS "lastExtractAt"`;

export async function listProjects(db: Db, tenantId: string): Promise<ProjectRow[]> {
  const { rows } = await db.query<ProjectRow>(
    `SELECT ${PROJECT_COLUMNS} FROM research_project p
      WHERE p.tenant_id = $1 ORDER BY p.created_at DESC, p.name`,
    [tenantId],
  );
  return rows;
}

export async function findProject(db: Db, tenantId: string, projectId: string): Promise<ProjectRow | undefined> {
  const { rows } = await db.query<ProjectRow>(
    `SELECT ${PROJECT_COLUMNS} FROM research_project p
      WHERE p.tenant_id = $1 AND p.id = $2`,
    [tenantId, projectId],
  );
  return rows[0];
}

export async function findProjectIdByName(db: Db, tenantId: string, name: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM research_project WHERE tenant_id = $1 AND lower(name) = lower($2)', [
    tenantId,
    name,
  ]);
  return rows[0]?.id;
}

/** For the command line, run as the database owner: every tenant's projects of that name. */
export async function projectsNamed(db: Db, name: string): Promise<{ tenantId: string; tenantName: string; projectId: string }[]> {
  const { rows } = await db.query<{ tenantId: string; tenantName: string; projectId: string }>(
    `SELECT p.tenant_id AS "tenantId", t.name AS "tenantName", p.id AS "projectId"
       FROM research_project p JOIN tenant t ON t.id = p.tenant_id WHERE lower(p.name) = lower($1) ORDER BY t.created_at`,
    [name],
  );
  return rows;
}

export async function projectKey(db: Db, tenantId: string, projectId: string): Promise<Buffer | undefined> {
  const { rows } = await db.query<{ key: Buffer }>('SELECT pseudonym_key AS key FROM research_project WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    projectId,
  ]);
  return rows[0]?.key;
}

export async function insertProject(
  db: Db,
  tenantId: string,
  p: { name: string; purpose: string; approvalReference: string; key: Buffer; createdBy: string | null },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO research_project (tenant_id, name, purpose, approval_reference, pseudonym_key, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [tenantId, p.name, p.purpose, p.approvalReference, p.key, p.createdBy],
  );
  return rows[0]!.id;
}

export interface ExtractRow {
  id: string;
  projectId: string;
  generatedAt: Date;
  generatedByName: string | null;
  manifest: Record<string, unknown>;
}

const EXTRACT_COLUMNS = `e.id, e.project_id AS "projectId", e.generated_at AS "generatedAt", u.name AS "generatedByName", e.manifest`;

export async function listExtracts(db: Db, tenantId: string, projectId: string): Promise<ExtractRow[]> {
  const { rows } = await db.query<ExtractRow>(
    `SELECT ${EXTRACT_COLUMNS} FROM research_extract e LEFT JOIN app_user u ON u.id = e.generated_by
      WHERE e.tenant_id = $1 AND e.project_id = $2 ORDER BY e.generated_at DESC`,
    [tenantId, projectId],
  );
  return rows;
}

export async function findExtract(db: Db, tenantId: string, projectId: string, extractId: string): Promise<ExtractRow | undefined> {
  const { rows } = await db.query<ExtractRow>(
    `SELECT ${EXTRACT_COLUMNS} FROM research_extract e LEFT JOIN app_user u ON u.id = e.generated_by
      WHERE e.tenant_id = $1 AND e.project_id = $2 AND e.id = $3`,
    [tenantId, projectId, extractId],
  );
  return rows[0];
}

export async function insertExtract(
  db: Db,
  tenantId: string,
  e: { projectId: string; generatedAt: Date; generatedBy: string | null; manifest: unknown; files: { name: string; content: string }[] },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO research_extract (tenant_id, project_id, generated_at, generated_by, manifest) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [tenantId, e.projectId, e.generatedAt, e.generatedBy, JSON.stringify(e.manifest)],
  );
  const id = rows[0]!.id;
  if (e.files.length) {
    await db.query(
      `INSERT INTO research_extract_file (tenant_id, extract_id, name, content) VALUES ${valuesList(e.files.length, 4)}`,
      e.files.flatMap((f) => [tenantId, id, f.name, f.content]),
    );
  }
  return id;
}

export async function extractFiles(
  db: Db,
  tenantId: string,
  extractId: string,
  name: string | null,
): Promise<{ name: string; content: string }[]> {
  const { rows } = await db.query<{ name: string; content: string }>(
    `SELECT name, content FROM research_extract_file WHERE tenant_id = $1 AND extract_id = $2 AND ($3::text IS NULL OR name = $3) ORDER BY name`,
    [tenantId, extractId, name],
  );
  return rows;
}

export interface PracticeRow {
  id: string;
  name: string;
  odsCode: string;
}

/** The tenant's practices, for an extract's practice filter. */
export async function practicesOf(db: Db, tenantId: string): Promise<PracticeRow[]> {
  const { rows } = await db.query<PracticeRow>('SELECT id, name, ods_code AS "odsCode" FROM practice WHERE tenant_id = $1 ORDER BY name', [
    tenantId,
  ]);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Source rows

export interface SourcePerson {
  id: string;
  dateOfBirth: string;
  sex: string | null;
  ethnicity: string | null;
  imdDecile: number | null;
  /** Only to look up the area's deprivation when it was not recorded; never exported. */
  postcode: string | null;
  practiceId: string | null;
}

/**
 * Live people with a research consent that is not withdrawn: merged-away records and records still
 * awaiting a lead's match (which may be someone already known) are left out.
 */
export async function consentingPeople(db: Db, tenantId: string): Promise<SourcePerson[]> {
  const { rows } = await db.query<SourcePerson>(
    `SELECT p.id, to_char(p.date_of_birth, 'YYYY-MM-DD') AS "dateOfBirth", p.sex, p.ethnicity, p.deprivation_decile AS "imdDecile", p.postcode, p.practice_id AS "practiceId"
       FROM person p
      WHERE p.tenant_id = $1 AND p.merged_into_id IS NULL AND NOT p.awaiting_match
        AND EXISTS (SELECT 1 FROM consent c WHERE c.tenant_id = p.tenant_id AND c.person_id = p.id AND c.kind = 'research' AND c.withdrawn_at IS NULL)`,
    [tenantId],
  );
  return rows;
}

export interface SourceReferral {
  id: string;
  personId: string;
  practiceId: string | null;
  receivedAt: Date;
  source: string;
  channel: string;
  urgency: string;
  reasons: string[];
  status: string;
  statusChangedAt: Date;
  firstContactAt: Date | null;
  dischargeReason: string | null;
  dischargedAt: Date | null;
}

export async function referralsOf(db: Db, tenantId: string, personIds: string[]): Promise<SourceReferral[]> {
  const { rows } = await db.query<SourceReferral>(
    `SELECT r.id, r.person_id AS "personId", r.practice_id AS "practiceId", r.received_at AS "receivedAt", r.source, r.channel, r.urgency, r.reasons,
            r.status, r.status_changed_at AS "statusChangedAt",
            (SELECT min(t.occurred_at) FROM referral_transition t WHERE t.tenant_id = r.tenant_id AND t.referral_id = r.id AND t.to_status = 'in_contact') AS "firstContactAt",
            CASE WHEN r.status = 'discharged' THEN coalesce(
              (SELECT d.reason FROM discharge d WHERE d.tenant_id = r.tenant_id AND d.referral_id = r.id), 'not_recorded') END AS "dischargeReason",
            CASE WHEN r.status = 'discharged' THEN coalesce(
              (SELECT d.discharged_at FROM discharge d WHERE d.tenant_id = r.tenant_id AND d.referral_id = r.id),
              (SELECT max(t.occurred_at) FROM referral_transition t WHERE t.tenant_id = r.tenant_id AND t.referral_id = r.id AND t.to_status = 'discharged')) END AS "dischargedAt"
       FROM referral r
      WHERE r.tenant_id = $1 AND r.person_id = ANY($2::uuid[])`,
    [tenantId, personIds],
  );
  return rows;
}

export interface SourceContact {
  id: string;
  referralId: string;
  personId: string;
  occurredAt: Date;
  outcome: string;
  mode: string;
  minutes: number | null;
  approach: string | null;
}

export async function contactsOf(db: Db, tenantId: string, personIds: string[]): Promise<SourceContact[]> {
  const { rows } = await db.query<SourceContact>(
    `SELECT c.id, c.referral_id AS "referralId", r.person_id AS "personId", c.occurred_at AS "occurredAt", c.outcome, c.mode, c.minutes, c.approach
       FROM contact c JOIN referral r ON r.tenant_id = c.tenant_id AND r.id = c.referral_id
      WHERE c.tenant_id = $1 AND r.person_id = ANY($2::uuid[])`,
    [tenantId, personIds],
  );
  return rows;
}

export interface SourceMeasure {
  id: string;
  referralId: string;
  personId: string;
  instrument: string;
  timepoint: string;
  completedAt: Date;
  mode: string;
  rawScore: number | null;
  metricScore: string | null;
  answers: Record<string, unknown>;
}

export async function measuresOf(db: Db, tenantId: string, personIds: string[]): Promise<SourceMeasure[]> {
  const { rows } = await db.query<SourceMeasure>(
    `SELECT o.id, o.referral_id AS "referralId", r.person_id AS "personId", o.instrument, o.timepoint, o.completed_at AS "completedAt", o.mode,
            o.raw_score AS "rawScore", o.metric_score::text AS "metricScore", o.answers
       FROM outcome_administration o JOIN referral r ON r.tenant_id = o.tenant_id AND r.id = o.referral_id
      WHERE o.tenant_id = $1 AND r.person_id = ANY($2::uuid[])`,
    [tenantId, personIds],
  );
  return rows;
}

export interface SourceOnward {
  id: string;
  referralId: string;
  personId: string;
  kind: string;
  delivery: string;
  need: string | null;
  status: string;
  createdAt: Date;
  sentAt: Date | null;
  respondedAt: Date | null;
  firstSessionDate: string | null;
  declineReason: string | null;
  stopReason: string | null;
}

export async function onwardReferralsOf(db: Db, tenantId: string, personIds: string[]): Promise<SourceOnward[]> {
  const { rows } = await db.query<SourceOnward>(
    `SELECT o.id, o.referral_id AS "referralId", r.person_id AS "personId", o.kind, o.delivery, o.need, o.status, o.created_at AS "createdAt",
            o.sent_at AS "sentAt", o.responded_at AS "respondedAt", to_char(o.first_session_date, 'YYYY-MM-DD') AS "firstSessionDate",
            o.decline_reason AS "declineReason", o.stop_reason AS "stopReason"
       FROM onward_referral o JOIN referral r ON r.tenant_id = o.tenant_id AND r.id = o.referral_id
      WHERE o.tenant_id = $1 AND r.person_id = ANY($2::uuid[])`,
    [tenantId, personIds],
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Demo

export async function livePeople(db: Db, tenantId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM person WHERE tenant_id = $1 AND merged_into_id IS NULL ORDER BY created_at, id',
    [tenantId],
  );
  return rows.map((r) => r.id);
}

/** Demo only: research consents for many people at once, as recorded by one user. */
export async function insertResearchConsents(db: Db, tenantId: string, personIds: string[], recordedBy: string): Promise<void> {
  for (let start = 0; start < personIds.length; start += 500) {
    const batch = personIds.slice(start, start + 500);
    await db.query(
      `INSERT INTO consent (tenant_id, person_id, kind, recorded_by) VALUES ${valuesList(batch.length, 4)}`,
      batch.flatMap((personId) => [tenantId, personId, 'research', recordedBy]),
    );
  }
}
