import { isDeepStrictEqual } from 'node:util';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withSavepoint, withTransaction } from '../db/transaction.ts';
import { parseCsv } from '../geo/csv.ts';
import { readDirectoryService, writeDirectoryService } from './curation.ts';
import { readOrganization, upsertOrganization } from './queries.ts';
import type {
  OrukAddress, OrukAttribute, OrukContact, OrukFunding, OrukLocation, OrukOrganization, OrukOrganizationIdentifier, OrukPage, OrukPhone, OrukProgram,
  OrukRequiredDocument, OrukService, OrukServiceArea, OrukServiceAtLocation, OrukTaxonomyTerm,
} from './oruk-types.ts';

export interface ImportReport {
  added: string[];
  changed: string[];
  unchanged: string[];
  invalid: Array<{ id: string; reason: string }>;
  dryRun: boolean;
}

/** Thrown for a source that cannot be read at all; nothing is imported. */
export class ImportSourceError extends Error {}

const STATUSES = ['active', 'inactive', 'defunct', 'temporarily closed'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function isUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Why a record cannot be imported, or undefined when it can. */
export function problemWith(service: Partial<OrukService>): string | undefined {
  if (!service || typeof service !== 'object') return 'it is not an object';
  if (typeof service.id !== 'string' || !service.id.trim()) return 'it has no id';
  if (service.id.length > 100) return 'its id is longer than 100 characters';
  if (typeof service.name !== 'string' || !service.name.trim()) return 'it has no name';
  if (service.name.length > 300) return 'its name is longer than 300 characters';
  if (!STATUSES.includes(service.status as string)) return `its status "${String(service.status)}" is not one of ${STATUSES.join(', ')}`;
  if (service.email && !EMAIL.test(service.email)) return `its email "${service.email}" is not an email address`;
  if (service.url && !isUrl(service.url)) return `its url "${service.url}" is not a web address`;
  for (const age of ['minimum_age', 'maximum_age'] as const) {
    const value = service[age];
    if (value !== undefined && value !== null && (typeof value !== 'number' || value < 0)) return `its ${age} is not a number`;
  }
  const notList = (value: unknown) => value !== undefined && value !== null && !Array.isArray(value);
  for (const key of ['service_at_locations', 'schedules', 'cost_options', 'languages', 'contacts', 'phones', 'attributes', 'service_areas',
    'funding', 'required_documents'] as const) {
    if (notList(service[key])) return `its ${key} is not a list`;
  }
  if (service.program !== undefined && service.program !== null && (typeof service.program !== 'object' || Array.isArray(service.program))) return 'its program is not an object';
  for (const sal of service.service_at_locations ?? []) {
    if (!sal || typeof sal !== 'object') return 'a service_at_location is not an object';
    for (const key of ['addresses', 'accessibility', 'phones'] as const) if (notList(sal.location?.[key])) return `location ${sal.location?.id} has ${key} that is not a list`;
  }
  if (service.organization && (!service.organization.id || !service.organization.name)) return 'its organization has no id or name';
  if (service.organization?.email && !EMAIL.test(service.organization.email)) return `its organization email "${service.organization.email}" is not an email address`;
  for (const sal of service.service_at_locations ?? []) {
    if (!sal.id) return 'a service_at_location has no id';
    if (!sal.location?.id && !sal.location_id) return `service_at_location ${sal.id} has no location`;
    const l = sal.location;
    if (l && !['physical', 'postal', 'virtual'].includes(l.location_type)) return `location ${l.id} has location_type "${String(l.location_type)}"`;
    if (l && ((l.latitude !== undefined && l.latitude !== null && typeof l.latitude !== 'number')
      || (l.longitude !== undefined && l.longitude !== null && typeof l.longitude !== 'number'))) return `location ${l.id} has a latitude or longitude that is not a number`;
    if (l && ((l.latitude === undefined || l.latitude === null) !== (l.longitude === undefined || l.longitude === null))) return `location ${l.id} has only one of latitude and longitude`;
    for (const a of l?.addresses ?? []) {
      if (!a.id) return `an address of location ${l!.id} has no id`;
      if (a.address_type && !['physical', 'postal', 'virtual'].includes(a.address_type)) return `address ${a.id} has address_type "${a.address_type}"`;
    }
  }
  for (const s of service.schedules ?? []) {
    if (!s.id) return 'a schedule has no id';
    for (const t of [s.opens_at, s.closes_at]) if (t && !/^\d{2}:\d{2}(:\d{2})?/.test(t)) return `schedule ${s.id} has a time "${t}" that is not HH:MM`;
    if (s.freq && !['WEEKLY', 'MONTHLY'].includes(s.freq)) return `schedule ${s.id} has freq "${s.freq}"`;
  }
  for (const c of service.cost_options ?? []) {
    if (!c.id) return 'a cost option has no id';
    if (c.amount !== undefined && c.amount !== null && (typeof c.amount !== 'number' || c.amount < 0)) return `cost option ${c.id} has an amount that is not a number`;
  }
  for (const list of [service.languages, service.contacts, service.attributes, service.phones, service.service_areas, service.funding,
    service.required_documents, service.organization?.organization_identifiers, service.organization?.funding, service.organization?.programs]) {
    if (list !== undefined && !Array.isArray(list)) return 'a list (languages, contacts, funding, service areas...) is not a list';
    for (const item of list ?? []) if (!item || !(item as { id?: string }).id) return 'a language, contact, attribute, phone, service area, funding, required document, identifier or programme has no id';
  }
  for (const p of [service.program, ...(service.organization?.programs ?? [])]) {
    if (p && (!p.id || typeof p.name !== 'string' || !p.name.trim())) return `programme ${String(p.id)} has no id or name`;
  }
  for (const a of service.attributes ?? []) {
    if (!a.taxonomy_term?.id && !a.taxonomy_term_id) return `attribute ${a.id} has no taxonomy term`;
    if (a.taxonomy_term && !a.taxonomy_term.name) return `taxonomy term ${a.taxonomy_term.id} has no name`;
  }
  return undefined;
}

// Fields a service (or a service_at_location) has and an HSDS 3 organisation never does.
const SERVICE_ONLY = ['status', 'service_at_locations', 'schedules', 'cost_options', 'service_areas', 'organization', 'organization_id',
  'program', 'program_id', 'required_documents', 'fees', 'eligibility_description', 'service', 'url', 'accreditations', 'minimum_age',
  'maximum_age', 'assured_date', 'assurer_email', 'alert', 'last_modified', 'languages'];

/**
 * An organisation on its own (as organisation lists give them): it has a name and none of a
 * service's fields. A service that merely lacks its status still has others, and is reported invalid.
 */
export function isOrganizationRecord(record: unknown): record is OrukOrganization {
  return !!record && typeof record === 'object' && !Array.isArray(record) && typeof (record as { name?: unknown }).name === 'string'
    && !SERVICE_ONLY.some((key) => key in record);
}

function problemWithOrganization(org: OrukOrganization): string | undefined {
  if (typeof org.id !== 'string' || !org.id.trim()) return 'it has no id';
  if (org.id.length > 100) return 'its id is longer than 100 characters';
  if (!org.name.trim() || org.name.length > 300) return 'its name is empty or longer than 300 characters';
  if (org.email && !EMAIL.test(org.email)) return `its email "${org.email}" is not an email address`;
  for (const list of [org.organization_identifiers, org.funding, org.programs]) {
    if (list !== undefined && !Array.isArray(list)) return 'a list (identifiers, funding, programmes) is not a list';
    for (const item of list ?? []) if (!item || !(item as { id?: string }).id) return 'an identifier, funding or programme has no id';
  }
  for (const p of org.programs ?? []) if (typeof p.name !== 'string' || !p.name.trim()) return `programme ${p.id} has no name`;
  return undefined;
}

/**
 * Imports full services (and organisations on their own) in ONE transaction. Each record is written inside a savepoint and compared
 * with what was there before, so a re-run reports everything unchanged; a record that is invalid
 * (or that the database refuses) is skipped and reported with its reason. A dry run does all of
 * this and rolls back, so its report is exactly what a real run would do.
 */
export async function importServices(pool: pg.Pool, services: unknown[], options: { sourceFeed: string; dryRun?: boolean }): Promise<ImportReport> {
  const report: ImportReport = { added: [], changed: [], unchanged: [], invalid: [], dryRun: options.dryRun ?? false };
  const rollback = new Error('dry run');
  try {
    await withTransaction(pool, async (tx) => {
      for (const raw of services) {
        if (isOrganizationRecord(raw)) {
          await importOrganization(tx, raw, options.sourceFeed, report);
          continue;
        }
        const service = raw as OrukService;
        const problem = problemWith(service);
        const id = typeof service?.id === 'string' && service.id ? service.id : `(record ${services.indexOf(raw) + 1})`;
        if (problem) {
          report.invalid.push({ id, reason: problem });
          continue;
        }
        try {
          await withSavepoint(tx, async () => {
            const before = await readDirectoryService(tx, service.id);
            await writeDirectoryService(tx, service, { sourceFeed: options.sourceFeed });
            const after = await readDirectoryService(tx, service.id);
            if (!before) report.added.push(service.id);
            else if (isDeepStrictEqual(before, after)) report.unchanged.push(service.id);
            else report.changed.push(service.id);
          });
        } catch (error) {
          report.invalid.push({ id, reason: `the database refused it: ${(error as Error).message}` });
        }
      }
      if (options.dryRun) throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  return report;
}

async function importOrganization(tx: Db, org: OrukOrganization, sourceFeed: string, report: ImportReport) {
  const problem = problemWithOrganization(org);
  if (problem) {
    report.invalid.push({ id: typeof org.id === 'string' && org.id ? org.id : '(organisation)', reason: `organisation: ${problem}` });
    return;
  }
  try {
    await withSavepoint(tx, async () => {
      const before = await readOrganization(tx, org.id);
      await upsertOrganization(tx, org, { feed: sourceFeed });
      const after = await readOrganization(tx, org.id);
      if (!before) report.added.push(org.id);
      else if (isDeepStrictEqual(before, after)) report.unchanged.push(org.id);
      else report.changed.push(org.id);
    });
  } catch (error) {
    report.invalid.push({ id: org.id, reason: `the database refused it: ${(error as Error).message}` });
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ImportSourceError(`Could not read ${file} as JSON: ${(error as Error).message}`);
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => !!value && typeof value === 'object' && !Array.isArray(value);

/**
 * The services in one item of a document: a service; an organisation with its services (each
 * given the organisation); or a service_at_location with its service (given that pair).
 */
function servicesInItem(item: unknown): unknown[] {
  if (!isObject(item)) return [item];
  if (Array.isArray(item.services) && !('status' in item)) {
    const { services, ...organization } = item;
    return (services as unknown[]).map((s) => (isObject(s) && !s.organization ? { ...s, organization } : s));
  }
  if (isObject(item.service) && !('status' in item)) {
    const { service, ...pair } = item;
    const pairs = Array.isArray(service.service_at_locations) ? service.service_at_locations as Json[] : [];
    const known = pairs.some((p) => isObject(p) && p.id === pair.id);
    return [{ ...service, service_at_locations: known ? pairs : [...pairs, { ...pair, service_id: service.id }] }];
  }
  return [item];
}

/**
 * The services in one ORUK JSON document: a page, a list, or a single record, where each record
 * is a service, an organisation with its services, or a service_at_location with its service.
 */
export function servicesInDocument(document: unknown): unknown[] {
  if (Array.isArray(document)) return document.flatMap(servicesInItem);
  if (document && typeof document === 'object') {
    const page = document as Partial<OrukPage<unknown>>;
    if (Array.isArray(page.contents)) return page.contents.flatMap(servicesInItem);
    if ('id' in document) return servicesInItem(document);
  }
  throw new ImportSourceError('This is not ORUK JSON: expected a page with "contents", a list of services, or one service.');
}

const looksFull = (service: unknown) => !!service && typeof service === 'object'
  && ['service_at_locations', 'schedules', 'attributes', 'contacts', 'cost_options'].some((key) => key in service);

async function fetchJson(url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (error) {
    throw new ImportSourceError(`Could not fetch ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new ImportSourceError(`${url} answered ${response.status}.`);
  return response.json();
}

/**
 * Reads an ORUK feed: a URL of an ORUK API (its base or its /services), following total_pages and
 * fetching each full service; a JSON file; or a folder of JSON files (pages or services).
 */
export async function readOrukSource(source: string, log: (line: string) => void = () => {}, perPage = 100): Promise<unknown[]> {
  if (/^https?:\/\//.test(source)) {
    const base = source.replace(/\/+$/, '');
    const servicesUrl = base.endsWith('/services') ? base : `${base}/services`;
    const services: unknown[] = [];
    for (let pageNumber = 1; ; pageNumber++) {
      const page = (await fetchJson(`${servicesUrl}?page=${pageNumber}&per_page=${perPage}`)) as OrukPage<{ id: string }>;
      const items = servicesInDocument(page) as Array<{ id: string }>;
      log(`Read page ${pageNumber} of ${page.total_pages ?? 1} (${items.length} services)`);
      for (const item of items) services.push(looksFull(item) ? item : await fetchJson(`${servicesUrl}/${encodeURIComponent(item.id)}`));
      if (!page.total_pages || pageNumber >= page.total_pages || items.length === 0) break;
    }
    return services;
  }
  if (!existsSync(source)) throw new ImportSourceError(`There is no file or folder at ${source}.`);
  if (statSync(source).isDirectory()) {
    return readdirSync(source).filter((f) => f.endsWith('.json')).sort().flatMap((f) => servicesInDocument(readJson(path.join(source, f))));
  }
  return servicesInDocument(readJson(source));
}

// HSDS CSV: one file per table, rows joined back into full services by their foreign keys.

const CSV_NAMES: Record<string, string[]> = {
  organizations: ['organizations.csv', 'organization.csv'],
  services: ['services.csv', 'service.csv'],
  locations: ['locations.csv', 'location.csv'],
  // Some feeds (the ORUK examples) ship both; the plural table is HSDS 3's, with address_2.
  addresses: ['addresses.csv', 'address.csv'],
  serviceAtLocations: ['service_at_location.csv', 'service_at_locations.csv'],
  schedules: ['schedules.csv', 'schedule.csv'],
  costOptions: ['cost_options.csv', 'cost_option.csv'],
  languages: ['languages.csv', 'language.csv'],
  contacts: ['contacts.csv', 'contact.csv'],
  phones: ['phones.csv', 'phone.csv'],
  accessibility: ['accessibility.csv', 'accessibility_for_disabilities.csv'],
  taxonomies: ['taxonomies.csv', 'taxonomy.csv'],
  taxonomyTerms: ['taxonomy_terms.csv', 'taxonomy_term.csv'],
  attributes: ['attributes.csv', 'attribute.csv'],
  serviceAreas: ['service_areas.csv', 'service_area.csv'],
  funding: ['funding.csv', 'fundings.csv'],
  organizationIdentifiers: ['organization_identifiers.csv', 'organization_identifier.csv'],
  programs: ['programs.csv', 'program.csv'],
  requiredDocuments: ['required_documents.csv', 'required_document.csv'],
};

type Row = Record<string, string>;

function readTable(folder: string, names: string[]): Row[] {
  for (const name of names) {
    const file = path.join(folder, name);
    if (existsSync(file)) {
      const rows = parseCsv(readFileSync(file, 'utf8'));
      if (rows.length) return rows;
    }
  }
  return [];
}

const orNull = (value: string | undefined) => (value === undefined || value === '' ? null : value);
const num = (value: string | undefined) => (value === undefined || value === '' ? null : Number.isFinite(Number(value)) ? Number(value) : value as unknown as number);
const pick = (row: Row, fields: string[]) => Object.fromEntries(fields.filter((f) => orNull(row[f]) !== null).map((f) => [f, row[f]]));

/** Reads an HSDS CSV folder into full services, and organisations without services (the shapes the JSON import takes). */
export function readHsdsCsv(folder: string): unknown[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new ImportSourceError(`There is no folder at ${folder}.`);
  const t = Object.fromEntries(Object.entries(CSV_NAMES).map(([key, names]) => [key, readTable(folder, names)])) as Record<keyof typeof CSV_NAMES, Row[]>;
  if (t.services.length === 0 && t.organizations.length === 0) throw new ImportSourceError(`${folder} has no services.csv or organizations.csv with any rows.`);
  const by = (rows: Row[], key: string) => {
    const map = new Map<string, Row[]>();
    for (const row of rows) if (row[key]) map.set(row[key]!, [...(map.get(row[key]!) ?? []), row]);
    return map;
  };
  const organizations = new Map(t.organizations.map((o) => [o.id!, o]));
  const taxonomies = new Map(t.taxonomies.map((x) => [x.id!, x]));
  const terms = new Map(t.taxonomyTerms.map((x) => [x.id!, x]));
  const locations = new Map(t.locations.map((l) => [l.id!, l]));
  const addressesByLocation = by(t.addresses, 'location_id');
  const accessByLocation = by(t.accessibility, 'location_id');
  const phonesByLocation = by(t.phones.filter((p) => !p.contact_id), 'location_id');
  const phonesByContact = by(t.phones, 'contact_id');
  const phonesByService = by(t.phones.filter((p) => !p.contact_id && !p.location_id), 'service_id');
  const salByService = by(t.serviceAtLocations, 'service_id');
  const schedulesByService = by(t.schedules, 'service_id');
  const costsByService = by(t.costOptions, 'service_id');
  const languagesByService = by(t.languages, 'service_id');
  const contactsByService = by(t.contacts, 'service_id');
  const attributesByLink = by(t.attributes, 'link_id');
  const areasByService = by(t.serviceAreas, 'service_id');
  const fundingByService = by(t.funding, 'service_id');
  const fundingByOrganization = by(t.funding, 'organization_id');
  const identifiersByOrganization = by(t.organizationIdentifiers, 'organization_id');
  const programsByOrganization = by(t.programs, 'organization_id');
  const programs = new Map(t.programs.map((p) => [p.id!, p]));
  const documentsByService = by(t.requiredDocuments, 'service_id');
  const program = (p: Row): OrukProgram => ({ ...(pick(p, ['id', 'organization_id', 'name', 'alternate_name']) as unknown as OrukProgram), description: p.description ?? '' });

  const phone = (p: Row): OrukPhone => pick(p, ['id', 'number', 'extension', 'type', 'description']) as unknown as OrukPhone;
  const term = (id: string): OrukTaxonomyTerm | undefined => {
    const row = terms.get(id);
    if (!row) return undefined;
    const taxonomy = row.taxonomy_id ? taxonomies.get(row.taxonomy_id) : undefined;
    return {
      ...(pick(row, ['id', 'code', 'name', 'parent_id', 'taxonomy_id', 'term_uri']) as unknown as OrukTaxonomyTerm),
      description: row.description ?? '',
      ...(row.term && !row.code ? { code: row.term } : {}),
      ...(taxonomy ? { taxonomy: taxonomy.name, taxonomy_detail: { ...(pick(taxonomy, ['id', 'name', 'uri', 'version']) as { id: string; name: string }), description: taxonomy.description ?? '' } } : {}),
    };
  };
  const location = (id: string): OrukLocation | undefined => {
    const l = locations.get(id);
    if (!l) return undefined;
    return {
      ...(pick(l, ['id', 'location_type', 'name', 'description', 'external_identifier', 'external_identifier_type']) as unknown as OrukLocation),
      location_type: l.location_type || 'physical',
      ...(orNull(l.latitude) !== null ? { latitude: num(l.latitude) } : {}),
      ...(orNull(l.longitude) !== null ? { longitude: num(l.longitude) } : {}),
      addresses: (addressesByLocation.get(id) ?? []).map((a) => pick(a, ['id', 'attention', 'address_1', 'address_2', 'city', 'region', 'state_province', 'postal_code', 'country', 'address_type']) as unknown as OrukAddress),
      accessibility: (accessByLocation.get(id) ?? []).map((a) => pick(a, ['id', 'description', 'details', 'url']) as unknown as NonNullable<OrukLocation['accessibility']>[number]),
      phones: (phonesByLocation.get(id) ?? []).map(phone),
    };
  };
  const fullOrganization = (org: Row) => ({
    ...(pick(org, ['id', 'name', 'email', 'website', 'logo', 'uri', 'parent_organization_id']) as { id: string; name: string }),
    description: org.description ?? '',
    // A CSV folder is a whole dump, so these lists are complete (and replace what is stored).
    organization_identifiers: (identifiersByOrganization.get(org.id!) ?? []).map((x) => pick(x, ['id', 'identifier_scheme', 'identifier_type', 'identifier']) as unknown as OrukOrganizationIdentifier),
    funding: (fundingByOrganization.get(org.id!) ?? []).map((f) => pick(f, ['id', 'source']) as unknown as OrukFunding),
    programs: (programsByOrganization.get(org.id!) ?? []).map(program),
  });
  const withServices = new Set(t.services.map((s) => s.organization_id));
  const alone: unknown[] = t.organizations.filter((o) => o.id && !withServices.has(o.id)).map(fullOrganization);
  return [...alone, ...t.services.map((s) => {
    const org = s.organization_id ? organizations.get(s.organization_id) : undefined;
    const programRow = s.program_id ? programs.get(s.program_id) : undefined;
    const service: OrukService = {
      ...(pick(s, ['id', 'organization_id', 'program_id', 'name', 'description', 'url', 'email', 'status', 'fees', 'accreditations', 'eligibility_description',
        'assured_date', 'assurer_email', 'alert', 'last_modified']) as unknown as OrukService),
      ...(orNull(s.minimum_age) !== null ? { minimum_age: num(s.minimum_age) } : {}),
      ...(orNull(s.maximum_age) !== null ? { maximum_age: num(s.maximum_age) } : {}),
      ...(org ? { organization: fullOrganization(org) } : {}),
      ...(programRow ? { program: program(programRow) } : {}),
      service_areas: (areasByService.get(s.id!) ?? []).map((a) => pick(a, ['id', 'name', 'description', 'service_area', 'extent', 'extent_type', 'uri']) as unknown as OrukServiceArea),
      funding: (fundingByService.get(s.id!) ?? []).map((f) => pick(f, ['id', 'source']) as unknown as OrukFunding),
      required_documents: (documentsByService.get(s.id!) ?? []).map((d) => pick(d, ['id', 'document', 'uri']) as unknown as OrukRequiredDocument),
      service_at_locations: (salByService.get(s.id!) ?? []).map((sal) => ({
        ...(pick(sal, ['id', 'location_id', 'description']) as unknown as OrukServiceAtLocation), location: location(sal.location_id ?? ''),
      })),
      schedules: (schedulesByService.get(s.id!) ?? []).map((x) => ({
        ...(pick(x, ['id', 'service_at_location_id', 'freq', 'byday', 'bymonthday', 'dtstart', 'valid_from', 'valid_to', 'opens_at', 'closes_at',
          'description', 'schedule_link', 'attending_type', 'notes']) as unknown as { id: string }),
        ...(orNull(x.interval) !== null ? { interval: num(x.interval) } : {}),
      })),
      cost_options: (costsByService.get(s.id!) ?? []).map((c) => ({
        ...(pick(c, ['id', 'option', 'amount_description', 'valid_from', 'valid_to']) as unknown as { id: string }),
        ...(orNull(c.amount) !== null ? { amount: num(c.amount) } : {}),
      })),
      languages: (languagesByService.get(s.id!) ?? []).map((l) => pick(l, ['id', 'name', 'code', 'note']) as unknown as { id: string }),
      contacts: (contactsByService.get(s.id!) ?? []).map((c) => ({
        ...(pick(c, ['id', 'name', 'title', 'department', 'email']) as unknown as OrukContact), phones: (phonesByContact.get(c.id!) ?? []).map(phone),
      })),
      phones: (phonesByService.get(s.id!) ?? []).map(phone),
      attributes: (attributesByLink.get(s.id!) ?? []).map((a) => ({
        ...(pick(a, ['id', 'link_type', 'taxonomy_term_id', 'value']) as unknown as OrukAttribute),
        ...(term(a.taxonomy_term_id ?? '') ? { taxonomy_term: term(a.taxonomy_term_id ?? '') } : {}),
      })),
    };
    return service;
  })];
}
