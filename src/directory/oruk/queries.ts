import type { Db } from '../../db/database.ts';
import type { OrukOrganization, OrukService, OrukTaxonomy } from './types.ts';
import { compact, readOrganization, termJson, termSelect } from '../queries.ts';

// The ORUK API's lists: pages of ids in id order with their filters, and list items.

export interface LocationFilter {
  /** Part of the name, any case. */
  name?: string;
  /** A full postcode, without spaces (`LS63AB`). */
  postcode?: string;
  /** An outward code (`LS6`): everything before a postcode's three-character inward code. */
  outcode?: string;
}

/**
 * A page of locations where at least one active service is delivered, by name, with the total.
 * Stored postcodes are compared without spaces and case, as feeds write them every way.
 */
export async function listLocationIds(db: Db, f: LocationFilter, limit: number, offset: number): Promise<{ ids: string[]; total: number }> {
  const { rows } = await db.query<{ id: string; total: number }>(
    `SELECT l.id, count(*) OVER ()::int AS total
       FROM directory_location l
      WHERE EXISTS (SELECT 1 FROM directory_service_at_location sal JOIN directory_service s ON s.id = sal.service_id
                     WHERE sal.location_id = l.id AND s.status = 'active')
        AND ($1::text IS NULL OR strpos(lower(l.name), lower($1::text)) > 0)
        AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM directory_address a WHERE a.location_id = l.id
                                          AND upper(replace(a.postal_code, ' ', '')) = $2::text))
        AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM directory_address a WHERE a.location_id = l.id
                                          AND left(upper(replace(a.postal_code, ' ', '')), -3) = $3::text))
      ORDER BY l.name NULLS LAST, l.id
      LIMIT $4 OFFSET $5`,
    [f.name ?? null, f.postcode ?? null, f.outcode ?? null, limit, offset],
  );
  // A page past the last has no row to carry the window count: ask for the first row's.
  if (rows.length === 0 && offset > 0) return { ids: [], total: (await listLocationIds(db, f, 1, 0)).total };
  return { ids: rows.map((r) => r.id), total: rows[0]?.total ?? 0 };
}

export interface ServicePageOptions {
  limit: number;
  offset: number;
  search?: string;
  taxonomyTermId?: string;
  taxonomyId?: string;
  organizationId?: string;
  modifiedAfter?: string;
  minimumAge?: number;
  maximumAge?: number;
  day?: string;
  startTime?: string;
  endTime?: string;
  includeInactive?: boolean;
  /** Only services of this capacity (a capacity term is not an attribute row: see curation.ts). */
  capacity?: string;
}

const SERVICE_LIST_WHERE = `
      WHERE ($1::boolean OR s.status = 'active')
        AND ($2::text IS NULL OR s.search_document @@ websearch_to_tsquery('english', $2) OR $2 <% s.name)
        AND ($3::text IS NULL OR s.term_ids @> ARRAY[$3::text])
        AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM directory_attribute a JOIN directory_taxonomy_term t ON t.id = a.taxonomy_term_id
                                         WHERE a.link_id = s.id AND t.taxonomy_id = $4))
        AND ($5::text IS NULL OR s.organization_id = $5)
        AND ($6::timestamptz IS NULL OR s.last_modified >= $6)
        AND ($7::numeric IS NULL OR s.maximum_age IS NULL OR s.maximum_age >= $7)
        AND ($8::numeric IS NULL OR s.minimum_age IS NULL OR s.minimum_age <= $8)
        AND ($9::text IS NULL AND $10::time IS NULL AND $11::time IS NULL OR EXISTS (SELECT 1 FROM directory_schedule sc WHERE sc.service_id = s.id
              AND ($9::text IS NULL OR sc.byday ~ ('(^|,)' || $9 || '($|,)'))
              AND ($10::time IS NULL OR sc.closes_at IS NULL OR sc.closes_at > $10)
              AND ($11::time IS NULL OR sc.opens_at IS NULL OR sc.opens_at < $11)))
        AND ($14::text IS NULL OR s.capacity = $14)`;

/** The service filters' values, in the order both lists number their parameters. */
function serviceFilterValues(o: ServicePageOptions) {
  return [
    o.search ?? null,
    o.taxonomyTermId ?? null,
    o.taxonomyId ?? null,
    o.organizationId ?? null,
    o.modifiedAfter ?? null,
    o.minimumAge ?? null,
    o.maximumAge ?? null,
    o.day ?? null,
    o.startTime ?? null,
    o.endTime ?? null,
  ];
}

/**
 * A page of services in id order for the ORUK API and exports, with the total count. The count is
 * its own index-only query: a window count would read every matching row on every page.
 */
export async function listServiceIds(db: Db, o: ServicePageOptions): Promise<{ ids: string[]; total: number }> {
  const filters = [o.includeInactive ?? false, ...serviceFilterValues(o)];
  const capacity = o.capacity ?? null;
  const [{ rows }, count] = await Promise.all([
    db.query<{ id: string }>(`SELECT s.id FROM directory_service s ${SERVICE_LIST_WHERE} ORDER BY s.id LIMIT $12 OFFSET $13`, [
      ...filters,
      o.limit,
      o.offset,
      capacity,
    ]),
    // $12 and $13 are unused by the count; they keep the parameter numbers of the WHERE clause.
    db.query<{ total: number }>(
      `SELECT count(*) AS total FROM directory_service s ${SERVICE_LIST_WHERE} AND $12::int IS NULL AND $13::int IS NULL`,
      [...filters, null, null, capacity],
    ),
  ]);
  return { ids: rows.map((r) => r.id), total: count.rows[0]!.total };
}

/**
 * A page of ORUK service_at_locations with their total: with an origin, nearest first (within
 * `radiusMetres` when given). Term filters match attributes and the capacity every service carries.
 */
export async function listServiceAtLocationIds(
  db: Db,
  o: Omit<ServicePageOptions, 'includeInactive'> & {
    origin?: { latitude: number; longitude: number };
    radiusMetres?: number;
  },
): Promise<{ rows: Array<{ id: string; distance: number | null }>; total: number }> {
  const { rows } = await db.query<{ id: string; distance: number | null; total: number }>(
    `SELECT sal.id,
            CASE WHEN $14::float8 IS NULL OR l.latitude IS NULL THEN NULL
                 ELSE earth_distance(ll_to_earth($14::float8, $15::float8), ll_to_earth(l.latitude, l.longitude)) END AS distance,
            count(*) OVER () AS total
       FROM directory_service_at_location sal
       JOIN directory_service s ON s.id = sal.service_id
       JOIN directory_location l ON l.id = sal.location_id
      WHERE s.status = 'active'
        AND ($3::text IS NULL OR s.search_document @@ websearch_to_tsquery('english', $3::text) OR $3::text <% s.name)
        AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM directory_attribute a WHERE a.link_id = s.id AND a.taxonomy_term_id = $4::text))
        AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM directory_attribute a JOIN directory_taxonomy_term t ON t.id = a.taxonomy_term_id
                                         WHERE a.link_id = s.id AND t.taxonomy_id = $5::text))
        AND ($6::text IS NULL OR s.organization_id = $6::text)
        AND ($7::timestamptz IS NULL OR s.last_modified >= $7::timestamptz)
        AND ($8::numeric IS NULL OR s.maximum_age IS NULL OR s.maximum_age >= $8::numeric)
        AND ($9::numeric IS NULL OR s.minimum_age IS NULL OR s.minimum_age <= $9::numeric)
        AND ($10::text IS NULL AND $11::time IS NULL AND $12::time IS NULL OR EXISTS (SELECT 1 FROM directory_schedule sc WHERE sc.service_id = s.id
              AND ($10::text IS NULL OR sc.byday ~ ('(^|,)' || $10::text || '($|,)'))
              AND ($11::time IS NULL OR sc.closes_at IS NULL OR sc.closes_at > $11::time)
              AND ($12::time IS NULL OR sc.opens_at IS NULL OR sc.opens_at < $12::time)))
        AND ($14::float8 IS NULL OR $13::float8 IS NULL
             OR earth_box(ll_to_earth($14::float8, $15::float8), $13::float8) @> ll_to_earth(l.latitude, l.longitude)
                AND earth_distance(ll_to_earth($14::float8, $15::float8), ll_to_earth(l.latitude, l.longitude)) <= $13::float8)
        AND ($16::text IS NULL OR s.capacity = $16::text)
      ORDER BY distance NULLS LAST, sal.id
      LIMIT $1 OFFSET $2`,
    [
      o.limit,
      o.offset,
      ...serviceFilterValues(o),
      o.radiusMetres ?? null,
      o.origin?.latitude ?? null,
      o.origin?.longitude ?? null,
      o.capacity ?? null,
    ],
  );
  // A page past the last has no row to carry the window count: ask for the first row's.
  if (rows.length === 0 && o.offset > 0) return { rows, total: (await listServiceAtLocationIds(db, { ...o, limit: 1, offset: 0 })).total };
  return { rows, total: Number(rows[0]?.total ?? 0) };
}

/** The one-to-one fields of services (ORUK list items), in the order given. */
export async function readServiceSummaries(db: Db, ids: string[]): Promise<OrukService[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query(
    `SELECT s.id, s.organization_id, s.name, s.description, s.url, s.email, s.status, s.fees, s.accreditations, s.minimum_age, s.maximum_age,
            to_char(s.assured_date, 'YYYY-MM-DD') AS assured_date, s.assurer_email, s.alert,
            to_char(s.last_modified AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_modified,
            o.id AS org_id, o.name AS org_name, o.description AS org_description, o.email AS org_email, o.website AS org_website,
            o.logo AS org_logo, o.uri AS org_uri, o.parent_organization_id AS org_parent
       FROM directory_service s LEFT JOIN directory_organization o ON o.id = s.organization_id
      WHERE s.id = ANY ($1::text[])`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    const organization = r.org_id
      ? compact({
          id: r.org_id,
          name: r.org_name,
          description: r.org_description ?? '',
          email: r.org_email,
          website: r.org_website,
          logo: r.org_logo,
          uri: r.org_uri,
          parent_organization_id: r.org_parent,
        })
      : undefined;
    return [
      compact({
        id: r.id,
        organization_id: r.organization_id,
        name: r.name,
        description: r.description,
        url: r.url,
        email: r.email,
        status: r.status,
        fees: r.fees,
        accreditations: r.accreditations,
        minimum_age: r.minimum_age,
        maximum_age: r.maximum_age,
        assured_date: r.assured_date,
        assurer_email: r.assurer_email,
        alert: r.alert,
        last_modified: r.last_modified,
        organization,
      }) as OrukService,
    ];
  });
}

/** A page of organisations in id order; `search` matches the name (words or a close spelling). */
export async function listOrganizations(db: Db, limit: number, offset: number, search?: string) {
  const where = `WHERE ($1::text IS NULL OR o.name ILIKE '%' || $1 || '%' OR $1 <% o.name)`;
  const { rows } = await db.query<{ id: string }>(`SELECT o.id FROM directory_organization o ${where} ORDER BY o.id LIMIT $2 OFFSET $3`, [
    search ?? null,
    limit,
    offset,
  ]);
  const count = await db.query<{ c: number }>(`SELECT count(*)::int AS c FROM directory_organization o ${where}`, [search ?? null]);
  const orgs: OrukOrganization[] = [];
  for (const r of rows) orgs.push((await readOrganization(db, r.id))!);
  return { orgs, total: count.rows[0]!.c };
}

export async function organizationServiceIds(db: Db, organizationId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM directory_service WHERE organization_id = $1 ORDER BY id', [
    organizationId,
  ]);
  return rows.map((r) => r.id);
}

/** A page of taxonomies in id order; `search` matches the name or description. */
export async function listTaxonomies(db: Db, limit: number, offset: number, search?: string) {
  const where = `WHERE ($1::text IS NULL OR name ILIKE '%' || $1 || '%' OR description ILIKE '%' || $1 || '%')`;
  const { rows } = await db.query(
    `SELECT id, name, description, uri, version FROM directory_taxonomy ${where} ORDER BY id LIMIT $2 OFFSET $3`,
    [search ?? null, limit, offset],
  );
  const count = await db.query<{ c: number }>(`SELECT count(*)::int AS c FROM directory_taxonomy ${where}`, [search ?? null]);
  return { items: rows.map((r) => compact({ ...r, description: r.description ?? '' }) as OrukTaxonomy), total: count.rows[0]!.c };
}

export interface TermFilters {
  taxonomyId?: string;
  /** Only the children of this term. */
  parentId?: string;
  /** Only terms without a parent. */
  topOnly?: boolean;
  /** Words in the name, code or description. */
  search?: string;
}

const TERM_WHERE = `WHERE ($1::text IS NULL OR t.taxonomy_id = $1)
    AND ($2::text IS NULL OR t.parent_id = $2)
    AND (NOT $3::boolean OR t.parent_id IS NULL OR t.parent_id = '')
    AND ($4::text IS NULL OR t.name ILIKE '%' || $4 || '%' OR t.code ILIKE '%' || $4 || '%' OR t.description ILIKE '%' || $4 || '%')`;

/** A page of taxonomy terms in id order. */
export async function listTaxonomyTerms(db: Db, limit: number, offset: number, f: TermFilters = {}) {
  const filters = [f.taxonomyId ?? null, f.parentId ?? null, f.topOnly ?? false, f.search ?? null];
  const { rows } = await db.query(
    `SELECT ${termSelect} FROM directory_taxonomy_term t LEFT JOIN directory_taxonomy tx ON tx.id = t.taxonomy_id
      ${TERM_WHERE} ORDER BY t.id LIMIT $5 OFFSET $6`,
    [...filters, limit, offset],
  );
  const count = await db.query<{ c: number }>(`SELECT count(*)::int AS c FROM directory_taxonomy_term t ${TERM_WHERE}`, filters);
  return { items: rows.map((r) => termJson(r)), total: count.rows[0]!.c };
}

export async function findServiceAtLocation(db: Db, id: string): Promise<{ serviceId: string; locationId: string } | undefined> {
  const { rows } = await db.query<{ serviceId: string; locationId: string }>(
    'SELECT service_id AS "serviceId", location_id AS "locationId" FROM directory_service_at_location WHERE id = $1',
    [id],
  );
  return rows[0];
}
