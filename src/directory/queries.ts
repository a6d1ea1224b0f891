import type { Db } from '../db/database.ts';
import type {
  OrukAddress,
  OrukAttribute,
  OrukContact,
  OrukCostOption,
  OrukFunding,
  OrukLanguage,
  OrukLocation,
  OrukOrganization,
  OrukPhone,
  OrukProgram,
  OrukSchedule,
  OrukService,
  OrukServiceAtLocation,
  OrukTaxonomy,
  OrukTaxonomyTerm,
} from './oruk/types.ts';
import { lgaAttributeId, lgaServiceTypesForTerm, lgaTermId, stableId } from './taxonomy.ts';

// The directory's records: services, organisations, locations and taxonomies, written and read whole.
// Search (search/queries.ts), the ORUK lists (oruk/queries.ts), curation (curation/queries.ts) and
// import state (import/queries.ts) keep their own statements.

/** Drops null, undefined and empty-array properties: ORUK fields are typed, never null. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)),
  ) as T;
}

export async function upsertOrganization(db: Db, org: OrukOrganization, source?: { feed: string }) {
  await db.query(
    `INSERT INTO directory_organization (id, name, description, email, website, logo, uri, parent_organization_id, source_feed, source_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $1)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, email = EXCLUDED.email,
       website = EXCLUDED.website, logo = EXCLUDED.logo, uri = EXCLUDED.uri, parent_organization_id = EXCLUDED.parent_organization_id,
       source_feed = COALESCE(EXCLUDED.source_feed, directory_organization.source_feed),
       last_modified = CASE WHEN (directory_organization.name, directory_organization.description, directory_organization.email,
         directory_organization.website, directory_organization.logo, directory_organization.uri, directory_organization.parent_organization_id)
         IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.email, EXCLUDED.website, EXCLUDED.logo, EXCLUDED.uri,
         EXCLUDED.parent_organization_id) THEN $10::timestamptz ELSE directory_organization.last_modified END`,
    // The time is a parameter, not now(): Citus allows only immutable functions in DO UPDATE on reference tables.
    [
      org.id,
      org.name,
      org.description ?? null,
      org.email ?? null,
      org.website ?? null,
      org.logo ?? null,
      org.uri ?? null,
      org.parent_organization_id ?? null,
      source?.feed ?? null,
      new Date(),
    ],
  );
  // An organisation's lists are replaced only when the record carries them: a service's brief
  // organisation (as in list pages) leaves what a full record set.
  if (org.organization_identifiers) {
    await db.query('DELETE FROM directory_organization_identifier WHERE organization_id = $1', [org.id]);
    for (const x of org.organization_identifiers) {
      await db.query(
        `INSERT INTO directory_organization_identifier (id, organization_id, identifier_scheme, identifier_type, identifier)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET organization_id = EXCLUDED.organization_id, identifier_scheme = EXCLUDED.identifier_scheme,
           identifier_type = EXCLUDED.identifier_type, identifier = EXCLUDED.identifier`,
        [x.id, org.id, x.identifier_scheme ?? null, x.identifier_type ?? null, x.identifier ?? null],
      );
    }
  }
  if (org.funding) await replaceFunding(db, 'organization_id', org.id, org.funding);
  if (org.programs) {
    await db.query('UPDATE directory_program SET organization_id = NULL WHERE organization_id = $1', [org.id]);
    for (const p of org.programs) await upsertProgram(db, { ...p, organization_id: org.id });
  }
}

/** Funding records of a service or an organisation; a record naming the other as well keeps that link. */
async function replaceFunding(db: Db, owner: 'service_id' | 'organization_id', id: string, funding: OrukFunding[]) {
  const other = owner === 'service_id' ? 'organization_id' : 'service_id';
  await db.query(`UPDATE directory_funding SET ${owner} = NULL WHERE ${owner} = $1 AND ${other} IS NOT NULL`, [id]);
  await db.query(`DELETE FROM directory_funding WHERE ${owner} = $1`, [id]);
  for (const f of funding) {
    await db.query(
      `INSERT INTO directory_funding (id, ${owner}, source) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET ${owner} = EXCLUDED.${owner}, source = EXCLUDED.source`,
      [f.id, id, f.source ?? null],
    );
  }
}

async function upsertProgram(db: Db, p: OrukProgram) {
  await db.query(
    // A programme naming an organisation we do not hold keeps no organisation rather than failing the record.
    `INSERT INTO directory_program (id, organization_id, name, alternate_name, description)
     VALUES ($1, (SELECT o.id FROM directory_organization o WHERE o.id = $2), $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET organization_id = COALESCE(EXCLUDED.organization_id, directory_program.organization_id),
       name = EXCLUDED.name, alternate_name = EXCLUDED.alternate_name, description = EXCLUDED.description`,
    [p.id, p.organization_id ?? null, p.name, p.alternate_name ?? null, p.description ?? null],
  );
}

export async function upsertTaxonomy(db: Db, taxonomy: OrukTaxonomy) {
  await db.query(
    `INSERT INTO directory_taxonomy (id, name, description, uri, version) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, uri = EXCLUDED.uri, version = EXCLUDED.version`,
    [taxonomy.id, taxonomy.name, taxonomy.description ?? null, taxonomy.uri ?? null, taxonomy.version ?? null],
  );
}

export async function upsertTaxonomyTerm(db: Db, term: OrukTaxonomyTerm) {
  let taxonomyId = term.taxonomy_id ?? null;
  if (term.taxonomy_detail) {
    await upsertTaxonomy(db, term.taxonomy_detail);
    taxonomyId = term.taxonomy_detail.id;
  } else if (taxonomyId) {
    await db.query(`INSERT INTO directory_taxonomy (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [
      taxonomyId,
      term.taxonomy ?? 'Imported taxonomy',
    ]);
  } else if (term.taxonomy) {
    // ORUK may name the taxonomy only in free text: keep it, as a taxonomy of that name.
    taxonomyId = stableId(`signpost:imported-taxonomy:${term.taxonomy}`);
    await db.query(`INSERT INTO directory_taxonomy (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [taxonomyId, term.taxonomy]);
  }
  await db.query(
    `INSERT INTO directory_taxonomy_term (id, taxonomy_id, code, name, description, parent_id, term_uri)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET taxonomy_id = COALESCE(EXCLUDED.taxonomy_id, directory_taxonomy_term.taxonomy_id),
       code = EXCLUDED.code, name = EXCLUDED.name, description = EXCLUDED.description, parent_id = EXCLUDED.parent_id,
       term_uri = EXCLUDED.term_uri`,
    [
      term.id,
      taxonomyId,
      term.code ?? term.term ?? null,
      term.name,
      term.description ?? null,
      term.parent_id ?? null,
      term.term_uri ?? null,
    ],
  );
}

async function insertPhones(db: Db, phones: OrukPhone[] | undefined, owner: { service?: string; location?: string; contact?: string }) {
  for (const phone of phones ?? []) {
    await db.query(
      `INSERT INTO directory_phone (id, service_id, location_id, contact_id, number, extension, type, description)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET service_id = EXCLUDED.service_id, location_id = EXCLUDED.location_id, contact_id = EXCLUDED.contact_id,
         number = EXCLUDED.number, extension = EXCLUDED.extension, type = EXCLUDED.type, description = EXCLUDED.description`,
      [
        phone.id,
        owner.service ?? null,
        owner.location ?? null,
        owner.contact ?? null,
        phone.number,
        phone.extension ?? null,
        phone.type ?? null,
        phone.description ?? null,
      ],
    );
  }
}

async function upsertLocation(db: Db, location: OrukLocation, organizationId: string | null) {
  await db.query(
    `INSERT INTO directory_location (id, organization_id, location_type, name, description, latitude, longitude, external_identifier,
       external_identifier_type)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET location_type = EXCLUDED.location_type, name = EXCLUDED.name, description = EXCLUDED.description,
       latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, external_identifier = EXCLUDED.external_identifier,
       external_identifier_type = EXCLUDED.external_identifier_type`,
    [
      location.id,
      organizationId,
      location.location_type,
      location.name ?? null,
      location.description ?? null,
      location.latitude ?? null,
      location.longitude ?? null,
      location.external_identifier ?? null,
      location.external_identifier_type ?? null,
    ],
  );
  await db.query('DELETE FROM directory_address WHERE location_id = $1', [location.id]);
  for (const a of location.addresses ?? []) {
    await db.query(
      `INSERT INTO directory_address (id, location_id, attention, address_1, address_2, city, region, state_province, postal_code, country, address_type)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET location_id = EXCLUDED.location_id, attention = EXCLUDED.attention, address_1 = EXCLUDED.address_1,
         address_2 = EXCLUDED.address_2, city = EXCLUDED.city, region = EXCLUDED.region, state_province = EXCLUDED.state_province,
         postal_code = EXCLUDED.postal_code, country = EXCLUDED.country, address_type = EXCLUDED.address_type`,
      [
        a.id,
        location.id,
        a.attention ?? null,
        a.address_1 ?? null,
        a.address_2 ?? null,
        a.city ?? null,
        a.region ?? null,
        a.state_province ?? null,
        a.postal_code ?? null,
        a.country ?? null,
        a.address_type ?? null,
      ],
    );
  }
  await db.query('DELETE FROM directory_accessibility WHERE location_id = $1', [location.id]);
  for (const a of location.accessibility ?? []) {
    await db.query(
      `INSERT INTO directory_accessibility (id, location_id, description, details, url) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET location_id = EXCLUDED.location_id, description = EXCLUDED.description,
         details = EXCLUDED.details, url = EXCLUDED.url`,
      [a.id, location.id, a.description ?? null, a.details ?? null, a.url ?? null],
    );
  }
  await db.query('DELETE FROM directory_phone WHERE location_id = $1', [location.id]);
  await insertPhones(db, location.phones, { location: location.id });
}

/**
 * Writes one full service (organisation, locations and every child record), replacing what was
 * there, then refreshes its search document. Call inside a transaction.
 */
export async function writeService(
  db: Db,
  service: OrukService,
  options: { sourceFeed?: string; capacity?: string; expectedWaitWeeks?: number | null; refreshSearch?: boolean } = {},
) {
  const organizationId = service.organization?.id ?? service.organization_id ?? null;
  if (service.organization)
    await upsertOrganization(db, service.organization, options.sourceFeed ? { feed: options.sourceFeed } : undefined);
  await db.query(
    `INSERT INTO directory_service (id, organization_id, name, description, url, email, status, fees, accreditations, eligibility_description,
       minimum_age, maximum_age, assured_date, assurer_email, alert, last_modified, source_feed, source_id, capacity, expected_wait_weeks,
       program_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, COALESCE($16::timestamptz, now()), $17, $1,
       COALESCE($18, 'unknown'), $19, $20)
     ON CONFLICT (id) DO UPDATE SET organization_id = EXCLUDED.organization_id, name = EXCLUDED.name, description = EXCLUDED.description,
       url = EXCLUDED.url, email = EXCLUDED.email, status = EXCLUDED.status, fees = EXCLUDED.fees, accreditations = EXCLUDED.accreditations,
       eligibility_description = EXCLUDED.eligibility_description, minimum_age = EXCLUDED.minimum_age, maximum_age = EXCLUDED.maximum_age,
       assured_date = EXCLUDED.assured_date, assurer_email = EXCLUDED.assurer_email, alert = EXCLUDED.alert,
       last_modified = COALESCE($16::timestamptz, directory_service.last_modified),
       source_feed = COALESCE(EXCLUDED.source_feed, directory_service.source_feed),
       capacity = COALESCE($18, directory_service.capacity), expected_wait_weeks = $19, program_id = $20,
       -- Any write makes the next import of this record write again (see saveImportState).
       import_hash = NULL`,
    [
      service.id,
      organizationId,
      service.name,
      service.description ?? null,
      service.url ?? null,
      service.email ?? null,
      service.status,
      service.fees ?? null,
      service.accreditations ?? null,
      service.eligibility_description ?? null,
      service.minimum_age ?? null,
      service.maximum_age ?? null,
      service.assured_date ?? null,
      service.assurer_email ?? null,
      service.alert ?? null,
      service.last_modified ?? null,
      options.sourceFeed ?? null,
      options.capacity ?? null,
      options.expectedWaitWeeks ?? null,
      service.program?.id ?? service.program_id ?? null,
    ],
  );
  if (service.program) await upsertProgram(db, service.program);

  for (const table of [
    'directory_schedule',
    'directory_cost_option',
    'directory_language',
    'directory_contact',
    'directory_phone',
    'directory_service_at_location',
    'directory_service_area',
    'directory_required_document',
  ]) {
    await db.query(`DELETE FROM ${table} WHERE service_id = $1`, [service.id]);
  }
  await db.query(`DELETE FROM directory_attribute WHERE link_id = $1 AND link_entity = 'service'`, [service.id]);

  for (const sal of service.service_at_locations ?? []) {
    if (sal.location) await upsertLocation(db, sal.location, organizationId);
    await db.query(
      `INSERT INTO directory_service_at_location (id, service_id, location_id, description) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET service_id = EXCLUDED.service_id, location_id = EXCLUDED.location_id, description = EXCLUDED.description`,
      [sal.id, service.id, sal.location?.id ?? sal.location_id, sal.description ?? null],
    );
  }
  for (const s of service.schedules ?? []) {
    await db.query(
      `INSERT INTO directory_schedule (id, service_id, service_at_location_id, freq, interval, byday, bymonthday, dtstart, valid_from,
         valid_to, opens_at, closes_at, description, schedule_link, attending_type, notes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (id) DO UPDATE SET service_id = EXCLUDED.service_id, service_at_location_id = EXCLUDED.service_at_location_id,
         freq = EXCLUDED.freq, interval = EXCLUDED.interval, byday = EXCLUDED.byday, bymonthday = EXCLUDED.bymonthday,
         dtstart = EXCLUDED.dtstart, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, opens_at = EXCLUDED.opens_at,
         closes_at = EXCLUDED.closes_at, description = EXCLUDED.description, schedule_link = EXCLUDED.schedule_link,
         attending_type = EXCLUDED.attending_type, notes = EXCLUDED.notes`,
      [
        s.id,
        service.id,
        s.service_at_location_id ?? null,
        s.freq ?? null,
        s.interval ?? null,
        s.byday ?? null,
        s.bymonthday ?? null,
        s.dtstart ?? null,
        s.valid_from ?? null,
        s.valid_to ?? null,
        s.opens_at ?? null,
        s.closes_at ?? null,
        s.description ?? null,
        s.schedule_link ?? null,
        s.attending_type ?? null,
        s.notes ?? null,
      ],
    );
  }
  for (const c of service.cost_options ?? []) {
    await db.query(
      `INSERT INTO directory_cost_option (id, service_id, option, amount, amount_description, valid_from, valid_to)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET service_id = EXCLUDED.service_id, option = EXCLUDED.option, amount = EXCLUDED.amount,
         amount_description = EXCLUDED.amount_description, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to`,
      [c.id, service.id, c.option ?? null, c.amount ?? null, c.amount_description ?? null, c.valid_from ?? null, c.valid_to ?? null],
    );
  }
  for (const l of service.languages ?? []) {
    await db.query(
      `INSERT INTO directory_language (id, service_id, name, code, note) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET service_id = EXCLUDED.service_id, name = EXCLUDED.name, code = EXCLUDED.code, note = EXCLUDED.note`,
      [l.id, service.id, l.name ?? null, l.code ?? null, l.note ?? null],
    );
  }
  for (const c of service.contacts ?? []) {
    await db.query(
      `INSERT INTO directory_contact (id, service_id, name, title, department, email) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET service_id = EXCLUDED.service_id, name = EXCLUDED.name, title = EXCLUDED.title,
         department = EXCLUDED.department, email = EXCLUDED.email`,
      [c.id, service.id, c.name ?? null, c.title ?? null, c.department ?? null, c.email ?? null],
    );
    await insertPhones(db, c.phones, { service: service.id, contact: c.id });
  }
  await insertPhones(db, service.phones, { service: service.id });
  for (const a of service.service_areas ?? []) {
    await db.query(
      `INSERT INTO directory_service_area (id, service_id, name, description, service_area, extent, extent_type, uri)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET service_id = EXCLUDED.service_id, name = EXCLUDED.name, description = EXCLUDED.description,
         service_area = EXCLUDED.service_area, extent = EXCLUDED.extent, extent_type = EXCLUDED.extent_type, uri = EXCLUDED.uri`,
      [
        a.id,
        service.id,
        a.name ?? null,
        a.description ?? null,
        a.service_area ?? null,
        a.extent ?? null,
        a.extent_type ?? null,
        a.uri ?? null,
      ],
    );
  }
  for (const d of service.required_documents ?? []) {
    await db.query(
      `INSERT INTO directory_required_document (id, service_id, document, uri) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET service_id = EXCLUDED.service_id, document = EXCLUDED.document, uri = EXCLUDED.uri`,
      [d.id, service.id, d.document ?? null, d.uri ?? null],
    );
  }
  await replaceFunding(db, 'service_id', service.id, service.funding ?? []);
  // A programme that no organisation lists and no service belongs to is gone from every feed.
  await db.query(
    `DELETE FROM directory_program p WHERE p.organization_id IS NULL
        AND NOT EXISTS (SELECT 1 FROM directory_service s WHERE s.program_id = p.id)`,
  );
  for (const a of service.attributes ?? []) {
    const termId = a.taxonomy_term?.id ?? a.taxonomy_term_id;
    if (!termId) continue;
    if (a.taxonomy_term) await upsertTaxonomyTerm(db, a.taxonomy_term);
    await db.query(
      `INSERT INTO directory_attribute (id, link_id, link_type, link_entity, taxonomy_term_id, value) VALUES ($1, $2, $3, 'service', $4, $5)
       ON CONFLICT (id) DO UPDATE SET link_id = EXCLUDED.link_id, link_type = EXCLUDED.link_type, link_entity = 'service',
         taxonomy_term_id = EXCLUDED.taxonomy_term_id, value = EXCLUDED.value`,
      [a.id, service.id, a.link_type ?? null, termId, a.value ?? null],
    );
  }
  // Each need also tags the service with the LGA service types it maps to, so ORUK consumers that
  // filter by the LGA Service list find it. Same id every time: re-importing our export changes nothing.
  for (const a of service.attributes ?? []) {
    for (const type of lgaServiceTypesForTerm(a.taxonomy_term?.id ?? a.taxonomy_term_id ?? '')) {
      await db.query(
        `INSERT INTO directory_attribute (id, link_id, link_type, link_entity, taxonomy_term_id) VALUES ($1, $2, 'service_type', 'service', $3)
         ON CONFLICT (id) DO NOTHING`,
        [lgaAttributeId(service.id, type.code), service.id, lgaTermId(type.code)],
      );
    }
  }
  // An import refreshes the search documents of a whole batch at once.
  if (options.refreshSearch !== false) await refreshSearch(db, [service.id]);
}

/** What an imported record said that no column holds (see hsds-extra.ts). */
export async function readServiceExtra(db: Db, id: string): Promise<unknown> {
  const { rows } = await db.query<{ extra: unknown }>('SELECT hsds_extra AS extra FROM directory_service WHERE id = $1', [id]);
  return rows[0]?.extra ?? undefined;
}

export async function refreshSearch(db: Db, serviceIds: string[]) {
  await db.query('SELECT directory_refresh_search($1::text[])', [serviceIds]);
}

export async function serviceExists(db: Db, id: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM directory_service WHERE id = $1', [id]);
  return rows.length > 0;
}

export const termSelect = `t.id, t.code, t.name, t.description, t.parent_id, t.taxonomy_id, t.term_uri, tx.name AS taxonomy,
  tx.description AS taxonomy_description, tx.uri AS taxonomy_uri, tx.version AS taxonomy_version`;

export function termJson(row: Record<string, unknown>): OrukTaxonomyTerm {
  return compact({
    // HSDS calls the term's own code `code`, the ORUK profile `term`: both are given.
    id: row.id as string,
    name: row.name as string,
    code: row.code as string | null,
    term: row.code as string | null,
    description: (row.description as string | null) ?? '',
    parent_id: row.parent_id as string | null,
    taxonomy: row.taxonomy as string | null,
    taxonomy_id: row.taxonomy_id as string | null,
    term_uri: row.term_uri as string | null,
    // HSDS 3 gives the term's taxonomy in full; the ORUK profile names it only.
    taxonomy_detail:
      row.taxonomy_id && row.taxonomy
        ? compact({
            id: row.taxonomy_id as string,
            name: row.taxonomy as string,
            description: (row.taxonomy_description as string | null) ?? '',
            uri: row.taxonomy_uri as string | null,
            version: row.taxonomy_version as string | null,
          })
        : undefined,
  });
}

async function phonesFor(db: Db, column: 'service_id' | 'location_id' | 'contact_id', id: string, extra = ''): Promise<OrukPhone[]> {
  const { rows } = await db.query<OrukPhone>(
    `SELECT id, number, extension, type, description FROM directory_phone WHERE ${column} = $1 ${extra} ORDER BY id`,
    [id],
  );
  // HSDS 3 types the extension as a number; a feed's "ext. 12" stays text rather than being lost.
  return rows.map((r) =>
    compact({ ...r, extension: r.extension !== null && /^\d{1,15}$/.test(String(r.extension)) ? Number(r.extension) : r.extension }),
  );
}

export async function readOrganization(db: Db, id: string): Promise<OrukOrganization | undefined> {
  const { rows } = await db.query(
    `SELECT id, name, description, email, website, logo, uri, parent_organization_id FROM directory_organization WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return undefined;
  const identifiers = await db.query(
    `SELECT id, organization_id, identifier_scheme, identifier_type, identifier FROM directory_organization_identifier
      WHERE organization_id = $1 ORDER BY id`,
    [id],
  );
  const funding = await db.query(
    'SELECT id, organization_id, service_id, source FROM directory_funding WHERE organization_id = $1 ORDER BY id',
    [id],
  );
  const programs = await db.query(
    'SELECT id, organization_id, name, alternate_name, description FROM directory_program WHERE organization_id = $1 ORDER BY id',
    [id],
  );
  return compact({
    ...row,
    description: row.description ?? '',
    // ORUK requires the type and the identifier, so an unknown one is sent as an empty string.
    organization_identifiers: identifiers.rows.map((x) =>
      compact({ ...x, identifier_type: x.identifier_type ?? '', identifier: x.identifier ?? '' }),
    ),
    funding: funding.rows.map((f) => compact(f) as OrukFunding),
    programs: programs.rows.map((p) => compact({ ...p, description: p.description ?? '' }) as OrukProgram),
  }) as OrukOrganization;
}

export async function readLocation(db: Db, id: string): Promise<OrukLocation | undefined> {
  const { rows } = await db.query(
    `SELECT id, location_type, name, description, latitude, longitude, external_identifier, external_identifier_type
       FROM directory_location WHERE id = $1`,
    [id],
  );
  const l = rows[0];
  if (!l) return undefined;
  const { rows: access } = await db.query(
    'SELECT id, location_id, description, details, url FROM directory_accessibility WHERE location_id = $1 ORDER BY id',
    [id],
  );
  // ORUK requires these address fields, so an unknown one is sent as an empty string.
  const { rows: addresses } = await db.query(
    `SELECT id, location_id, attention, address_1, address_2, city, region, state_province, postal_code, country, address_type
       FROM directory_address WHERE location_id = $1 ORDER BY id`,
    [id],
  );
  const address = addresses.map(
    (a) =>
      compact({
        ...a,
        address_1: a.address_1 ?? '',
        city: a.city ?? '',
        state_province: a.state_province ?? '',
        postal_code: a.postal_code ?? '',
        country: a.country ?? '',
        address_type: a.address_type ?? 'physical',
      }) as OrukAddress,
  );
  return compact({
    id: l.id,
    location_type: l.location_type,
    name: l.name,
    description: l.description,
    latitude: l.latitude,
    longitude: l.longitude,
    external_identifier: l.external_identifier,
    external_identifier_type: l.external_identifier_type,
    addresses: address,
    accessibility: access.map((a) => compact(a)),
    phones: await phonesFor(db, 'location_id', id),
  }) as OrukLocation;
}

/** One service fully nested, as the ORUK /services/{id} endpoint and the exports give it. */
export async function readService(db: Db, id: string): Promise<OrukService | undefined> {
  const { rows } = await db.query(
    `SELECT id, organization_id, name, description, url, email, status, fees, accreditations, eligibility_description,
            minimum_age, maximum_age, to_char(assured_date, 'YYYY-MM-DD') AS assured_date, assurer_email, alert,
            to_char(last_modified AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_modified, capacity, program_id
       FROM directory_service WHERE id = $1`,
    [id],
  );
  const s = rows[0];
  if (!s) return undefined;
  const { rows: sals } = await db.query(
    'SELECT id, service_id, location_id, description FROM directory_service_at_location WHERE service_id = $1 ORDER BY id',
    [id],
  );
  const serviceAtLocations: OrukServiceAtLocation[] = [];
  for (const sal of sals)
    serviceAtLocations.push(compact({ ...sal, location: await readLocation(db, sal.location_id) }) as OrukServiceAtLocation);
  const { rows: schedules } = await db.query(
    `SELECT id, service_id, service_at_location_id, freq, interval, byday, bymonthday, to_char(dtstart, 'YYYY-MM-DD') AS dtstart,
            to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to,
            to_char(opens_at, 'HH24:MI:SS') AS opens_at, to_char(closes_at, 'HH24:MI:SS') AS closes_at,
            description, schedule_link, attending_type, notes
       FROM directory_schedule WHERE service_id = $1 ORDER BY id`,
    [id],
  );
  const { rows: costs } = await db.query(
    `SELECT id, service_id, option, amount, amount_description, to_char(valid_from, 'YYYY-MM-DD') AS valid_from,
            to_char(valid_to, 'YYYY-MM-DD') AS valid_to
       FROM directory_cost_option WHERE service_id = $1 ORDER BY id`,
    [id],
  );
  const { rows: languages } = await db.query(
    'SELECT id, service_id, name, code, note FROM directory_language WHERE service_id = $1 ORDER BY id',
    [id],
  );
  const { rows: contacts } = await db.query(
    'SELECT id, service_id, name, title, department, email FROM directory_contact WHERE service_id = $1 ORDER BY id',
    [id],
  );
  const contactJson: OrukContact[] = [];
  for (const c of contacts) contactJson.push(compact({ ...c, phones: await phonesFor(db, 'contact_id', c.id) }) as OrukContact);
  const { rows: attributes } = await db.query(
    `SELECT a.id AS attribute_id, a.link_id, a.link_type, a.value, ${termSelect}
       FROM directory_attribute a JOIN directory_taxonomy_term t ON t.id = a.taxonomy_term_id
       LEFT JOIN directory_taxonomy tx ON tx.id = t.taxonomy_id
      WHERE a.link_id = $1 AND a.link_entity = 'service' ORDER BY a.id`,
    [id],
  );
  const organization = s.organization_id ? await readOrganization(db, s.organization_id) : undefined;
  const { rows: areas } = await db.query(
    'SELECT id, service_id, name, description, service_area, extent, extent_type, uri FROM directory_service_area WHERE service_id = $1 ORDER BY id',
    [id],
  );
  const { rows: funding } = await db.query(
    'SELECT id, organization_id, service_id, source FROM directory_funding WHERE service_id = $1 ORDER BY id',
    [id],
  );
  const { rows: documents } = await db.query(
    'SELECT id, service_id, document, uri FROM directory_required_document WHERE service_id = $1 ORDER BY id',
    [id],
  );
  const { rows: programs } = s.program_id
    ? await db.query('SELECT id, organization_id, name, alternate_name, description FROM directory_program WHERE id = $1', [s.program_id])
    : { rows: [] };
  return compact({
    id: s.id,
    organization_id: s.organization_id,
    name: s.name,
    description: s.description,
    url: s.url,
    email: s.email,
    status: s.status,
    fees: s.fees,
    accreditations: s.accreditations,
    eligibility_description: s.eligibility_description,
    minimum_age: s.minimum_age,
    maximum_age: s.maximum_age,
    assured_date: s.assured_date,
    assurer_email: s.assurer_email,
    alert: s.alert,
    last_modified: s.last_modified,
    program_id: s.program_id,
    organization,
    service_at_locations: serviceAtLocations,
    service_areas: areas.map((r) => compact(r)),
    funding: funding.map((r) => compact(r) as OrukFunding),
    program: programs[0] ? (compact({ ...programs[0], description: programs[0].description ?? '' }) as OrukProgram) : undefined,
    required_documents: documents.map((r) => compact(r)),
    schedules: schedules.map((r) => compact(r) as OrukSchedule),
    cost_options: costs.map((r) => compact(r) as OrukCostOption),
    languages: languages.map((r) => compact(r) as OrukLanguage),
    contacts: contactJson,
    phones: await phonesFor(db, 'service_id', id, 'AND contact_id IS NULL'),
    attributes: attributes.map(
      (r) =>
        compact({
          id: r.attribute_id,
          link_id: r.link_id,
          link_type: r.link_type,
          link_entity: 'service',
          taxonomy_term_id: r.id,
          value: r.value,
          taxonomy_term: termJson(r),
        }) as OrukAttribute,
    ),
  }) as OrukService;
}

export async function readTaxonomy(db: Db, id: string): Promise<OrukTaxonomy | undefined> {
  const { rows } = await db.query('SELECT id, name, description, uri, version FROM directory_taxonomy WHERE id = $1', [id]);
  return rows[0] ? (compact({ ...rows[0], description: rows[0].description ?? '' }) as OrukTaxonomy) : undefined;
}

export async function readTaxonomyTerm(db: Db, id: string): Promise<OrukTaxonomyTerm | undefined> {
  const { rows } = await db.query(
    `SELECT ${termSelect} FROM directory_taxonomy_term t LEFT JOIN directory_taxonomy tx ON tx.id = t.taxonomy_id WHERE t.id = $1`,
    [id],
  );
  return rows[0] ? termJson(rows[0]) : undefined;
}

/** HSDS 3 application_process ("how to apply"), kept beside the ORUK fields. */
export async function readApplicationProcess(db: Db, serviceId: string): Promise<string | null> {
  const { rows } = await db.query<{ applicationProcess: string | null }>(
    'SELECT application_process AS "applicationProcess" FROM directory_service WHERE id = $1',
    [serviceId],
  );
  return rows[0]?.applicationProcess ?? null;
}

export async function writeApplicationProcess(db: Db, serviceId: string, text: string | null) {
  await db.query('UPDATE directory_service SET application_process = $2 WHERE id = $1', [serviceId, text]);
}

/** A taxonomy term by its exact name or code, ignoring case; the first by id when several share it. */
export async function findTaxonomyTermByNameOrCode(
  db: Db,
  wanted: string,
): Promise<{ id: string; name: string; taxonomyId: string | null } | undefined> {
  const { rows } = await db.query<{ id: string; name: string; taxonomyId: string | null }>(
    `SELECT id, name, taxonomy_id AS "taxonomyId" FROM directory_taxonomy_term
      WHERE lower(name) = lower($1) OR lower(code) = lower($1) OR id = $1 ORDER BY (lower(name) = lower($1)) DESC, id LIMIT 1`,
    [wanted],
  );
  return rows[0];
}

/** An organisation by its exact name, ignoring case and surrounding spaces. */
export async function findOrganizationByName(db: Db, name: string): Promise<{ id: string; name: string } | undefined> {
  const { rows } = await db.query<{ id: string; name: string }>(
    'SELECT id, name FROM directory_organization WHERE lower(btrim(name)) = lower(btrim($1)) ORDER BY id LIMIT 1',
    [name],
  );
  return rows[0];
}

export async function allServiceIds(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM directory_service ORDER BY id');
  return rows.map((r) => r.id);
}

export async function allOrganizationIds(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM directory_organization ORDER BY id');
  return rows.map((r) => r.id);
}

export async function allTaxonomyTerms(db: Db) {
  const { rows } = await db.query(
    'SELECT id, taxonomy_id, code, name, description, parent_id, term_uri FROM directory_taxonomy_term ORDER BY id',
  );
  return rows;
}

export async function allTaxonomies(db: Db) {
  const { rows } = await db.query('SELECT id, name, description, uri, version FROM directory_taxonomy ORDER BY id');
  return rows;
}
