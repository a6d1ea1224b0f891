import { bulkInsert, bulkTable, type BulkRow } from '../db/bulk-insert.ts';
import type { Db } from '../db/database.ts';
import type { ReferralStatus } from './lifecycle.ts';
import type { ContactInput, ReferralInput } from './schema.ts';

// Every statement for referrals. Each runs inside withTenant (row-level security) and
// also names the tenant, so a query is right even where security is bypassed (the owner role).

/** Every referral of one person moved to another (a merge of two records of the same person). */
export async function movePersonReferrals(db: Db, tenantId: string, fromPersonId: string, toPersonId: string): Promise<number> {
  const { rowCount } = await db.query('UPDATE referral SET person_id = $3, version = version + 1 WHERE tenant_id = $1 AND person_id = $2', [
    tenantId,
    fromPersonId,
    toPersonId,
  ]);
  return rowCount ?? 0;
}

// Held referrals: see 0115_referral_matching.sql.

export type MatchReason = 'self_referral' | 'nhs_number_mismatch';
export type MatchDecision = 'same_person' | 'different_person';

export interface ReferralMatchRow {
  referralId: string;
  reason: MatchReason;
  submittedPersonId: string;
  nhsNumber: string | null;
  decision: MatchDecision | null;
  matchedPersonId: string | null;
  matchedPersonName: string | null;
  decidedByName: string | null;
  decidedAt: Date | null;
  consentsConfirmedAt: Date | null;
  consentsConfirmedByName: string | null;
  createdAt: Date;
}

export async function insertReferralMatch(
  db: Db,
  tenantId: string,
  m: { referralId: string; reason: MatchReason; submittedPersonId: string; nhsNumber: string | null },
): Promise<void> {
  await db.query(
    'INSERT INTO referral_match (tenant_id, referral_id, reason, submitted_person_id, nhs_number) VALUES ($1, $2, $3, $4, $5)',
    [tenantId, m.referralId, m.reason, m.submittedPersonId, m.nhsNumber],
  );
}

export async function findReferralMatch(
  db: Db,
  tenantId: string,
  referralId: string,
  options: { lock?: boolean } = {},
): Promise<ReferralMatchRow | undefined> {
  if (options.lock)
    await db.query('SELECT 1 FROM referral_match WHERE tenant_id = $1 AND referral_id = $2 FOR UPDATE', [tenantId, referralId]);
  const { rows } = await db.query<ReferralMatchRow>(
    `SELECT m.referral_id AS "referralId", m.reason, m.submitted_person_id AS "submittedPersonId", m.nhs_number AS "nhsNumber", m.decision,
            m.matched_person_id AS "matchedPersonId", mp.given_name || ' ' || mp.family_name AS "matchedPersonName", u.name AS "decidedByName",
            m.decided_at AS "decidedAt", m.consents_confirmed_at AS "consentsConfirmedAt", cu.name AS "consentsConfirmedByName",
            m.created_at AS "createdAt"
       FROM referral_match m
       LEFT JOIN person mp ON mp.tenant_id = m.tenant_id AND mp.id = m.matched_person_id
       LEFT JOIN app_user u ON u.id = m.decided_by
       LEFT JOIN app_user cu ON cu.id = m.consents_confirmed_by
      WHERE m.tenant_id = $1 AND m.referral_id = $2`,
    [tenantId, referralId],
  );
  return rows[0];
}

export async function recordMatchDecision(
  db: Db,
  tenantId: string,
  referralId: string,
  decision: MatchDecision,
  matchedPersonId: string,
  userId: string,
): Promise<void> {
  await db.query(
    `UPDATE referral_match SET decision = $3, matched_person_id = $4, decided_by = $5, decided_at = now()
      WHERE tenant_id = $1 AND referral_id = $2 AND decision IS NULL`,
    [tenantId, referralId, decision, matchedPersonId, userId],
  );
}

export async function markConsentsConfirmed(db: Db, tenantId: string, referralId: string, userId: string): Promise<void> {
  await db.query(
    'UPDATE referral_match SET consents_confirmed_by = $3, consents_confirmed_at = now() WHERE tenant_id = $1 AND referral_id = $2',
    [tenantId, referralId, userId],
  );
}

export async function moveReferral(db: Db, tenantId: string, referralId: string, personId: string): Promise<void> {
  await db.query('UPDATE referral SET person_id = $3, version = version + 1 WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    referralId,
    personId,
  ]);
}

export interface ReferralRow {
  id: string;
  tenantId: string;
  reference: string;
  personId: string;
  source: ReferralInput['source'];
  channel: ReferralInput['channel'];
  referrerUserId: string | null;
  referrerUserName: string | null;
  referrerUserEmail: string | null;
  referrerName: string | null;
  referrerOrganisation: string | null;
  referrerEmail: string | null;
  practiceId: string | null;
  practiceName: string | null;
  reasons: string[];
  context: string | null;
  urgency: ReferralInput['urgency'];
  consentToRefer: boolean;
  consentToShare: boolean;
  risk: string | null;
  status: ReferralStatus;
  assignedTo: string | null;
  assignedToName: string | null;
  nextAction: string | null;
  nextActionDue: string | null;
  notSuitableReason: string | null;
  redirectedTo: string | null;
  receivedAt: Date;
  statusChangedAt: Date;
  version: number;
  personPracticeId: string | null;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  nhsNumber: string | null;
}

const REFERRAL_COLUMNS = `r.id, r.tenant_id AS "tenantId", r.reference, r.person_id AS "personId", r.source, r.channel,
  r.referrer_user_id AS "referrerUserId", ru.name AS "referrerUserName", ru.email AS "referrerUserEmail", r.referrer_name AS "referrerName",
  r.referrer_organisation AS "referrerOrganisation", r.referrer_email AS "referrerEmail", r.practice_id AS "practiceId", pr.name AS "practiceName",
  r.reasons, r.context, r.urgency, r.consent_to_refer AS "consentToRefer", r.consent_to_share AS "consentToShare", r.risk, r.status,
  r.assigned_to AS "assignedTo", au.name AS "assignedToName", r.next_action AS "nextAction", r.next_action_due AS "nextActionDue",
  r.not_suitable_reason AS "notSuitableReason", r.redirected_to AS "redirectedTo", r.received_at AS "receivedAt",
  r.status_changed_at AS "statusChangedAt", r.version, p.practice_id AS "personPracticeId", p.given_name AS "givenName",
  p.family_name AS "familyName", p.date_of_birth AS "dateOfBirth", p.nhs_number AS "nhsNumber"`;

const REFERRAL_FROM = `referral r
  JOIN person p ON p.tenant_id = r.tenant_id AND p.id = r.person_id
  LEFT JOIN app_user ru ON ru.id = r.referrer_user_id
  LEFT JOIN app_user au ON au.id = r.assigned_to
  LEFT JOIN practice pr ON pr.tenant_id = r.tenant_id AND pr.id = r.practice_id`;

export async function insertReferral(
  db: Db,
  tenantId: string,
  r: ReferralInput & { reference: string; personId: string; referrerUserId: string | null; practiceId: string | null },
): Promise<{ id: string; receivedAt: Date }> {
  const { rows } = await db.query<{ id: string; receivedAt: Date }>(
    `INSERT INTO referral (tenant_id, reference, person_id, source, channel, referrer_user_id, referrer_name, referrer_organisation, referrer_email,
       practice_id, reasons, context, urgency, consent_to_refer, consent_to_share, risk)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     RETURNING id, received_at AS "receivedAt"`,
    [
      tenantId,
      r.reference,
      r.personId,
      r.source,
      r.channel,
      r.referrerUserId,
      r.referrerName,
      r.referrerOrganisation,
      r.referrerEmail,
      r.practiceId,
      r.reasons,
      r.context,
      r.urgency,
      r.consentToRefer,
      r.consentToShare,
      r.risk,
    ],
  );
  return rows[0]!;
}

export async function findReferral(
  db: Db,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<ReferralRow | undefined> {
  if (options.lock) await db.query('SELECT 1 FROM referral WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id]);
  const { rows } = await db.query<ReferralRow>(`SELECT ${REFERRAL_COLUMNS} FROM ${REFERRAL_FROM} WHERE r.tenant_id = $1 AND r.id = $2`, [
    tenantId,
    id,
  ]);
  return rows[0];
}

export async function referralsOfPeople(db: Db, tenantId: string, personIds: string[]): Promise<ReferralRow[]> {
  const { rows } = await db.query<ReferralRow>(
    `SELECT ${REFERRAL_COLUMNS} FROM ${REFERRAL_FROM} WHERE r.tenant_id = $1 AND r.person_id = ANY($2::uuid[]) ORDER BY r.received_at DESC`,
    [tenantId, personIds],
  );
  return rows;
}

export async function setStatus(
  db: Db,
  tenantId: string,
  id: string,
  status: ReferralStatus,
  extra: { notSuitableReason?: string | null; redirectedTo?: string | null } = {},
): Promise<void> {
  await db.query(
    `UPDATE referral SET status = $3, status_changed_at = now(), version = version + 1,
       not_suitable_reason = coalesce($4, not_suitable_reason), redirected_to = coalesce($5, redirected_to)
     WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, status, extra.notSuitableReason ?? null, extra.redirectedTo ?? null],
  );
}

export async function insertTransition(
  db: Db,
  tenantId: string,
  t: { referralId: string; from: ReferralStatus | null; to: ReferralStatus; byUserId: string | null; reason: string | null },
): Promise<void> {
  await db.query(
    // clock_timestamp, not now(): two steps in one transaction (triaged then allocated) must keep
    // their order. The first row keeps now(), the referral's own received_at.
    `INSERT INTO referral_transition (tenant_id, referral_id, from_status, to_status, by_user_id, reason, occurred_at)
     VALUES ($1, $2, $3::text, $4, $5, $6, CASE WHEN $3::text IS NULL THEN now() ELSE clock_timestamp() END)`,
    [tenantId, t.referralId, t.from, t.to, t.byUserId, t.reason],
  );
}

export interface TransitionRow {
  id: string;
  referralId: string;
  fromStatus: ReferralStatus | null;
  toStatus: ReferralStatus;
  occurredAt: Date;
  byUserName: string | null;
  reason: string | null;
}

export async function transitionsOf(db: Db, tenantId: string, referralIds: string[]): Promise<TransitionRow[]> {
  const { rows } = await db.query<TransitionRow>(
    `SELECT t.id, t.referral_id AS "referralId", t.from_status AS "fromStatus", t.to_status AS "toStatus", t.occurred_at AS "occurredAt",
            u.name AS "byUserName", t.reason
       FROM referral_transition t LEFT JOIN app_user u ON u.id = t.by_user_id
      WHERE t.tenant_id = $1 AND t.referral_id = ANY($2::uuid[]) ORDER BY t.occurred_at, t.id`,
    [tenantId, referralIds],
  );
  return rows;
}

export async function setAssignee(db: Db, tenantId: string, id: string, linkWorkerId: string): Promise<void> {
  await db.query('UPDATE referral SET assigned_to = $3, version = version + 1 WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    id,
    linkWorkerId,
  ]);
}

export async function insertAllocation(
  db: Db,
  tenantId: string,
  a: { referralId: string; linkWorkerId: string; previousLinkWorkerId: string | null; allocatedBy: string; reason: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO referral_allocation (tenant_id, referral_id, link_worker_id, previous_link_worker_id, allocated_by, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
    [tenantId, a.referralId, a.linkWorkerId, a.previousLinkWorkerId, a.allocatedBy, a.reason],
  );
}

export interface AllocationRow {
  id: string;
  referralId: string;
  linkWorkerName: string;
  previousLinkWorkerName: string | null;
  allocatedByName: string | null;
  allocatedAt: Date;
  reason: string | null;
}

export async function allocationsOf(db: Db, tenantId: string, referralIds: string[]): Promise<AllocationRow[]> {
  const { rows } = await db.query<AllocationRow>(
    `SELECT a.id, a.referral_id AS "referralId", lw.name AS "linkWorkerName", pw.name AS "previousLinkWorkerName", ab.name AS "allocatedByName",
            a.allocated_at AS "allocatedAt", a.reason
       FROM referral_allocation a JOIN app_user lw ON lw.id = a.link_worker_id
       LEFT JOIN app_user pw ON pw.id = a.previous_link_worker_id LEFT JOIN app_user ab ON ab.id = a.allocated_by
      WHERE a.tenant_id = $1 AND a.referral_id = ANY($2::uuid[]) ORDER BY a.allocated_at, a.id`,
    [tenantId, referralIds],
  );
  return rows;
}

export interface LinkWorkerLoad {
  userId: string;
  name: string;
  openReferrals: number;
  samePractice: number;
}

/** Link workers in the tenant with their open caseload, and how many of it is from one practice. */
export async function linkWorkerLoads(
  db: Db,
  tenantId: string,
  openStatuses: readonly string[],
  practiceId: string | null,
): Promise<LinkWorkerLoad[]> {
  const { rows } = await db.query<LinkWorkerLoad>(
    `SELECT u.id AS "userId", u.name,
            count(r.id)::int AS "openReferrals",
            count(r.id) FILTER (WHERE $3::uuid IS NOT NULL AND p.practice_id = $3)::int AS "samePractice"
       FROM role_membership m JOIN app_user u ON u.id = m.user_id AND u.active
       LEFT JOIN referral r ON r.tenant_id = m.tenant_id AND r.assigned_to = u.id AND r.status = ANY($2::text[])
       LEFT JOIN person p ON p.tenant_id = r.tenant_id AND p.id = r.person_id
      WHERE m.tenant_id = $1 AND m.role = 'link_worker'
      GROUP BY u.id, u.name ORDER BY u.name`,
    [tenantId, openStatuses, practiceId],
  );
  return rows;
}

export async function insertContact(db: Db, tenantId: string, referralId: string, c: ContactInput, recordedBy: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO contact (tenant_id, referral_id, outcome, mode, minutes, approach, notes, recorded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [tenantId, referralId, c.outcome, c.mode, c.minutes, c.approach, c.notes, recordedBy],
  );
  return rows[0]!.id;
}

export interface ContactRow extends ContactInput {
  id: string;
  referralId: string;
  occurredAt: Date;
  recordedByName: string | null;
}

export async function contactsOf(db: Db, tenantId: string, referralIds: string[]): Promise<ContactRow[]> {
  const { rows } = await db.query<ContactRow>(
    `SELECT c.id, c.referral_id AS "referralId", c.outcome, c.mode, c.minutes, c.approach, c.notes, c.occurred_at AS "occurredAt", u.name AS "recordedByName"
       FROM contact c LEFT JOIN app_user u ON u.id = c.recorded_by
      WHERE c.tenant_id = $1 AND c.referral_id = ANY($2::uuid[]) ORDER BY c.occurred_at DESC, c.created_at DESC`,
    [tenantId, referralIds],
  );
  return rows;
}

/** Failed attempts since the last contact made (all of them when none was made). */
export async function failedAttemptsSinceLastContact(db: Db, tenantId: string, referralId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM contact c
      WHERE c.tenant_id = $1 AND c.referral_id = $2 AND c.outcome = 'attempted'
        AND c.occurred_at > coalesce((SELECT max(occurred_at) FROM contact m WHERE m.tenant_id = $1 AND m.referral_id = $2 AND m.outcome = 'made'), '-infinity')`,
    [tenantId, referralId],
  );
  return rows[0]!.n;
}

export async function updateNextAction(
  db: Db,
  tenantId: string,
  id: string,
  version: number,
  nextAction: string | null,
  due: string | null,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE referral SET next_action = $4, next_action_due = $5, version = version + 1 WHERE tenant_id = $1 AND id = $2 AND version = $3`,
    [tenantId, id, version, nextAction, due],
  );
  return (rowCount ?? 0) > 0;
}

export async function tenantSettings(db: Db, tenantId: string): Promise<Record<string, unknown>> {
  const { rows } = await db.query<{ settings: Record<string, unknown> }>('SELECT settings FROM tenant WHERE id = $1', [tenantId]);
  return rows[0]?.settings ?? {};
}

export async function userName(db: Db, userId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM app_user WHERE id = $1', [userId]);
  return rows[0]?.name;
}

/** One referral as its referrer may see it: the same rule as their view (theirs or their practice's). */
export async function referralForReferrer(
  db: Db,
  tenantId: string,
  referralId: string,
  userId: string,
  practiceId: string | null,
): Promise<ReferralRow | undefined> {
  const { rows } = await db.query<ReferralRow>(
    `SELECT ${REFERRAL_COLUMNS} FROM ${REFERRAL_FROM}
      WHERE r.tenant_id = $1 AND r.id = $2 AND (r.referrer_user_id = $3 OR ($4::uuid IS NOT NULL AND r.practice_id = $4))`,
    [tenantId, referralId, userId, practiceId],
  );
  return rows[0];
}

// ---- Referrals a system sent ----

// A system (a GP system over FHIR) reads the referrals it sent. The caller names them: the ids come
// from the interop area's record of what each system sent.

export interface ReferralChange {
  id: string;
  personId: string;
  statusChangedAt: Date;
  /** Whether the status changed after the time asked about (always, when none was). */
  changedSince: boolean;
}

/**
 * Of these referrals, the person's and the one with this reference (null: any), with when each
 * last changed status. The comparison with `since` is made here, to the microsecond.
 */
export async function referralChangesAmong(
  db: Db,
  tenantId: string,
  referralIds: string[] | null,
  f: { personId: string | null; reference: string | null; since: Date | null },
): Promise<ReferralChange[]> {
  const { rows } = await db.query<ReferralChange>(
    `SELECT id, person_id AS "personId", status_changed_at AS "statusChangedAt",
            ($5::timestamptz IS NULL OR status_changed_at > $5::timestamptz) AS "changedSince"
       FROM referral
      WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
        AND ($3::uuid IS NULL OR person_id = $3::uuid)
        AND ($4::text IS NULL OR reference = $4::text)`,
    [tenantId, referralIds, f.personId, f.reference, f.since],
  );
  return rows;
}

export interface ReferralWithReason extends ReferralRow {
  /** The latest step's reason: why it was declined, not suitable, withdrawn. */
  statusReason: string | null;
}

export async function referralsWithReason(db: Db, tenantId: string, referralIds: string[]): Promise<ReferralWithReason[]> {
  const { rows } = await db.query<ReferralWithReason>(
    `SELECT ${REFERRAL_COLUMNS},
            (SELECT t.reason FROM referral_transition t WHERE t.tenant_id = r.tenant_id AND t.referral_id = r.id
              ORDER BY t.occurred_at DESC, t.id DESC LIMIT 1) AS "statusReason"
       FROM ${REFERRAL_FROM}
      WHERE r.tenant_id = $1 AND r.id = ANY($2::uuid[])`,
    [tenantId, referralIds],
  );
  return rows;
}

// ---- Work lists ----

// The lists of work: the triage queue, caseloads, the referrer's own referrals, new allocations.
// Each runs inside withTenant (row-level security) and also names the tenant.

export interface QueueRow {
  id: string;
  reference: string;
  personId: string;
  givenName: string;
  familyName: string;
  status: ReferralStatus;
  urgency: string;
  source: string;
  reasons: string[];
  receivedAt: Date;
  daysWaiting: number;
  practiceName: string | null;
  /** Held until a lead says whose referral it is. */
  needsMatching: boolean;
}

/**
 * What a person typed to find someone: a name (every word must appear in the person's names), an
 * NHS number (spaces ignored) or a referral reference. Null matches everyone.
 */
export interface PersonSearch {
  namePatterns: string[];
  nhsNumber: string | null;
  reference: string | null;
}

function searchParams(search: PersonSearch | null): [string[] | null, string | null, string | null] {
  return search ? [search.namePatterns, search.nhsNumber, search.reference] : [null, null, null];
}

// The referral's person is found through the trigram index on names (migration 0220) or the NHS
// number index; the expression must match the index's. Parameters $n..$n+2: patterns, NHS number, reference.
function searchClause(n: number): string {
  return `($${n}::text[] IS NULL OR r.reference = $${n + 2}::text OR r.person_id IN (
    SELECT sp.id FROM person sp WHERE sp.tenant_id = $1
       AND (sp.nhs_number = $${n + 1}::text
            OR lower(sp.given_name || ' ' || sp.family_name || ' ' || coalesce(sp.preferred_name, '')) LIKE ALL ($${n}::text[]))))`;
}

/** New and accepted-but-unallocated referrals: urgent first, then oldest first. */
export async function triageQueue(db: Db, tenantId: string, search: PersonSearch | null = null): Promise<QueueRow[]> {
  const { rows } = await db.query<QueueRow>(
    `SELECT r.id, r.reference, r.person_id AS "personId", p.given_name AS "givenName", p.family_name AS "familyName", r.status, r.urgency,
            r.source, r.reasons, r.received_at AS "receivedAt", (current_date - r.received_at::date) AS "daysWaiting",
            -- A subquery, not an outer join: Citus on PostgreSQL 15 refuses outer joins beside the search's constant conditions.
            (SELECT pr.name FROM practice pr WHERE pr.tenant_id = r.tenant_id AND pr.id = coalesce(r.practice_id, p.practice_id)) AS "practiceName",
            EXISTS (SELECT 1 FROM referral_match m WHERE m.tenant_id = r.tenant_id AND m.referral_id = r.id AND m.decision IS NULL) AS "needsMatching"
       FROM referral r JOIN person p ON p.tenant_id = $1 AND p.id = r.person_id
      WHERE r.tenant_id = $1 AND r.status IN ('received', 'triaged') AND ${searchClause(2)}
      ORDER BY CASE r.urgency WHEN 'urgent' THEN 0 WHEN 'soon' THEN 1 ELSE 2 END, r.received_at, r.id
      LIMIT 500`,
    [tenantId, ...searchParams(search)],
  );
  return rows;
}

export interface CaseloadRow {
  id: string;
  reference: string;
  personId: string;
  givenName: string;
  familyName: string;
  preferredName: string | null;
  status: ReferralStatus;
  urgency: string;
  assignedTo: string | null;
  assignedToName: string | null;
  receivedAt: Date;
  daysWaiting: number;
  nextAction: string | null;
  nextActionDue: string | null;
  overdue: boolean;
  lastContactAt: Date | null;
  lastContactOutcome: string | null;
  /** Over the whole filtered caseload, not just this page. */
  total: number;
  overdueTotal: number;
}

export const CASELOAD_SORTS = {
  waiting: 'r.received_at ASC, r.id',
  due: 'r.next_action_due ASC NULLS LAST, r.received_at ASC, r.id',
  name: 'p.family_name ASC, p.given_name ASC, r.id',
  contact: 'lc.occurred_at ASC NULLS FIRST, r.id',
} as const;

export type CaseloadSort = keyof typeof CASELOAD_SORTS;

const CASELOAD_COLUMNS = `r.id, r.reference, r.person_id AS "personId", p.given_name AS "givenName", p.family_name AS "familyName",
  p.preferred_name AS "preferredName", r.status, r.urgency, r.assigned_to AS "assignedTo", u.name AS "assignedToName",
  r.received_at AS "receivedAt", (current_date - r.received_at::date) AS "daysWaiting", r.next_action AS "nextAction",
  r.next_action_due AS "nextActionDue", coalesce(r.next_action_due < current_date, false) AS overdue,
  lc.occurred_at AS "lastContactAt", lc.outcome AS "lastContactOutcome"`;

// Joined tables name the tenant ($1) themselves rather than through r: on Citus that routes the
// whole statement, page included, to the tenant's one shard.
const CASELOAD_JOINS = `JOIN person p ON p.tenant_id = $1 AND p.id = r.person_id
  LEFT JOIN app_user u ON u.id = r.assigned_to
  LEFT JOIN LATERAL (SELECT c.occurred_at, c.outcome FROM contact c WHERE c.tenant_id = $1 AND c.referral_id = r.id
                      ORDER BY c.occurred_at DESC LIMIT 1) lc ON true`;

const CASELOAD_WHERE = `r.tenant_id = $1 AND r.status = ANY($2::text[]) AND r.assigned_to IS NOT NULL
  AND ($3::uuid IS NULL OR r.assigned_to = $3)
  AND (NOT $4::boolean OR r.next_action_due < current_date)
  AND ${searchClause(7)}`;

const CASELOAD_COUNTS = `count(*) OVER () AS total, count(*) FILTER (WHERE r.next_action_due < current_date) OVER () AS "overdueTotal"`;

export async function caseload(
  db: Db,
  tenantId: string,
  filter: {
    assignedTo: string | null;
    statuses: readonly string[];
    overdueOnly: boolean;
    sort: CaseloadSort;
    limit: number;
    offset: number;
    search?: PersonSearch | null;
  },
): Promise<CaseloadRow[]> {
  // The ORDER BY comes from a fixed map, never from the request. Sorts on the referral's own
  // columns pick the page first and join people and last contacts for those rows only: a planner
  // that misjudges a large caseload would otherwise read every person in the tenant.
  const order = CASELOAD_SORTS[filter.sort];
  const pageFirst = filter.sort === 'waiting' || filter.sort === 'due';
  const sql = pageFirst
    ? `WITH page AS MATERIALIZED (
         SELECT r.tenant_id, r.id, r.reference, r.person_id, r.status, r.urgency, r.assigned_to, r.received_at, r.next_action, r.next_action_due,
                ${CASELOAD_COUNTS}
           FROM referral r WHERE ${CASELOAD_WHERE} ORDER BY ${order} LIMIT $5 OFFSET $6)
       SELECT ${CASELOAD_COLUMNS}, r.total, r."overdueTotal" FROM page r ${CASELOAD_JOINS} ORDER BY ${order}`
    : `SELECT ${CASELOAD_COLUMNS}, ${CASELOAD_COUNTS} FROM referral r ${CASELOAD_JOINS} WHERE ${CASELOAD_WHERE} ORDER BY ${order} LIMIT $5 OFFSET $6`;
  const { rows } = await db.query<CaseloadRow>(sql, [
    tenantId,
    filter.statuses,
    filter.assignedTo,
    filter.overdueOnly,
    filter.limit,
    filter.offset,
    ...searchParams(filter.search ?? null),
  ]);
  return rows;
}

export interface ReferrerViewRow {
  id: string;
  reference: string;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  status: ReferralStatus;
  receivedAt: Date;
  statusChangedAt: Date;
  referrerUserName: string | null;
  assignedToName: string | null;
}

/** What a referrer may see: their own and their practice's referrals, status only. */
export async function referrerReferrals(db: Db, tenantId: string, userId: string, practiceId: string | null): Promise<ReferrerViewRow[]> {
  const { rows } = await db.query<ReferrerViewRow>(
    `SELECT r.id, r.reference, p.given_name AS "givenName", p.family_name AS "familyName", p.date_of_birth AS "dateOfBirth", r.status,
            r.received_at AS "receivedAt", r.status_changed_at AS "statusChangedAt", ru.name AS "referrerUserName", au.name AS "assignedToName"
       FROM referral r JOIN person p ON p.tenant_id = r.tenant_id AND p.id = r.person_id
       LEFT JOIN app_user ru ON ru.id = r.referrer_user_id LEFT JOIN app_user au ON au.id = r.assigned_to
      WHERE r.tenant_id = $1 AND (r.referrer_user_id = $2 OR ($3::uuid IS NOT NULL AND r.practice_id = $3))
      ORDER BY r.received_at DESC LIMIT 500`,
    [tenantId, userId, practiceId],
  );
  return rows;
}

export interface ReferrerPageRow extends ReferrerViewRow {
  /** Over every matching referral, not just this page. */
  total: number;
}

/** One page of the referrer's view, newest first, optionally narrowed by a search. */
export async function referrerReferralsPage(
  db: Db,
  tenantId: string,
  userId: string,
  practiceId: string | null,
  options: { search: PersonSearch | null; limit: number; offset: number },
): Promise<ReferrerPageRow[]> {
  const { rows } = await db.query<ReferrerPageRow>(
    `SELECT r.id, r.reference, p.given_name AS "givenName", p.family_name AS "familyName", p.date_of_birth AS "dateOfBirth", r.status,
            r.received_at AS "receivedAt", r.status_changed_at AS "statusChangedAt", ru.name AS "referrerUserName", au.name AS "assignedToName",
            count(*) OVER ()::int AS total
       FROM referral r JOIN person p ON p.tenant_id = $1 AND p.id = r.person_id
       LEFT JOIN app_user ru ON ru.id = r.referrer_user_id LEFT JOIN app_user au ON au.id = r.assigned_to
      WHERE r.tenant_id = $1 AND (r.referrer_user_id = $5 OR ($6::uuid IS NOT NULL AND r.practice_id = $6)) AND ${searchClause(2)}
      ORDER BY r.received_at DESC, r.id LIMIT $7 OFFSET $8`,
    [tenantId, ...searchParams(options.search), userId, practiceId, options.limit, options.offset],
  );
  return rows;
}

/** Referrals allocated to a link worker and not yet contacted: their new allocations. */
export async function newAllocations(
  db: Db,
  tenantId: string,
  linkWorkerId: string,
  limit: number,
): Promise<(QueueRow & { allocatedAt: Date; total: number })[]> {
  const { rows } = await db.query<QueueRow & { allocatedAt: Date; total: number }>(
    `SELECT r.id, r.reference, r.person_id AS "personId", p.given_name AS "givenName", p.family_name AS "familyName", r.status, r.urgency,
            r.source, r.reasons, r.received_at AS "receivedAt", (current_date - r.received_at::date) AS "daysWaiting", NULL AS "practiceName",
            false AS "needsMatching", r.status_changed_at AS "allocatedAt", count(*) OVER ()::int AS total
       FROM referral r JOIN person p ON p.tenant_id = $1 AND p.id = r.person_id
      WHERE r.tenant_id = $1 AND r.assigned_to = $2 AND r.status = 'allocated'
      ORDER BY CASE r.urgency WHEN 'urgent' THEN 0 WHEN 'soon' THEN 1 ELSE 2 END, r.status_changed_at, r.id
      LIMIT $3`,
    [tenantId, linkWorkerId, limit],
  );
  return rows;
}

/** How many referrals wait for triage or allocation, and how many of those are urgent. */
export async function triageCounts(db: Db, tenantId: string): Promise<{ waiting: number; urgent: number; oldestDays: number | null }> {
  const { rows } = await db.query<{ waiting: number; urgent: number; oldestDays: number | null }>(
    `SELECT count(*)::int AS waiting, count(*) FILTER (WHERE urgency = 'urgent')::int AS urgent,
            max(current_date - received_at::date) AS "oldestDays"
       FROM referral WHERE tenant_id = $1 AND status IN ('received', 'triaged')`,
    [tenantId],
  );
  return rows[0]!;
}

// ---- Drafts ----

// Staff referral drafts (the question pages' answers until "check your answers") and the tenant a
// public self-referral lands in.

export async function insertDraft(db: Db, tenantId: string, userId: string, answers: object): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO referral_draft (tenant_id, user_id, answers) VALUES ($1, $2, $3) RETURNING id',
    [tenantId, userId, JSON.stringify(answers)],
  );
  return rows[0]!.id;
}

export async function findDraft(db: Db, tenantId: string, userId: string, id: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await db.query<{ answers: Record<string, unknown> }>(
    `SELECT answers FROM referral_draft WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND created_at > now() - interval '7 days'`,
    [tenantId, userId, id],
  );
  return rows[0]?.answers;
}

export async function updateDraft(db: Db, tenantId: string, userId: string, id: string, answers: object): Promise<void> {
  await db.query('UPDATE referral_draft SET answers = $4 WHERE tenant_id = $1 AND user_id = $2 AND id = $3', [
    tenantId,
    userId,
    id,
    JSON.stringify(answers),
  ]);
}

export async function deleteDraft(db: Db, tenantId: string, id: string): Promise<void> {
  await db.query('DELETE FROM referral_draft WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
}

/** The tenant public self-referrals land in when none is configured: the first created. */
export async function firstTenantId(db: Db): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM tenant ORDER BY created_at, id LIMIT 1');
  return rows[0]?.id;
}

// ---- Bulk loading ----

// Bulk loading of referrals for the demo and the benchmark: one statement per table per chunk
// (src/db/bulk-insert.ts). Reasons travel as comma-joined text and are split in SQL.

const REFERRALS_IN_BULK = bulkTable('referral', {
  tenant_id: 'uuid',
  id: 'uuid',
  reference: 'text',
  person_id: 'uuid',
  source: 'text',
  channel: 'text',
  referrer_user_id: 'uuid?',
  practice_id: 'uuid?',
  reasons: { type: 'text', as: "string_to_array(reasons, ',')" },
  context: 'text?',
  urgency: 'text',
  consent_to_refer: { as: 'true' },
  consent_to_share: { as: 'true' },
  status: 'text',
  assigned_to: 'uuid?',
  next_action: 'text?',
  next_action_due: 'date?',
  not_suitable_reason: 'text?',
  redirected_to: 'text?',
  received_at: 'timestamptz',
  status_changed_at: 'timestamptz',
});

const TRANSITIONS_IN_BULK = bulkTable('referral_transition', {
  tenant_id: 'uuid',
  referral_id: 'uuid',
  from_status: { type: 'text?', field: 'from' },
  to_status: { type: 'text', field: 'to' },
  occurred_at: { type: 'timestamptz', field: 'at' },
  by_user_id: 'uuid?',
  reason: 'text?',
});

const ALLOCATIONS_IN_BULK = bulkTable('referral_allocation', {
  tenant_id: 'uuid',
  referral_id: 'uuid',
  link_worker_id: 'uuid',
  allocated_by: 'uuid?',
  allocated_at: { type: 'timestamptz', field: 'at' },
});

const CONTACTS_IN_BULK = bulkTable('contact', {
  tenant_id: 'uuid',
  referral_id: 'uuid',
  outcome: 'text',
  mode: 'text',
  minutes: 'int?',
  approach: 'text?',
  occurred_at: { type: 'timestamptz', field: 'at' },
  recorded_by: 'uuid?',
  created_at: { as: 'occurred_at' },
});

export type BulkReferral = BulkRow<typeof REFERRALS_IN_BULK>;
export type BulkTransition = BulkRow<typeof TRANSITIONS_IN_BULK>;
export type BulkAllocation = BulkRow<typeof ALLOCATIONS_IN_BULK>;
export type BulkContact = BulkRow<typeof CONTACTS_IN_BULK>;

export const bulkInsertReferrals = (db: Db, rows: BulkReferral[]) => bulkInsert(db, REFERRALS_IN_BULK, rows);
export const bulkInsertTransitions = (db: Db, rows: BulkTransition[]) => bulkInsert(db, TRANSITIONS_IN_BULK, rows);
export const bulkInsertAllocations = (db: Db, rows: BulkAllocation[]) => bulkInsert(db, ALLOCATIONS_IN_BULK, rows);
export const bulkInsertContacts = (db: Db, rows: BulkContact[]) => bulkInsert(db, CONTACTS_IN_BULK, rows);
