import type pg from 'pg';
import { orukService, orukServices } from '../../directory/oruk.ts';
import type { OrukService } from '../../directory/oruk-types.ts';
import { INSTRUMENTS, type InstrumentCode } from '../../outcomes/instruments.ts';
import { NotFound } from '../../web/errors.ts';
import type { Json } from './mapping.ts';
import type { Found, Page } from './service.ts';

// Shared reference data as FHIR: directory services as HealthcareService (read through the
// directory's ORUK functions, so the same rules decide what is public), and the outcome measures
// as Questionnaire. Neither is tenant data; any system with the read scope may see them.

const addressText = (a: { address_1?: string | null; city?: string | null; postal_code?: string | null }) => [a.address_1, a.city, a.postal_code].filter(Boolean).join(', ');

/** A directory service. Its locations travel as references by display (Location is not served). */
export function healthcareService(s: OrukService): Json {
  const phones = (s.phones ?? []).map((p) => ({ system: 'phone', value: p.number }));
  const telecom = [...phones, ...(s.email ? [{ system: 'email', value: s.email }] : []), ...(s.url ? [{ system: 'url', value: s.url }] : [])];
  const locations = (s.service_at_locations ?? []).flatMap((sal) => {
    const l = sal.location;
    if (!l) return [];
    const where = [l.name, ...(l.addresses ?? []).filter((a) => a.postal_code || a.address_1).slice(0, 1).map(addressText)].filter(Boolean).join(', ');
    return where ? [{ display: where }] : [];
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
  const result = await orukServices(pool, {
    page: String(Math.floor(page.offset / page.count) + 1), per_page: String(page.count), full: 'true', ...(search.name ? { search: search.name } : {}),
  }) as { total_items: number; contents: OrukService[] };
  return { resources: result.contents.map(healthcareService), total: result.total_items };
}

export async function readHealthcareService(pool: pg.Pool, id: string): Promise<Json> {
  try {
    return healthcareService(await orukService(pool, id) as OrukService);
  } catch (error) {
    if (error instanceof NotFound) throw new NotFound('HealthcareService');
    throw error;
  }
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
      extension: [{ url: MIN_VALUE, valueInteger: def.min }, { url: MAX_VALUE, valueInteger: def.max }],
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
