import type { Db } from '../db/database.ts';
import { valuesList } from '../db/transaction.ts';

// The reporting read model is built from other areas' tables in one statement per table: that
// is what a read model is. Nothing else in Signpost reads those tables from here, and nothing
// here is read back by them.

/** Columns of reporting_referral_fact, in one place for the insert and the change check. */
const FACT_COLUMNS = [
  'practice_id',
  'source',
  'needs',
  'urgency',
  'received_month',
  'status',
  'first_contact_days',
  'discharge_days',
  'discharge_reason',
  'age_band',
  'sex',
  'ethnic_group',
  'imd_decile',
  'contact_attempts',
  'contacts_made',
  'contact_approaches',
  'onward_referrals',
  'onward_attended',
  'signposted',
  'link_worker_id',
  'contact_minutes',
  'contact_modes',
  'assessed',
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
export async function refreshReferralFacts(
  db: Db,
  tenantId: string,
  ethnicGroups: { codes: string[]; groups: string[] },
): Promise<RefreshCounts> {
  const columns = FACT_COLUMNS.join(', ');
  // PGlite has no autovacuum, so these tables may never have been analysed: the planner then
  // guesses a dozen rows and nests loops over thousands (27 s instead of 0.3 s for 6,000
  // referrals). Hash joins suit a whole-tenant rebuild whatever the statistics say; the setting
  // is transaction-local and put back straight after. Turning nested loops off adds a huge cost to
  // any plan that still needs one (an unnest), which pushes PostgreSQL's plan over its JIT
  // threshold: compiling took over a second on every statement here for a few milliseconds of
  // work, so JIT is off for the rest of a reporting transaction.
  await db.query(`SELECT set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)`);
  const { rows } = await db.query<RefreshCounts>(
    `WITH transitions AS (
       SELECT referral_id,
              min(occurred_at) FILTER (WHERE to_status = 'in_contact') AS first_contact_at,
              min(occurred_at) FILTER (WHERE to_status = 'discharged') AS discharged_at,
              bool_or(to_status = 'assessed') AS assessed
         FROM referral_transition WHERE tenant_id = $1 GROUP BY referral_id
     ), contacts AS (
       SELECT referral_id,
              count(*) FILTER (WHERE outcome = 'attempted')::int AS attempts,
              count(*) FILTER (WHERE outcome = 'made')::int AS made,
              coalesce(array_agg(DISTINCT approach ORDER BY approach) FILTER (WHERE approach IS NOT NULL), '{}') AS approaches,
              coalesce(sum(minutes) FILTER (WHERE outcome = 'made'), 0)::int AS minutes,
              coalesce(array_agg(DISTINCT mode ORDER BY mode) FILTER (WHERE outcome = 'made'), '{}') AS modes
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
              coalesce(o.referred, 0) AS onward_referrals, coalesce(o.attended, 0) AS onward_attended, coalesce(o.signposted, 0) AS signposted,
              r.assigned_to AS link_worker_id, coalesce(c.minutes, 0) AS contact_minutes, coalesce(c.modes, '{}') AS contact_modes,
              coalesce(t.assessed, false) AS assessed
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
    [tenantId, ethnicGroups.codes, ethnicGroups.groups],
  );
  await db.query(`SELECT set_config('enable_nestloop', 'on', true)`);
  return rows[0]!;
}

/**
 * Rebuilds one tenant's outcome facts: for each referral and measure with a baseline, the
 * baseline score and the follow-up (the discharge measure, else the latest review). ONS4 is four
 * measures, one per question, because ONS never adds them up. Same insert, update-if-changed and
 * delete-if-gone pattern as the referral facts.
 */
export async function refreshOutcomeFacts(db: Db, tenantId: string): Promise<number> {
  await db.query(`SELECT set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)`);
  const { rows } = await db.query<{ changed: number }>(
    `WITH scores AS (
       SELECT a.referral_id, a.timepoint, a.completed_at, a.created_at, x.measure, x.score
         FROM outcome_administration a
        CROSS JOIN LATERAL (VALUES
          ('swemwbs', CASE WHEN a.instrument = 'swemwbs' THEN a.metric_score END),
          ('ucla3', CASE WHEN a.instrument = 'ucla3' THEN a.raw_score::numeric END),
          ('ons4_life_satisfaction', CASE WHEN a.instrument = 'ons4' THEN (a.answers->>'life_satisfaction')::numeric END),
          ('ons4_worthwhile', CASE WHEN a.instrument = 'ons4' THEN (a.answers->>'worthwhile')::numeric END),
          ('ons4_happiness', CASE WHEN a.instrument = 'ons4' THEN (a.answers->>'happiness')::numeric END),
          ('ons4_anxiety', CASE WHEN a.instrument = 'ons4' THEN (a.answers->>'anxiety')::numeric END)) AS x(measure, score)
        WHERE a.tenant_id = $1 AND x.score IS NOT NULL
     ), follow_ups AS (
       SELECT DISTINCT ON (referral_id, measure) referral_id, measure, score, timepoint
         FROM scores WHERE timepoint <> 'baseline'
        ORDER BY referral_id, measure, timepoint = 'discharge' DESC, completed_at DESC, created_at DESC
     ), fresh AS (
       SELECT b.referral_id, b.measure, b.score AS baseline, f.score AS follow_up, f.timepoint AS follow_up_timepoint
         FROM scores b LEFT JOIN follow_ups f ON f.referral_id = b.referral_id AND f.measure = b.measure
        WHERE b.timepoint = 'baseline'
     ), gone AS (
       DELETE FROM reporting_outcome_fact o
        WHERE o.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM fresh WHERE fresh.referral_id = o.referral_id AND fresh.measure = o.measure)
       RETURNING 1
     ), written AS (
       INSERT INTO reporting_outcome_fact AS o (tenant_id, referral_id, measure, baseline, follow_up, follow_up_timepoint)
       SELECT $1, referral_id, measure, baseline, follow_up, follow_up_timepoint FROM fresh
       ON CONFLICT (tenant_id, referral_id, measure) DO UPDATE SET baseline = EXCLUDED.baseline, follow_up = EXCLUDED.follow_up,
              follow_up_timepoint = EXCLUDED.follow_up_timepoint
        WHERE (o.baseline, o.follow_up, o.follow_up_timepoint) IS DISTINCT FROM (EXCLUDED.baseline, EXCLUDED.follow_up, EXCLUDED.follow_up_timepoint)
       RETURNING 1
     )
     SELECT ((SELECT count(*) FROM written) + (SELECT count(*) FROM gone))::int AS changed`,
    [tenantId],
  );
  await db.query(`SELECT set_config('enable_nestloop', 'on', true)`);
  return rows[0]!.changed;
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
    [tenantId, refresh.refreshedAt, refresh.trigger, refresh.rowCount, refresh.changedRows, refresh.durationMs],
  );
}

export async function latestRefresh(db: Db, tenantId: string): Promise<RefreshRow | undefined> {
  const { rows } = await db.query<RefreshRow>(
    `SELECT refreshed_at AS "refreshedAt", trigger, row_count AS "rowCount", changed_rows AS "changedRows", duration_ms AS "durationMs"
       FROM reporting_refresh WHERE tenant_id = $1 ORDER BY refreshed_at DESC, id LIMIT 1`,
    [tenantId],
  );
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
    filterValues(tenantId, filter),
  );
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
  const { rows } = await db.query<{
    total: number;
    contacted: number;
    onwardReferrals: number;
    onwardAttended: number;
    signposted: number;
    p: number[] | null;
  }>(
    `SELECT count(*)::int AS total, count(first_contact_days)::int AS contacted,
            coalesce(sum(onward_referrals), 0)::int AS "onwardReferrals", coalesce(sum(onward_attended), 0)::int AS "onwardAttended",
            coalesce(sum(signposted), 0)::int AS signposted,
            percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY first_contact_days) AS p
       FROM reporting_referral_fact WHERE ${WHERE}`,
    filterValues(tenantId, filter),
  );
  const row = rows[0]!;
  const round = (v: number | undefined) => (v === undefined || v === null ? null : Math.round(Number(v) * 10) / 10);
  return {
    total: row.total,
    contacted: row.contacted,
    onwardReferrals: row.onwardReferrals,
    onwardAttended: row.onwardAttended,
    signposted: row.signposted,
    medianDays: round(row.p?.[0]),
    p90Days: round(row.p?.[1]),
  };
}

// ---------------------------------------------------------------------------------------------
// Outcomes, approaches, practice profiles and inequalities: all read from the read models.

/**
 * The evidence pages read whole tenants' read models; on PGlite, whose tables may never have
 * been analysed, the planner guesses one row and nests 900 index lookups where one hash join
 * does (a third of the time). Transaction-local, like the refresh's own setting; JIT off for the
 * reason given at the refresh (it cost 1-2 s per page on PostgreSQL for milliseconds of work).
 */
export async function preferHashJoins(db: Db): Promise<void> {
  await db.query(`SELECT set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)`);
}

export interface OutcomeRow {
  baseline: number;
  followUp: number;
  approaches: string[];
  contacts: number;
  ageBand: string;
  sex: string;
  imdQuintile: string;
  ethnicGroup: string;
  needs: string[];
  practiceId: string | null;
  linkWorkerId: string | null;
}

const codes = (list: string) => (list === '' ? [] : list.split(','));

/**
 * Every referral in the filter with a baseline and a follow-up of the measure: one row per person
 * the models fit. The code lists come as comma-joined text (codes are fixed and have no commas):
 * parsing 40,000 text arrays in node-postgres cost more than running the query.
 */
export async function pairedOutcomeRows(db: Db, tenantId: string, filter: FactFilter, measure: string): Promise<OutcomeRow[]> {
  const { rows } = await db.query<Omit<OutcomeRow, 'approaches' | 'needs'> & { approaches: string; needs: string }>(
    `SELECT o.baseline::float8 AS baseline, o.follow_up::float8 AS "followUp", array_to_string(f.contact_approaches, ',') AS approaches,
            f.contacts_made AS contacts, f.age_band AS "ageBand", coalesce(f.sex, 'not_recorded') AS sex,
            coalesce(((f.imd_decile + 1) / 2)::text, 'not_known') AS "imdQuintile", f.ethnic_group AS "ethnicGroup",
            array_to_string(f.needs, ',') AS needs, f.practice_id AS "practiceId", f.link_worker_id AS "linkWorkerId"
       FROM reporting_outcome_fact o
       JOIN reporting_referral_fact f ON f.tenant_id = o.tenant_id AND f.referral_id = o.referral_id
      WHERE o.tenant_id = $1 AND o.measure = $5 AND o.follow_up IS NOT NULL
        AND f.received_month BETWEEN $2::date AND $3::date AND ($4::uuid IS NULL OR f.practice_id = $4)`,
    [...filterValues(tenantId, filter), measure],
  );
  return rows.map((r) => ({ ...r, approaches: codes(r.approaches), needs: codes(r.needs) }));
}

const OUTCOME_JOIN = `FROM reporting_outcome_fact o
       JOIN reporting_referral_fact f ON f.tenant_id = o.tenant_id AND f.referral_id = o.referral_id
      WHERE o.tenant_id = $1 AND f.received_month BETWEEN $2::date AND $3::date AND ($4::uuid IS NULL OR f.practice_id = $4)`;

export interface PairCount {
  measure: string;
  baseline: number;
  /** Null for people with a baseline and no follow-up. */
  followUp: number | null;
  n: number;
}

/**
 * Every measure's baselines and follow-ups in the filter, counted by value: scores take a few
 * dozen values, so this is hundreds of rows however many people there are.
 */
export async function outcomePairCounts(db: Db, tenantId: string, filter: FactFilter): Promise<PairCount[]> {
  const { rows } = await db.query<PairCount>(
    `SELECT o.measure, o.baseline::float8 AS baseline, o.follow_up::float8 AS "followUp", count(*)::int AS n
       ${OUTCOME_JOIN} GROUP BY 1, 2, 3`,
    filterValues(tenantId, filter),
  );
  return rows;
}

export interface AttritionCount {
  ageBand: string;
  sex: string;
  ethnicGroup: string;
  imdQuintile: string;
  followed: boolean;
  n: number;
}

/** People with a baseline of the measure, followed up or not, counted by age band, sex, ethnic group and IMD quintile. */
export async function attritionCounts(db: Db, tenantId: string, filter: FactFilter, measure: string): Promise<AttritionCount[]> {
  const { rows } = await db.query<AttritionCount>(
    `SELECT f.age_band AS "ageBand", coalesce(f.sex, 'not_recorded') AS sex, f.ethnic_group AS "ethnicGroup",
            coalesce(((f.imd_decile + 1) / 2)::text, 'not_known') AS "imdQuintile", o.follow_up IS NOT NULL AS followed, count(*)::int AS n
       ${OUTCOME_JOIN} AND o.measure = $5 GROUP BY 1, 2, 3, 4, 5`,
    [...filterValues(tenantId, filter), measure],
  );
  return rows;
}

/** The same by need (a referral can name several, so these overlap). */
export async function attritionByNeed(
  db: Db,
  tenantId: string,
  filter: FactFilter,
  measure: string,
): Promise<{ need: string; followed: boolean; n: number }[]> {
  const { rows } = await db.query<{ need: string; followed: boolean; n: number }>(
    `SELECT need, followed, count(*)::int AS n
       FROM (SELECT f.needs, o.follow_up IS NOT NULL AS followed ${OUTCOME_JOIN} AND o.measure = $5) x
      CROSS JOIN LATERAL unnest(x.needs) AS need GROUP BY 1, 2`,
    [...filterValues(tenantId, filter), measure],
  );
  return rows;
}

export interface ProfileRow {
  key: string | null;
  referrals: number;
  contacted: number;
  contactsMade: number;
  minutes: number;
  medianFirstContactDays: number | null;
  onwardReferrals: number;
  onwardAttended: number;
  /** Referrals whose contacts used each approach. */
  approaches: Record<string, number>;
}

const PROFILE_KEYS = { practice: 'practice_id', linkWorker: 'link_worker_id' } as const;
export type ProfileKey = keyof typeof PROFILE_KEYS;

/**
 * Per practice or link worker: referrals, contacts, minutes, waits, onward referrals and approaches.
 * Grouped on the uuid itself (sorting its text form cost more than the rest), and the approaches
 * counted per distinct set of approaches before unnesting: a few hundred sets, not 50,000 rows.
 */
export async function profiles(db: Db, tenantId: string, filter: FactFilter, by: ProfileKey): Promise<ProfileRow[]> {
  const key = PROFILE_KEYS[by];
  const { rows } = await db.query<Omit<ProfileRow, 'approaches'> & { approaches: Record<string, number> | null }>(
    `WITH f AS (SELECT ${key} AS key, contact_approaches, first_contact_days, contacts_made, contact_minutes, onward_referrals, onward_attended
                  FROM reporting_referral_fact WHERE ${WHERE}),
     sets AS (SELECT key, contact_approaches, count(*)::int AS n FROM f GROUP BY 1, 2),
     mix AS (SELECT key, jsonb_object_agg(approach, n) AS approaches
               FROM (SELECT key, a AS approach, sum(n)::int AS n FROM sets CROSS JOIN unnest(contact_approaches) a GROUP BY 1, 2) x GROUP BY 1),
     totals AS (
       SELECT key, count(*)::int AS referrals, count(first_contact_days)::int AS contacted,
              coalesce(sum(contacts_made), 0)::int AS "contactsMade", coalesce(sum(contact_minutes), 0)::int AS minutes,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY first_contact_days)::float8 AS "medianFirstContactDays",
              coalesce(sum(onward_referrals), 0)::int AS "onwardReferrals", coalesce(sum(onward_attended), 0)::int AS "onwardAttended"
         FROM f GROUP BY 1)
     SELECT totals.key::text AS key, totals.referrals, totals.contacted, totals."contactsMade", totals.minutes, totals."medianFirstContactDays",
            totals."onwardReferrals", totals."onwardAttended", mix.approaches
       FROM totals LEFT JOIN mix ON mix.key IS NOT DISTINCT FROM totals.key`,
    filterValues(tenantId, filter),
  );
  return rows.map((r) => ({ ...r, approaches: r.approaches ?? {} }));
}

export interface EngagementRow {
  key: string;
  referrals: number;
  contacted: number;
  assessed: number;
  attendedOnward: number;
  discharged: number;
  goalsMet: number;
}

const GROUP_KEYS = {
  imdQuintile: DIMENSIONS.imdQuintile,
  ethnicGroup: DIMENSIONS.ethnicGroup,
  practice: `coalesce(practice_id::text, 'none')`,
} as const;
export type GroupKey = keyof typeof GROUP_KEYS;

/** Engagement by group: first contact, assessment, an onward referral attended, discharge and its reason. */
export async function engagementBy(db: Db, tenantId: string, filter: FactFilter, by: GroupKey): Promise<EngagementRow[]> {
  const { rows } = await db.query<EngagementRow>(
    `SELECT ${GROUP_KEYS[by]} AS key, count(*)::int AS referrals, count(first_contact_days)::int AS contacted,
            count(*) FILTER (WHERE assessed)::int AS assessed, count(*) FILTER (WHERE onward_attended > 0)::int AS "attendedOnward",
            count(*) FILTER (WHERE status = 'discharged')::int AS discharged,
            count(*) FILTER (WHERE discharge_reason = 'goals_met')::int AS "goalsMet"
       FROM reporting_referral_fact WHERE ${WHERE} GROUP BY 1`,
    filterValues(tenantId, filter),
  );
  return rows;
}

const POPULATION_KEYS = {
  imd_quintile: DIMENSIONS.imdQuintile,
  age_band: 'age_band',
  sex: `coalesce(sex, 'not_recorded')`,
  ethnic_group: DIMENSIONS.ethnicGroup,
} as const;

/** Referrals by practice and by one of the dimensions a registered population is entered in. */
export async function referralsByPracticeAnd(
  db: Db,
  tenantId: string,
  filter: FactFilter,
  dimension: PopulationDimensionCode,
): Promise<{ practiceId: string; key: string; referrals: number }[]> {
  const { rows } = await db.query<{ practiceId: string; key: string; referrals: number }>(
    `SELECT practice_id::text AS "practiceId", ${POPULATION_KEYS[dimension]} AS key, count(*)::int AS referrals
       FROM reporting_referral_fact WHERE ${WHERE} AND practice_id IS NOT NULL GROUP BY 1, 2`,
    filterValues(tenantId, filter),
  );
  return rows;
}

export interface PracticePopulationRow {
  practiceId: string;
  name: string;
  listSize: number | null;
  population: { dimension: string; category: string; people: number }[];
}

/** Each practice's registered list size and, where entered, its population by group. */
export async function practicePopulations(db: Db, tenantId: string): Promise<PracticePopulationRow[]> {
  const { rows } = await db.query<PracticePopulationRow>(
    `SELECT p.id AS "practiceId", p.name, p.list_size AS "listSize",
            coalesce((SELECT jsonb_agg(jsonb_build_object('dimension', pp.dimension, 'category', pp.category, 'people', pp.people))
                        FROM practice_population pp WHERE pp.tenant_id = p.tenant_id AND pp.practice_id = p.id), '[]') AS population
       FROM practice p WHERE p.tenant_id = $1 ORDER BY p.name`,
    [tenantId],
  );
  return rows;
}

export interface MonthlyRow {
  month: string;
  source: string;
  referrals: number;
}

/** Referrals by month and source, for the chart. */
export async function referralsByMonthAndSource(db: Db, tenantId: string, filter: FactFilter): Promise<MonthlyRow[]> {
  const { rows } = await db.query<MonthlyRow>(
    `SELECT to_char(received_month, 'YYYY-MM') AS month, source, count(*)::int AS referrals
       FROM reporting_referral_fact WHERE ${WHERE} GROUP BY 1, 2 ORDER BY 1, 2`,
    filterValues(tenantId, filter),
  );
  return rows;
}

export interface WaitingMonthRow {
  month: string;
  contacted: number;
  p25: number;
  median: number;
  p75: number;
  p90: number;
}

/** Days to first contact by month of referral: quartiles and the 90th percentile. */
export async function waitingByMonth(db: Db, tenantId: string, filter: FactFilter): Promise<WaitingMonthRow[]> {
  const { rows } = await db.query<{ month: string; contacted: number; p: number[] }>(
    `SELECT to_char(received_month, 'YYYY-MM') AS month, count(*)::int AS contacted,
            percentile_cont(ARRAY[0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY first_contact_days) AS p
       FROM reporting_referral_fact WHERE ${WHERE} AND first_contact_days IS NOT NULL GROUP BY 1 ORDER BY 1`,
    filterValues(tenantId, filter),
  );
  return rows.map((r) => ({
    month: r.month,
    contacted: r.contacted,
    p25: Number(r.p[0]),
    median: Number(r.p[1]),
    p75: Number(r.p[2]),
    p90: Number(r.p[3]),
  }));
}

export async function linkWorkerNames(db: Db, tenantId: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; name: string }>(
    `SELECT DISTINCT u.id, u.name FROM app_user u JOIN role_membership m ON m.user_id = u.id WHERE m.tenant_id = $1 AND m.role = 'link_worker'`,
    [tenantId],
  );
  return new Map(rows.map((r) => [r.id, r.name]));
}

export type PopulationDimensionCode = 'imd_quintile' | 'age_band' | 'sex' | 'ethnic_group';

/** A practice's list size, and its population by each dimension entered (replaced whole) or cleared. */
export async function setPracticePopulation(
  db: Db,
  tenantId: string,
  practiceId: string,
  listSize: number,
  entered: { dimension: PopulationDimensionCode; categories: string[]; people: number[] }[],
  cleared: PopulationDimensionCode[],
): Promise<void> {
  await db.query('UPDATE practice SET list_size = $3 WHERE tenant_id = $1 AND id = $2', [tenantId, practiceId, listSize]);
  await db.query(`DELETE FROM practice_population WHERE tenant_id = $1 AND practice_id = $2 AND dimension = ANY($3::text[])`, [
    tenantId,
    practiceId,
    [...cleared, ...entered.map((e) => e.dimension)],
  ]);
  for (const e of entered) {
    if (!e.categories.length) continue;
    await db.query(
      `INSERT INTO practice_population (tenant_id, practice_id, dimension, category, people) VALUES ${valuesList(e.categories.length, 5)}`,
      e.categories.flatMap((category, i) => [tenantId, practiceId, e.dimension, category, e.people[i]]),
    );
  }
}
