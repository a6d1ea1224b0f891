import { createHash } from 'node:crypto';
import { NEEDS } from '../vocabulary/needs.ts';

/** The same md5-derived UUID that migration 0021 computes with md5(key)::uuid. */
export function stableId(key: string): string {
  const hex = createHash('md5').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const NEEDS_TAXONOMY_ID = stableId('signpost:taxonomy:needs');
export const DELIVERY_TAXONOMY_ID = stableId('signpost:taxonomy:delivery');
export const CAPACITY_TAXONOMY_ID = stableId('signpost:taxonomy:capacity');
/** The LGA (esd) Service list: the service types our needs map to (migration 0029). */
export const LGA_TAXONOMY_ID = stableId('signpost:taxonomy:lga-services');

export const DELIVERY_METHODS = [
  { code: 'in-person', label: 'In person' },
  { code: 'phone', label: 'By phone' },
  { code: 'online', label: 'Online' },
] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number]['code'];

// Unknown until a provider, a curator or the feed itself says otherwise (migration 0230).
export const CAPACITIES = [
  { code: 'unknown', term: 'unknown', label: 'Capacity not known' },
  { code: 'taking_referrals', term: 'taking-referrals', label: 'Taking referrals' },
  { code: 'waiting_list', term: 'waiting-list', label: 'Waiting list' },
  { code: 'full', term: 'full', label: 'Full' },
] as const;
export type Capacity = (typeof CAPACITIES)[number]['code'];

export const needTermId = (code: string) => stableId(`signpost:needs:${code}`);
export const deliveryTermId = (code: string) => stableId(`signpost:delivery:${code}`);
export const capacityTermId = (capacity: Capacity) => stableId(`signpost:capacity:${CAPACITIES.find((c) => c.code === capacity)!.term}`);

export const lgaTermId = (code: string) => stableId(`signpost:lga-service:${code}`);
export const lgaTermUri = (code: string) => `http://id.esd.org.uk/service/${code}`;
/** The attribute linking a service to an LGA service type its needs map to: one per service and code. */
export const lgaAttributeId = (serviceId: string, code: string) => stableId(`signpost:lga-attribute:${serviceId}:${code}`);

/** Every LGA service type some need maps to, once each. */
export const LGA_SERVICE_TYPES: ReadonlyArray<{ code: string; label: string }> = [
  ...new Map(NEEDS.flatMap((need) => need.lga ?? []).map((t) => [t.code, t])).values(),
];

/** The LGA service types a service tagged with this need term provides (none for other terms). */
export function lgaServiceTypesForTerm(termId: string) {
  const code = needCodeForTerm(termId);
  return NEEDS.find((need) => need.code === code)?.lga ?? [];
}

export function needCodeForTerm(termId: string): string | undefined {
  return NEEDS.find((need) => needTermId(need.code) === termId)?.code;
}
export function deliveryCodeForTerm(termId: string): DeliveryMethod | undefined {
  return DELIVERY_METHODS.find((m) => deliveryTermId(m.code) === termId)?.code;
}
export function capacityForTerm(termId: string): Capacity | undefined {
  return CAPACITIES.find((c) => capacityTermId(c.code) === termId)?.code;
}
