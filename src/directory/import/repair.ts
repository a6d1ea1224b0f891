// Real feeds are messy: a web address without its scheme, a web address in an email field, a
// latitude sent as text. One bad value must not cost a person the whole service, so each record
// is repaired value by value, every repair or dropped value reported with the record's id; only a
// record without what the ORUK profile requires (id, name, status, organisation) is refused.

const STATUSES = ['active', 'inactive', 'defunct', 'temporarily closed'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LOCATION_TYPES = ['physical', 'postal', 'virtual'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?/;

export interface FieldProblem {
  /** Where in the record, like `url` or `schedules[sch-1].opens_at`. */
  field: string;
  problem: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => !!value && typeof value === 'object' && !Array.isArray(value);
const present = (value: unknown) => value !== undefined && value !== null && value !== '';

function isUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.includes('.');
  } catch {
    return false;
  }
}

/** A web address, with `https://` added to a bare domain (`www.example.org/page`); undefined when it is none. */
export function asWebAddress(raw: string): string | undefined {
  const value = raw.trim();
  if (isUrl(value)) return value;
  if (/^\/\//.test(value) && isUrl(`https:${value}`)) return `https:${value}`;
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(:\d+)?([/?#]\S*)?$/i.test(value) && isUrl(`https://${value}`)) return `https://${value}`;
  return undefined;
}

function asEmail(raw: string): string | undefined {
  const value = raw.trim().replace(/^mailto:/i, '');
  return EMAIL.test(value) ? value : undefined;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

class Repairer {
  problems: FieldProblem[] = [];

  report(field: string, problem: string) {
    this.problems.push({ field, problem });
  }

  /** A string field that must be a web address: repaired, or dropped. */
  webAddress(record: Json, key: string, where: string) {
    const value = record[key];
    if (!present(value)) return;
    const fixed = typeof value === 'string' ? asWebAddress(value) : undefined;
    if (fixed === undefined) {
      this.report(`${where}${key}`, `"${String(value)}" is not a web address, so it was left out`);
      delete record[key];
    } else if (fixed !== value) {
      this.report(`${where}${key}`, `"${String(value)}" was read as ${fixed}`);
      record[key] = fixed;
    }
  }

  /** An email field: kept, or (holding a web address) moved to `urlKey` when that is empty, or dropped. */
  email(record: Json, key: string, where: string, urlKey?: string) {
    const value = record[key];
    if (!present(value)) return;
    const email = typeof value === 'string' ? asEmail(value) : undefined;
    if (email !== undefined) {
      if (email !== value) record[key] = email;
      return;
    }
    delete record[key];
    const web = typeof value === 'string' ? asWebAddress(value) : undefined;
    if (web && urlKey && !present(record[urlKey])) {
      record[urlKey] = web;
      this.report(`${where}${key}`, `"${String(value)}" is a web address, not an email address, so it was moved to ${urlKey}`);
    } else {
      this.report(`${where}${key}`, `"${String(value)}" is not an email address, so it was left out`);
    }
  }

  number(record: Json, key: string, where: string, min = -Infinity) {
    const value = record[key];
    if (!present(value)) return;
    const n = asNumber(value);
    if (n === undefined || n < min) {
      this.report(`${where}${key}`, `"${String(value)}" is not a number, so it was left out`);
      delete record[key];
    } else record[key] = n;
  }

  date(record: Json, key: string, where: string, pattern = DATE) {
    const value = record[key];
    if (!present(value)) return;
    if (typeof value !== 'string' || !pattern.test(value.trim()) || Number.isNaN(Date.parse(value.trim().slice(0, 10)))) {
      this.report(`${where}${key}`, `"${String(value)}" is not a date like 2026-01-31, so it was left out`);
      delete record[key];
    }
  }

  /** A list of records with ids: not a list is dropped; items that are not records with an id are dropped. */
  list(record: Json, key: string, where: string): Json[] {
    const value = record[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.report(`${where}${key}`, 'is not a list, so it was left out');
      delete record[key];
      return [];
    }
    const kept = value.filter((item, index) => {
      const ok = isObject(item) && ((typeof item.id === 'string' && item.id.trim() !== '') || typeof item.id === 'number');
      if (!ok) this.report(`${where}${key}[${index}]`, 'has no id, so it was left out');
      return ok;
    }) as Json[];
    for (const item of kept) if (typeof item.id === 'number') item.id = String(item.id);
    record[key] = kept;
    return kept;
  }

  object(record: Json, key: string, where: string): Json | undefined {
    const value = record[key];
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) {
      this.report(`${where}${key}`, 'is not an object, so it was left out');
      delete record[key];
      return undefined;
    }
    return value;
  }

  phones(record: Json, where: string) {
    for (const phone of this.list(record, 'phones', where)) {
      if (!present(phone.number) || typeof phone.number !== 'string') {
        this.report(`${where}phones[${String(phone.id)}]`, 'has no number, so it was left out');
        record.phones = (record.phones as Json[]).filter((p) => p !== phone);
      }
    }
  }

  organization(org: Json, where: string) {
    this.webAddress(org, 'website', where);
    this.email(org, 'email', where, 'website');
    this.list(org, 'organization_identifiers', where);
    this.list(org, 'funding', where);
    for (const p of this.list(org, 'programs', where)) {
      if (typeof p.name !== 'string' || !p.name.trim()) {
        this.report(`${where}programs[${String(p.id)}]`, 'has no name, so it was left out');
        org.programs = (org.programs as Json[]).filter((x) => x !== p);
      }
    }
  }

  location(l: Json, where: string) {
    if (!LOCATION_TYPES.includes(l.location_type as string)) {
      const lower = typeof l.location_type === 'string' ? l.location_type.trim().toLowerCase() : '';
      if (!LOCATION_TYPES.includes(lower))
        this.report(
          `${where}location_type`,
          `"${String(l.location_type ?? '')}" is not physical, postal or virtual, so physical was assumed`,
        );
      l.location_type = LOCATION_TYPES.includes(lower) ? lower : 'physical';
    }
    this.number(l, 'latitude', where);
    this.number(l, 'longitude', where);
    if (present(l.latitude) !== present(l.longitude)) {
      this.report(`${where}latitude`, 'only one of latitude and longitude was given, so neither was kept');
      delete l.latitude;
      delete l.longitude;
    }
    for (const a of this.list(l, 'addresses', where)) {
      if (present(a.address_type) && !LOCATION_TYPES.includes(a.address_type as string)) {
        this.report(
          `${where}addresses[${String(a.id)}].address_type`,
          `"${String(a.address_type)}" is not physical, postal or virtual, so it was left out`,
        );
        delete a.address_type;
      }
    }
    for (const a of this.list(l, 'accessibility', where)) this.webAddress(a, 'url', `${where}accessibility[${String(a.id)}].`);
    this.phones(l, where);
  }
}

/** Why a record must be refused (it lacks what the ORUK profile requires), or undefined. */
export function refusal(record: unknown): string | undefined {
  if (!isObject(record)) return 'it is not a record';
  if (typeof record.id !== 'string' || !record.id.trim()) return 'it has no id';
  if (record.id.length > 100) return 'its id is longer than 100 characters';
  if (typeof record.name !== 'string' || !record.name.trim()) return 'it has no name';
  if (record.name.length > 300) return 'its name is longer than 300 characters';
  const status = typeof record.status === 'string' ? record.status.trim().toLowerCase() : undefined;
  if (!status) return 'it has no status';
  if (!STATUSES.includes(status)) return `its status "${String(record.status)}" is not one of ${STATUSES.join(', ')}`;
  const org = record.organization;
  if (org !== undefined && org !== null) {
    if (!isObject(org) || typeof org.id !== 'string' || !org.id.trim() || typeof org.name !== 'string' || !org.name.trim()) {
      return 'its organization has no id or name';
    }
  } else if (typeof record.organization_id !== 'string' || !record.organization_id.trim()) {
    return 'it has no organization';
  }
  return undefined;
}

/**
 * A copy of a service record that the database will take, and what was changed or left out to
 * get it. Call only for a record `refusal` accepts.
 */
export function repairService(record: unknown): { service: Json; problems: FieldProblem[] } {
  const s = structuredClone(record) as Json;
  const r = new Repairer();
  s.status = (s.status as string).trim().toLowerCase();
  r.webAddress(s, 'url', '');
  r.email(s, 'email', '', 'url');
  r.email(s, 'assurer_email', '');
  r.number(s, 'minimum_age', '', 0);
  r.number(s, 'maximum_age', '', 0);
  r.date(s, 'assured_date', '');
  r.date(s, 'last_modified', '', /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/);

  const org = r.object(s, 'organization', '');
  if (org) r.organization(org, 'organization.');

  const program = r.object(s, 'program', '');
  if (program && (!present(program.id) || typeof program.name !== 'string' || !program.name.trim())) {
    r.report('program', 'has no id or name, so it was left out');
    delete s.program;
  }

  for (const sal of r.list(s, 'service_at_locations', '')) {
    const where = `service_at_locations[${String(sal.id)}].`;
    const location = r.object(sal, 'location', where);
    if (!location && !present(sal.location_id)) {
      r.report(`service_at_locations[${String(sal.id)}]`, 'has no location, so it was left out');
      s.service_at_locations = (s.service_at_locations as Json[]).filter((x) => x !== sal);
      continue;
    }
    if (location && !present(location.id)) {
      r.report(`${where}location`, 'has no id, so it was left out');
      s.service_at_locations = (s.service_at_locations as Json[]).filter((x) => x !== sal);
      continue;
    }
    if (location) r.location(location, `${where}location.`);
  }
  for (const sc of r.list(s, 'schedules', '')) {
    const where = `schedules[${String(sc.id)}].`;
    for (const key of ['opens_at', 'closes_at']) {
      if (present(sc[key]) && (typeof sc[key] !== 'string' || !TIME.test(sc[key] as string))) {
        r.report(`${where}${key}`, `"${String(sc[key])}" is not a time like 09:30, so it was left out`);
        delete sc[key];
      }
    }
    if (present(sc.freq)) {
      const freq = String(sc.freq).trim().toUpperCase();
      if (['WEEKLY', 'MONTHLY'].includes(freq)) sc.freq = freq;
      else {
        r.report(`${where}freq`, `"${String(sc.freq)}" is not WEEKLY or MONTHLY, so it was left out`);
        delete sc.freq;
      }
    }
    r.number(sc, 'interval', where, 0);
    for (const key of ['dtstart', 'valid_from', 'valid_to']) r.date(sc, key, where);
  }
  // HSDS 3.0 nests a pair's schedules under the pair as well; a service schedule listed under exactly one of
  // its pairs is that pair's, as the tabular form (one service_at_location_id column) says it.
  const pairs = Array.isArray(s.service_at_locations) ? (s.service_at_locations as unknown[]).filter(isObject) : [];
  for (const sc of Array.isArray(s.schedules) ? (s.schedules as unknown[]).filter(isObject) : []) {
    if (present(sc.service_at_location_id)) continue;
    const listing = pairs.filter((p) => Array.isArray(p.schedules) && p.schedules.some((x) => isObject(x) && x.id === sc.id));
    if (listing.length === 1) sc.service_at_location_id = listing[0]!.id;
  }
  for (const c of r.list(s, 'cost_options', '')) {
    const where = `cost_options[${String(c.id)}].`;
    r.number(c, 'amount', where, 0);
    for (const key of ['valid_from', 'valid_to']) r.date(c, key, where);
  }
  r.list(s, 'languages', '');
  for (const c of r.list(s, 'contacts', '')) {
    r.email(c, 'email', `contacts[${String(c.id)}].`);
    r.phones(c, `contacts[${String(c.id)}].`);
  }
  r.phones(s, '');
  r.list(s, 'service_areas', '');
  r.list(s, 'funding', '');
  r.list(s, 'required_documents', '');
  for (const a of r.list(s, 'attributes', '')) {
    const term = isObject(a.taxonomy_term) ? a.taxonomy_term : undefined;
    const termId = term?.id ?? a.taxonomy_term_id;
    if (!present(termId) || (term && (typeof term.name !== 'string' || !term.name.trim()))) {
      r.report(`attributes[${String(a.id)}]`, 'has no taxonomy term with an id and a name, so it was left out');
      s.attributes = (s.attributes as Json[]).filter((x) => x !== a);
    }
  }
  return { service: s, problems: r.problems };
}
