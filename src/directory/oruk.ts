import type { Db } from '../db/database.ts';
import { lookupPostcode, normalisePostcodeOrOutcode } from '../geo/postcodes.ts';
import { InvalidInput, NotFound, type FieldError } from '../web/errors.ts';
import { readDirectoryService } from './curation.ts';
import type { OrukPage, OrukService } from './oruk-types.ts';
import * as q from './queries.ts';
import * as sq from './search-queries.ts';

// The Open Referral UK 3.0 API: query checking, paging and shaping. Routes only pass the query in.

export const ORUK_API_DETAILS = {
  version: 'HSDS-UK-3.0',
  profile: 'https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md',
  openapi_url: 'https://raw.githubusercontent.com/OpenReferralUK/uk-profile/main/schema/openapi.json',
};

const DEFAULT_PER_PAGE = 50;
const MAX_PER_PAGE = 100;

type Query = Record<string, unknown>;

const PAGING = ['page', 'per_page'];
export const ALLOWED = {
  services: [...PAGING, 'search', 'taxonomy_term_id', 'taxonomy_id', 'organization_id', 'modified_after', 'minimum_age', 'maximum_age', 'day', 'start_time', 'end_time', 'full', 'minimal'],
  serviceAtLocations: [...PAGING, 'search', 'taxonomy_term_id', 'taxonomy_id', 'organization_id', 'modified_after', 'minimum_age', 'maximum_age', 'day', 'start_time', 'end_time', 'postcode', 'proximity', 'full'],
  taxonomies: [...PAGING],
  taxonomyTerms: [...PAGING, 'taxonomy_id', 'top_only', 'parent_id'],
  organizations: [...PAGING, 'full'],
  one: [] as string[],
};

/** Reads query parameters strictly: unknown names, repeats and bad values are a 400 naming them. */
class QueryReader {
  errors: FieldError[] = [];
  constructor(private readonly query: Query, allowed: string[]) {
    for (const [name, value] of Object.entries(query)) {
      if (!allowed.includes(name)) this.errors.push({ field: name, message: `Unknown parameter "${name}". Allowed: ${allowed.join(', ') || 'none'}.` });
      else if (typeof value !== 'string') this.errors.push({ field: name, message: `Give "${name}" once.` });
    }
  }

  private raw(name: string): string | undefined {
    const value = this.query[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  text(name: string, max = 200): string | undefined {
    const value = this.raw(name);
    if (value !== undefined && value.length > max) this.errors.push({ field: name, message: `"${name}" must be ${max} characters or fewer.` });
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
    const days: Record<string, string> = { MO: 'MO', TU: 'TU', WE: 'WE', TH: 'TH', FR: 'FR', SA: 'SA', SU: 'SU',
      MONDAY: 'MO', TUESDAY: 'TU', WEDNESDAY: 'WE', THURSDAY: 'TH', FRIDAY: 'FR', SATURDAY: 'SA', SUNDAY: 'SU' };
    if (!days[value]) this.errors.push({ field: name, message: `"${name}" must be a day, like MO or Monday.` });
    return days[value];
  }

  paging() {
    const page = this.integer('page', 1, 1_000_000) ?? 1;
    const perPage = this.integer('per_page', 1, MAX_PER_PAGE) ?? DEFAULT_PER_PAGE;
    return { page, perPage, offset: (page - 1) * perPage };
  }

  done() {
    if (this.errors.length) throw new InvalidInput(this.errors);
  }
}

function page<T>(contents: T[], total: number, pageNumber: number, perPage: number): OrukPage<T> {
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  return {
    total_items: total, total_pages: totalPages, page_number: pageNumber, size: contents.length,
    first_page: pageNumber === 1, last_page: pageNumber >= totalPages, empty: contents.length === 0, contents,
  };
}

function serviceFilters(r: QueryReader) {
  return {
    search: r.text('search'),
    taxonomyTermId: r.text('taxonomy_term_id', 100),
    taxonomyId: r.text('taxonomy_id', 100),
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
  const { page: pageNumber, perPage, offset } = r.paging();
  const filters = serviceFilters(r);
  const full = r.boolean('full');
  const minimal = r.boolean('minimal');
  r.done();
  const { ids, total } = await q.listServiceIds(db, { ...filters, limit: perPage, offset });
  if (minimal) {
    const summaries = await q.readServiceSummaries(db, ids);
    return page(summaries.map((s) => ({ id: s.id, last_modified: s.last_modified })), total, pageNumber, perPage);
  }
  const contents: OrukService[] = [];
  if (full) for (const id of ids) contents.push((await readDirectoryService(db, id))!);
  else contents.push(...(await q.readServiceSummaries(db, ids)));
  return page(contents, total, pageNumber, perPage);
}

export async function orukService(db: Db, id: string) {
  new QueryReader({}, ALLOWED.one).done();
  const service = await readDirectoryService(db, id);
  if (!service) throw new NotFound('service');
  return service;
}

export async function orukTaxonomies(db: Db, query: Query) {
  const r = new QueryReader(query, ALLOWED.taxonomies);
  const { page: pageNumber, perPage, offset } = r.paging();
  r.done();
  const { items, total } = await q.listTaxonomies(db, perPage, offset);
  return page(items, total, pageNumber, perPage);
}

export async function orukTaxonomy(db: Db, id: string) {
  const taxonomy = await q.readTaxonomy(db, id);
  if (!taxonomy) throw new NotFound('taxonomy');
  return taxonomy;
}

export async function orukTaxonomyTerms(db: Db, query: Query) {
  const r = new QueryReader(query, ALLOWED.taxonomyTerms);
  const { page: pageNumber, perPage, offset } = r.paging();
  const taxonomyId = r.text('taxonomy_id', 100);
  r.text('parent_id', 100);
  r.boolean('top_only');
  r.done();
  const { items, total } = await q.listTaxonomyTerms(db, perPage, offset, taxonomyId);
  return page(items, total, pageNumber, perPage);
}

export async function orukTaxonomyTerm(db: Db, id: string) {
  const term = await q.readTaxonomyTerm(db, id);
  if (!term) throw new NotFound('taxonomy term');
  return term;
}

async function serviceAtLocationItem(db: Db, id: string, full: boolean) {
  const link = await q.findServiceAtLocation(db, id);
  if (!link) return undefined;
  const service = full ? await readDirectoryService(db, link.serviceId) : (await q.readServiceSummaries(db, [link.serviceId]))[0];
  if (!service) return undefined;
  const fullService = full ? service : await readDirectoryService(db, link.serviceId);
  const sal = fullService?.service_at_locations?.find((s) => s.id === id);
  let location = sal?.location;
  if (location && !full) {
    const { addresses: _a, accessibility: _b, phones: _c, ...oneToOne } = location;
    location = oneToOne;
  }
  return q.compact({ id, service_id: link.serviceId, location_id: link.locationId, location, service });
}

/** Service-at-location pairs; with `postcode` (and `proximity` in metres) only those nearby, nearest first. */
export async function orukServiceAtLocations(db: Db, query: Query) {
  const r = new QueryReader(query, ALLOWED.serviceAtLocations);
  const { page: pageNumber, perPage, offset } = r.paging();
  const filters = serviceFilters(r);
  const postcode = r.text('postcode', 10);
  const proximity = r.integer('proximity', 1, 1_000_000);
  const full = r.boolean('full');
  if (postcode && !normalisePostcodeOrOutcode(postcode)) r.errors.push({ field: 'postcode', message: '"postcode" must be a UK postcode, like LS6 3AB.' });
  if (proximity !== undefined && !postcode) r.errors.push({ field: 'proximity', message: '"proximity" needs a "postcode" to measure from.' });
  r.done();
  let origin: { latitude: number; longitude: number } | undefined;
  if (postcode) {
    origin = await lookupPostcode(db, postcode);
    if (!origin) throw new InvalidInput([{ field: 'postcode', message: `We could not find the postcode "${postcode}".` }]);
  }
  const { rows, total } = await sq.listServiceAtLocations(db, {
    ...filters, origin, radiusMetres: proximity, limit: perPage, offset,
  });
  const contents = [];
  for (const row of rows) {
    const item = await serviceAtLocationItem(db, row.id, full);
    if (item) contents.push(item);
  }
  return page(contents, total, pageNumber, perPage);
}

export async function orukServiceAtLocation(db: Db, id: string) {
  const item = await serviceAtLocationItem(db, id, true);
  if (!item) throw new NotFound('service at location');
  return item;
}

export async function orukOrganizations(db: Db, query: Query) {
  const r = new QueryReader(query, ALLOWED.organizations);
  const { page: pageNumber, perPage, offset } = r.paging();
  r.boolean('full');
  r.done();
  const { orgs, total } = await q.listOrganizations(db, perPage, offset);
  return page(orgs, total, pageNumber, perPage);
}

export async function orukOrganization(db: Db, id: string) {
  const organization = await q.readOrganization(db, id);
  if (!organization) throw new NotFound('organization');
  const ids = await q.organizationServiceIds(db, id);
  return { ...organization, services: await q.readServiceSummaries(db, ids) };
}

/** Unknown query parameters on by-id endpoints are refused too. */
export function checkNoQuery(query: Query) {
  new QueryReader(query, ALLOWED.one).done();
}
