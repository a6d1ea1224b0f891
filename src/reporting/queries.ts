import type { Db } from '../db/database.ts';

// The reporting read model is built from other areas' tables in one statement per table: that
// is what a read model is. Nothing else in Signpost reads those tables from here, and nothing
// here is read back by them.

/** Columns of reporting_referral_fact, in one place for the insert and the change check. */
const FACT_COLUMNS = [
  'practice_id', 'source', 'needs', 'urgency', 'received_month', 'status', 'first_contact_days', 'discharge_days', 'discharge_reason',
  'age_band', 'sex', 'ethnic_group', 'imd_decile', 'contact_attempts', 'contacts_made', 'contact_approaches', 'onward_referrals',
  'onward_attended', 'signposted',
] as const;

const LONDON_DATE = (column: string) => `(${column} AT TIME ZONE 'Europe/London')::date`;

export interface RefreshCounts {
  rowCount: number;
  changedRows: number;
}

/**
 * Rebuilds one tenant's referral facts in one statement: computes every referral's row, inserts
 * new ones, updates only rows whose figures differ, and deletes rows whose referral is gone.
 * A second run with nothing new changes nothing.
 */
export async function refreshReferralFacts(db: Db, tenantId: string, ethnicGroups: { codes: string[]; groups: string[] }): Promise<RefreshCounts> {
  const columns = FACT_COLUMNS.join(', ');
  // PGlite has no autovacuum, so these tables may never have been analysed: the planner then
  // guesses a dozen rows and nests loops over thousands (27 s instead of 0.3 s for 6,000
  // referrals). Hash joins suit a whole-tenant rebuild whatever the statistics say; the setting
  // is transaction-local and put back straight after.
  await db.query(`SELECT set_config('enable_nestloop', 'off', true)`);
  const { rows } = await db.query<RefreshCounts>(
    `WITH transitions AS (
       SELECT referral_id,
              min(occurred_at) FILTER (WHERE to_status = 'in_contact') AS first_contact_at,
              min(occurred_at) FILTER (WHERE to_status = 'discharged') AS discharged_at
         FROM referral_transition WHERE tenant_id = $1 GROUP BY referral_id
     ), contacts AS (
       SELECT referral_id,
              count(*) FILTER (WHERE outcome = 'attempted')::int AS attempts,
              count(*) FILTER (WHERE outcome = 'made')::int AS made,
              coalesce(array_agg(DISTINCT approach ORDER BY approach) FILTER (WHERE approach IS NOT NULL), '{}') AS approaches
         FROM contact WHERE tenant_id = $1 GROUP BY referral_id
     ), onward AS (
       SELECT o.referral_id,
              count(*) FILTER (WHERE o.kind = 'refer')::int AS referred,
              count(*) FILTER (WHERE o.kind = 'refer' AND o.attended)::int AS attended,
              count(*) FILTER (WHERE o.kind = 'signpost')::int AS signposted
         FROM (SELECT o.referral_id, o.kind,
                      (o.status IN ('attending', 'completed')
                        OR EXISTS (SELECT 1 FROM onward_referral_transition t
                                    WHERE t.tenant_id = o.tenant_id AND t.onward_referral_id = o.id AND t.to_status IN ('attending', 'completed'))
                        OR EXISTS (SELECT 1 FROM onward_attendance a
                                    WHERE a.tenant_id = o.tenant_id AND a.onward_referral_id = o.id AND (a.attended OR coalesce(a.sessions_attended, 0) > 0))
                      ) AS attended
                 FROM onward_referral o WHERE o.tenant_id = $1) o
        GROUP BY o.referral_id
     ), fresh AS (
       SELECT r.tenant_id, r.id AS referral_id, r.practice_id, r.source, r.reasons AS needs, r.urgency,
              date_trunc('month', r.received_at AT TIME ZONE 'Europe/London')::date AS received_month,
              r.status,
              ${LONDON_DATE('t.first_contact_at')} - ${LONDON_DATE('r.received_at')} AS first_contact_days,
              ${LONDON_DATE('coalesce(t.discharged_at, d.discharged_at)')} - ${LONDON_DATE('r.received_at')} AS discharge_days,
              CASE WHEN r.status = 'discharged' THEN coalesce(d.reason, 'not_recorded') END AS discharge_reason,
              CASE WHEN a.years < 18 THEN '0-17' WHEN a.years < 25 THEN '18-24' WHEN a.years < 35 THEN '25-34'
                   WHEN a.years < 45 THEN '35-44' WHEN a.years < 55 THEN '45-54' WHEN a.years < 65 THEN '55-64'
                   WHEN a.years < 75 THEN '65-74' WHEN a.years < 85 THEN '75-84' ELSE '85+' END AS age_band,
              p.sex,
              coalesce(eg.grp, 'Not known') AS ethnic_group,
              p.deprivation_decile AS imd_decile,
              coalesce(c.attempts, 0) AS contact_attempts, coalesce(c.made, 0) AS contacts_made,
              coalesce(c.approaches, '{}') AS contact_approaches,
              coalesce(o.referred, 0) AS onward_referrals, coalesce(o.attended, 0) AS onward_attended, coalesce(o.signposted, 0) AS signposted
         FROM referral r
         JOIN person p ON p.tenant_id = r.tenant_id AND p.id = r.person_id
         CROSS JOIN LATERAL (SELECT extract(year FROM age(${LONDON_DATE('r.received_at')}, p.date_of_birth))::int AS years) a
         LEFT JOIN transitions t ON t.referral_id = r.id
         LEFT JOIN discharge d ON d.tenant_id = r.tenant_id AND d.referral_id = r.id
         LEFT JOIN contacts c ON c.referral_id = r.id
         LEFT JOIN onward o ON o.referral_id = r.id
         LEFT JOIN unnest($2::text[], $3::text[]) AS eg(code, grp) ON eg.code = p.ethnicity
        WHERE r.tenant_id = $1
     ), gone AS (
       DELETE FROM reporting_referral_fact f
        WHERE f.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM fresh WHERE fresh.referral_id = f.referral_id)
       RETURNING 1
     ), written AS (
       INSERT INTO reporting_referral_fact AS f (tenant_id, referral_id, ${columns})
       SELECT tenant_id, referral_id, ${columns} FROM fresh
       ON CONFLICT (tenant_id, referral_id) DO UPDATE SET ${FACT_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
        WHERE (${FACT_COLUMNS.map((c) => `f.${c}`).join(', ')}) IS DISTINCT FROM (${FACT_COLUMNS.map((c) => `EXCLUDED.${c}`).join(', ')})
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM fresh)::int AS "rowCount",
            ((SELECT count(*) FROM written) + (SELECT count(*) FROM gone))::int AS "changedRows"`,
    [tenantId, ethnicGroups.codes, ethnicGroups.groups]);
  await db.query(`SELECT set_config('enable_nestloop', 'on', true)`);
  return rows[0]!;
}

export interface RefreshRow {
  refreshedAt: Date;
  trigger: string;
  rowCount: number;
  changedRows: number;
  durationMs: number;
}

export async function insertRefresh(db: Db, tenantId: string, refresh: RefreshRow): Promise<void> {
  await db.query(
    `INSERT INTO reporting_refresh (tenant_id, refreshed_at, trigger, row_count, changed_rows, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
    [tenantId, refresh.refreshedAt, refresh.trigger, refresh.rowCount, refresh.changedRows, refresh.durationMs]);
}

export async function latestRefresh(db: Db, tenantId: string): Promise<RefreshRow | undefined> {
  const { rows } = await db.query<RefreshRow>(
    `SELECT refreshed_at AS "refreshedAt", trigger, row_count AS "rowCount", changed_rows AS "changedRows", duration_ms AS "durationMs"
       FROM reporting_refresh WHERE tenant_id = $1 ORDER BY refreshed_at DESC, id LIMIT 1`, [tenantId]);
  return rows[0];
}

export interface FactFilter {
  practiceId: string | null;
  /** First days of months, inclusive: 'YYYY-MM-01'. */
  fromMonth: string;
  toMonth: string;
}

const WHERE = `tenant_id = $1 AND received_month BETWEEN $2::date AND $3::date AND ($4::uuid IS NULL OR practice_id = $4)`;
const filterValues = (tenantId: string, f: FactFilter) => [tenantId, f.fromMonth, f.toMonth, f.practiceId];

/** What a breakdown groups by: fixed expressions, never user input. */
const DIMENSIONS = {
  month: `to_char(received_month, 'YYYY-MM')`,
  source: 'source',
  status: 'status',
  ethnicGroup: 'ethnic_group',
  imdQuintile: `coalesce(((imd_decile + 1) / 2)::text, 'not_known')`,
  dischargeReason: 'discharge_reason',
  need: 'unnest(needs)',
} as const;

export type Dimension = keyof typeof DIMENSIONS;

/** Counts of referrals by one dimension, within the filter. */
export async function countBy(db: Db, tenantId: string, filter: FactFilter, dimension: Dimension): Promise<Map<string, number>> {
  const expression = DIMENSIONS[dimension];
  const { rows } = await db.query<{ key: string | null; n: number }>(
    `SELECT ${expression} AS key, count(*)::int AS n FROM reporting_referral_fact WHERE ${WHERE} GROUP BY 1`,
    filterValues(tenantId, filter));
  return new Map(rows.filter((r) => r.key !== null).map((r) => [r.key!, r.n]));
}

export interface WaitingFigures {
  total: number;
  contacted: number;
  /** Social prescriptions of these referrals: onward referrals, how many attended, signposting. */
  onwardReferrals: number;
  onwardAttended: number;
  signposted: number;
  medianDays: number | null;
  p90Days: number | null;
}

/** How many referrals, how many reached a first contact, and the median and 90th percentile wait. */
export async function waitingFigures(db: Db, tenantId: string, filter: FactFilter): Promise<WaitingFigures> {
  const { rows } = await db.query<{ total: number; contacted: number; onwardReferrals: number; onwardAttended: number; signposted: number; p: number[] | null }>(
    `SELECT count(*)::int AS total, count(first_contact_days)::int AS contacted,
            coalesce(sum(onward_referrals), 0)::int AS "onwardReferrals", coalesce(sum(onward_attended), 0)::int AS "onwardAttended",
            coalesce(sum(signposted), 0)::int AS signposted,
            percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY first_contact_days) AS p
       FROM reporting_referral_fact WHERE ${WHERE}`, filterValues(tenantId, filter));
  const row = rows[0]!;
  const round = (v: number | undefined) => (v === undefined || v === null ? null : Math.round(Number(v) * 10) / 10);
  return {
    total: row.total, contacted: row.contacted, onwardReferrals: row.onwardReferrals, onwardAttended: row.onwardAttended, signposted: row.signposted,
    medianDays: round(row.p?.[0]), p90Days: round(row.p?.[1]),
  };
}
