import type { Db } from '../../db/database.ts';
import { lookupPostcode, normalisePostcodeOrOutcode } from '../../geo/postcodes.ts';
import { InvalidInput, NotFound, type FieldError } from '../../web/errors.ts';
import { readDirectoryService } from '../curation/service.ts';
import type { OrukPage, OrukService } from './types.ts';
import * as q from '../queries.ts';
import * as orukq from './queries.ts';
import { CAPACITY_TAXONOMY_ID, capacityForTerm } from '../taxonomy.ts';

// The Open Referral UK 3.0 API: query checking, paging and shaping. Routes only pass the query in.

export const ORUK_API_DETAILS = {
  version: 'HSDS-UK-3.0',
  profile: 'https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md',
  openapi_url: 'https://raw.githubusercontent.com/OpenReferralUK/uk-profile/main/schema/openapi.json',
};

const DEFAULT_PER_PAGE = 50;
const MAX_PER_PAGE = 100;

type Query = Record<string, unknown>;

// The parameters of each endpoint: the union of the ORUK 3.0 OpenAPI and the HSDS 3.0 OpenAPI it profiles.
const PAGING = ['page', 'per_page', 'format'];
const SERVICE_FILTERS = [
  'search',
  'taxonomy_term_id',
  'taxonomy_id',
  'organization_id',
  'modified_after',
  'minimum_age',
  'maximum_age',
  'day',
  'start_time',
  'end_time',
];
export const ALLOWED = {
  services: [...PAGING, ...SERVICE_FILTERS, 'full', 'minimal'],
  serviceAtLocations: [...PAGING, ...SERVICE_FILTERS, 'postcode', 'proximity', 'full'],
  taxonomies: [...PAGING, 'search'],
  taxonomyTerms: [...PAGING, 'search', 'taxonomy_id', 'top_only', 'parent_id'],
  organizations: [...PAGING, 'search', 'full', 'full_service'],
  organization: ['full_service'],
  one: [] as string[],
};

/** `format=ndjson`: every result, one JSON object a line, without pages (HSDS 3.0 OpenAPI). */
export class NdjsonResult {
  constructor(readonly items: unknown[]) {}
  toString() {
    return this.items.map((item) => `${JSON.stringify(item)}\n`).join('');
  }
}

/** Rows fetched at a time when `format=ndjson` asks for everything, and the most it gives. */
const NDJSON_BATCH = 500;
export const NDJSON_MAX = 10_000;

/** Reads query parameters strictly: unknown names, repeats and bad values are a 400 naming them. */
class QueryReader {
  errors: FieldError[] = [];
  constructor(
    private readonly query: Query,
    allowed: string[],
  ) {
    for (const [name, value] of Object.entries(query)) {
      if (!allowed.includes(name))
        this.errors.push({ field: name, message: `Unknown parameter "${name}". Allowed: ${allowed.join(', ') || 'none'}.` });
      else if (typeof value !== 'string') this.errors.push({ field: name, message: `Give "${name}" once.` });
    }
  }

  private raw(name: string): string | undefined {
    const value = this.query[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  text(name: string, max = 200): string | undefined {
    const value = this.raw(name);
    if (value !== undefined && value.length > max)
      this.errors.push({ field: name, message: `"${name}" must be ${max} characters or fewer.` });
    return value;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.errors.push({ field: name, message: `"${name}" must be a whole number from ${min} to ${max}.` });
      return undefined;
    }
    return Number(value);
  }

  boolean(name: string): boolean {
    const value = this.raw(name);
    if (value === undefined) return false;
    if (value !== 'true' && value !== 'false') this.errors.push({ field: name, message: `"${name}" must be true or false.` });
    return value === 'true';
  }

  time(name: string): string | undefined {
    const value = this.raw(name);
    if (value !== undefined && !/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(value)) {
      this.errors.push({ field: name, message: `"${name}" must be a time like 09:30.` });
      return undefined;
    }
    return value;
  }

  dateTime(name: string): string | undefined {
    const value = this.raw(name);
    if (value !== undefined && (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(Date.parse(value)))) {
      this.errors.push({ field: name, message: `"${name}" must be a date or date-time like 2026-01-31T09:00:00Z.` });
      return undefined;
    }
    return value;
  }

  day(name: string): string | undefined {
    const value = this.raw(name)?.toUpperCase();
    if (value === undefined) return undefined;
    const days: Record<string, string> = {
      MO: 'MO',
      TU: 'TU',
      WE: 'WE',
      TH: 'TH',
      FR: 'FR',
      SA: 'SA',
      SU: 'SU',
      MONDAY: 'MO',
      TUESDAY: 'TU',
      WEDNESDAY: 'WE',
      THURSDAY: 'TH',
      FRIDAY: 'FR',
      SATURDAY: 'SA',
      SUNDAY: 'SU',
    };
    if (!days[value]) this.errors.push({ field: name, message: `"${name}" must be a day, like MO or Monday.` });
    return days[value];
  }

  oneOf<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const value = this.raw(name);
    if (value !== undefined && !choices.includes(value as T)) {
      this.errors.push({ field: name, message: `"${name}" must be one of ${choices.join(', ')}.` });
      return undefined;
    }
    return value as T | undefined;
  }

  paging() {
    const page = this.integer('page', 1, 1_000_000) ?? 1;
    const perPage = this.integer('per_page', 1, MAX_PER_PAGE) ?? DEFAULT_PER_PAGE;
    const ndjson = this.oneOf('format', ['json', 'ndjson']) === 'ndjson';
    if (ndjson && (this.raw('page') !== undefined || this.raw('per_page') !== undefined)) {
      this.errors.push({ field: 'format', message: '"format=ndjson" gives every result without pages; leave out "page" and "per_page".' });
    }
    return { page, perPage, offset: (page - 1) * perPage, ndjson };
  }

  done() {
    if (this.errors.length) throw new InvalidInput(this.errors);
  }
}

/**
 * Either one page of a listing, or (format=ndjson) every item of it: `fetch` reads `limit` items
 * from `offset` and says how many there are in all.
 */
async function listing<T>(
  paging: { page: number; perPage: number; offset: number; ndjson: boolean },
  fetch: (limit: number, offset: number) => Promise<{ items: T[]; total: number }>,
): Promise<OrukPage<T> | NdjsonResult> {
  if (!paging.ndjson) {
    const { items, total } = await fetch(paging.perPage, paging.offset);
    return page(items, total, paging.page, paging.perPage);
  }
  // One item is enough to learn the total (some listings count with a window over the rows read).
  const { total: expected } = await fetch(1, 0);
  if (expected > NDJSON_MAX) {
    throw new InvalidInput([
      {
        field: 'format',
        message: `"format=ndjson" gives at most ${NDJSON_MAX} results and this asks for ${expected}: narrow it, or use pages.`,
      },
    ]);
  }
  const all: T[] = [];
  for (let offset = 0; ; offset += NDJSON_BATCH) {
    const { items, total } = await fetch(NDJSON_BATCH, offset);
    all.push(...items);
    if (items.length < NDJSON_BATCH || all.length >= total) break;
  }
  return new NdjsonResult(all);
}

function page<T>(contents: T[], total: number, pageNumber: number, perPage: number): OrukPage<T> {
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  return {
    total_items: total,
    total_pages: totalPages,
    page_number: pageNumber,
    size: contents.length,
    first_page: pageNumber === 1,
    last_page: pageNumber >= totalPages,
    empty: contents.length === 0,
    contents,
  };
}

function serviceFilters(r: QueryReader) {
  const taxonomyTermId = r.text('taxonomy_term_id', 100);
  const taxonomyId = r.text('taxonomy_id', 100);
  // Capacity is a column, served as an attribute (curation.ts): its term filters by the column, and
  // its taxonomy is one every service carries.
  const capacity = taxonomyTermId ? capacityForTerm(taxonomyTermId) : undefined;
  return {
    search: r.text('search'),
    taxonomyTermId: capacity ? undefined : taxonomyTermId,
    capacity,
    taxonomyId: taxonomyId === CAPACITY_TAXONOMY_ID ? undefined : taxonomyId,
    organizationId: r.text('organization_id', 100),
    modifiedAfter: r.dateTime('modified_after'),
    minimumAge: r.integer('minimum_age', 0, 150),
    maximumAge: r.integer('maximum_age', 0, 150),
    day: r.day('day'),
    startTime: r.time('start_time'),
    endTime: r.time('end_time'),
  };
}

export async function orukServices(db: Db, query: Query) {
  const r = new QueryReader(query, ALLOWED.services);
  const paging = r.paging();
  const filters = serviceFilters(r);
  const full = r.boolean('full');
  const minimal = r.boolean('minimal');
  r.done();
  return listing<Partial<OrukService>>(paging, async (limit, offset) => {
    const { ids, total } = await orukq.listServiceIds(db, { ...filters, limit, offset });
    if (minimal) {
      const summaries = await orukq.readServiceSummaries(db, ids);
      return { items: summaries.map((s) => ({ id: s.id, last_modified: s.last_modified })), total };
    }
    const items: OrukService[] = [];
    if (full) for (const id of ids) items.push((await readDirectoryService(db, id))!);
    else items.push(...(await orukq.readServiceSummaries(db, ids)));
    return { items, total };
  });
}

export async function orukService(db: Db, id: string) {
  new QueryReader({}, ALLOWED.one).done();
  const service = await readDirectoryService(db, id);
  if (!service) throw new NotFound('service');
  return service;
}

export async function orukTaxonomies(db: Db, query: Query) {
  const r = new QueryReader(query, ALLOWED.taxonomies);
  const paging = r.paging();
  const search = r.text('search');
  r.done();
  return listing(paging, (limit, offset) => orukq.listTaxonomies(db, limit, offset, search));
}

export async function orukTaxonomy(db: Db, id: string) {
  const taxonomy = await q.readTaxonomy(db, id);
  if (!taxonomy) throw new NotFound('taxonomy');
  return taxonomy;
}

/** Taxonomy terms: `taxonomy_id`, `parent_id` (its children), `top_only=true` (terms without a parent), `search`. */
export async function orukTaxonomyTerms(db: Db, query: Query) {
  const r = new QueryReader(query, ALLOWED.taxonomyTerms);
  const paging = r.paging();
  const filters = {
    taxonomyId: r.text('taxonomy_id', 100),
    parentId: r.text('parent_id', 100),
    topOnly: r.boolean('top_only'),
    search: r.text('search'),
  };
  if (filters.topOnly && filters.parentId)
    r.errors.push({ field: 'top_only', message: '"top_only=true" lists terms without a parent, so it cannot go with "parent_id".' });
  r.done();
  return listing(paging, (limit, offset) => orukq.listTaxonomyTerms(db, limit, offset, filters));
}

export async function orukTaxonomyTerm(db: Db, id: string) {
  const term = await q.readTaxonomyTerm(db, id);
  if (!term) throw new NotFound('taxonomy term');
  return term;
}

async function serviceAtLocationItem(db: Db, id: string, full: boolean) {
  const link = await orukq.findServiceAtLocation(db, id);
  if (!link) return undefined;
  const service = full ? await readDirectoryService(db, link.serviceId) : (await orukq.readServiceSummaries(db, [link.serviceId]))[0];
  if (!service) return undefined;
  const fullService = full ? service : await readDirectoryService(db, link.serviceId);
  const sal = fullService?.service_at_locations?.find((s) => s.id === id);
  let location = sal?.location;
  if (location && !full) {
    const { addresses: _a, accessibility: _b, phones: _c, ...oneToOne } = location;
    location = oneToOne;
  }
  return q.compact({ id, service_id: link.serviceId, location_id: link.locationId, description: sal?.description, location, service });
}

/** Service-at-location pairs; with `postcode` (and `proximity` in metres) only those nearby, nearest first. */
export async function orukServiceAtLocations(db: Db, query: Query) {
  const r = new QueryReader(query, ALLOWED.serviceAtLocations);
  const paging = r.paging();
  const filters = serviceFilters(r);
  const postcode = r.text('postcode', 10);
  const proximity = r.integer('proximity', 1, 1_000_000);
  const full = r.boolean('full');
  if (postcode && !normalisePostcodeOrOutcode(postcode))
    r.errors.push({ field: 'postcode', message: '"postcode" must be a UK postcode, like LS6 3AB.' });
  if (proximity !== undefined && !postcode)
    r.errors.push({ field: 'proximity', message: '"proximity" needs a "postcode" to measure from.' });
  r.done();
  let origin: { latitude: number; longitude: number } | undefined;
  if (postcode) {
    origin = await lookupPostcode(db, postcode);
    if (!origin) throw new InvalidInput([{ field: 'postcode', message: `We could not find the postcode "${postcode}".` }]);
  }
  return listing(paging, async (limit, offset) => {
    const { rows, total } = await orukq.listServiceAtLocationIds(db, { ...filters, origin, radiusMetres: proximity, limit, offset });
    const items = [];
    for (const row of rows) {
      const item = await serviceAtLocationItem(db, row.id, full);
      if (item) items.push(item);
    }
    return { items, total };
  });
}

/**
 * One service at a location. The ORUK 3.0 OpenAPI (like HSDS 3.0's) answers this path with the
 * compiled service schema: the service, fully nested, whose service_at_locations holds only this
 * pair (with its full location and the pair's schedules).
 */
export async function orukServiceAtLocation(db: Db, id: string) {
  const link = await orukq.findServiceAtLocation(db, id);
  const service = link ? await readDirectoryService(db, link.serviceId) : undefined;
  if (!link || !service) throw new NotFound('service at location');
  return q.compact({
    ...service,
    service_at_locations: (service.service_at_locations ?? []).filter((sal) => sal.id === id),
    schedules: (service.schedules ?? []).filter((s) => !s.service_at_location_id || s.service_at_location_id === id),
  });
}

/** Organisations; `full=true` adds their services, `full_service=true` their services fully nested. */
export async function orukOrganizations(db: Db, query: Query) {
  const r = new QueryReader(query, ALLOWED.organizations);
  const paging = r.paging();
  const search = r.text('search');
  const full = r.boolean('full');
  const fullService = r.boolean('full_service');
  r.done();
  return listing(paging, async (limit, offset) => {
    const { orgs, total } = await orukq.listOrganizations(db, limit, offset, search);
    if (!full && !fullService) return { items: orgs, total };
    const items = [];
    for (const org of orgs) items.push({ ...org, services: await organizationServices(db, org.id, fullService) });
    return { items, total };
  });
}

async function organizationServices(db: Db, organizationId: string, full: boolean): Promise<OrukService[]> {
  const ids = await orukq.organizationServiceIds(db, organizationId);
  if (!full) return orukq.readServiceSummaries(db, ids);
  const services: OrukService[] = [];
  for (const id of ids) services.push((await readDirectoryService(db, id))!);
  return services;
}

/** One organisation with its services (fully nested with `full_service=true`). */
export async function orukOrganization(db: Db, id: string, query: Query = {}) {
  const r = new QueryReader(query, ALLOWED.organization);
  const fullService = r.boolean('full_service');
  r.done();
  const organization = await q.readOrganization(db, id);
  if (!organization) throw new NotFound('organization');
  return { ...organization, services: await organizationServices(db, id, fullService) };
}

/** Unknown query parameters on by-id endpoints are refused too. */
export function checkNoQuery(query: Query) {
  new QueryReader(query, ALLOWED.one).done();
}
