// What an imported record says beyond what Signpost's tables hold, kept beside the service so an
// export gives back everything HSDS 3.0 defines. Only the parts with no column are kept: a value
// that has a column is the column's (a curator's later edit wins over the feed's old value).

/**
 * Every property name the HSDS 3.0 object schemas and the ORUK 3.0 profile define
 * (openreferral/specification 3.0 and OpenReferralUK/uk-profile, CC BY-SA 4.0; listed from
 * schema/*.json). Anything else a feed sends is not kept.
 */
const HSDS_PROPERTIES = new Set<string>([
  'accessibility',
  'accreditations',
  'address_1',
  'address_2',
  'address_type',
  'addresses',
  'alert',
  'alternate_name',
  'amount',
  'amount_description',
  'application_process',
  'assured_date',
  'assurer_email',
  'attending_type',
  'attention',
  'attributes',
  'byday',
  'bymonthday',
  'byweekno',
  'byyearday',
  'character_set',
  'city',
  'closes_at',
  'code',
  'contact_id',
  'contacts',
  'cost_options',
  'count',
  'country',
  'currency',
  'department',
  'description',
  'details',
  'document',
  'dtstart',
  'eligibility_description',
  'email',
  'extension',
  'extent',
  'extent_type',
  'external_identifier',
  'external_identifier_type',
  'fees',
  'fees_description',
  'field_name',
  'freq',
  'funding',
  'id',
  'identifier',
  'identifier_scheme',
  'identifier_type',
  'interpretation_services',
  'interval',
  'language',
  'languages',
  'last_action_date',
  'last_action_type',
  'last_modified',
  'latitude',
  'legal_status',
  'licenses',
  'link_entity',
  'link_id',
  'link_type',
  'location',
  'location_id',
  'location_type',
  'locations',
  'logo',
  'longitude',
  'maximum_age',
  'metadata',
  'minimum_age',
  'name',
  'note',
  'notes',
  'number',
  'opens_at',
  'option',
  'organization',
  'organization_id',
  'organization_identifiers',
  'parent_id',
  'parent_organization_id',
  'phone_id',
  'phones',
  'postal_code',
  'previous_value',
  'program',
  'program_id',
  'programs',
  'region',
  'replacement_value',
  'required_documents',
  'resource_id',
  'resource_type',
  'schedule_link',
  'schedules',
  'service_area',
  'service_areas',
  'service_at_location_id',
  'service_at_locations',
  'service_id',
  'source',
  'state_province',
  'status',
  'tax_id',
  'tax_status',
  'taxonomy',
  'taxonomy_detail',
  'taxonomy_id',
  'taxonomy_term',
  'taxonomy_term_id',
  'taxonomy_terms',
  'term',
  'term_uri',
  'timezone',
  'title',
  'transportation',
  'type',
  'until',
  'updated_by',
  'uri',
  'url',
  'valid_from',
  'valid_to',
  'value',
  'version',
  'wait_time',
  'website',
  'wkst',
  'year_incorporated',
]);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => !!value && typeof value === 'object' && !Array.isArray(value);
const isEmpty = (value: unknown) => value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
const hasIds = (list: unknown[]) => list.every((item) => isObject(item) && typeof item.id === 'string');

/**
 * The parts of `given` (a record as the feed gave it) that `stored` (the same record as read back)
 * lacks: properties it has no value for, and inside objects and lists matched by id, theirs.
 * Undefined when nothing is missing.
 */
export function missingFrom(given: unknown, stored: unknown): unknown {
  if (!isObject(given)) return undefined;
  const kept: Json = {};
  for (const [key, value] of Object.entries(given)) {
    if (!HSDS_PROPERTIES.has(key) || isEmpty(value)) continue;
    const there = isObject(stored) ? stored[key] : undefined;
    if (there === undefined) {
      kept[key] = value;
    } else if (isObject(value) && isObject(there)) {
      const inner = missingFrom(value, there);
      if (inner !== undefined) kept[key] = inner;
    } else if (Array.isArray(value) && Array.isArray(there) && hasIds(value) && hasIds(there)) {
      // An item we dropped as invalid stays dropped; an item we keep may have parts we do not.
      const items = value.flatMap((item) => {
        const match = there.find((t) => (t as Json).id === (item as Json).id);
        const inner = match ? missingFrom(item, match) : undefined;
        return inner === undefined ? [] : [{ ...(inner as Json), id: (item as Json).id }];
      });
      if (items.length) kept[key] = items;
    }
  }
  return Object.keys(kept).length ? kept : undefined;
}

/** `stored` with `extra` (from missingFrom) put back where it came from; the stored value wins. */
export function withExtra<T>(stored: T, extra: unknown): T {
  if (!isObject(extra) || !isObject(stored)) return stored;
  const merged: Json = { ...stored };
  // In name order: the same record reads the same whichever way it came in (jsonb keeps no order).
  for (const [key, value] of Object.entries(extra).sort(([a], [b]) => a.localeCompare(b))) {
    const there = merged[key];
    if (there === undefined) merged[key] = value;
    else if (isObject(there) && isObject(value)) merged[key] = withExtra(there, value);
    else if (Array.isArray(there) && Array.isArray(value)) {
      merged[key] = there.map((item) => {
        const more = isObject(item) ? value.find((v) => isObject(v) && v.id === item.id) : undefined;
        return more ? withExtra(item, more) : item;
      });
    }
  }
  return merged as T;
}
