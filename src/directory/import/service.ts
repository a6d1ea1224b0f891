import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Db } from '../../db/database.ts';
import { withSavepoint, withTransaction } from '../../db/transaction.ts';
import { parseCsv } from '../../csv.ts';
import { readDirectoryService, writeDirectoryService } from '../curation/service.ts';
import { missingFrom, withExtra } from '../oruk/hsds-extra.ts';
import { HSDS_TABLES } from '../oruk/tables.ts';
import { refusal, repairService } from './repair.ts';
import { readOrganization, refreshSearch, upsertOrganization } from '../queries.ts';
import { importHashes, saveImportState } from './queries.ts';
import type {
  OrukAddress,
  OrukAttribute,
  OrukContact,
  OrukFunding,
  OrukLocation,
  OrukOrganization,
  OrukOrganizationIdentifier,
  OrukPage,
  OrukPhone,
  OrukProgram,
  OrukRequiredDocument,
  OrukService,
  OrukServiceArea,
  OrukServiceAtLocation,
  OrukTaxonomyTerm,
} from '../oruk/types.ts';

export interface ImportReport {
  added: string[];
  changed: string[];
  unchanged: string[];
  /** Records refused: they lack what the ORUK profile requires, or the database refused them. */
  invalid: Array<{ id: string; reason: string }>;
  /** Values repaired or left out of records that were imported, with the record's id. */
  problems: Array<{ id: string; field: string; problem: string }>;
  /** Ids given more than once in the feed (the first record of each was imported). */
  duplicates: Array<{ id: string; count: number }>;
  /** What was wrong with the feed as a whole, like a total_items that disagrees with the rows received. */
  notes: string[];
  dryRun: boolean;
}

/** Thrown for a source that cannot be read at all; nothing is imported. */
export class ImportSourceError extends Error {}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Records written between search refreshes and import-state saves. */
const BATCH = 500;
/** Changes when what an import writes for the same record changes, so every record is written again. */
const IMPORT_VERSION = 'import-2';

/** The hash a record is compared by on the next import: the repaired record and where it came from. */
function recordHash(record: unknown, sourceFeed: string): string {
  return createHash('sha256')
    .update(IMPORT_VERSION)
    .update('\0')
    .update(sourceFeed)
    .update('\0')
    .update(JSON.stringify(record))
    .digest('base64url');
}

// Fields a service (or a service_at_location) has and an HSDS 3 organisation never does.
const SERVICE_ONLY = [
  'status',
  'service_at_locations',
  'schedules',
  'cost_options',
  'service_areas',
  'organization',
  'organization_id',
  'program',
  'program_id',
  'required_documents',
  'fees',
  'eligibility_description',
  'service',
  'url',
  'accreditations',
  'minimum_age',
  'maximum_age',
  'assured_date',
  'assurer_email',
  'alert',
  'last_modified',
  'languages',
];

/**
 * An organisation on its own (as organisation lists give them): it has a name and none of a
 * service's fields. A service that merely lacks its status still has others, and is reported invalid.
 */
export function isOrganizationRecord(record: unknown): record is OrukOrganization {
  return (
    !!record &&
    typeof record === 'object' &&
    !Array.isArray(record) &&
    typeof (record as { name?: unknown }).name === 'string' &&
    !SERVICE_ONLY.some((key) => key in record)
  );
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
 * Imports full services (and organisations on their own) in ONE transaction. Each record is
 * repaired value by value (import-repair.ts) and compared by a hash with what the last import of
 * it wrote: an unchanged record costs no write. A changed or new record is written inside a
 * savepoint, so one the database refuses is reported and the rest still import; search documents
 * and hashes are written a batch at a time. A dry run does all of this and rolls back, so its
 * report is exactly what a real run would do.
 */
export async function importServices(
  pool: pg.Pool,
  records: unknown[],
  options: { sourceFeed: string; dryRun?: boolean; notes?: string[]; unread?: ImportReport['invalid'] },
): Promise<ImportReport> {
  const report: ImportReport = {
    added: [],
    changed: [],
    unchanged: [],
    invalid: [...(options.unread ?? [])],
    problems: [],
    duplicates: [],
    notes: [...(options.notes ?? [])],
    dryRun: options.dryRun ?? false,
  };
  const organizations: OrukOrganization[] = [];
  const services: Array<{ id: string; service: OrukService; hash: string }> = [];
  const seen = new Map<string, number>();
  records.forEach((raw, index) => {
    if (isOrganizationRecord(raw)) {
      organizations.push(raw);
      return;
    }
    const reason = refusal(raw);
    const rawId = (raw as { id?: unknown } | null)?.id;
    const id = typeof rawId === 'string' && rawId ? rawId : `(record ${index + 1})`;
    if (reason) {
      report.invalid.push({ id, reason });
      return;
    }
    seen.set(id, (seen.get(id) ?? 0) + 1);
    if (seen.get(id)! > 1) return;
    const { service, problems } = repairService(raw);
    for (const problem of problems) report.problems.push({ id, ...problem });
    services.push({ id, service: service as unknown as OrukService, hash: recordHash(service, options.sourceFeed) });
  });
  for (const [id, count] of seen) if (count > 1) report.duplicates.push({ id, count });
  if (report.duplicates.length) {
    report.notes.push(
      `${report.duplicates.length} id${report.duplicates.length === 1 ? ' was' : 's were'} given more than once; the first record of each was imported.`,
    );
  }

  const rollback = new Error('dry run');
  try {
    await withTransaction(pool, async (tx) => {
      for (const org of organizations) await importOrganization(tx, org, options.sourceFeed, report);
      for (let start = 0; start < services.length; start += BATCH) {
        const batch = services.slice(start, start + BATCH);
        const hashes = await importHashes(
          tx,
          batch.map((b) => b.id),
        );
        const saved: Array<{ id: string; hash: string; extra: unknown }> = [];
        for (const { id, service, hash } of batch) {
          if (hashes.get(id) === hash) {
            report.unchanged.push(id);
            continue;
          }
          try {
            await withSavepoint(tx, async () => {
              const before = hashes.has(id) ? await readDirectoryService(tx, id) : undefined;
              await writeDirectoryService(tx, service, { sourceFeed: options.sourceFeed, refreshSearch: false });
              const stored = await readDirectoryService(tx, id, { extra: false });
              const extra = missingFrom(service, stored);
              const after = withExtra(stored, extra);
              if (!before) report.added.push(id);
              else if (isDeepStrictEqual(before, after)) report.unchanged.push(id);
              else report.changed.push(id);
              saved.push({ id, hash, extra });
            });
          } catch (error) {
            report.invalid.push({ id, reason: `the database refused it: ${(error as Error).message}` });
          }
        }
        await refreshSearch(
          tx,
          saved.map((x) => x.id),
        );
        await saveImportState(tx, saved);
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
    const pairs = Array.isArray(service.service_at_locations) ? (service.service_at_locations as Json[]) : [];
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

const looksFull = (service: unknown) =>
  !!service &&
  typeof service === 'object' &&
  ['service_at_locations', 'schedules', 'attributes', 'contacts', 'cost_options'].some((key) => key in service);

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

/** Detail pages fetched at once in URL mode: quick without hammering someone else's server. */
const FETCH_CONCURRENCY = 8;

/** Runs `work` over `items` with at most `limit` running at once; results in the order of `items`. */
async function mapBounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Reads an ORUK feed: a URL of an ORUK API (its base or its /services), following total_pages and
 * fetching each full service once (an id listed twice is fetched once), a few at a time; a JSON
 * file; or a folder of JSON files (pages or services). `notes` say what was wrong with the feed as a
 * whole, like a total_items that disagrees with the rows received.
 */
export async function readOrukFeed(source: string, log: (line: string) => void = () => {}, perPage = 100): Promise<OrukFeed> {
  if (!/^https?:\/\//.test(source)) return { records: readOrukFile(source), notes: [], unread: [] };
  const base = source.replace(/\/+$/, '');
  const servicesUrl = base.endsWith('/services') ? base : `${base}/services`;
  const listed: unknown[] = [];
  let claimed: number | undefined;
  for (let pageNumber = 1; ; pageNumber++) {
    const page = (await fetchJson(`${servicesUrl}?page=${pageNumber}&per_page=${perPage}`)) as OrukPage<{ id: string }>;
    if (pageNumber === 1 && typeof page.total_items === 'number') claimed = page.total_items;
    const items = servicesInDocument(page);
    log(`Read page ${pageNumber} of ${page.total_pages ?? 1} (${items.length} services)`);
    listed.push(...items);
    if (!page.total_pages || pageNumber >= page.total_pages || items.length === 0) break;
  }
  const notes: string[] = [];
  if (claimed !== undefined && claimed !== listed.length)
    notes.push(`The feed said it has ${claimed} services (total_items) but its pages gave ${listed.length} rows.`);
  // One detail fetch per id: a feed that repeats an id (one validator mock repeats one 128 times) is read once.
  const byId = new Map<string, unknown>();
  const others: unknown[] = [];
  for (const item of listed) {
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || !id) others.push(item);
    else if (!byId.has(id)) byId.set(id, item);
  }
  const repeated = listed.length - others.length - byId.size;
  if (repeated > 0) notes.push(`The feed listed ${repeated} rows whose id it had already listed; each id was read once.`);
  const unread: OrukFeed['unread'] = [];
  const records = await mapBounded([...byId.entries()], FETCH_CONCURRENCY, async ([id, item]) => {
    if (looksFull(item)) return [item];
    try {
      return [await fetchJson(`${servicesUrl}/${encodeURIComponent(id)}`)];
    } catch (error) {
      // One missing detail page costs that service, not the feed; its stored copy is left as it was.
      unread.push({ id, reason: `its detail page could not be read: ${(error as Error).message}` });
      return [];
    }
  });
  return { records: [...records.flat(), ...others], notes, unread };
}

export interface OrukFeed {
  records: unknown[];
  notes: string[];
  /** Services listed whose detail could not be read (reported invalid by importServices). */
  unread: Array<{ id: string; reason: string }>;
}

function readOrukFile(source: string): unknown[] {
  if (!existsSync(source)) throw new ImportSourceError(`There is no file or folder at ${source}.`);
  if (statSync(source).isDirectory()) {
    return readdirSync(source)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .flatMap((f) => servicesInDocument(readJson(path.join(source, f))));
  }
  return servicesInDocument(readJson(source));
}

/** The records of an ORUK feed (see readOrukFeed), without its notes. */
export async function readOrukSource(source: string, log: (line: string) => void = () => {}, perPage = 100): Promise<unknown[]> {
  return (await readOrukFeed(source, log, perPage)).records;
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
  accessibility: ['accessibility.csv'],
  taxonomies: ['taxonomies.csv', 'taxonomy.csv'],
  taxonomyTerms: ['taxonomy_terms.csv', 'taxonomy_term.csv'],
  attributes: ['attributes.csv', 'attribute.csv'],
  serviceAreas: ['service_areas.csv', 'service_area.csv'],
  funding: ['funding.csv', 'fundings.csv'],
  organizationIdentifiers: ['organization_identifiers.csv', 'organization_identifier.csv'],
  programs: ['programs.csv', 'program.csv'],
  requiredDocuments: ['required_documents.csv', 'required_document.csv'],
  metadata: ['metadata.csv'],
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
const num = (value: string | undefined) =>
  value === undefined || value === '' ? null : Number.isFinite(Number(value)) ? Number(value) : (value as unknown as number);
/** A table's HSDS columns but those the record says another way: typed as numbers, or by where it sits. */
const columns = (table: string, except: string[]) => HSDS_TABLES[table]!.filter((column) => !except.includes(column));
const pick = (row: Row, fields: string[]) => Object.fromEntries(fields.filter((f) => orNull(row[f]) !== null).map((f) => [f, row[f]]));

// Tables only HSDS 1.x and 2.0 CSV have; their data lives elsewhere in HSDS 3 (addresses.csv, schedules.csv...).
const OLDER_HSDS_TABLES = [
  'services_at_location.csv',
  'physical_addresses.csv',
  'postal_addresses.csv',
  'regular_schedules.csv',
  'holiday_schedules.csv',
  'eligibility.csv',
  'service_taxonomy.csv',
  'accessibility_for_disabilities.csv',
];

/**
 * Refuses a CSV folder of an HSDS version before 3.0, naming the version found: read as HSDS 3 it
 * would import services while losing their locations, addresses, opening times and eligibility.
 */
function refuseOlderHsds(folder: string) {
  let version: string | undefined;
  const datapackage = path.join(folder, 'datapackage.json');
  if (existsSync(datapackage)) {
    try {
      const declared = (JSON.parse(readFileSync(datapackage, 'utf8')) as { version?: unknown }).version;
      if (typeof declared === 'string' || typeof declared === 'number') version = String(declared);
    } catch {
      // An unreadable datapackage.json says nothing either way; the tables decide.
    }
  }
  const older = OLDER_HSDS_TABLES.filter((name) => existsSync(path.join(folder, name)));
  const olderVersion = version !== undefined && /^[12](\.|$)/.test(version);
  if (!olderVersion && older.length === 0) return;
  const found = olderVersion ? `HSDS ${version} (its datapackage.json says so)` : `an HSDS version before 3.0 (it has ${older.join(', ')})`;
  throw new ImportSourceError(
    `${folder} is ${found}. Signpost imports HSDS 3.0 CSV, and reading this as HSDS 3 would lose its ` +
      'locations, addresses, opening times and eligibility, so nothing was imported. Convert it to HSDS 3.0 first (Open Referral publishes ' +
      'a mapping from 1.1 and 2.0), or import the same directory from its ORUK API.',
  );
}

/** Reads an HSDS 3.0 CSV folder into full services, and organisations without services (the shapes the JSON import takes). */
export function readHsdsCsv(folder: string): unknown[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new ImportSourceError(`There is no folder at ${folder}.`);
  refuseOlderHsds(folder);
  const t = Object.fromEntries(Object.entries(CSV_NAMES).map(([key, names]) => [key, readTable(folder, names)])) as Record<
    keyof typeof CSV_NAMES,
    Row[]
  >;
  if (t.services.length === 0 && t.organizations.length === 0)
    throw new ImportSourceError(`${folder} has no services.csv or organizations.csv with any rows.`);
  const by = (rows: Row[], key: string) => {
    const map = new Map<string, Row[]>();
    for (const row of rows) if (row[key]) map.set(row[key]!, [...(map.get(row[key]!) ?? []), row]);
    return map;
  };
  const organizations = new Map(t.organizations.map((o) => [o.id!, o]));
  const taxonomies = new Map(t.taxonomies.map((x) => [x.id!, x]));
  const terms = new Map(t.taxonomyTerms.map((x) => [x.id!, x]));
  const locations = new Map(t.locations.map((l) => [l.id!, l]));
  const locationsByOrganization = by(t.locations, 'organization_id');
  const addressesByLocation = by(t.addresses, 'location_id');
  const accessByLocation = by(t.accessibility, 'location_id');
  // A row names every object it is listed under: a phone may be a service's, a location's and a contact's at once.
  const phonesBy = (key: string) => by(t.phones, key);
  const phonesByLocation = phonesBy('location_id');
  const phonesByContact = phonesBy('contact_id');
  const phonesByService = phonesBy('service_id');
  const phonesByOrganization = phonesBy('organization_id');
  const phonesByPair = phonesBy('service_at_location_id');
  const contactsByService = by(t.contacts, 'service_id');
  const contactsByOrganization = by(t.contacts, 'organization_id');
  const contactsByLocation = by(t.contacts, 'location_id');
  const contactsByPair = by(t.contacts, 'service_at_location_id');
  const schedulesByService = by(t.schedules, 'service_id');
  const schedulesByLocation = by(t.schedules, 'location_id');
  const schedulesByPair = by(t.schedules, 'service_at_location_id');
  const languagesByService = by(t.languages, 'service_id');
  const languagesByLocation = by(t.languages, 'location_id');
  const languagesByPhone = by(t.languages, 'phone_id');
  const salByService = by(t.serviceAtLocations, 'service_id');
  const costsByService = by(t.costOptions, 'service_id');
  const attributesByLink = by(t.attributes, 'link_id');
  const metadataByResource = by(t.metadata, 'resource_id');
  const areasByService = by(t.serviceAreas, 'service_id');
  const fundingByService = by(t.funding, 'service_id');
  const fundingByOrganization = by(t.funding, 'organization_id');
  const identifiersByOrganization = by(t.organizationIdentifiers, 'organization_id');
  const programsByOrganization = by(t.programs, 'organization_id');
  const programs = new Map(t.programs.map((p) => [p.id!, p]));
  const documentsByService = by(t.requiredDocuments, 'service_id');
  /** A list that only HSDS 3.0 nests here (kept beside the record): present only when it has items, as a feed gives it. */
  const some = <T>(key: string, items: T[]) => (items.length ? { [key]: items } : {});

  const term = (id: string): OrukTaxonomyTerm | undefined => {
    const row = terms.get(id);
    if (!row) return undefined;
    const taxonomy = row.taxonomy_id ? taxonomies.get(row.taxonomy_id) : undefined;
    return {
      ...(pick(row, ['id', 'code', 'name', 'parent_id', 'taxonomy_id', 'term_uri', 'language']) as unknown as OrukTaxonomyTerm),
      description: row.description ?? '',
      ...(row.term && !row.code ? { code: row.term } : {}),
      ...(taxonomy
        ? {
            taxonomy: taxonomy.name,
            taxonomy_detail: {
              ...(pick(taxonomy, ['id', 'name', 'uri', 'version']) as { id: string; name: string }),
              description: taxonomy.description ?? '',
            },
          }
        : {}),
      ...(orNull(row.taxonomy) !== null ? { taxonomy: row.taxonomy } : {}),
      ...described(row.id!),
    };
  };
  // The attributes and metadata of any object, found by its id (HSDS: link_id, resource_id); the
  // column naming the object is left out, as its place in the record says it.
  function described(id: string, attributes: 'attributes' | 'none' = 'attributes') {
    const notes = (metadataByResource.get(id) ?? []).map((m) => pick(m, columns('metadata.csv', ['resource_id'])));
    return { ...(attributes === 'attributes' ? some('attributes', attributesOf(id)) : {}), ...some('metadata', notes) };
  }
  function attributesOf(id: string): OrukAttribute[] {
    return (attributesByLink.get(id) ?? []).map((a) => ({
      ...(pick(a, ['id', 'link_type', 'taxonomy_term_id', 'value']) as unknown as OrukAttribute),
      ...(term(a.taxonomy_term_id ?? '') ? { taxonomy_term: term(a.taxonomy_term_id ?? '') } : {}),
      ...described(a.id!, 'none'),
    }));
  }
  const program = (p: Row): OrukProgram => ({
    ...(pick(p, ['id', 'organization_id', 'name', 'alternate_name']) as unknown as OrukProgram),
    description: p.description ?? '',
    ...described(p.id!),
  });
  const phone = (p: Row): OrukPhone => ({
    ...(pick(p, ['id', 'number', 'type', 'description']) as unknown as OrukPhone),
    // HSDS 3 types the extension as a number (as the API serves it).
    ...(orNull(p.extension) !== null ? { extension: /^\d{1,15}$/.test(p.extension!) ? Number(p.extension) : p.extension } : {}),
    ...some('languages', (languagesByPhone.get(p.id!) ?? []).map(language)),
    ...described(p.id!),
  });
  function language(l: Row) {
    return { ...(pick(l, ['id', 'name', 'code', 'note']) as unknown as { id: string }), ...described(l.id!) };
  }
  const contact = (c: Row): OrukContact => ({
    ...(pick(c, ['id', 'name', 'title', 'department', 'email']) as unknown as OrukContact),
    phones: (phonesByContact.get(c.id!) ?? []).map(phone),
    ...described(c.id!),
  });
  // Only a service's own schedules carry service_at_location_id (Signpost keeps it); listed under the pair or a location, the place says it.
  const schedule = (x: Row, own: boolean) => ({
    ...(pick(
      x,
      columns('schedules.csv', ['service_id', 'location_id', ...(own ? [] : ['service_at_location_id']), 'interval', 'timezone', 'count']),
    ) as unknown as { id: string }),
    ...(orNull(x.interval) !== null ? { interval: num(x.interval) } : {}),
    ...(orNull(x.count) !== null ? { count: num(x.count) } : {}),
    // HSDS 3.0 types the timezone as a number (an offset from UTC).
    ...(orNull(x.timezone) !== null ? { timezone: num(x.timezone) } : {}),
    ...described(x.id!),
  });
  const location = (id: string): OrukLocation | undefined => {
    const l = locations.get(id);
    if (!l) return undefined;
    return {
      ...(pick(l, columns('locations.csv', ['organization_id', 'latitude', 'longitude'])) as unknown as OrukLocation),
      location_type: l.location_type || 'physical',
      ...(orNull(l.latitude) !== null ? { latitude: num(l.latitude) } : {}),
      ...(orNull(l.longitude) !== null ? { longitude: num(l.longitude) } : {}),
      addresses: (addressesByLocation.get(id) ?? []).map((a) => ({
        ...(pick(a, columns('addresses.csv', ['location_id'])) as unknown as OrukAddress),
        ...described(a.id!),
      })),
      accessibility: (accessByLocation.get(id) ?? []).map((a) => ({
        ...(pick(a, ['id', 'description', 'details', 'url', 'accessibility']) as unknown as NonNullable<
          OrukLocation['accessibility']
        >[number]),
        ...described(a.id!),
      })),
      phones: (phonesByLocation.get(id) ?? []).map(phone),
      ...some('languages', (languagesByLocation.get(id) ?? []).map(language)),
      ...some('contacts', (contactsByLocation.get(id) ?? []).map(contact)),
      ...some(
        'schedules',
        (schedulesByLocation.get(id) ?? []).map((x) => schedule(x, false)),
      ),
      ...described(id),
    };
  };
  const fullOrganization = (org: Row) => ({
    ...(pick(org, columns('organizations.csv', ['description', 'year_incorporated'])) as { id: string; name: string }),
    ...(orNull(org.year_incorporated) !== null ? { year_incorporated: num(org.year_incorporated) } : {}),
    description: org.description ?? '',
    // A CSV folder is a whole dump, so these lists are complete (and replace what is stored).
    organization_identifiers: (identifiersByOrganization.get(org.id!) ?? []).map((x) => ({
      ...(pick(x, ['id', 'identifier_scheme', 'identifier_type', 'identifier']) as unknown as OrukOrganizationIdentifier),
      ...described(x.id!),
    })),
    funding: (fundingByOrganization.get(org.id!) ?? []).map((f) => ({
      ...(pick(f, ['id', 'source']) as unknown as OrukFunding),
      ...described(f.id!),
    })),
    programs: (programsByOrganization.get(org.id!) ?? []).map(program),
    ...some('phones', (phonesByOrganization.get(org.id!) ?? []).map(phone)),
    ...some('contacts', (contactsByOrganization.get(org.id!) ?? []).map(contact)),
    ...some(
      'locations',
      (locationsByOrganization.get(org.id!) ?? []).flatMap((l) => location(l.id!) ?? []),
    ),
    ...described(org.id!),
  });
  const withServices = new Set(t.services.map((s) => s.organization_id));
  const alone: unknown[] = t.organizations.filter((o) => o.id && !withServices.has(o.id)).map(fullOrganization);
  return [
    ...alone,
    ...t.services.map((s) => {
      const org = s.organization_id ? organizations.get(s.organization_id) : undefined;
      const programRow = s.program_id ? programs.get(s.program_id) : undefined;
      const service: OrukService = {
        ...(pick(s, columns('services.csv', ['minimum_age', 'maximum_age'])) as unknown as OrukService),
        ...(orNull(s.minimum_age) !== null ? { minimum_age: num(s.minimum_age) } : {}),
        ...(orNull(s.maximum_age) !== null ? { maximum_age: num(s.maximum_age) } : {}),
        ...(org ? { organization: fullOrganization(org) } : {}),
        ...(programRow ? { program: program(programRow) } : {}),
        service_areas: (areasByService.get(s.id!) ?? []).map((a) => ({
          ...(pick(a, ['id', 'name', 'description', 'service_area', 'extent', 'extent_type', 'uri']) as unknown as OrukServiceArea),
          ...described(a.id!),
        })),
        funding: (fundingByService.get(s.id!) ?? []).map((f) => ({
          ...(pick(f, ['id', 'source']) as unknown as OrukFunding),
          ...described(f.id!),
        })),
        required_documents: (documentsByService.get(s.id!) ?? []).map((d) => ({
          ...(pick(d, ['id', 'document', 'uri']) as unknown as OrukRequiredDocument),
          ...described(d.id!),
        })),
        service_at_locations: (salByService.get(s.id!) ?? []).map((sal) => ({
          ...(pick(sal, ['id', 'location_id', 'description']) as unknown as OrukServiceAtLocation),
          location: location(sal.location_id ?? ''),
          ...some('contacts', (contactsByPair.get(sal.id!) ?? []).map(contact)),
          ...some('phones', (phonesByPair.get(sal.id!) ?? []).map(phone)),
          ...some(
            'schedules',
            (schedulesByPair.get(sal.id!) ?? []).map((x) => schedule(x, false)),
          ),
          ...described(sal.id!),
        })),
        schedules: (schedulesByService.get(s.id!) ?? []).map((x) => schedule(x, true)),
        cost_options: (costsByService.get(s.id!) ?? []).map((c) => ({
          ...(pick(c, ['id', 'option', 'currency', 'amount_description', 'valid_from', 'valid_to']) as unknown as { id: string }),
          ...(orNull(c.amount) !== null ? { amount: num(c.amount) } : {}),
          ...described(c.id!),
        })),
        languages: (languagesByService.get(s.id!) ?? []).map(language),
        contacts: (contactsByService.get(s.id!) ?? []).map(contact),
        phones: (phonesByService.get(s.id!) ?? []).map(phone),
        attributes: attributesOf(s.id!),
        ...described(s.id!, 'none'),
      };
      return service;
    }),
  ];
}
