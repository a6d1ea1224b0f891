import type { Db } from '../../db/database.ts';
import { queryPlannedOnce } from '../../db/planned-once.ts';

/** Everything one directory search can ask; the pages, the ORUK API and link workers share it. */
export interface SearchFilters {
  text?: string;
  origin?: { latitude: number; longitude: number };
  /** Only services with a location within this many metres (services with no location still show). */
  radiusMetres?: number;
  needTermId?: string;
  taxonomyTermId?: string;
  cost?: 'free' | 'low';
  /** Two-letter iCalendar day (MO..SU) the service runs on. */
  day?: string;
  /** HH:MM: open at this time (on `day` when given). */
  time?: string;
  age?: number;
  wheelchair?: boolean;
  hearingLoop?: boolean;
  language?: string;
  deliveryTermId?: string;
  /** Also match names by trigram similarity (the fallback when full text finds nothing). */
  fuzzy?: boolean;
  /** Near a place, consider only this many nearest services (CANDIDATE_CAP unless given). */
  candidateCap?: number;
  limit: number;
  offset: number;
}

export interface SearchRow {
  id: string;
  name: string;
  description: string | null;
  organizationName: string | null;
  status: string;
  capacity: 'taking_referrals' | 'waiting_list' | 'full';
  expectedWaitWeeks: number | null;
  lastVerifiedAt: Date | null;
  /** Metres to the nearest location; null without an origin or for services with no location. */
  distance: number | null;
  maxCost: number | null;
  /** The weekly sessions, as the refresh function keeps them on the service row. */
  sessions: Array<Omit<ScheduleRow, 'serviceId'>>;
  /** Where to put it on a map: its nearest location to the origin, or any of its locations. */
  latitude: number | null;
  longitude: number | null;
  score: number;
  total: number;
  /** The search near a place stopped at the nearest CANDIDATE_CAP services (more matched). */
  capped: boolean;
}

/**
 * The most services a search near a place considers, nearest first: the dense-area case (every
 * service within 10 miles of central London, about 10,000) would otherwise rank and count them
 * all for a person who reads the first page. More than this says "more than" and offers to narrow.
 */
export const CANDIDATE_CAP = 500;

/** The price at or under which a service counts as low cost, in pounds per session. */
export const LOW_COST_LIMIT = 5;

// One statement: full text (weighted document, English stemming, websearch syntax) OR fuzzy name
// (pg_trgm word similarity, so "mindfullness" finds "Mindfulness"), filters as nullable
// parameters, and a score blending relevance with distance (relevance halves at 5 km). With an
// origin, candidates come from the service points near it (plus services with no location, such
// as phone lines), so only nearby rows are read. The tsquery is written as a scalar subquery so it
// is an InitPlan: parsed once per statement rather than once per candidate row.
const QUERY = `(SELECT websearch_to_tsquery('english', $1::text))`;

/** The words and terms asked for, on a row holding a search document, name and term ids. */
function wordsAndTerms(row: string): string {
  return `
     ($1::text IS NULL OR ${row}.search_document @@ ${QUERY} OR ($17::boolean AND $1::text <% ${row}.name))
     AND ($5::text IS NULL OR ${row}.term_ids @> ARRAY[$5::text])
     AND ($6::text IS NULL OR ${row}.term_ids @> ARRAY[$6::text])
     AND ($14::text IS NULL OR ${row}.term_ids @> ARRAY[$14::text])`;
}

// The filters only the service row and its records can answer.
const SERVICE_FILTERS = `
     ($7::numeric IS NULL OR NOT EXISTS (SELECT 1 FROM directory_cost_option c WHERE c.service_id = s.id AND c.amount > $7::numeric))
     AND ($8::text IS NULL AND $9::time IS NULL OR EXISTS (
           SELECT 1 FROM directory_schedule sc WHERE sc.service_id = s.id
              AND ($8::text IS NULL OR sc.byday ~ ('(^|,)' || $8::text || '($|,)'))
              AND ($9::time IS NULL OR (sc.opens_at <= $9::time AND sc.closes_at > $9::time))))
     AND ($10::numeric IS NULL OR ((s.minimum_age IS NULL OR s.minimum_age <= $10::numeric)
                                   AND (s.maximum_age IS NULL OR s.maximum_age >= $10::numeric)))
     AND (NOT $11::boolean OR EXISTS (
           SELECT 1 FROM directory_service_at_location x JOIN directory_accessibility ac ON ac.location_id = x.location_id
            WHERE x.service_id = s.id AND concat_ws(' ', ac.description, ac.details) ~* 'wheelchair|step-free|step free'))
     AND (NOT $12::boolean OR EXISTS (
           SELECT 1 FROM directory_service_at_location x JOIN directory_accessibility ac ON ac.location_id = x.location_id
            WHERE x.service_id = s.id AND concat_ws(' ', ac.description, ac.details) ~* '(hearing|induction) loop'))
     AND ($13::text IS NULL OR EXISTS (SELECT 1 FROM directory_language lg WHERE lg.service_id = s.id
                                        AND (lower(lg.name) = lower($13::text) OR lower(lg.code) = lower($13::text))))`;

const FILTERS = `s.status = 'active' AND ${wordsAndTerms('s')} AND ${SERVICE_FILTERS}`;

function relevance(row: string): string {
  return `CASE WHEN $1::text IS NULL THEN 1.0
              ELSE ts_rank_cd(${row}.search_document, ${QUERY}, 1) + word_similarity($1::text, ${row}.name) END`;
}

const MATCHED_COLUMNS = `s.id, s.name, s.description, s.organization_name, s.max_cost, s.sessions, s.status, s.capacity, s.expected_wait_weeks, s.last_verified_at,
         ${relevance('s')} AS relevance`;

// Near a place. The place's position, the box around its circle and the keys to read are
// functions of the parameters alone, so they are worked out once, as the statement is planned.
// Positions, boxes and distances are earthdistance's ll_to_earth, earth_box and earth_distance to
// the last bit, made cheaper (migration 0280).
const ORIGIN = `directory_search_position($2::float8, $3::float8)`;
const DISTANCE = `directory_search_metres(${ORIGIN}, directory_search_position(p.latitude, p.longitude))`;
const IN_BOX = `directory_search_position(p.latitude, p.longitude) <@ directory_search_box($2::float8, $3::float8, $4::float8)`;

/** The service points meeting `where` and the words and terms asked for, with their distance. */
function pointsWhere(where: string): string {
  return `
    SELECT p.service_id, p.latitude, p.longitude, p.search_document, p.name, ${DISTANCE} AS distance
      FROM directory_service_point p
     WHERE ${where} AND ${wordsAndTerms('p')}`;
}

// Each service's nearest point among those given, then only the CANDIDATE_CAP nearest of them.
// Services are told apart by their ids' bytes (COLLATE "C"), which is all DISTINCT ON needs.
function nearestServices(points: string): string {
  return `
  SELECT service_id, distance, latitude, longitude, search_document, name
    FROM (SELECT DISTINCT ON (p.service_id COLLATE "C") p.service_id, p.latitude, p.longitude, p.search_document, p.name, p.distance
            FROM (${points}) p
           ORDER BY p.service_id COLLATE "C", p.distance) near
   WHERE distance <= $4::float8
   ORDER BY distance
   LIMIT $18`;
}

// With words, or a need or type: the points under the search's keys (its words, else its term, in
// the cells reaching the circle), an exact index read of the few that can match. A fuzzy search,
// or a query the keys cannot serve, reads the box instead. The keys come from a function of the
// parameters in FROM, which the planner works out once and folds in as a constant, dropping the
// branch that is not needed; the index reads them as InitPlans, so the planner does not weigh
// hundreds of keys one by one (a search over 50 miles has 300 cells) and always reads the index.
const KEYED = `
WITH nearby AS (${nearestServices(`
    SELECT place.* FROM directory_search_near_keys(CASE WHEN $17::boolean THEN NULL ELSE $1::text END, coalesce($5::text, $6::text),
                                                   CASE WHEN $5::text IS NOT NULL THEN $6::text END, $2::float8, $3::float8, $4::float8) k (keys),
    LATERAL (${pointsWhere(`directory_search_point_keys(p.latitude, p.longitude, p.search_document, p.term_ids) && (SELECT k.keys[1:1])
       AND directory_search_point_keys(p.latitude, p.longitude, p.search_document, p.term_ids) && (SELECT k.keys[2:2])`)}
    UNION ALL ${pointsWhere(`k.keys IS NULL AND ${IN_BOX}`)}) place`)}
)`;

// Without words or a term: the nearest points first from the position index (K-nearest), twice
// the cap of them whatever they hold, so the scan stops there (with the box as a condition the
// planner would rather read the whole box and sort it). That answer is complete when it ran out of
// points or passed the radius, or found CANDIDATE_CAP services meeting the filters (a service with
// several locations can take more than one of those places); otherwise the whole box is read, as
// with words.
const NEAREST = `
WITH reached AS (
  SELECT p.service_id, p.latitude, p.longitude, p.search_document, p.name, p.term_ids, ${DISTANCE} AS distance
    FROM directory_service_point p
   ORDER BY directory_search_position(p.latitude, p.longitude) <-> ${ORIGIN}
   LIMIT 2 * $18::int
), reached_nearby AS (${nearestServices(`SELECT * FROM reached p WHERE ${wordsAndTerms('p')}`)}
), complete AS (
  SELECT (SELECT count(*) FROM reached) < 2 * $18::int OR (SELECT max(distance) FROM reached) > $4::float8
         OR (SELECT count(*) FROM reached_nearby) >= $18::int AS complete
), nearby AS (
  SELECT * FROM reached_nearby WHERE (SELECT complete FROM complete)
  UNION ALL
  SELECT * FROM (${nearestServices(pointsWhere(`NOT (SELECT complete FROM complete) AND ${IN_BOX}`))}) whole_box
)`;

// With no filter that only the service row can answer, the nearby services are ranked and counted
// from their points (which carry the service's own search document and name), with the services
// that have no location, and only the page shown is read from the service rows.
const RANKED_NEARBY = `, ranked AS (
  SELECT n.service_id AS id, n.name, n.distance, n.latitude, n.longitude, ${relevance('n')} AS relevance
    FROM nearby n
  UNION ALL
  SELECT s.id, s.name, NULL::float8, NULL::float8, NULL::float8, ${relevance('s')}
    FROM directory_service s
   WHERE s.status = 'active' AND NOT s.has_location AND ${wordsAndTerms('s')}
), page AS (
  SELECT r.id, r.name, r.distance, r.latitude, r.longitude, r.relevance / (1 + coalesce(r.distance, $4::float8) / 5000.0) AS score,
         count(*) OVER () AS total
    FROM ranked r
   -- This form is only for searches without those filters (searchSql picks it).
   WHERE $7::numeric IS NULL AND $8::text IS NULL AND $9::time IS NULL AND $10::numeric IS NULL
     AND NOT $11::boolean AND NOT $12::boolean AND $13::text IS NULL
   ORDER BY score DESC, r.distance NULLS LAST, r.name, r.id
   LIMIT $15 OFFSET $16
)
SELECT s.id, s.name, s.description, s.organization_name AS "organizationName", s.status, s.capacity,
       s.expected_wait_weeks AS "expectedWaitWeeks", s.last_verified_at AS "lastVerifiedAt", page.distance,
       s.max_cost AS "maxCost", s.sessions, page.latitude, page.longitude, page.score, page.total,
       (SELECT count(*) >= $18 FROM nearby) AS capped
  FROM page JOIN directory_service s ON s.id = page.id
 ORDER BY page.score DESC, page.distance NULLS LAST, page.name, page.id`;

// With such a filter, every nearby service (and those with no location) meets the service row's
// filters before ranking and counting.
const MATCHED_NEARBY = `, candidates AS (
  SELECT service_id AS id, distance, latitude, longitude FROM nearby
  UNION ALL
  SELECT s.id, NULL::float8, NULL::float8, NULL::float8 FROM directory_service s WHERE s.status = 'active' AND NOT s.has_location
), bound AS (
  SELECT count(*) >= $18 AS capped FROM nearby
), matched AS (
  SELECT ${MATCHED_COLUMNS}, c.distance, c.latitude, c.longitude
    FROM candidates c JOIN directory_service s ON s.id = c.id
   WHERE ${FILTERS}
)`;

const ANYWHERE = `
WITH bound AS (
  SELECT $18::int IS NULL AS capped
), matched AS (
  SELECT ${MATCHED_COLUMNS}, NULL::float8 AS distance, s.map_latitude AS latitude, s.map_longitude AS longitude
    FROM directory_service s
   WHERE ($2::float8 IS NULL OR $3::float8 IS NOT NULL) AND ${FILTERS}
)`;

// Everything shown comes from the matched rows themselves: no joins or subqueries per result.
const RANKED = `
SELECT m.id, m.name, m.description, m.organization_name AS "organizationName", m.status, m.capacity,
       m.expected_wait_weeks AS "expectedWaitWeeks", m.last_verified_at AS "lastVerifiedAt", m.distance,
       m.max_cost AS "maxCost", m.sessions, m.latitude, m.longitude,
       m.relevance / (1 + coalesce(m.distance, $4::float8) / 5000.0) AS score,
       count(*) OVER () AS total, (SELECT capped FROM bound) AS capped
  FROM matched m
 ORDER BY score DESC, m.distance NULLS LAST, m.name, m.id
 LIMIT $15 OFFSET $16`;

// Each statement is written once, so every search of a shape sends the same string: its prepared
// statement is found by its text, and the text is not rebuilt per search.
const STATEMENTS = {
  anywhere: ANYWHERE + RANKED,
  keyed: KEYED + RANKED_NEARBY,
  keyedWithServiceFilters: KEYED + MATCHED_NEARBY + RANKED,
  nearest: NEAREST + RANKED_NEARBY,
  nearestWithServiceFilters: NEAREST + MATCHED_NEARBY + RANKED,
};

/**
 * The search statement for these filters and their parameters: near an origin (reading the nearest
 * points when there are no words or term to look up; ranking from the points when no filter needs
 * the service row), or anywhere.
 */
function statementFor(f: SearchFilters, params: unknown[]): string {
  if (!f.origin) return STATEMENTS.anywhere;
  const keyed = !!(f.text || f.needTermId || f.taxonomyTermId || f.fuzzy);
  // Cost, day, time, age, wheelchair, hearing loop and language ($7 to $13), as the statement gets them.
  const serviceFilters = params.slice(6, 13).some((value) => value !== null && value !== false);
  if (keyed) return serviceFilters ? STATEMENTS.keyedWithServiceFilters : STATEMENTS.keyed;
  return serviceFilters ? STATEMENTS.nearestWithServiceFilters : STATEMENTS.nearest;
}

export function searchSql(f: SearchFilters): string {
  return statementFor(f, searchParameters(f));
}

export function searchParameters(f: SearchFilters): unknown[] {
  return [
    f.text ?? null,
    f.origin?.latitude ?? null,
    f.origin?.longitude ?? null,
    f.radiusMetres ?? 16093,
    f.needTermId ?? null,
    f.taxonomyTermId ?? null,
    f.cost === 'free' ? 0 : f.cost === 'low' ? LOW_COST_LIMIT : null,
    f.day ?? null,
    f.time ?? null,
    f.age ?? null,
    f.wheelchair ?? false,
    f.hearingLoop ?? false,
    f.language ?? null,
    f.deliveryTermId ?? null,
    f.limit,
    f.offset,
    f.fuzzy ?? false,
    f.candidateCap ?? CANDIDATE_CAP,
  ];
}

/**
 * Near a place, the statement costs more to plan than to run (about 1 ms against 1.5 ms at 100,000
 * services), and one plan made without the values suits every search, so it is planned once per
 * connection. Anywhere, the plan must see the values: a generic one read every service.
 */
function runSearch(db: Db, filters: SearchFilters) {
  const params = searchParameters(filters);
  const sql = statementFor(filters, params);
  return filters.origin ? queryPlannedOnce<SearchRow>(db, sql, params) : db.query<SearchRow>(sql, params);
}

/**
 * Full text first; only when it finds nothing are names matched fuzzily, so a misspelling such as
 * "mindfullness" still finds Mindfulness without every search paying for trigram comparisons.
 */
export async function searchServices(
  db: Db,
  filters: SearchFilters,
): Promise<{ rows: SearchRow[]; total: number; capped: boolean; fuzzy: boolean }> {
  const { rows } = await runSearch(db, { ...filters, fuzzy: false });
  if (rows.length === 0 && filters.text && filters.offset === 0) {
    const fuzzy = await runSearch(db, { ...filters, fuzzy: true });
    return { rows: fuzzy.rows, total: Number(fuzzy.rows[0]?.total ?? 0), capped: fuzzy.rows[0]?.capped ?? false, fuzzy: true };
  }
  return { rows, total: Number(rows[0]?.total ?? 0), capped: rows[0]?.capped ?? false, fuzzy: false };
}

export interface ScheduleRow {
  serviceId: string;
  byday: string | null;
  freq: string | null;
  opensAt: string | null;
  closesAt: string | null;
  description: string | null;
}

/**
 * Names of active services containing the words typed, best match first, for suggestions as a
 * person types. The name's trigram index serves the ILIKE; names shared by many services appear once.
 */
export async function suggestServiceNames(db: Db, text: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT name FROM (
       SELECT DISTINCT ON (lower(name)) name, word_similarity($1::text, name) AS similarity
         FROM directory_service
        WHERE status = 'active' AND name ILIKE '%' || $2::text || '%'
        ORDER BY lower(name), name) named
      ORDER BY similarity DESC, lower(name)
      LIMIT $3`,
    [text, text.replace(/[\\%_]/g, (c) => `\\${c}`), limit],
  );
  return rows.map((r) => r.name);
}
export interface ServiceCardRow {
  id: string;
  organizationId: string | null;
  email: string | null;
  lastVerifiedAt: Date | null;
  addresses: string[];
  termIds: string[];
}

/** For a page of search results at once: where each service runs, its email, last check and its terms. */
export async function listServiceCards(db: Db, ids: string[]): Promise<ServiceCardRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<ServiceCardRow>(
    `SELECT s.id, s.organization_id AS "organizationId", s.email, s.last_verified_at AS "lastVerifiedAt",
            coalesce((SELECT array_agg(concat_ws(', ', nullif(a.address_1, ''), nullif(a.city, ''), nullif(a.postal_code, '')) ORDER BY sal.id, a.id)
                        FROM directory_service_at_location sal JOIN directory_address a ON a.location_id = sal.location_id
                       WHERE sal.service_id = s.id), '{}') AS addresses,
            coalesce((SELECT array_agg(at.taxonomy_term_id ORDER BY at.id) FROM directory_attribute at
                       WHERE at.link_id = s.id AND at.link_entity = 'service'), '{}') AS "termIds"
       FROM directory_service s WHERE s.id = ANY($1::text[])`,
    [ids],
  );
  return rows;
}
