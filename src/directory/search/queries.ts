import type { Db } from '../../db/database.ts';

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
// parameters read from the service row, and a score blending relevance with distance (relevance
// halves at 5 km). With an origin, candidates come from the GiST earthdistance index on service
// points (plus services with no location, such as phone lines), so only nearby rows are read.
// The tsquery is written as a scalar subquery so it is an InitPlan: parsed once per statement
// rather than once per candidate row.
const FILTERS = `
     s.status = 'active'
     AND ($1::text IS NULL OR s.search_document @@ (SELECT websearch_to_tsquery('english', $1::text)) OR ($17::boolean AND $1::text <% s.name))
     AND ($5::text IS NULL OR s.term_ids @> ARRAY[$5::text])
     AND ($6::text IS NULL OR s.term_ids @> ARRAY[$6::text])
     AND ($14::text IS NULL OR s.term_ids @> ARRAY[$14::text])
     AND ($7::numeric IS NULL OR NOT EXISTS (SELECT 1 FROM directory_cost_option c WHERE c.service_id = s.id AND c.amount > $7::numeric))
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

const MATCHED_COLUMNS = `s.id, s.name, s.description, s.organization_name, s.max_cost, s.sessions, s.status, s.capacity, s.expected_wait_weeks, s.last_verified_at,
         CASE WHEN $1::text IS NULL THEN 1.0
              ELSE ts_rank_cd(s.search_document, (SELECT websearch_to_tsquery('english', $1::text)), 1) + word_similarity($1::text, s.name) END AS relevance`;

// Near a place: each service's nearest point in the box, then only the CANDIDATE_CAP nearest of
// them go on to the service row's filters, ranking and count.
const NEAR = `
WITH nearby AS (
  SELECT service_id, distance, latitude, longitude
    FROM (SELECT DISTINCT ON (p.service_id) p.service_id, p.latitude, p.longitude,
                 earth_distance(ll_to_earth($2::float8, $3::float8), ll_to_earth(p.latitude, p.longitude)) AS distance
            FROM directory_service_point p
           WHERE earth_box(ll_to_earth($2::float8, $3::float8), $4::float8) @> ll_to_earth(p.latitude, p.longitude)
             AND ($1::text IS NULL OR p.search_document @@ (SELECT websearch_to_tsquery('english', $1::text)) OR ($17::boolean AND $1::text <% p.name))
             AND ($5::text IS NULL OR p.term_ids @> ARRAY[$5::text])
             AND ($6::text IS NULL OR p.term_ids @> ARRAY[$6::text])
             AND ($14::text IS NULL OR p.term_ids @> ARRAY[$14::text])
           ORDER BY p.service_id, distance) near
   WHERE distance <= $4::float8
   ORDER BY distance
   LIMIT $18
), candidates AS (
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

/** The search statement: near an origin, or anywhere. */
export function searchSql(nearOrigin: boolean): string {
  return (nearOrigin ? NEAR : ANYWHERE) + RANKED;
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
 * Full text first; only when it finds nothing are names matched fuzzily, so a misspelling such as
 * "mindfullness" still finds Mindfulness without every search paying for trigram comparisons.
 */
export async function searchServices(
  db: Db,
  filters: SearchFilters,
): Promise<{ rows: SearchRow[]; total: number; capped: boolean; fuzzy: boolean }> {
  const { rows } = await db.query<SearchRow>(searchSql(!!filters.origin), searchParameters({ ...filters, fuzzy: false }));
  if (rows.length === 0 && filters.text && filters.offset === 0) {
    const fuzzy = await db.query<SearchRow>(searchSql(!!filters.origin), searchParameters({ ...filters, fuzzy: true }));
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
