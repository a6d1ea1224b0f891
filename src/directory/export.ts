import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/database.ts';
import { csvField } from '../geo/csv.ts';
import { readDirectoryService } from './curation.ts';
import type { OrukPage, OrukService } from './oruk-types.ts';
import * as q from './queries.ts';

/** Every service (whatever its status), fully nested, as one ORUK page. */
export async function exportOruk(db: Db): Promise<OrukPage<OrukService>> {
  const ids = await q.allServiceIds(db);
  const contents: OrukService[] = [];
  for (const id of ids) contents.push((await readDirectoryService(db, id))!);
  return {
    total_items: contents.length, total_pages: 1, page_number: 1, size: contents.length,
    first_page: true, last_page: true, empty: contents.length === 0, contents,
  };
}

const TABLES: Record<string, string[]> = {
  'organizations.csv': ['id', 'name', 'alternate_name', 'description', 'email', 'website', 'tax_status', 'tax_id', 'year_incorporated', 'legal_status', 'logo', 'uri',
    'parent_organization_id'],
  'services.csv': ['id', 'organization_id', 'program_id', 'name', 'alternate_name', 'description', 'url', 'email', 'status', 'interpretation_services',
    'application_process', 'fees_description', 'wait_time', 'fees', 'accreditations', 'eligibility_description', 'minimum_age', 'maximum_age', 'assured_date',
    'assurer_email', 'licenses', 'alert', 'last_modified'],
  'locations.csv': ['id', 'location_type', 'url', 'name', 'alternate_name', 'description', 'transportation', 'latitude', 'longitude', 'external_identifier',
    'external_identifier_type'],
  'addresses.csv': ['id', 'location_id', 'attention', 'address_1', 'address_2', 'city', 'region', 'state_province', 'postal_code', 'country', 'address_type'],
  'service_at_location.csv': ['id', 'service_id', 'location_id', 'description'],
  'schedules.csv': ['id', 'service_id', 'service_at_location_id', 'freq', 'interval', 'byday', 'bymonthday', 'dtstart', 'valid_from', 'valid_to',
    'opens_at', 'closes_at', 'description', 'schedule_link', 'attending_type', 'notes', 'timezone', 'until', 'count', 'wkst', 'byweekno', 'byyearday'],
  'cost_options.csv': ['id', 'service_id', 'option', 'currency', 'amount', 'amount_description', 'valid_from', 'valid_to'],
  'languages.csv': ['id', 'service_id', 'name', 'code', 'note'],
  'contacts.csv': ['id', 'service_id', 'name', 'title', 'department', 'email'],
  'phones.csv': ['id', 'service_id', 'location_id', 'contact_id', 'number', 'extension', 'type', 'description'],
  // `accessibility` is the ORUK profile's own column.
  'accessibility.csv': ['id', 'location_id', 'description', 'details', 'url', 'accessibility'],
  'taxonomies.csv': ['id', 'name', 'description', 'uri', 'version'],
  'taxonomy_terms.csv': ['id', 'code', 'name', 'description', 'parent_id', 'taxonomy_id', 'term_uri'],
  'attributes.csv': ['id', 'link_id', 'link_type', 'link_entity', 'taxonomy_term_id', 'value'],
  'service_areas.csv': ['id', 'service_id', 'name', 'description', 'service_area', 'extent', 'extent_type', 'uri'],
  'funding.csv': ['id', 'organization_id', 'service_id', 'source'],
  'organization_identifiers.csv': ['id', 'organization_id', 'identifier_scheme', 'identifier_type', 'identifier'],
  'programs.csv': ['id', 'organization_id', 'name', 'alternate_name', 'description'],
  'required_documents.csv': ['id', 'service_id', 'document', 'uri'],
};

/**
 * Writes the directory as HSDS CSV tables into `folder`; returns the row count per file. Unlike the
 * ORUK export (a page of services), it includes organisations that have no services.
 */
export async function exportHsdsCsv(db: Db, folder: string): Promise<Record<string, number>> {
  const rows: Record<string, Map<string, Record<string, unknown>>> = Object.fromEntries(Object.keys(TABLES).map((t) => [t, new Map()]));
  // One row per id; a record met twice (funding of both a service and its organisation) is merged.
  const add = (table: string, row: object) => {
    const id = String((row as { id: unknown }).id);
    rows[table]!.set(id, { ...rows[table]!.get(id), ...(row as Record<string, unknown>) });
  };
  for (const t of await q.allTaxonomies(db)) add('taxonomies.csv', t);
  // Every organisation, with or without services.
  for (const id of await q.allOrganizationIds(db)) {
    const o = (await q.readOrganization(db, id))!;
    add('organizations.csv', o);
    for (const x of o.organization_identifiers ?? []) add('organization_identifiers.csv', { ...x, organization_id: o.id });
    for (const f of o.funding ?? []) add('funding.csv', { ...f, organization_id: o.id });
    for (const p of o.programs ?? []) add('programs.csv', { ...p, organization_id: o.id });
  }
  const { contents } = await exportOruk(db);
  for (const s of contents) {
    if (s.program) add('programs.csv', s.program);
    for (const a of s.service_areas ?? []) add('service_areas.csv', { ...a, service_id: s.id });
    for (const f of s.funding ?? []) add('funding.csv', { ...f, service_id: s.id });
    for (const d of s.required_documents ?? []) add('required_documents.csv', { ...d, service_id: s.id });
    add('services.csv', { ...s, organization_id: s.organization?.id ?? s.organization_id });
    // What the feed said of the organisation beyond our columns (legal status...) came with the service.
    if (s.organization) add('organizations.csv', s.organization);
    for (const sal of s.service_at_locations ?? []) {
      add('service_at_location.csv', { id: sal.id, service_id: s.id, location_id: sal.location?.id ?? sal.location_id, description: sal.description });
      const l = sal.location;
      if (!l) continue;
      add('locations.csv', l);
      for (const a of l.addresses ?? []) add('addresses.csv', { ...a, location_id: l.id });
      for (const a of l.accessibility ?? []) add('accessibility.csv', { ...a, location_id: l.id });
      for (const p of l.phones ?? []) add('phones.csv', { ...p, location_id: l.id });
    }
    for (const x of s.schedules ?? []) add('schedules.csv', { ...x, service_id: s.id });
    for (const x of s.cost_options ?? []) add('cost_options.csv', { ...x, service_id: s.id });
    for (const x of s.languages ?? []) add('languages.csv', { ...x, service_id: s.id });
    for (const c of s.contacts ?? []) {
      add('contacts.csv', { ...c, service_id: s.id });
      for (const p of c.phones ?? []) add('phones.csv', { ...p, service_id: s.id, contact_id: c.id });
    }
    for (const p of s.phones ?? []) add('phones.csv', { ...p, service_id: s.id });
    for (const a of s.attributes ?? []) {
      add('attributes.csv', { ...a, link_id: s.id, link_entity: 'service', taxonomy_term_id: a.taxonomy_term?.id ?? a.taxonomy_term_id });
      if (a.taxonomy_term) add('taxonomy_terms.csv', a.taxonomy_term);
    }
  }
  mkdirSync(folder, { recursive: true });
  const counts: Record<string, number> = {};
  for (const [table, columns] of Object.entries(TABLES)) {
    const lines = [columns.join(','), ...[...rows[table]!.values()].map((row) => columns.map((c) => csvField(row[c])).join(','))];
    writeFileSync(path.join(folder, table), `${lines.join('\n')}\n`);
    counts[table] = rows[table]!.size;
  }
  return counts;
}
