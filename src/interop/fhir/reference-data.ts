import type pg from 'pg';
import { orukService, orukServices } from '../../directory/oruk/service.ts';
import type { OrukAddress, OrukLocation, OrukService } from '../../directory/oruk/types.ts';
import { directoryLocation, searchLocations } from '../../directory/service.ts';
import { INSTRUMENTS, type InstrumentCode } from '../../outcomes/instruments.ts';
import { InvalidInput, NotFound } from '../../web/errors.ts';
import { FhirInputError, type Json } from './mapping.ts';
import type { Found, Page } from './service.ts';

// Shared reference data as FHIR: directory services as HealthcareService (read through the
// directory's ORUK functions, so the same rules decide what is public), the places they are
// delivered as Location, and the outcome measures as Questionnaire. Neither is tenant data; any system with the read scope may see them.

const addressText = (a: { address_1?: string | null; city?: string | null; postal_code?: string | null }) =>
  [a.address_1, a.city, a.postal_code].filter(Boolean).join(', ');

/** A directory service, referring to the Locations where it is delivered. */
export function healthcareService(s: OrukService): Json {
  const phones = (s.phones ?? []).map((p) => ({ system: 'phone', value: p.number }));
  const telecom = [
    ...phones,
    ...(s.email ? [{ system: 'email', value: s.email }] : []),
    ...(s.url ? [{ system: 'url', value: s.url }] : []),
  ];
  const locations = (s.service_at_locations ?? []).flatMap((sal) => {
    const l = sal.location;
    if (!l) return [];
    const where = [
      l.name,
      ...(l.addresses ?? [])
        .filter((a) => a.postal_code || a.address_1)
        .slice(0, 1)
        .map(addressText),
    ]
      .filter(Boolean)
      .join(', ');
    return [{ reference: `Location/${l.id}`, ...(where ? { display: where } : {}) }];
  });
  return {
    resourceType: 'HealthcareService',
    id: s.id,
    ...(s.last_modified ? { meta: { lastUpdated: new Date(s.last_modified).toISOString() } } : {}),
    active: s.status === 'active',
    ...(s.organization?.name ? { providedBy: { display: s.organization.name } } : {}),
    name: s.name,
    ...(s.description ? { comment: s.description.slice(0, 1000) } : {}),
    ...(locations.length ? { location: locations } : {}),
    ...(telecom.length ? { telecom } : {}),
  };
}

export async function searchHealthcareServices(pool: pg.Pool, search: { name?: string }, page: Page): Promise<Found> {
  // The directory pages by page number; FHIR offsets from next links are always whole pages.
  const result = (await orukServices(pool, {
    page: String(Math.floor(page.offset / page.count) + 1),
    per_page: String(page.count),
    full: 'true',
    ...(search.name ? { search: search.name } : {}),
  })) as { total_items: number; contents: OrukService[] };
  return { resources: result.contents.map(healthcareService), total: result.total_items };
}

export async function readHealthcareService(pool: pg.Pool, id: string): Promise<Json> {
  try {
    return healthcareService((await orukService(pool, id)) as OrukService);
  } catch (error) {
    if (error instanceof NotFound) throw new NotFound('HealthcareService');
    throw error;
  }
}

/** FHIR forbids empty strings; ORUK sends its required address fields as "" when unknown. */
const text = (value: string | null | undefined) => (value && value.trim() ? value.trim() : undefined);

/** R4 Location.address holds one address: the physical one with a postcode, else the first. */
function fhirAddress(addresses: OrukAddress[]): Json | undefined {
  const a = addresses.find((x) => x.address_type !== 'postal' && text(x.postal_code)) ?? addresses[0];
  if (!a) return undefined;
  const line = [a.address_1, a.address_2].map(text).filter(Boolean);
  const fields = {
    ...(line.length ? { line } : {}),
    ...(text(a.city) ? { city: text(a.city) } : {}),
    ...(text(a.region) ? { district: text(a.region) } : {}),
    ...(text(a.state_province) ? { state: text(a.state_province) } : {}),
    ...(text(a.postal_code) ? { postalCode: text(a.postal_code) } : {}),
    ...(text(a.country) ? { country: text(a.country) } : {}),
  };
  if (!Object.keys(fields).length) return undefined;
  return { use: 'work', ...(a.address_type === 'physical' || a.address_type === 'postal' ? { type: a.address_type } : {}), ...fields };
}

/** A directory location: where services are delivered. */
export function location(l: OrukLocation): Json {
  const address = fhirAddress(l.addresses ?? []);
  const telecom = (l.phones ?? []).map((p) => ({ system: 'phone', value: p.number }));
  return {
    resourceType: 'Location',
    id: l.id,
    mode: 'instance',
    ...(text(l.name) ? { name: text(l.name) } : {}),
    ...(text(l.description) ? { description: text(l.description)!.slice(0, 1000) } : {}),
    ...(telecom.length ? { telecom } : {}),
    ...(address ? { address } : {}),
    ...(l.latitude != null && l.longitude != null ? { position: { latitude: l.latitude, longitude: l.longitude } } : {}),
  };
}

export async function searchLocationResources(pool: pg.Pool, search: { name?: string; postcode?: string }, page: Page): Promise<Found> {
  try {
    const { locations, total } = await searchLocations(pool, search, page.count, page.offset);
    return { resources: locations.map(location), total };
  } catch (error) {
    if (error instanceof InvalidInput) throw new FhirInputError([{ diagnostics: `address-postalcode: ${error.message}` }]);
    throw error;
  }
}

export async function readLocation(pool: pg.Pool, id: string): Promise<Json> {
  const found = await directoryLocation(pool, id);
  if (!found) throw new NotFound('Location');
  return location(found);
}

const MIN_VALUE = 'http://hl7.org/fhir/StructureDefinition/minValue';
const MAX_VALUE = 'http://hl7.org/fhir/StructureDefinition/maxValue';

/** An outcome measure: one integer item per question, answered on the instrument's scale. */
export function questionnaire(code: InstrumentCode): Json {
  const def = INSTRUMENTS[code];
  return {
    resourceType: 'Questionnaire',
    id: code,
    status: 'active',
    name: def.shortName.replace(/[^A-Za-z0-9]/g, ''),
    title: def.name,
    subjectType: ['Patient'],
    description: def.instruction,
    copyright: def.licence,
    item: def.items.map((item) => ({
      linkId: item.id,
      text: `${item.text} (${item.options.map((o) => `${o.value} ${o.label}`).join('; ')})`,
      type: 'integer',
      required: true,
      extension: [
        { url: MIN_VALUE, valueInteger: def.min },
        { url: MAX_VALUE, valueInteger: def.max },
      ],
    })),
  };
}

export function searchQuestionnaires(page: Page): Found {
  const all = (Object.keys(INSTRUMENTS) as InstrumentCode[]).map(questionnaire);
  return { resources: all.slice(page.offset, page.offset + page.count), total: all.length };
}

export function readQuestionnaire(id: string): Json {
  if (!(id in INSTRUMENTS)) throw new NotFound('Questionnaire');
  return questionnaire(id as InstrumentCode);
}
