import { bulkInsert, bulkTable, type BulkRow } from '../db/bulk-insert.ts';
import type { Db } from '../db/database.ts';
import { setDigestSetting } from '../db/transaction.ts';
import type { ReminderCondition } from '../reminders/service.ts';
import type { InstrumentCode, Timepoint } from './instruments.ts';

export type Mode = 'with_link_worker' | 'self_completed';

export interface AdministrationRow {
  id: string;
  referralId: string;
  personId: string;
  instrument: InstrumentCode;
  timepoint: Timepoint;
  completedAt: Date;
  completedBy: string | null;
  completedByName: string | null;
  mode: Mode;
  rawScore: number | null;
  metricScore: number | null;
  answers: Record<string, number>;
  createdAt: Date;
}

const COLUMNS = `a.id, a.referral_id AS "referralId", a.person_id AS "personId", a.instrument, a.timepoint, a.completed_at AS "completedAt",
  a.completed_by AS "completedBy", u.name AS "completedByName", a.mode, a.raw_score AS "rawScore", a.metric_score::float8 AS "metricScore",
  a.answers, a.created_at AS "createdAt"`;

export type NewAdministration = Omit<AdministrationRow, 'id' | 'completedByName' | 'createdAt'>;

/** Inserts one administration; undefined when the referral already has this baseline or discharge. */
export async function insertAdministration(db: Db, tenantId: string, a: NewAdministration): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO outcome_administration (tenant_id, referral_id, person_id, instrument, timepoint, completed_at, completed_by, mode, raw_score, metric_score, answers, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $6)
     ON CONFLICT (tenant_id, referral_id, instrument, timepoint) WHERE timepoint IN ('baseline', 'discharge') DO NOTHING
     RETURNING id`,
    [
      tenantId,
      a.referralId,
      a.personId,
      a.instrument,
      a.timepoint,
      a.completedAt,
      a.completedBy,
      a.mode,
      a.rawScore,
      a.metricScore,
      JSON.stringify(a.answers),
    ],
  );
  return rows[0]?.id;
}

export async function administrationsOfReferral(db: Db, tenantId: string, referralId: string): Promise<AdministrationRow[]> {
  const { rows } = await db.query<AdministrationRow>(
    `SELECT ${COLUMNS} FROM outcome_administration a LEFT JOIN app_user u ON u.id = a.completed_by
      WHERE a.tenant_id = $1 AND a.referral_id = $2 ORDER BY a.completed_at, a.created_at`,
    [tenantId, referralId],
  );
  return rows;
}

export async function findAdministration(db: Db, tenantId: string, id: string): Promise<AdministrationRow | undefined> {
  const { rows } = await db.query<AdministrationRow>(
    `SELECT ${COLUMNS} FROM outcome_administration a LEFT JOIN app_user u ON u.id = a.completed_by
      WHERE a.tenant_id = $1 AND a.id = $2`,
    [tenantId, id],
  );
  return rows[0];
}

export async function administrationsOfPeople(db: Db, tenantId: string, personIds: string[]): Promise<AdministrationRow[]> {
  if (personIds.length === 0) return [];
  const { rows } = await db.query<AdministrationRow>(
    `SELECT ${COLUMNS} FROM outcome_administration a LEFT JOIN app_user u ON u.id = a.completed_by
      WHERE a.tenant_id = $1 AND a.person_id = ANY($2::uuid[]) ORDER BY a.completed_at`,
    [tenantId, personIds],
  );
  return rows;
}

export interface AdministrationFilter {
  referralIds: string[];
  id?: string | null;
  personId?: string | null;
}

/** A page of the administrations on these referrals, oldest first, with the total matching. */
export async function administrationsOfReferrals(
  db: Db,
  tenantId: string,
  f: AdministrationFilter,
  limit: number,
  offset: number,
): Promise<(AdministrationRow & { total: number })[]> {
  if (f.referralIds.length === 0) return [];
  const { rows } = await db.query<AdministrationRow & { total: number }>(
    `SELECT ${COLUMNS}, count(*) OVER ()::int AS total
       FROM outcome_administration a LEFT JOIN app_user u ON u.id = a.completed_by
      WHERE a.tenant_id = $1 AND a.referral_id = ANY($2::uuid[])
        AND ($3::uuid IS NULL OR a.id = $3::uuid)
        AND ($4::uuid IS NULL OR a.person_id = $4::uuid)
      ORDER BY a.completed_at, a.id
      LIMIT $5 OFFSET $6`,
    [tenantId, f.referralIds, f.id ?? null, f.personId ?? null, limit, offset],
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Links the person completes themselves

export interface NewLink {
  referralId: string;
  personId: string;
  instrument: InstrumentCode;
  timepoint: Timepoint;
  tokenHash: string;
  channel: 'email' | 'sms';
  sentBy: string;
  createdAt: Date;
  expiresAt: Date;
}

export async function insertLink(db: Db, tenantId: string, l: NewLink): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO outcome_link (tenant_id, referral_id, person_id, instrument, timepoint, token_hash, channel, sent_by, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [tenantId, l.referralId, l.personId, l.instrument, l.timepoint, l.tokenHash, l.channel, l.sentBy, l.createdAt, l.expiresAt],
  );
  return rows[0]!.id;
}

/**
 * The tenant of the link with this token hash, read with no tenant set: the `token_holder` policy
 * shows exactly the row whose hash the transaction names, and nothing else.
 */
export async function linkTenant(db: Db, tokenHash: string): Promise<string | undefined> {
  await setDigestSetting(db, 'app.outcome_link_hash', tokenHash);
  const { rows } = await db.query<{ tenantId: string }>('SELECT tenant_id AS "tenantId" FROM outcome_link WHERE token_hash = $1', [
    tokenHash,
  ]);
  await setDigestSetting(db, 'app.outcome_link_hash', '');
  return rows[0]?.tenantId;
}

export interface LinkRow {
  id: string;
  referralId: string;
  personId: string;
  instrument: InstrumentCode;
  timepoint: Timepoint;
  channel: 'email' | 'sms';
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  sentByName: string | null;
}

const LINK_COLUMNS = `l.id, l.referral_id AS "referralId", l.person_id AS "personId", l.instrument, l.timepoint, l.channel,
  l.created_at AS "createdAt", l.expires_at AS "expiresAt", l.used_at AS "usedAt", u.name AS "sentByName"`;

/** The link, locked so two submissions of one token cannot both use it. */
export async function findLinkForUpdate(db: Db, tenantId: string, tokenHash: string): Promise<LinkRow | undefined> {
  const { rows } = await db.query<LinkRow>(
    `SELECT ${LINK_COLUMNS} FROM outcome_link l LEFT JOIN app_user u ON u.id = l.sent_by
      WHERE l.tenant_id = $1 AND l.token_hash = $2 FOR UPDATE OF l`,
    [tenantId, tokenHash],
  );
  return rows[0];
}

export async function linksOfReferral(db: Db, tenantId: string, referralId: string): Promise<LinkRow[]> {
  const { rows } = await db.query<LinkRow>(
    `SELECT ${LINK_COLUMNS} FROM outcome_link l LEFT JOIN app_user u ON u.id = l.sent_by
      WHERE l.tenant_id = $1 AND l.referral_id = $2 ORDER BY l.created_at DESC`,
    [tenantId, referralId],
  );
  return rows;
}

export async function markLinkUsed(db: Db, tenantId: string, linkId: string, administrationId: string, at: Date): Promise<void> {
  await db.query('UPDATE outcome_link SET used_at = $3, administration_id = $4 WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    linkId,
    at,
    administrationId,
  ]);
}

export async function tenantName(db: Db, tenantId: string): Promise<string> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM tenant WHERE id = $1', [tenantId]);
  return rows[0]?.name ?? 'Signpost';
}

// ---------------------------------------------------------------------------------------------
// Reminder conditions (supplied to the reminders scan)

/** Assessed or with an active plan, and no baseline measure of any instrument yet. */
export async function baselinesMissing(db: Db, tenantId: string): Promise<ReminderCondition[]> {
  const { rows } = await db.query<ReminderCondition>(
    `SELECT 'outcome_review' AS kind, 'outcome-baseline:' || r.id AS key, r.id AS "referralId", NULL::uuid AS "goalId", NULL AS "dueOn",
            r.assigned_to AS "linkWorkerId", 'Baseline outcome measure missing' AS detail
       FROM referral r
      WHERE r.tenant_id = $1 AND r.status IN ('assessed', 'active_plan')
        AND NOT EXISTS (SELECT 1 FROM outcome_administration a WHERE a.tenant_id = r.tenant_id AND a.referral_id = r.id AND a.timepoint = 'baseline')`,
    [tenantId],
  );
  return rows;
}

/**
 * Open referrals with a baseline whose latest baseline or review is `weeks` weeks old or more on
 * `today`: a review is due. The key carries the due date, so a review recorded later starts afresh.
 */
export async function reviewsDue(db: Db, tenantId: string, weeks: number, today: string): Promise<ReminderCondition[]> {
  const { rows } = await db.query<ReminderCondition>(
    `SELECT 'outcome_review' AS kind, 'outcome-review:' || r.id || ':' || to_char(d.due, 'YYYY-MM-DD') AS key, r.id AS "referralId",
            NULL::uuid AS "goalId", to_char(d.due, 'YYYY-MM-DD') AS "dueOn", r.assigned_to AS "linkWorkerId", 'Outcome review due' AS detail
       FROM referral r
       JOIN LATERAL (SELECT (max(a.completed_at AT TIME ZONE 'Europe/London'))::date + $2::int * 7 AS due
                       FROM outcome_administration a
                      WHERE a.tenant_id = r.tenant_id AND a.referral_id = r.id AND a.timepoint IN ('baseline', 'review')) d ON d.due IS NOT NULL
      WHERE r.tenant_id = $1 AND r.status IN ('in_contact', 'assessed', 'active_plan') AND d.due <= $3::date`,
    [tenantId, weeks, today],
  );
  return rows;
}

// Demo and benchmark data only: fictional outcome measures for generated referrals, written in bulk.

const ADMINISTRATIONS_IN_BULK = bulkTable('outcome_administration', {
  tenant_id: 'uuid',
  referral_id: 'uuid',
  person_id: 'uuid',
  instrument: 'text',
  timepoint: 'text',
  completed_at: 'timestamptz',
  completed_by: 'uuid',
  mode: { as: "'with_link_worker'" },
  raw_score: 'int?',
  metric_score: 'numeric?',
  answers: { type: 'text', as: 'answers::jsonb' },
  created_at: { as: 'completed_at' },
});

export type BulkAdministration = BulkRow<typeof ADMINISTRATIONS_IN_BULK>;

export const bulkInsertAdministrations = (db: Db, rows: BulkAdministration[]) => bulkInsert(db, ADMINISTRATIONS_IN_BULK, rows);
