import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import { lookupPostcode, normalisePostcode } from '../../geo/postcodes.ts';
import { field, fields } from '../../web/forms.ts';
import { InvalidInput, type FieldError } from '../../web/errors.ts';
import { findNeed, isNeedCode, NEEDS } from '../../vocabulary/needs.ts';
import type { OrukAccessibility, OrukAttribute, OrukLocation, OrukSchedule, OrukService } from '../oruk/types.ts';
import * as q from '../queries.ts';
import {
  CAPACITY_TAXONOMY_ID,
  DELIVERY_METHODS,
  DELIVERY_TAXONOMY_ID,
  LGA_TAXONOMY_ID,
  NEEDS_TAXONOMY_ID,
  deliveryCodeForTerm,
  deliveryTermId,
  lgaAttributeId,
  needCodeForTerm,
  needTermId,
} from '../taxonomy.ts';

// The parts of a service curation edits beyond its name, contact and capacity. Each part reads a
// form into a checked value (a 400 naming the field, nothing saved), applies that value to the full
// ORUK service, and describes itself in words for the difference a curator reviews. A provider's
// checked value waits in a change request and is applied to the service as it is when accepted.

/** A service as curation reads and writes it: the ORUK record plus HSDS 3 application_process. */
export type EditableService = OrukService & { application_process?: string | null };

export const DAYS = [
  { code: 'MO', name: 'Monday' },
  { code: 'TU', name: 'Tuesday' },
  { code: 'WE', name: 'Wednesday' },
  { code: 'TH', name: 'Thursday' },
  { code: 'FR', name: 'Friday' },
  { code: 'SA', name: 'Saturday' },
  { code: 'SU', name: 'Sunday' },
] as const;
/** RFC 5545 BYDAY ordinals as HSDS 3 uses them: "1MO" is the first Monday of the month, "-1FR" the last Friday. */
export const WEEKS_OF_MONTH = [
  { code: '1', name: 'First' },
  { code: '2', name: 'Second' },
  { code: '3', name: 'Third' },
  { code: '4', name: 'Fourth' },
  { code: '-1', name: 'Last' },
] as const;

/** Empty rows a repeating form offers for additions (without JavaScript, saving offers more). */
export const SPARE_ROWS = 2;
const MAX_ROWS = 50;
const TIME = /^([01]?\d|2[0-3])[:.]([0-5]\d)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PHONE = /^\+?[\d\s()-]{7,25}$/;
const WHEELCHAIR = /wheelchair|step-free|step free/i;
const HEARING_LOOP = /(hearing|induction) loop/i;

type Body = unknown;
type Describe = Record<string, string | null>;

export interface Section<V> {
  /** Its address under /curation/services/:id/ and the name a change request records. */
  path: string;
  title: string;
  /** The form's values for a service as it is. */
  formValues(service: EditableService): Record<string, unknown>;
  /** Reads and checks the form; throws InvalidInput naming each wrong field. */
  check(db: Db, body: Body, service: EditableService): Promise<V>;
  apply(service: EditableService, value: V): EditableService;
  /** The part in words, one entry per thing a person changes, for the difference. */
  describe(service: EditableService): Describe;
}

function fail(errors: FieldError[]): void {
  if (errors.length) throw new InvalidInput(errors);
}

/** How many rows a repeating form posted (indexes 0..n-1 of `probe`). */
function rowCount(body: Body, probe: string): number {
  let n = 0;
  while (n < MAX_ROWS + SPARE_ROWS && body && typeof body === 'object' && Object.hasOwn(body, `${probe}-${n}`)) n++;
  return n;
}

/** The id a row posted, when it names a record the service already has; otherwise a new one. */
function keptId(posted: string, existing: ReadonlyArray<{ id: string }>): string {
  return posted && existing.some((e) => e.id === posted) ? posted : randomUUID();
}

function time(raw: string): string | undefined {
  const m = TIME.exec(raw);
  return m ? `${m[1]!.padStart(2, '0')}:${m[2]}` : undefined;
}

function validDate(raw: string): boolean {
  if (!DATE.test(raw)) return false;
  const d = new Date(`${raw}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === raw;
}

const longDate = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
export function dateInWords(iso: string | null | undefined): string {
  return iso && validDate(iso.slice(0, 10)) ? longDate.format(new Date(`${iso.slice(0, 10)}T00:00:00Z`)) : '';
}

// ---- Opening times and holiday closures (HSDS 3 schedule) ----

/**
 * A holiday closure is a schedule with dates and nothing else: no frequency, days or hours (HSDS 3
 * has no closure record; valid_from/valid_to bound it and description says why).
 */
export function isClosure(s: OrukSchedule): boolean {
  return !s.freq && !s.byday && !s.opens_at && !s.closes_at && Boolean(s.valid_from);
}

/** "First Monday of the month, 10:00 to 12:00" / "Every Tuesday, 09:30 to 11:00". */
export function scheduleInWords(s: OrukSchedule): string {
  const days = (s.byday ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => {
      const m = /^(-?\d)?([A-Z]{2})$/.exec(d);
      const day = DAYS.find((x) => x.code === m?.[2])?.name;
      if (!m || !day) return d;
      const week = WEEKS_OF_MONTH.find((w) => w.code === m[1])?.name;
      return week ? `${week} ${day} of the month` : day;
    });
  const when = days.length
    ? s.freq === 'MONTHLY' && !/\d/.test(s.byday ?? '')
      ? `Monthly on ${days.join(', ')}`
      : days.some((d) => d.includes('of the month'))
        ? days.join(', ')
        : `Every ${days.join(', ')}`
    : '';
  const hours = s.opens_at && s.closes_at ? `${s.opens_at.slice(0, 5)} to ${s.closes_at.slice(0, 5)}` : '';
  const bounds = [s.valid_from ? `from ${dateInWords(s.valid_from)}` : '', s.valid_to ? `until ${dateInWords(s.valid_to)}` : '']
    .filter(Boolean)
    .join(' ');
  return [[when, hours].filter(Boolean).join(', '), bounds, s.description ?? ''].filter(Boolean).join('; ');
}

export function closureInWords(s: OrukSchedule): string {
  const from = dateInWords(s.valid_from);
  const to = dateInWords(s.valid_to);
  const dates = to && to !== from ? `Closed ${from} to ${to}` : `Closed ${from}`;
  return s.description ? `${dates}: ${s.description}` : dates;
}

interface OpeningTimesValue {
  schedules: OrukSchedule[];
}

const openingTimes: Section<OpeningTimesValue> = {
  path: 'opening-times',
  title: 'Opening times and holiday closures',
  formValues(service) {
    const values: Record<string, unknown> = {};
    // A feed's session on several days ("MO,WE") is shown as one line a day, so saving keeps every day.
    const sessions = (service.schedules ?? [])
      .filter((s) => !isClosure(s))
      .flatMap((s) => {
        const days = (s.byday ?? '')
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean);
        return days.length > 1 ? days.map((d, n) => ({ ...s, id: n === 0 ? s.id : '', byday: d })) : [s];
      });
    const closures = (service.schedules ?? []).filter(isClosure);
    sessions.forEach((s, i) => {
      const m = /^(-?\d)?([A-Z]{2})$/.exec(s.byday ?? '');
      Object.assign(values, {
        [`id-${i}`]: s.id,
        [`freq-${i}`]: s.freq ?? '',
        [`week-${i}`]: m?.[1] ?? '',
        [`day-${i}`]: m?.[2] ?? '',
        [`opens-${i}`]: s.opens_at?.slice(0, 5) ?? '',
        [`closes-${i}`]: s.closes_at?.slice(0, 5) ?? '',
        [`validFrom-${i}`]: s.valid_from ?? '',
        [`validTo-${i}`]: s.valid_to ?? '',
        [`description-${i}`]: s.description ?? '',
      });
    });
    closures.forEach((s, i) =>
      Object.assign(values, {
        [`closureId-${i}`]: s.id,
        [`closedFrom-${i}`]: s.valid_from ?? '',
        [`closedTo-${i}`]: s.valid_to ?? '',
        [`closedReason-${i}`]: s.description ?? '',
      }),
    );
    values.rows = sessions.length + SPARE_ROWS;
    values.closureRows = closures.length + SPARE_ROWS;
    return values;
  },
  async check(_db, body, service) {
    const errors: FieldError[] = [];
    const existing = service.schedules ?? [];
    const schedules: OrukSchedule[] = [];
    for (let i = 0; i < rowCount(body, 'day'); i++) {
      const f = (name: string) => field(body, `${name}-${i}`, { max: name === 'description' ? 500 : 20, label: name });
      const [freq, week, day, opensRaw, closesRaw, validFrom, validTo, description] = [
        'freq',
        'week',
        'day',
        'opens',
        'closes',
        'validFrom',
        'validTo',
        'description',
      ].map(f) as [string, string, string, string, string, string, string, string];
      if (!day && !opensRaw && !closesRaw && !description && !validFrom && !validTo) continue;
      const id = keptId(field(body, `id-${i}`, { max: 100, label: 'Id' }), existing);
      // Words alone ("by appointment"), as feeds often send, are a session HSDS 3 allows.
      if (!freq && !day && !opensRaw && !closesRaw && !validFrom && !validTo) {
        schedules.push({ id, description });
        continue;
      }
      const n = `session ${i + 1}`;
      if (freq !== 'WEEKLY' && freq !== 'MONTHLY') errors.push({ field: `freq-${i}`, message: `Select how often ${n} runs` });
      if (!DAYS.some((d) => d.code === day)) errors.push({ field: `day-${i}`, message: `Select the day of ${n}` });
      if (freq === 'MONTHLY' && !WEEKS_OF_MONTH.some((w) => w.code === week))
        errors.push({ field: `week-${i}`, message: `Select which week of the month ${n} runs, like first` });
      const opens = time(opensRaw);
      const closes = time(closesRaw);
      if (!opens) errors.push({ field: `opens-${i}`, message: `Enter the time ${n} opens, like 09:30` });
      if (!closes) errors.push({ field: `closes-${i}`, message: `Enter the time ${n} closes, like 17:00` });
      else if (opens && closes <= opens) errors.push({ field: `closes-${i}`, message: `The closing time of ${n} must be after it opens` });
      if (validFrom && !validDate(validFrom))
        errors.push({ field: `validFrom-${i}`, message: `Enter the date ${n} starts as a real date, like 2027-01-31` });
      if (validTo && !validDate(validTo))
        errors.push({ field: `validTo-${i}`, message: `Enter the date ${n} ends as a real date, like 2027-01-31` });
      else if (validTo && validFrom && validDate(validFrom) && validTo < validFrom)
        errors.push({ field: `validTo-${i}`, message: `The end date of ${n} must be on or after its start date` });
      schedules.push({
        id,
        freq,
        interval: 1,
        byday: freq === 'MONTHLY' ? `${week}${day}` : day,
        opens_at: opens ? `${opens}:00` : null,
        closes_at: closes ? `${closes}:00` : null,
        valid_from: validFrom || null,
        valid_to: validTo || null,
        description: description || null,
      });
    }
    for (let i = 0; i < rowCount(body, 'closedFrom'); i++) {
      const f = (name: string) => field(body, `${name}-${i}`, { max: name === 'closedReason' ? 500 : 20, label: name });
      const [from, to, reason] = ['closedFrom', 'closedTo', 'closedReason'].map(f) as [string, string, string];
      if (!from && !to && !reason) continue;
      const n = `closure ${i + 1}`;
      if (!validDate(from))
        errors.push({ field: `closedFrom-${i}`, message: `Enter the first day of ${n} as a real date, like 2026-12-24` });
      if (to && !validDate(to))
        errors.push({ field: `closedTo-${i}`, message: `Enter the last day of ${n} as a real date, like 2027-01-02` });
      else if (to && validDate(from) && to < from)
        errors.push({ field: `closedTo-${i}`, message: `The last day of ${n} must be on or after its first day` });
      schedules.push({
        id: keptId(field(body, `closureId-${i}`, { max: 100, label: 'Id' }), existing),
        valid_from: from,
        valid_to: to || from,
        description: reason || null,
      });
    }
    fail(errors);
    return { schedules };
  },
  apply(service, value) {
    const before = new Map((service.schedules ?? []).map((s) => [s.id, s]));
    // What the form does not show (the place a session is for, its link and notes) stays as it was.
    return {
      ...service,
      schedules: value.schedules.map((s) => {
        const old = before.get(s.id);
        const kept = old
          ? {
              service_at_location_id: old.service_at_location_id,
              schedule_link: old.schedule_link,
              attending_type: old.attending_type,
              notes: old.notes,
            }
          : {};
        return { ...kept, ...s, service_id: service.id };
      }),
    };
  },
  describe(service) {
    const all = service.schedules ?? [];
    return {
      'Opening times':
        all
          .filter((s) => !isClosure(s))
          .map(scheduleInWords)
          .join('\n') || null,
      'Holiday closures': all.filter(isClosure).map(closureInWords).join('\n') || null,
    };
  },
};

// ---- Phones ----

interface PhonesValue {
  phones: Array<{ id: string; number: string; description: string | null }>;
}

const phones: Section<PhonesValue> = {
  path: 'phones',
  title: 'Phone numbers',
  formValues(service) {
    const values: Record<string, unknown> = {};
    (service.phones ?? []).forEach((p, i) =>
      Object.assign(values, { [`id-${i}`]: p.id, [`number-${i}`]: p.number, [`description-${i}`]: p.description ?? '' }),
    );
    values.rows = (service.phones ?? []).length + SPARE_ROWS;
    return values;
  },
  async check(_db, body, service) {
    const errors: FieldError[] = [];
    const list: PhonesValue['phones'] = [];
    for (let i = 0; i < rowCount(body, 'number'); i++) {
      const number = field(body, `number-${i}`, { max: 40, label: `Phone number ${i + 1}` });
      const description = field(body, `description-${i}`, { max: 200, label: `What phone number ${i + 1} is for` });
      if (!number && !description) continue;
      if (!PHONE.test(number) || number.replace(/\D/g, '').length < 7)
        errors.push({ field: `number-${i}`, message: `Enter phone number ${i + 1} like 0113 496 0000 or +44 113 496 0000` });
      list.push({
        id: keptId(field(body, `id-${i}`, { max: 100, label: 'Id' }), service.phones ?? []),
        number,
        description: description || null,
      });
    }
    fail(errors);
    return { phones: list };
  },
  apply(service, value) {
    const before = new Map((service.phones ?? []).map((p) => [p.id, p]));
    return { ...service, phones: value.phones.map((p) => ({ ...before.get(p.id), ...p })) };
  },
  describe(service) {
    return {
      'Phone numbers': (service.phones ?? []).map((p) => (p.description ? `${p.number} (${p.description})` : p.number)).join('\n') || null,
    };
  },
};

// ---- Languages ----

interface LanguagesValue {
  languages: Array<{ id: string; name: string }>;
}

const languages: Section<LanguagesValue> = {
  path: 'languages',
  title: 'Languages',
  formValues(service) {
    const values: Record<string, unknown> = {};
    (service.languages ?? []).forEach((l, i) => Object.assign(values, { [`id-${i}`]: l.id, [`language-${i}`]: l.name ?? l.code ?? '' }));
    values.rows = (service.languages ?? []).length + SPARE_ROWS;
    return values;
  },
  async check(_db, body, service) {
    const errors: FieldError[] = [];
    const list: LanguagesValue['languages'] = [];
    for (let i = 0; i < rowCount(body, 'language'); i++) {
      const name = field(body, `language-${i}`, { max: 100, label: `Language ${i + 1}` });
      if (!name) continue;
      if (list.some((l) => l.name.toLowerCase() === name.toLowerCase())) {
        errors.push({ field: `language-${i}`, message: `${name} is listed more than once` });
        continue;
      }
      list.push({ id: keptId(field(body, `id-${i}`, { max: 100, label: 'Id' }), service.languages ?? []), name });
    }
    fail(errors);
    return { languages: list };
  },
  apply(service, value) {
    const before = new Map((service.languages ?? []).map((l) => [l.id, l]));
    return {
      ...service,
      languages: value.languages.map((l) => {
        const old = before.get(l.id);
        // A renamed language no longer has the code it had.
        return old && (old.name ?? old.code) === l.name ? old : { id: l.id, name: l.name };
      }),
    };
  },
  describe(service) {
    // A set, not a list: stored order follows ids, so compare sorted.
    return {
      Languages:
        (service.languages ?? [])
          .map((l) => l.name ?? l.code ?? '')
          .sort()
          .join(', ') || null,
    };
  },
};

// ---- Who it is for and how to apply ----

interface EligibilityValue {
  eligibility: string | null;
  minimumAge: number | null;
  maximumAge: number | null;
  applicationProcess: string | null;
}

function age(raw: string, name: string, label: string, errors: FieldError[]): number | null {
  if (!raw) return null;
  if (!/^\d{1,3}$/.test(raw) || Number(raw) > 120) {
    errors.push({ field: name, message: `${label} must be a whole number from 0 to 120` });
    return null;
  }
  return Number(raw);
}

const eligibility: Section<EligibilityValue> = {
  path: 'eligibility',
  title: 'Who it is for and how to apply',
  formValues(service) {
    return {
      eligibility: service.eligibility_description ?? '',
      minimumAge: service.minimum_age ?? '',
      maximumAge: service.maximum_age ?? '',
      applicationProcess: service.application_process ?? '',
    };
  },
  async check(_db, body) {
    const errors: FieldError[] = [];
    const text = field(body, 'eligibility', { max: 2000, label: 'Who it is for' });
    const minimumAge = age(field(body, 'minimumAge', { max: 10, label: 'Youngest age' }), 'minimumAge', 'Youngest age', errors);
    const maximumAge = age(field(body, 'maximumAge', { max: 10, label: 'Oldest age' }), 'maximumAge', 'Oldest age', errors);
    if (minimumAge !== null && maximumAge !== null && maximumAge < minimumAge)
      errors.push({ field: 'maximumAge', message: 'Oldest age must be the same as or more than the youngest age' });
    const applicationProcess = field(body, 'applicationProcess', { max: 2000, label: 'How to apply' });
    fail(errors);
    return { eligibility: text || null, minimumAge, maximumAge, applicationProcess: applicationProcess || null };
  },
  apply(service, v) {
    return {
      ...service,
      eligibility_description: v.eligibility,
      minimum_age: v.minimumAge,
      maximum_age: v.maximumAge,
      application_process: v.applicationProcess,
    };
  },
  describe(service) {
    return {
      'Who it is for': service.eligibility_description ?? null,
      'Age range': ageRangeInWords(service.minimum_age, service.maximum_age),
      'How to apply': service.application_process ?? null,
    };
  },
};

export function ageRangeInWords(min: number | null | undefined, max: number | null | undefined): string | null {
  if (min != null && max != null) return `${min} to ${max}`;
  if (min != null) return `${min} and over`;
  if (max != null) return `Up to ${max}`;
  return null;
}

// ---- Service areas ----

interface AreasValue {
  areas: Array<{ id: string; name: string }>;
}

const areas: Section<AreasValue> = {
  path: 'areas',
  title: 'Areas it covers',
  formValues(service) {
    const values: Record<string, unknown> = {};
    (service.service_areas ?? []).forEach((a, i) =>
      Object.assign(values, { [`id-${i}`]: a.id, [`area-${i}`]: a.name ?? a.service_area ?? a.description ?? '' }),
    );
    values.rows = (service.service_areas ?? []).length + SPARE_ROWS;
    return values;
  },
  async check(_db, body, service) {
    const list: AreasValue['areas'] = [];
    for (let i = 0; i < rowCount(body, 'area'); i++) {
      const name = field(body, `area-${i}`, { max: 200, label: `Area ${i + 1}` });
      if (name) list.push({ id: keptId(field(body, `id-${i}`, { max: 100, label: 'Id' }), service.service_areas ?? []), name });
    }
    return { areas: list };
  },
  apply(service, value) {
    const before = new Map((service.service_areas ?? []).map((a) => [a.id, a]));
    return {
      ...service,
      service_areas: value.areas.map((a) => {
        const old = before.get(a.id);
        if (old && (old.name ?? old.service_area ?? old.description) === a.name) return old;
        return { ...old, id: a.id, service_id: service.id, name: a.name, service_area: a.name };
      }),
    };
  },
  describe(service) {
    return {
      'Areas it covers':
        (service.service_areas ?? [])
          .map((a) => a.name ?? a.service_area ?? a.description ?? '')
          .sort()
          .join(', ') || null,
    };
  },
};

// ---- Needs, delivery and other taxonomy terms ----

interface TermsValue {
  needs: string[];
  delivery: string[];
  keepTermIds: string[];
  addTerm: { id: string; name: string; taxonomyId: string | null } | null;
}

const OWN_TAXONOMIES = new Set([NEEDS_TAXONOMY_ID, DELIVERY_TAXONOMY_ID, CAPACITY_TAXONOMY_ID]);

/** Attributes a curator manages as "other terms": not needs, delivery, capacity or LGA types derived from needs. */
function otherTermAttributes(service: EditableService): OrukAttribute[] {
  return (service.attributes ?? []).filter((a) => {
    const termId = a.taxonomy_term?.id ?? a.taxonomy_term_id ?? '';
    if (needCodeForTerm(termId) || deliveryCodeForTerm(termId)) return false;
    if (OWN_TAXONOMIES.has(a.taxonomy_term?.taxonomy_id ?? '')) return false;
    return !(a.taxonomy_term?.taxonomy_id === LGA_TAXONOMY_ID && isDerivedLga(service.id, a));
  });
}

function isDerivedLga(serviceId: string, a: OrukAttribute): boolean {
  return /^\d+$/.test(a.taxonomy_term?.code ?? '') && a.id === lgaAttributeId(serviceId, a.taxonomy_term!.code!);
}

const termName = (a: OrukAttribute) => a.taxonomy_term?.name ?? a.taxonomy_term_id ?? '';

const terms: Section<TermsValue> = {
  path: 'needs-and-terms',
  title: 'Needs, how it is delivered and other terms',
  formValues(service) {
    const ids = (service.attributes ?? []).map((a) => a.taxonomy_term?.id ?? a.taxonomy_term_id ?? '');
    return {
      needs: ids.flatMap((t) => needCodeForTerm(t) ?? []),
      delivery: ids.flatMap((t) => deliveryCodeForTerm(t) ?? []),
      keepTerms: otherTermAttributes(service).map((a) => a.taxonomy_term?.id ?? a.taxonomy_term_id),
      otherTerms: otherTermAttributes(service).map((a) => ({
        id: a.taxonomy_term?.id ?? a.taxonomy_term_id,
        name: termName(a),
        taxonomy: a.taxonomy_term?.taxonomy ?? '',
      })),
      addTerm: '',
    };
  },
  async check(db, body) {
    const errors: FieldError[] = [];
    const needs = fields(body, 'needs', { max: 50, label: 'Needs' });
    if (needs.some((n) => !isNeedCode(n))) errors.push({ field: 'needs', message: 'Select needs from the list' });
    const delivery = fields(body, 'delivery', { max: 50, label: 'How it is delivered' });
    if (delivery.some((d) => !DELIVERY_METHODS.some((m) => m.code === d)))
      errors.push({ field: 'delivery', message: 'Select how it is delivered from the list' });
    const keepTermIds = fields(body, 'keepTerms', { max: 200, label: 'Other terms' });
    const wanted = field(body, 'addTerm', { max: 200, label: 'Term to add' });
    let addTerm: TermsValue['addTerm'] = null;
    if (wanted) {
      const found = await q.findTaxonomyTermByNameOrCode(db, wanted);
      if (!found)
        errors.push({
          field: 'addTerm',
          message: `There is no taxonomy term called ${wanted}. Enter a term's name or code exactly as the taxonomy has it`,
        });
      else if (OWN_TAXONOMIES.has(found.taxonomyId ?? ''))
        errors.push({ field: 'addTerm', message: `${found.name} is chosen above, not added as another term` });
      else addTerm = { id: found.id, name: found.name, taxonomyId: found.taxonomyId };
    }
    fail(errors);
    return {
      needs: NEEDS.map((n) => n.code).filter((c) => needs.includes(c)),
      delivery: DELIVERY_METHODS.map((m) => m.code).filter((c) => delivery.includes(c)),
      keepTermIds,
      addTerm,
    };
  },
  apply(service, v) {
    const current = service.attributes ?? [];
    const byTerm = (termId: string) => current.find((a) => (a.taxonomy_term?.id ?? a.taxonomy_term_id) === termId);
    const link = (termId: string, name?: string, taxonomyId?: string | null): OrukAttribute =>
      byTerm(termId) ?? {
        id: randomUUID(),
        link_id: service.id,
        link_entity: 'service',
        taxonomy_term_id: termId,
        ...(name ? { taxonomy_term: { id: termId, name, taxonomy_id: taxonomyId ?? null } } : {}),
      };
    const kept = otherTermAttributes(service).filter((a) => v.keepTermIds.includes(a.taxonomy_term?.id ?? a.taxonomy_term_id ?? ''));
    const attributes = [
      ...v.needs.map((code) => link(needTermId(code), findNeed(code)!.label, NEEDS_TAXONOMY_ID)),
      ...v.delivery.map((code) => link(deliveryTermId(code), DELIVERY_METHODS.find((m) => m.code === code)!.label, DELIVERY_TAXONOMY_ID)),
      ...kept,
      ...(v.addTerm && !kept.some((a) => (a.taxonomy_term?.id ?? a.taxonomy_term_id) === v.addTerm!.id)
        ? [link(v.addTerm.id, v.addTerm.name, v.addTerm.taxonomyId)]
        : []),
    ];
    // Capacity stays in the service's columns; LGA types derived from needs are rewritten from them.
    return { ...service, attributes };
  },
  describe(service) {
    const ids = (service.attributes ?? []).map((a) => a.taxonomy_term?.id ?? a.taxonomy_term_id ?? '');
    return {
      Needs:
        ids
          .flatMap((t) => {
            const c = needCodeForTerm(t);
            return c ? [findNeed(c)!.label] : [];
          })
          .sort()
          .join(', ') || null,
      'How it is delivered':
        ids
          .flatMap((t) => {
            const c = deliveryCodeForTerm(t);
            return c ? [DELIVERY_METHODS.find((m) => m.code === c)!.label] : [];
          })
          .sort()
          .join(', ') || null,
      'Other terms': otherTermAttributes(service).map(termName).sort().join(', ') || null,
    };
  },
};

// ---- A location: address, postcode point, accessibility, phone ----

export interface LocationValue {
  /** The location changed, or null for a new one. */
  locationId: string | null;
  remove: boolean;
  name: string;
  address1: string;
  address2: string | null;
  city: string;
  postcode: string;
  latitude: number;
  longitude: number;
  wheelchair: boolean;
  hearingLoop: boolean;
  accessibility: string[];
  phone: string | null;
}

export function locationsOf(service: EditableService): OrukLocation[] {
  return (service.service_at_locations ?? []).flatMap((sal) => (sal.location ? [sal.location] : []));
}

export function locationFormValues(location: OrukLocation | undefined): Record<string, unknown> {
  const a = location?.addresses?.find((x) => x.address_type !== 'postal') ?? location?.addresses?.[0];
  const access = location?.accessibility ?? [];
  const text = (x: OrukAccessibility) => [x.description, x.details].filter(Boolean).join(' ');
  return {
    name: location?.name ?? '',
    address1: a?.address_1 ?? '',
    address2: a?.address_2 ?? '',
    city: a?.city ?? '',
    postcode: a?.postal_code ?? '',
    wheelchair: access.some((x) => WHEELCHAIR.test(text(x))) ? 'yes' : '',
    hearingLoop: access.some((x) => HEARING_LOOP.test(text(x))) ? 'yes' : '',
    accessibility: access
      .filter((x) => !WHEELCHAIR.test(text(x)) && !HEARING_LOOP.test(text(x)))
      .map(text)
      .join('\n'),
    phone: location?.phones?.[0]?.number ?? '',
  };
}

export async function checkLocation(db: Db, body: Body, service: EditableService, locationId: string | null): Promise<LocationValue> {
  const base = {
    locationId,
    name: '',
    address1: '',
    address2: null,
    city: '',
    postcode: '',
    latitude: 0,
    longitude: 0,
    wheelchair: false,
    hearingLoop: false,
    accessibility: [],
    phone: null,
  };
  if (locationId && field(body, 'remove', { max: 10, label: 'Remove' }) === 'yes') return { ...base, remove: true };
  const errors: FieldError[] = [];
  const name = field(body, 'name', { max: 200, label: 'Name of the place' });
  const address1 = field(body, 'address1', { max: 200, label: 'Address line 1' });
  const address2 = field(body, 'address2', { max: 200, label: 'Address line 2' });
  const city = field(body, 'city', { max: 100, label: 'Town or city' });
  const postcodeRaw = field(body, 'postcode', { max: 20, label: 'Postcode' });
  if (!name) errors.push({ field: 'name', message: 'Enter the name of the place, like Hyde Park Community Centre' });
  if (!address1) errors.push({ field: 'address1', message: 'Enter the first line of the address' });
  if (!city) errors.push({ field: 'city', message: 'Enter the town or city' });
  const postcode = normalisePostcode(postcodeRaw);
  let point: { latitude: number; longitude: number } | undefined;
  if (!postcodeRaw) errors.push({ field: 'postcode', message: 'Enter the postcode' });
  else if (!postcode) errors.push({ field: 'postcode', message: 'Enter a real postcode, like LS6 3AB' });
  else {
    point = await lookupPostcode(db, postcode);
    if (!point)
      errors.push({
        field: 'postcode',
        message: `We could not find ${postcode}. Check it, or ask an administrator to load the full postcode list`,
      });
  }
  const phone = field(body, 'phone', { max: 40, label: 'Phone number' });
  if (phone && (!PHONE.test(phone) || phone.replace(/\D/g, '').length < 7))
    errors.push({ field: 'phone', message: 'Enter a phone number like 0113 496 0000 or +44 113 496 0000' });
  const accessibility = field(body, 'accessibility', { max: 2000, label: 'Other accessibility information' })
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  fail(errors);
  if (locationId && !locationsOf(service).some((l) => l.id === locationId))
    throw new InvalidInput([{ field: 'name', message: 'This place is no longer listed for the service. Go back and try again' }]);
  return {
    locationId,
    remove: false,
    name,
    address1,
    address2: address2 || null,
    city,
    postcode: postcode!,
    latitude: point!.latitude,
    longitude: point!.longitude,
    wheelchair: field(body, 'wheelchair', { max: 10, label: 'Wheelchair' }) === 'yes',
    hearingLoop: field(body, 'hearingLoop', { max: 10, label: 'Hearing loop' }) === 'yes',
    accessibility,
    phone: phone || null,
  };
}

export function applyLocation(service: EditableService, v: LocationValue): EditableService {
  const sals = service.service_at_locations ?? [];
  if (v.remove) {
    const gone = sals.filter((sal) => (sal.location?.id ?? sal.location_id) === v.locationId).map((sal) => sal.id);
    return {
      ...service,
      service_at_locations: sals.filter((sal) => !gone.includes(sal.id)),
      // Times that were for that place alone stay, as the service's own.
      schedules: (service.schedules ?? []).map((sc) =>
        sc.service_at_location_id && gone.includes(sc.service_at_location_id) ? { ...sc, service_at_location_id: null } : sc,
      ),
    };
  }
  const existingSal = sals.find((sal) => v.locationId && (sal.location?.id ?? sal.location_id) === v.locationId);
  const old = existingSal?.location;
  const id = old?.id ?? randomUUID();
  const oldAddress = old?.addresses?.find((x) => x.address_type !== 'postal') ?? old?.addresses?.[0];
  const oldAccess = old?.accessibility ?? [];
  const accessText = [
    ...(v.wheelchair ? ['Step-free access for wheelchair users'] : []),
    ...(v.hearingLoop ? ['Hearing loop'] : []),
    ...v.accessibility,
  ];
  const text = (x: OrukAccessibility) => [x.description, x.details].filter(Boolean).join(' ');
  const location: OrukLocation = {
    ...old,
    id,
    location_type: old?.location_type ?? 'physical',
    name: v.name,
    latitude: v.latitude,
    longitude: v.longitude,
    addresses: [
      {
        ...oldAddress,
        id: oldAddress?.id ?? randomUUID(),
        location_id: id,
        address_1: v.address1,
        address_2: v.address2,
        city: v.city,
        postal_code: v.postcode,
        country: oldAddress?.country ?? 'GB',
        address_type: oldAddress?.address_type ?? 'physical',
      },
      ...(old?.addresses ?? []).filter((x) => x !== oldAddress),
    ],
    accessibility: accessText.map((t) => {
      const same = oldAccess.find(
        (x) =>
          text(x) === t || (t.startsWith('Step-free') && WHEELCHAIR.test(text(x))) || (t === 'Hearing loop' && HEARING_LOOP.test(text(x))),
      );
      return same ?? { id: randomUUID(), location_id: id, description: t };
    }),
    phones: v.phone
      ? [{ ...(old?.phones?.[0] ?? { id: randomUUID() }), number: v.phone }, ...(old?.phones ?? []).slice(1)]
      : (old?.phones ?? []).slice(1),
  };
  const sal = existingSal ? { ...existingSal, location } : { id: randomUUID(), service_id: service.id, location_id: id, location };
  return { ...service, service_at_locations: existingSal ? sals.map((s) => (s === existingSal ? sal : s)) : [...sals, sal] };
}

export function describeLocations(service: EditableService): Describe {
  return Object.fromEntries(
    locationsOf(service).map((l) => {
      const a = l.addresses?.[0];
      const lines = [
        [l.name, a?.address_1, a?.address_2, a?.city, a?.postal_code].filter(Boolean).join(', '),
        ...(l.accessibility ?? []).map((x) => [x.description, x.details].filter(Boolean).join(' ')),
        ...(l.phones ?? []).map((p) => `Phone ${p.number}`),
      ];
      return [`Place: ${l.name ?? l.id}`, lines.join('\n')];
    }),
  );
}

/** Every part a curator or provider may change, by path. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SECTIONS: ReadonlyArray<Section<any>> = [openingTimes, eligibility, phones, languages, areas, terms];

export function sectionAt(path: string) {
  return SECTIONS.find((s) => s.path === path);
}

/** Everything curation describes about a service, for the difference between two versions. */
export function describeService(service: EditableService): Describe {
  return Object.assign({}, ...SECTIONS.map((s) => s.describe(service)), describeLocations(service));
}

/** Field-by-field difference in words: only what changed. */
export function differenceOf(before: Describe, after: Describe): Record<string, { from: string | null; to: string | null }> {
  const diff: Record<string, { from: string | null; to: string | null }> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const from = before[key] ?? null;
    const to = after[key] ?? null;
    if (from !== to) diff[key] = { from, to };
  }
  return diff;
}
