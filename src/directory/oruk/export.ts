import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../../db/database.ts';
import { csvField } from '../../csv.ts';
import { readDirectoryService } from '../curation/service.ts';
import type { OrukPage, OrukService } from './types.ts';
import { HSDS_TABLES } from './tables.ts';
import * as q from '../queries.ts';

/** Every service (whatever its status), fully nested, as one ORUK page. */
export async function exportOruk(db: Db): Promise<OrukPage<OrukService>> {
  const ids = await q.allServiceIds(db);
  const contents: OrukService[] = [];
  for (const id of ids) contents.push((await readDirectoryService(db, id))!);
  return {
    total_items: contents.length,
    total_pages: 1,
    page_number: 1,
    size: contents.length,
    first_page: true,
    last_page: true,
    empty: contents.length === 0,
    contents,
  };
}

type Item = { id: string; [key: string]: unknown };
const list = (value: unknown): Item[] =>
  Array.isArray(value) ? value.filter((x): x is Item => !!x && typeof x === 'object' && typeof x.id === 'string') : [];

/**
 * Writes the directory as HSDS CSV tables into `folder`; returns the row count per file. Unlike the
 * ORUK export (a page of services), it includes organisations that have no services.
 */
export async function exportHsdsCsv(db: Db, folder: string): Promise<Record<string, number>> {
  const rows: Record<string, Map<string, Record<string, unknown>>> = Object.fromEntries(
    Object.keys(HSDS_TABLES).map((t) => [t, new Map()]),
  );
  // One row per id; a record met twice (funding of both a service and its organisation) is merged.
  const add = (table: string, row: object) => {
    const id = String((row as { id: unknown }).id);
    rows[table]!.set(id, { ...rows[table]!.get(id), ...(row as Record<string, unknown>) });
  };
  // What HSDS lets any object carry: attributes (link_id, link_entity) and metadata (resource_id).
  const described = (entity: string, owner: Item) => {
    for (const a of list(owner.attributes)) {
      const term = a.taxonomy_term as Item | undefined;
      add('attributes.csv', { ...a, link_id: owner.id, link_entity: entity, taxonomy_term_id: term?.id ?? a.taxonomy_term_id });
      if (term) {
        add('taxonomy_terms.csv', term);
        described('taxonomy_term', term);
      }
      described('attribute', a);
    }
    for (const m of list(owner.metadata)) add('metadata.csv', { ...m, resource_id: owner.id, resource_type: m.resource_type ?? entity });
  };
  const phones = (value: unknown, owner: Record<string, string>) => {
    for (const p of list(value)) {
      add('phones.csv', { ...p, ...owner });
      for (const l of list(p.languages)) add('languages.csv', { ...l, phone_id: p.id });
      described('phone', p);
    }
  };
  const contacts = (value: unknown, owner: Record<string, string>) => {
    for (const c of list(value)) {
      add('contacts.csv', { ...c, ...owner });
      phones(c.phones, { contact_id: c.id });
      described('contact', c);
    }
  };
  // Records listed under another (a schedule under its service): a row each, pointing at that owner.
  const owned = (table: string, entity: string, value: unknown, owner: Record<string, string>) => {
    for (const x of list(value)) {
      add(table, { ...x, ...owner });
      described(entity, x);
    }
  };
  const schedules = (value: unknown, owner: Record<string, string>) => owned('schedules.csv', 'schedule', value, owner);
  const location = (l: Item, owner: Record<string, string>) => {
    add('locations.csv', { ...l, ...owner });
    owned('addresses.csv', 'address', l.addresses, { location_id: l.id });
    owned('accessibility.csv', 'accessibility', l.accessibility, { location_id: l.id });
    owned('languages.csv', 'language', l.languages, { location_id: l.id });
    phones(l.phones, { location_id: l.id });
    contacts(l.contacts, { location_id: l.id });
    schedules(l.schedules, { location_id: l.id });
    described('location', l);
  };
  const organization = (o: Item) => {
    add('organizations.csv', o);
    owned('organization_identifiers.csv', 'organization_identifier', o.organization_identifiers, { organization_id: o.id });
    owned('funding.csv', 'funding', o.funding, { organization_id: o.id });
    owned('programs.csv', 'program', o.programs, { organization_id: o.id });
    phones(o.phones, { organization_id: o.id });
    contacts(o.contacts, { organization_id: o.id });
    for (const l of list(o.locations)) location(l, { organization_id: o.id });
    described('organization', o);
  };
  for (const t of await q.allTaxonomies(db)) add('taxonomies.csv', t);
  // Every organisation, with or without services.
  for (const id of await q.allOrganizationIds(db)) organization((await q.readOrganization(db, id))! as unknown as Item);
  const { contents } = await exportOruk(db);
  for (const s of contents as unknown as Item[]) {
    const program = s.program as Item | undefined;
    if (program) {
      add('programs.csv', program);
      described('program', program);
    }
    owned('service_areas.csv', 'service_area', s.service_areas, { service_id: s.id });
    owned('funding.csv', 'funding', s.funding, { service_id: s.id });
    owned('required_documents.csv', 'required_document', s.required_documents, { service_id: s.id });
    const org = s.organization as Item | undefined;
    add('services.csv', { ...s, organization_id: org?.id ?? s.organization_id });
    // What the feed said of the organisation beyond our columns (legal status, phones...) came with the service.
    if (org) organization(org);
    for (const sal of list(s.service_at_locations)) {
      const l = sal.location as Item | undefined;
      add('service_at_location.csv', { id: sal.id, service_id: s.id, location_id: l?.id ?? sal.location_id, description: sal.description });
      contacts(sal.contacts, { service_at_location_id: sal.id });
      phones(sal.phones, { service_at_location_id: sal.id });
      schedules(sal.schedules, { service_at_location_id: sal.id });
      described('service_at_location', sal);
      if (l) location(l, {});
    }
    schedules(s.schedules, { service_id: s.id });
    owned('cost_options.csv', 'cost_option', s.cost_options, { service_id: s.id });
    owned('languages.csv', 'language', s.languages, { service_id: s.id });
    contacts(s.contacts, { service_id: s.id });
    phones(s.phones, { service_id: s.id });
    described('service', s);
  }
  mkdirSync(folder, { recursive: true });
  const counts: Record<string, number> = {};
  for (const [table, columns] of Object.entries(HSDS_TABLES)) {
    const lines = [columns.join(','), ...[...rows[table]!.values()].map((row) => columns.map((c) => csvField(row[c])).join(','))];
    writeFileSync(path.join(folder, table), `${lines.join('\n')}\n`);
    counts[table] = rows[table]!.size;
  }
  return counts;
}
