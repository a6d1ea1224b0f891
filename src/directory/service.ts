import type { Db } from '../db/database.ts';
import { InvalidInput, NotFound, type FieldError } from '../web/errors.ts';
import { lookupPostcode, normalisePostcodeOrOutcode, type PostcodeLocation } from '../geo/postcodes.ts';
import { findNeed, isNeedCode, NEEDS } from '../vocabulary/needs.ts';
import { withExtra } from './oruk/hsds-extra.ts';
import * as q from './queries.ts';
import * as orukq from './oruk/queries.ts';
import * as curationq from './curation/queries.ts';
import * as sq from './search/queries.ts';
import {
  CAPACITIES,
  DELIVERY_METHODS,
  capacityForTerm,
  deliveryCodeForTerm,
  deliveryTermId,
  needCodeForTerm,
  needTermId,
  type Capacity,
} from './taxonomy.ts';
import type { OrukService } from './oruk/types.ts';
import { closureInWords, isClosure, scheduleInWords } from './curation/sections.ts';

export const PAGE_SIZE = 20;
export const DISTANCE_CHOICES_MILES = [1, 3, 5, 10, 25, 50] as const;
const METRES_PER_MILE = 1609.344;
const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export const DAY_NAMES: Record<string, string> = {
  MO: 'Monday',
  TU: 'Tuesday',
  WE: 'Wednesday',
  TH: 'Thursday',
  FR: 'Friday',
  SA: 'Saturday',
  SU: 'Sunday',
};

/** A search as a person or another area asks it; every field optional. */
export interface DirectorySearchInput {
  q?: string;
  postcode?: string;
  miles?: number;
  need?: string;
  cost?: 'free' | 'low';
  day?: string;
  time?: string;
  openNow?: boolean;
  age?: number;
  wheelchair?: boolean;
  hearingLoop?: boolean;
  language?: string;
  delivery?: string;
  page?: number;
  pageSize?: number;
  /** Near a place, how many nearest services to consider (the search's CANDIDATE_CAP unless given). */
  candidateCap?: number;
  /** The moment "open now" refers to (defaults to now). */
  now?: Date;
  /** Months after which an unchecked service is flagged (DEFAULT_FRESHNESS_MONTHS unless configured). */
  freshnessMonths?: number;
}

export interface DirectorySearchResult {
  id: string;
  name: string;
  organizationName: string | null;
  shortDescription: string;
  distanceMiles: number | null;
  nextSession: string | null;
  cost: string;
  capacity: Capacity;
  capacityLabel: string;
  expectedWaitWeeks: number | null;
  stale: boolean;
  /** Where it goes on the results map; null for services with no location (phone lines). */
  latitude: number | null;
  longitude: number | null;
}

export interface DirectorySearchOutcome {
  results: DirectorySearchResult[];
  total: number;
  page: number;
  pageCount: number;
  /** What the postcode resolved to; undefined when none was given or it was not found. */
  location?: PostcodeLocation;
  /** "we could not find that postcode": the search ran without distance. */
  postcodeNotFound: boolean;
  miles: number;
  /** Only the nearest CANDIDATE_CAP services were considered: more matched than `total` says. */
  capped: boolean;
}

/** Months after which an unverified service is flagged as possibly out of date. */
export const DEFAULT_FRESHNESS_MONTHS = 6;

// Built once: constructing an Intl.DateTimeFormat costs far more than formatting with one.
const LONDON_DAY_AND_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

const LONDON_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });
/** Today in London as YYYY-MM-DD. */
function londonDate(now: Date): string {
  return LONDON_DATE.format(now);
}

function londonNow(now: Date): { day: string; time: string } {
  const parts = LONDON_DAY_AND_TIME.formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: get('weekday').slice(0, 2).toUpperCase(), time: `${get('hour').replace('24', '00')}:${get('minute')}` };
}

/** Checks a search; a malformed postcode or value is an InvalidInput naming the field. */
export function checkSearch(input: DirectorySearchInput): FieldError[] {
  const errors: FieldError[] = [];
  if (input.q !== undefined && input.q.length > 200) errors.push({ field: 'q', message: 'Search words must be 200 characters or fewer' });
  if (input.postcode && !normalisePostcodeOrOutcode(input.postcode)) {
    errors.push({ field: 'postcode', message: 'Enter a real postcode, like LS6 3AB' });
  }
  if (input.need && !isNeedCode(input.need)) errors.push({ field: 'need', message: 'Select a need from the list' });
  if (input.day && !DAYS.includes(input.day as (typeof DAYS)[number])) errors.push({ field: 'day', message: 'Select a day from the list' });
  if (input.time && !/^([01]\d|2[0-3]):[0-5]\d$/.test(input.time)) errors.push({ field: 'time', message: 'Enter a time like 14:30' });
  if (input.age !== undefined && (!Number.isInteger(input.age) || input.age < 0 || input.age > 120)) {
    errors.push({ field: 'age', message: 'Age must be a whole number from 0 to 120' });
  }
  if (input.delivery && !DELIVERY_METHODS.some((m) => m.code === input.delivery))
    errors.push({ field: 'delivery', message: 'Select how the service is delivered' });
  if (input.language !== undefined && input.language.length > 60)
    errors.push({ field: 'language', message: 'Language must be 60 characters or fewer' });
  return errors;
}

function describeCost(maxCost: number | null): string {
  if (maxCost === null || maxCost === 0) return 'Free';
  return maxCost <= sq.LOW_COST_LIMIT ? `Low cost (up to £${maxCost.toFixed(2)})` : `Up to £${maxCost.toFixed(2)}`;
}

function shorten(text: string | null, length = 180): string {
  if (!text) return '';
  if (text.length <= length) return text;
  return `${text.slice(0, text.lastIndexOf(' ', length)).trimEnd()}…`;
}

/** "Tuesday 10:00 to 12:00" for the soonest weekly session on or after today (MO..SU, in London). */
function nextSessionText(schedules: Array<Omit<sq.ScheduleRow, 'serviceId'>>, todayInLondon: string): string | null {
  const today = DAYS.indexOf(todayInLondon as (typeof DAYS)[number]);
  let best: { offset: number; text: string } | undefined;
  for (const s of schedules) {
    const days = (s.byday ?? '')
      .split(',')
      .map((d) => d.trim())
      .filter((d) => DAYS.includes(d as (typeof DAYS)[number]));
    for (const d of days) {
      const offset = (DAYS.indexOf(d as (typeof DAYS)[number]) - today + 7) % 7;
      const hours = s.opensAt && s.closesAt ? ` ${s.opensAt} to ${s.closesAt}` : '';
      if (!best || offset < best.offset) best = { offset, text: `${DAY_NAMES[d]}${hours}` };
    }
  }
  return best?.text ?? schedules.find((s) => s.description)?.description ?? null;
}

export function isStale(lastVerifiedAt: Date | null, now = new Date(), months = DEFAULT_FRESHNESS_MONTHS): boolean {
  if (!lastVerifiedAt) return true;
  const limit = new Date(now);
  limit.setMonth(limit.getMonth() - months);
  return new Date(lastVerifiedAt) < limit;
}

/**
 * The directory search: resolves the postcode offline, runs the one search query, and shapes the
 * results for people. A well-formed but unknown postcode still searches, without distance.
 */
export async function searchDirectory(db: Db, input: DirectorySearchInput): Promise<DirectorySearchOutcome> {
  const errors = checkSearch(input);
  if (errors.length) throw new InvalidInput(errors);
  const pageSize = input.pageSize ?? PAGE_SIZE;
  const page = Math.max(1, input.page ?? 1);
  const miles = input.miles ?? 10;
  let location: PostcodeLocation | undefined;
  let postcodeNotFound = false;
  if (input.postcode?.trim()) {
    location = await lookupPostcode(db, input.postcode);
    postcodeNotFound = !location;
  }
  const now = input.now ?? new Date();
  const london = londonNow(now);
  const open = input.openNow ? london : undefined;
  const text = input.q?.trim() || undefined;
  const { rows, total, capped } = await sq.searchServices(db, {
    text,
    origin: location,
    radiusMetres: miles * METRES_PER_MILE,
    needTermId: input.need ? needTermId(input.need) : undefined,
    cost: input.cost,
    day: open?.day ?? input.day,
    time: open?.time ?? input.time,
    age: input.age,
    wheelchair: input.wheelchair,
    hearingLoop: input.hearingLoop,
    language: input.language?.trim() || undefined,
    deliveryTermId: input.delivery ? deliveryTermId(input.delivery) : undefined,
    limit: pageSize,
    offset: (page - 1) * pageSize,
    candidateCap: input.candidateCap,
  });
  return {
    results: rows.map((r) => ({
      id: r.id,
      name: r.name,
      organizationName: r.organizationName,
      shortDescription: shorten(r.description),
      distanceMiles: r.distance === null ? null : Math.round((r.distance / METRES_PER_MILE) * 10) / 10,
      nextSession: nextSessionText(r.sessions, london.day),
      cost: describeCost(r.maxCost),
      capacity: r.capacity,
      capacityLabel: CAPACITIES.find((c) => c.code === r.capacity)!.label,
      expectedWaitWeeks: r.expectedWaitWeeks,
      stale: isStale(r.lastVerifiedAt, now, input.freshnessMonths),
      latitude: r.latitude,
      longitude: r.longitude,
    })),
    total,
    page,
    pageCount: Math.max(1, Math.ceil(total / pageSize)),
    location,
    postcodeNotFound,
    miles,
    capped,
  };
}

/**
 * For other areas (link workers choosing an onward referral): active services meeting a need,
 * nearest first from a postcode when given.
 */
export async function findServicesForNeed(db: Db, input: { need: string; postcode?: string; miles?: number; limit?: number }) {
  const outcome = await searchDirectory(db, {
    need: input.need,
    postcode: input.postcode,
    miles: input.miles ?? 25,
    pageSize: input.limit ?? 20,
  });
  return { services: outcome.results, precision: outcome.location?.precision, postcodeNotFound: outcome.postcodeNotFound };
}

/**
 * For other areas listing a page of search results (link workers choosing an onward referral):
 * each service's addresses, how it is delivered, email, organisation and last check, read in one
 * statement rather than a full record per service.
 */
export async function serviceCards(db: Db, ids: string[]) {
  const rows = await sq.listServiceCards(db, ids);
  return rows.map((r) => ({
    id: r.id,
    organizationId: r.organizationId,
    email: r.email,
    lastVerifiedAt: r.lastVerifiedAt,
    addresses: r.addresses.filter(Boolean),
    delivery: r.termIds.flatMap((t) => {
      const c = deliveryCodeForTerm(t);
      return c ? [DELIVERY_METHODS.find((m) => m.code === c)!.label] : [];
    }),
  }));
}

/** What another area needs to show or refer to a service; undefined when it does not exist. */
export interface ServiceSummary {
  id: string;
  name: string;
  organizationId: string | null;
  organizationName: string | null;
  status: string;
  active: boolean;
  capacity: Capacity;
  capacityLabel: string;
  expectedWaitWeeks: number | null;
  /** True when an onward referral should warn before sending (the service is full or inactive). */
  warnBeforeReferral: boolean;
  email: string | null;
  needs: string[];
}

export async function getServiceSummary(db: Db, id: string): Promise<ServiceSummary | undefined> {
  const service = await q.readService(db, id);
  const curation = await curationq.findServiceCuration(db, id);
  if (!service || !curation) return undefined;
  return {
    id,
    name: service.name,
    organizationId: service.organization?.id ?? null,
    organizationName: service.organization?.name ?? null,
    status: service.status,
    active: service.status === 'active',
    capacity: curation.capacity,
    capacityLabel: CAPACITIES.find((c) => c.code === curation.capacity)!.label,
    expectedWaitWeeks: curation.expectedWaitWeeks,
    warnBeforeReferral: curation.capacity === 'full' || service.status !== 'active',
    email: service.email ?? null,
    needs: (service.attributes ?? []).flatMap((a) => {
      const code = a.taxonomy_term?.id ? needCodeForTerm(a.taxonomy_term.id) : undefined;
      return code ? [code] : [];
    }),
  };
}

/** Everything the public detail page shows. */
export async function getServiceDetail(db: Db, id: string, now = new Date(), freshnessMonths = DEFAULT_FRESHNESS_MONTHS) {
  // What the feed said beyond our columns (how to apply, transport, fees description) helps a person too.
  const service = withExtra(await q.readService(db, id), await q.readServiceExtra(db, id));
  const curation = await curationq.findServiceCuration(db, id);
  if (!service || !curation || service.status === 'defunct') throw new NotFound('service');
  const termIds = (service.attributes ?? []).map((a) => a.taxonomy_term?.id ?? '');
  const locations = (service.service_at_locations ?? []).flatMap((sal) => (sal.location ? [sal.location] : []));
  return {
    service,
    needs: termIds.flatMap((t) => {
      const c = needCodeForTerm(t);
      return c ? [findNeed(c)!] : [];
    }),
    delivery: termIds.flatMap((t) => {
      const c = deliveryCodeForTerm(t);
      return c ? [DELIVERY_METHODS.find((m) => m.code === c)!.label] : [];
    }),
    locations,
    schedules: (service.schedules ?? [])
      .filter((s) => !isClosure(s))
      .map((s) => ({
        ...s,
        words: scheduleInWords(s),
        days: (s.byday ?? '')
          .split(',')
          .flatMap((d) => (DAY_NAMES[d.trim()] ? [DAY_NAMES[d.trim()]!] : []))
          .join(', '),
        hours: s.opens_at && s.closes_at ? `${s.opens_at.slice(0, 5)} to ${s.closes_at.slice(0, 5)}` : '',
      })),
    // Closures still to come or under way, soonest first (dates compared as London calendar days).
    closures: (service.schedules ?? [])
      .filter((s) => isClosure(s) && (s.valid_to ?? s.valid_from!) >= londonDate(now))
      .sort((a, b) => a.valid_from!.localeCompare(b.valid_from!))
      .map((s) => ({ ...s, words: closureInWords(s) })),
    applicationProcess: await q.readApplicationProcess(db, id),
    costs: service.cost_options ?? [],
    capacity: curation.capacity,
    capacityLabel: CAPACITIES.find((c) => c.code === curation.capacity)!.label,
    expectedWaitWeeks: curation.expectedWaitWeeks,
    lastVerifiedAt: curation.lastVerifiedAt,
    stale: isStale(curation.lastVerifiedAt, now, freshnessMonths),
    active: service.status === 'active',
  };
}

export interface ChangeSuggestion {
  kind: 'suggestion' | 'problem';
  details: string;
  replyEmail?: string;
}

/** "Suggest a change or report a problem": checked, then queued for the curators. */
export function checkChangeSuggestion(body: {
  kind?: string;
  details?: string;
  replyEmail?: string;
}): { ok: true; value: ChangeSuggestion } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (body.kind !== 'suggestion' && body.kind !== 'problem')
    errors.push({ field: 'kind', message: 'Select whether you are suggesting a change or reporting a problem' });
  const details = (body.details ?? '').trim();
  if (!details) errors.push({ field: 'details', message: 'Enter what should change or what the problem is' });
  else if (details.length > 2000) errors.push({ field: 'details', message: 'Details must be 2000 characters or fewer' });
  const replyEmail = (body.replyEmail ?? '').trim();
  if (replyEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(replyEmail))
    errors.push({ field: 'replyEmail', message: 'Enter an email address in the correct format, like name@example.com' });
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { kind: body.kind as 'suggestion' | 'problem', details, ...(replyEmail ? { replyEmail } : {}) } };
}

export async function suggestChange(db: Db, serviceId: string, suggestion: ChangeSuggestion): Promise<{ id: string }> {
  if (!(await q.serviceExists(db, serviceId))) throw new NotFound('service');
  return curationq.insertChangeRequest(db, serviceId, suggestion);
}

export { NEEDS, DELIVERY_METHODS, CAPACITIES, capacityForTerm };
export type { OrukService };

/**
 * The active services of these directory organisations not verified within `months` of `now`:
 * what the freshness reminders ask each provider organisation to check.
 */
export async function staleServicesOfOrganizations(db: Db, organizationIds: string[], now = new Date(), months = DEFAULT_FRESHNESS_MONTHS) {
  if (organizationIds.length === 0) return [];
  const before = new Date(now);
  before.setMonth(before.getMonth() - months);
  return curationq.listStaleServicesOfOrganizations(db, organizationIds, before);
}

/** One suggestion as a person types: a need to filter by, or a service name to search for. */
export interface SearchSuggestion {
  kind: 'need' | 'service';
  text: string;
  href: string;
}

export const SUGGESTION_LIMIT = 8;

/** Needs whose names contain the words, then service names; nothing under two characters. */
export async function suggestSearches(db: Db, raw: string): Promise<SearchSuggestion[]> {
  const text = raw.trim().replace(/\s+/g, ' ');
  if (text.length < 2) return [];
  const lower = text.toLowerCase();
  const needs: SearchSuggestion[] = NEEDS.filter(
    (n) => n.label.toLowerCase().includes(lower) || n.publicLabel.toLowerCase().includes(lower),
  ).map((n) => ({ kind: 'need', text: n.publicLabel, href: `/services?need=${encodeURIComponent(n.code)}` }));
  const names = await sq.suggestServiceNames(db, text.slice(0, 100), SUGGESTION_LIMIT);
  return [
    ...needs,
    ...names.map((name): SearchSuggestion => ({ kind: 'service', text: name, href: `/services?q=${encodeURIComponent(name)}` })),
  ].slice(0, SUGGESTION_LIMIT);
}

// ---------------------------------------------------------------------------------------------
// Locations, for the FHIR server's Location resource

/** One directory location with its addresses, accessibility and phones; undefined when unknown. */
export async function directoryLocation(db: Db, id: string) {
  return q.readLocation(db, id);
}

/**
 * Locations where an active service is delivered, by name: `name` is part of the name, `postcode`
 * a full postcode or an outward code (`LS6`). A postcode that is neither is refused.
 */
export async function searchLocations(db: Db, search: { name?: string; postcode?: string }, limit: number, offset: number) {
  let postcode: { postcode?: string; outcode?: string } = {};
  if (search.postcode !== undefined) {
    const normal = normalisePostcodeOrOutcode(search.postcode);
    if (!normal)
      throw new InvalidInput([{ field: 'postcode', message: 'Enter a UK postcode, like LS6 3AB, or its first half, like LS6.' }]);
    postcode = normal.includes(' ') ? { postcode: normal.replace(' ', '') } : { outcode: normal };
  }
  const { ids, total } = await orukq.listLocationIds(db, { name: search.name, ...postcode }, limit, offset);
  const locations = [];
  for (const id of ids) {
    const location = await q.readLocation(db, id);
    if (location) locations.push(location);
  }
  return { locations, total };
}
