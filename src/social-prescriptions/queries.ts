import { bulkInsert, bulkTable, type BulkRow } from '../db/bulk-insert.ts';
import type { Db } from '../db/database.ts';
import type { OnwardStatus } from './lifecycle.ts';

export interface SharedDetails {
  name: string;
  preferredName: string | null;
  dateOfBirth: string;
  phone: string | null;
  email: string | null;
  contactChannels: string[];
  safeToLeaveMessage: boolean | null;
  needs?: { need: string; label: string; rating?: string }[];
  whatMatters?: string | null;
  notes?: string | null;
  accessibility?: string[];
}

export interface OnwardRow {
  id: string;
  referralId: string;
  personId: string;
  kind: 'refer' | 'signpost';
  delivery: 'signpost' | 'email' | 'print' | 'signposted';
  serviceId: string;
  serviceName: string;
  organisationName: string | null;
  providerOrganisationId: string | null;
  providerOrganisationName: string | null;
  need: string | null;
  status: OnwardStatus;
  shareFields: string[];
  shared: SharedDetails;
  consentRecordedAt: Date | null;
  note: string | null;
  declineReason: string | null;
  declineDetail: string | null;
  stopReason: string | null;
  firstSessionDate: string | null;
  sentAt: Date | null;
  respondedAt: Date | null;
  followUpAskedAt: Date | null;
  followUpAnswer: string | null;
  createdBy: string | null;
  createdByName: string | null;
  createdByEmail: string | null;
  createdAt: Date;
  statusChangedAt: Date;
}

const ONWARD_COLUMNS = `o.id, o.referral_id AS "referralId", o.person_id AS "personId", o.kind, o.delivery, o.service_id AS "serviceId",
  o.service_name AS "serviceName", o.organisation_name AS "organisationName", o.provider_organisation_id AS "providerOrganisationId",
  po.name AS "providerOrganisationName", o.need, o.status, o.share_fields AS "shareFields", o.shared,
  o.consent_recorded_at AS "consentRecordedAt", o.note, o.decline_reason AS "declineReason", o.decline_detail AS "declineDetail",
  o.stop_reason AS "stopReason", to_char(o.first_session_date, 'YYYY-MM-DD') AS "firstSessionDate", o.sent_at AS "sentAt",
  o.responded_at AS "respondedAt", o.follow_up_asked_at AS "followUpAskedAt", o.follow_up_answer AS "followUpAnswer",
  o.created_by AS "createdBy", cu.name AS "createdByName", cu.email AS "createdByEmail", o.created_at AS "createdAt",
  o.status_changed_at AS "statusChangedAt"`;
const ONWARD_FROM = `onward_referral o
  LEFT JOIN provider_organisation po ON po.tenant_id = o.tenant_id AND po.id = o.provider_organisation_id
  LEFT JOIN app_user cu ON cu.id = o.created_by`;

export async function hasOpenOnward(
  db: Db,
  tenantId: string,
  referralId: string,
  serviceId: string,
  open: readonly string[],
): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM onward_referral WHERE tenant_id = $1 AND referral_id = $2 AND service_id = $3 AND kind = 'refer' AND status = ANY($4::text[])`,
    [tenantId, referralId, serviceId, open],
  );
  return rows.length > 0;
}

export async function insertOnward(
  db: Db,
  tenantId: string,
  o: {
    referralId: string;
    personId: string;
    kind: string;
    delivery: string;
    serviceId: string;
    serviceName: string;
    organisationName: string | null;
    providerOrganisationId: string | null;
    need: string | null;
    status: OnwardStatus;
    shareFields: string[];
    shared: SharedDetails;
    consent: boolean;
    userId: string;
    note: string | null;
  },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO onward_referral (tenant_id, referral_id, person_id, kind, delivery, service_id, service_name, organisation_name,
       provider_organisation_id, need, status, share_fields, shared, consent_recorded_at, consent_recorded_by, note, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, CASE WHEN $14 THEN now() END, CASE WHEN $14 THEN $15::uuid END, $16, $15)
     RETURNING id`,
    [
      tenantId,
      o.referralId,
      o.personId,
      o.kind,
      o.delivery,
      o.serviceId,
      o.serviceName,
      o.organisationName,
      o.providerOrganisationId,
      o.need,
      o.status,
      o.shareFields,
      JSON.stringify(o.shared),
      o.consent,
      o.userId,
      o.note,
    ],
  );
  return rows[0]!.id;
}

export async function findOnward(
  db: Db,
  tenantId: string,
  id: string,
  options: { lock?: boolean; providerOrganisationId?: string } = {},
): Promise<OnwardRow | undefined> {
  if (options.lock) await db.query('SELECT 1 FROM onward_referral WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id]);
  const { rows } = await db.query<OnwardRow>(
    `SELECT ${ONWARD_COLUMNS} FROM ${ONWARD_FROM}
      WHERE o.tenant_id = $1 AND o.id = $2 AND ($3::uuid IS NULL OR (o.provider_organisation_id = $3 AND o.delivery = 'signpost' AND o.status <> 'draft'))`,
    [tenantId, id, options.providerOrganisationId ?? null],
  );
  return rows[0];
}

export async function onwardOf(db: Db, tenantId: string, referralIds: string[]): Promise<OnwardRow[]> {
  const { rows } = await db.query<OnwardRow>(
    `SELECT ${ONWARD_COLUMNS} FROM ${ONWARD_FROM} WHERE o.tenant_id = $1 AND o.referral_id = ANY($2::uuid[]) ORDER BY o.created_at, o.id`,
    [tenantId, referralIds],
  );
  return rows;
}

export async function onwardOfPeople(db: Db, tenantId: string, personIds: string[]): Promise<OnwardRow[]> {
  const { rows } = await db.query<OnwardRow>(
    `SELECT ${ONWARD_COLUMNS} FROM ${ONWARD_FROM} WHERE o.tenant_id = $1 AND o.person_id = ANY($2::uuid[])`,
    [tenantId, personIds],
  );
  return rows;
}

/** The provider's inbox: only what was sent to their organisation through Signpost. */
/**
 * Onward referrals sent to a provider organisation through Signpost in the given statuses, newest
 * first; `page` limits them (with the total in `total`) for the ever-growing closed list.
 */
export async function onwardForProvider(
  db: Db,
  tenantId: string,
  providerOrganisationId: string,
  statuses: readonly string[],
  page?: { limit: number; offset: number },
): Promise<Array<OnwardRow & { total: number }>> {
  const { rows } = await db.query<OnwardRow & { total: number }>(
    `SELECT ${ONWARD_COLUMNS}, count(*) OVER ()::int AS total FROM ${ONWARD_FROM}
      WHERE o.tenant_id = $1 AND o.provider_organisation_id = $2 AND o.delivery = 'signpost' AND o.status = ANY ($3::text[])
      ORDER BY o.sent_at DESC NULLS LAST, o.id
      LIMIT $4 OFFSET $5`,
    [tenantId, providerOrganisationId, statuses, page?.limit ?? null, page?.offset ?? 0],
  );
  return rows;
}

export async function updateOnwardStatus(
  db: Db,
  tenantId: string,
  id: string,
  to: OnwardStatus,
  extra: {
    declineReason?: string | null;
    declineDetail?: string | null;
    stopReason?: string | null;
    firstSessionDate?: string | null;
    sent?: boolean;
    responded?: boolean;
  },
): Promise<void> {
  await db.query(
    `UPDATE onward_referral SET status = $3, status_changed_at = now(),
       decline_reason = coalesce($4, decline_reason), decline_detail = coalesce($5, decline_detail), stop_reason = coalesce($6, stop_reason),
       first_session_date = coalesce($7::date, first_session_date),
       sent_at = CASE WHEN $8 THEN $10::timestamptz ELSE sent_at END,
       responded_at = CASE WHEN $9 AND responded_at IS NULL THEN $10::timestamptz ELSE responded_at END
     WHERE tenant_id = $1 AND id = $2`,
    // The time is a parameter: Citus refuses now() inside CASE in an UPDATE of a distributed table.
    [
      tenantId,
      id,
      to,
      extra.declineReason ?? null,
      extra.declineDetail ?? null,
      extra.stopReason ?? null,
      extra.firstSessionDate ?? null,
      !!extra.sent,
      !!extra.responded,
      new Date(),
    ],
  );
}

export async function insertOnwardTransition(
  db: Db,
  tenantId: string,
  t: { onwardId: string; from: string | null; to: string; reason: string | null; byUserId: string | null; byDescription: string | null },
): Promise<void> {
  await db.query(
    // clock_timestamp, not now(): several steps in one transaction (draft then sent) must keep their order.
    `INSERT INTO onward_referral_transition (tenant_id, onward_referral_id, from_status, to_status, reason, by_user_id, by_description, occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp())`,
    [tenantId, t.onwardId, t.from, t.to, t.reason, t.byUserId, t.byDescription],
  );
}

export interface OnwardTransitionRow {
  onwardReferralId: string;
  fromStatus: OnwardStatus | null;
  toStatus: OnwardStatus;
  reason: string | null;
  byUserName: string | null;
  byDescription: string | null;
  occurredAt: Date;
  referralId: string;
  serviceName: string;
  organisationName: string | null;
  createdBy: string | null;
}

export async function onwardTransitionsOf(
  db: Db,
  tenantId: string,
  filter: { onwardIds?: string[]; personIds?: string[]; createdBy?: string; since?: Date },
): Promise<OnwardTransitionRow[]> {
  const { rows } = await db.query<OnwardTransitionRow>(
    `SELECT t.onward_referral_id AS "onwardReferralId", t.from_status AS "fromStatus", t.to_status AS "toStatus", t.reason,
            u.name AS "byUserName", t.by_description AS "byDescription", t.occurred_at AS "occurredAt", o.referral_id AS "referralId",
            o.service_name AS "serviceName", o.organisation_name AS "organisationName", o.created_by AS "createdBy"
       FROM onward_referral_transition t
       JOIN onward_referral o ON o.tenant_id = t.tenant_id AND o.id = t.onward_referral_id
       LEFT JOIN app_user u ON u.id = t.by_user_id
      WHERE t.tenant_id = $1
        AND ($2::uuid[] IS NULL OR t.onward_referral_id = ANY($2::uuid[]))
        AND ($3::uuid[] IS NULL OR o.person_id = ANY($3::uuid[]))
        AND ($4::uuid IS NULL OR o.created_by = $4)
        AND ($5::timestamptz IS NULL OR t.occurred_at >= $5)
      ORDER BY t.occurred_at DESC, t.id`,
    [tenantId, filter.onwardIds ?? null, filter.personIds ?? null, filter.createdBy ?? null, filter.since ?? null],
  );
  return rows;
}

export interface AttendanceRow {
  id: string;
  onwardReferralId: string;
  sessionDate: string | null;
  attended: boolean;
  sessionsAttended: number | null;
  sessionsOffered: number | null;
  note: string | null;
  recordedAt: Date;
}

export async function insertAttendance(
  db: Db,
  tenantId: string,
  a: {
    onwardId: string;
    sessionDate: string | null;
    attended: boolean;
    sessionsAttended: number | null;
    sessionsOffered: number | null;
    note: string | null;
    userId: string;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO onward_attendance (tenant_id, onward_referral_id, session_date, attended, sessions_attended, sessions_offered, note, recorded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [tenantId, a.onwardId, a.sessionDate, a.attended, a.sessionsAttended, a.sessionsOffered, a.note, a.userId],
  );
}

export async function attendanceOf(db: Db, tenantId: string, onwardIds: string[]): Promise<AttendanceRow[]> {
  const { rows } = await db.query<AttendanceRow>(
    `SELECT id, onward_referral_id AS "onwardReferralId", to_char(session_date, 'YYYY-MM-DD') AS "sessionDate", attended,
            sessions_attended AS "sessionsAttended", sessions_offered AS "sessionsOffered", note, recorded_at AS "recordedAt"
       FROM onward_attendance WHERE tenant_id = $1 AND onward_referral_id = ANY($2::uuid[]) ORDER BY session_date NULLS LAST, recorded_at`,
    [tenantId, onwardIds],
  );
  return rows;
}

export async function recordFollowUpAnswer(db: Db, tenantId: string, id: string, answer: string): Promise<void> {
  await db.query('UPDATE onward_referral SET follow_up_answer = $3, follow_up_answered_at = now() WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    id,
    answer,
  ]);
}

// ---------------------------------------------------------------------------------------------
// Nudges (run by the tenant scan, with the scan's clock)

export async function unansweredSent(
  db: Db,
  tenantId: string,
  sentBefore: Date,
): Promise<Array<OnwardRow & { nudgedProviderAt: Date | null; nudgedWorkerAt: Date | null }>> {
  const { rows } = await db.query<OnwardRow & { nudgedProviderAt: Date | null; nudgedWorkerAt: Date | null }>(
    `SELECT ${ONWARD_COLUMNS}, o.nudged_provider_at AS "nudgedProviderAt", o.nudged_worker_at AS "nudgedWorkerAt" FROM ${ONWARD_FROM}
      WHERE o.tenant_id = $1 AND o.status = 'sent' AND o.sent_at <= $2 AND o.nudged_worker_at IS NULL`,
    [tenantId, sentBefore],
  );
  return rows;
}

export async function markNudged(db: Db, tenantId: string, id: string, who: 'provider' | 'worker', at: Date): Promise<void> {
  await db.query(
    who === 'provider'
      ? 'UPDATE onward_referral SET nudged_provider_at = $3 WHERE tenant_id = $1 AND id = $2 AND nudged_provider_at IS NULL'
      : 'UPDATE onward_referral SET nudged_worker_at = $3 WHERE tenant_id = $1 AND id = $2 AND nudged_worker_at IS NULL',
    [tenantId, id, at],
  );
}

export async function dueFollowUps(db: Db, tenantId: string, sessionOnOrBefore: string): Promise<OnwardRow[]> {
  const { rows } = await db.query<OnwardRow>(
    `SELECT ${ONWARD_COLUMNS} FROM ${ONWARD_FROM}
      WHERE o.tenant_id = $1 AND o.follow_up_asked_at IS NULL AND o.first_session_date IS NOT NULL AND o.first_session_date <= $2::date
        AND o.status IN ('accepted', 'attending', 'completed')`,
    [tenantId, sessionOnOrBefore],
  );
  return rows;
}

export async function markFollowUpAsked(db: Db, tenantId: string, id: string, at: Date): Promise<void> {
  await db.query('UPDATE onward_referral SET follow_up_asked_at = $3 WHERE tenant_id = $1 AND id = $2 AND follow_up_asked_at IS NULL', [
    tenantId,
    id,
    at,
  ]);
}

export interface OnwardFollowUpRow {
  referralId: string;
  what: string;
  due: string;
  givenName: string;
  familyName: string;
}

/**
 * Onward referrals still open for one link worker (or everyone, for a lead), on episodes not yet
 * discharged, due a look on their first session date or two weeks after they last changed.
 */
export async function onwardFollowUps(db: Db, tenantId: string, createdBy: string | null, limit: number): Promise<OnwardFollowUpRow[]> {
  const { rows } = await db.query<OnwardFollowUpRow>(
    `SELECT o.referral_id AS "referralId", o.service_name || coalesce(', ' || o.organisation_name, '') || ': ' || o.status AS what,
            to_char(coalesce(o.first_session_date, (o.status_changed_at + interval '14 days')::date), 'YYYY-MM-DD') AS due,
            p.given_name AS "givenName", p.family_name AS "familyName"
       FROM onward_referral o JOIN person p ON p.tenant_id = o.tenant_id AND p.id = o.person_id
      WHERE o.tenant_id = $1 AND ($2::uuid IS NULL OR o.created_by = $2) AND o.status IN ('sent', 'accepted', 'attending')
        AND NOT EXISTS (SELECT 1 FROM discharge d WHERE d.tenant_id = o.tenant_id AND d.referral_id = o.referral_id)
      ORDER BY due, "referralId"
      LIMIT $3`,
    [tenantId, createdBy, limit],
  );
  return rows;
}

export interface ResponseRow extends Omit<OnwardTransitionRow, 'fromStatus' | 'createdBy'> {
  givenName: string;
  familyName: string;
}

// A response is a service moving an onward referral the link worker sent: anything past "sent"
// that the link worker did not record themself.
const RESPONSE_WHERE = `t.tenant_id = $1 AND o.created_by = $2 AND t.occurred_at >= $3
  AND t.to_status NOT IN ('draft', 'sent', 'signposted') AND t.by_user_id IS DISTINCT FROM $2`;

/** Responses from services to a link worker's onward referrals since a moment, newest first, naming the person. */
export async function responsesTo(db: Db, tenantId: string, createdBy: string, since: Date, limit: number): Promise<ResponseRow[]> {
  const { rows } = await db.query<ResponseRow>(
    `SELECT t.onward_referral_id AS "onwardReferralId", t.to_status AS "toStatus", t.reason, u.name AS "byUserName",
            t.by_description AS "byDescription", t.occurred_at AS "occurredAt", o.referral_id AS "referralId", o.service_name AS "serviceName",
            o.organisation_name AS "organisationName", p.given_name AS "givenName", p.family_name AS "familyName"
       FROM onward_referral_transition t
       JOIN onward_referral o ON o.tenant_id = t.tenant_id AND o.id = t.onward_referral_id
       JOIN person p ON p.tenant_id = o.tenant_id AND p.id = o.person_id
       LEFT JOIN app_user u ON u.id = t.by_user_id
      WHERE ${RESPONSE_WHERE}
      ORDER BY t.occurred_at DESC, t.id LIMIT $4`,
    [tenantId, createdBy, since, limit],
  );
  return rows;
}

export async function responseCount(db: Db, tenantId: string, createdBy: string, since: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM onward_referral_transition t
       JOIN onward_referral o ON o.tenant_id = t.tenant_id AND o.id = t.onward_referral_id
      WHERE ${RESPONSE_WHERE}`,
    [tenantId, createdBy, since],
  );
  return rows[0]!.n;
}

/** When the user last opened a work list; undefined if never. */
export async function listSeenAt(db: Db, tenantId: string, userId: string, list: 'responses'): Promise<Date | undefined> {
  const { rows } = await db.query<{ seenAt: Date }>(
    'SELECT seen_at AS "seenAt" FROM work_list_seen WHERE tenant_id = $1 AND user_id = $2 AND list = $3',
    [tenantId, userId, list],
  );
  return rows[0]?.seenAt;
}

export async function markListSeen(db: Db, tenantId: string, userId: string, list: 'responses', at: Date): Promise<void> {
  await db.query(
    `INSERT INTO work_list_seen (tenant_id, user_id, list, seen_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, user_id, list) DO UPDATE SET seen_at = greatest(work_list_seen.seen_at, EXCLUDED.seen_at)`,
    [tenantId, userId, list, at],
  );
}

// Demo and benchmark data only: fictional onward referrals for generated referrals, written in bulk.

const ONWARD_REFERRALS_IN_BULK = bulkTable('onward_referral', {
  tenant_id: 'uuid',
  referral_id: 'uuid',
  person_id: 'uuid',
  kind: { as: "'refer'" },
  delivery: { as: "'email'" },
  service_id: { as: "'demo-' || md5(service_name)" },
  service_name: 'text',
  status: 'text',
  consent_recorded_at: { type: 'timestamptz', field: 'at' },
});

export type BulkOnward = BulkRow<typeof ONWARD_REFERRALS_IN_BULK>;

export const bulkInsertOnwardReferrals = (db: Db, rows: BulkOnward[]) => bulkInsert(db, ONWARD_REFERRALS_IN_BULK, rows);
