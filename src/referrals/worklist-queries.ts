import type { Db } from '../db/database.ts';
import type { ReferralStatus } from './lifecycle.ts';

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
