-- The directory of local services: Open Referral (HSDS 3 / ORUK 3.0) shapes, shared by every
-- tenant of an installation. It holds no personal data, so it has no tenant_id and no row-level
-- security. Ids are text so feeds with their own id schemes import as they are; ours are UUIDs.
-- Tables are prefixed directory_ because names like "contact" mean other things elsewhere.

CREATE TABLE directory_organization (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  description text,
  email text,
  website text,
  logo text,
  uri text,
  parent_organization_id text,
  source_feed text,
  source_id text,
  last_modified timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX directory_organization_name ON directory_organization USING gin (name gin_trgm_ops);

CREATE TABLE directory_service (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  organization_id text REFERENCES directory_organization (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  description text,
  url text,
  email text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'defunct', 'temporarily closed')),
  fees text,
  accreditations text,
  minimum_age numeric,
  maximum_age numeric,
  eligibility_description text,
  assured_date date,
  assurer_email text,
  alert text,
  last_modified timestamptz NOT NULL DEFAULT now(),
  -- Curation and capacity (Signpost's own fields; capacity is exported as an attribute).
  capacity text NOT NULL DEFAULT 'taking_referrals' CHECK (capacity IN ('taking_referrals', 'waiting_list', 'full')),
  expected_wait_weeks integer CHECK (expected_wait_weeks BETWEEN 0 AND 104),
  last_verified_at timestamptz,
  last_verified_by uuid,
  source_feed text,
  source_id text,
  -- Kept up to date by directory_refresh_search(); weighted name > organisation, needs > description.
  search_document tsvector NOT NULL DEFAULT ''::tsvector,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX directory_service_document ON directory_service USING gin (search_document);
CREATE INDEX directory_service_name_trgm ON directory_service USING gin (name gin_trgm_ops);
CREATE INDEX directory_service_organization ON directory_service (organization_id);
CREATE INDEX directory_service_modified ON directory_service (last_modified, id);
CREATE INDEX directory_service_verified ON directory_service (last_verified_at NULLS FIRST) WHERE status = 'active';

CREATE TABLE directory_location (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  organization_id text REFERENCES directory_organization (id),
  location_type text NOT NULL DEFAULT 'physical' CHECK (location_type IN ('physical', 'postal', 'virtual')),
  name text,
  description text,
  -- Not range-checked: feeds (even the ORUK examples) carry impossible coordinates, and an import
  -- must round-trip them; such a point is merely far from every postcode.
  latitude double precision,
  longitude double precision,
  external_identifier text,
  external_identifier_type text,
  -- One address per location (HSDS allows several; feeds in practice send one).
  address_id text,
  address_1 text,
  address_2 text,
  city text,
  region text,
  state_province text,
  postal_code text,
  country text,
  address_type text,
  CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE INDEX directory_location_earth ON directory_location USING gist (ll_to_earth(latitude, longitude)) WHERE latitude IS NOT NULL;

CREATE TABLE directory_service_at_location (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  service_id text NOT NULL REFERENCES directory_service (id) ON DELETE CASCADE,
  location_id text NOT NULL REFERENCES directory_location (id),
  description text
);
CREATE INDEX directory_service_at_location_service ON directory_service_at_location (service_id);
CREATE INDEX directory_service_at_location_location ON directory_service_at_location (location_id);

CREATE TABLE directory_schedule (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  service_id text REFERENCES directory_service (id) ON DELETE CASCADE,
  service_at_location_id text REFERENCES directory_service_at_location (id) ON DELETE CASCADE,
  freq text CHECK (freq IN ('WEEKLY', 'MONTHLY')),
  interval integer,
  byday text,
  bymonthday text,
  dtstart date,
  valid_from date,
  valid_to date,
  opens_at time,
  closes_at time,
  description text,
  schedule_link text,
  attending_type text,
  notes text
);
CREATE INDEX directory_schedule_service ON directory_schedule (service_id);

CREATE TABLE directory_cost_option (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  service_id text NOT NULL REFERENCES directory_service (id) ON DELETE CASCADE,
  option text,
  amount numeric CHECK (amount >= 0),
  amount_description text,
  valid_from date,
  valid_to date
);
CREATE INDEX directory_cost_option_service ON directory_cost_option (service_id);

CREATE TABLE directory_accessibility (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  location_id text NOT NULL REFERENCES directory_location (id) ON DELETE CASCADE,
  description text,
  details text,
  url text
);
CREATE INDEX directory_accessibility_location ON directory_accessibility (location_id);

CREATE TABLE directory_language (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  service_id text REFERENCES directory_service (id) ON DELETE CASCADE,
  location_id text REFERENCES directory_location (id) ON DELETE CASCADE,
  name text,
  code text,
  note text
);
CREATE INDEX directory_language_service ON directory_language (service_id);

CREATE TABLE directory_contact (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  organization_id text REFERENCES directory_organization (id) ON DELETE CASCADE,
  service_id text REFERENCES directory_service (id) ON DELETE CASCADE,
  name text,
  title text,
  department text,
  email text
);
CREATE INDEX directory_contact_service ON directory_contact (service_id);

CREATE TABLE directory_phone (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  organization_id text REFERENCES directory_organization (id) ON DELETE CASCADE,
  service_id text REFERENCES directory_service (id) ON DELETE CASCADE,
  location_id text REFERENCES directory_location (id) ON DELETE CASCADE,
  contact_id text REFERENCES directory_contact (id) ON DELETE CASCADE,
  number text NOT NULL,
  extension text,
  type text,
  description text
);
CREATE INDEX directory_phone_service ON directory_phone (service_id);

CREATE TABLE directory_url (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  organization_id text REFERENCES directory_organization (id) ON DELETE CASCADE,
  service_id text REFERENCES directory_service (id) ON DELETE CASCADE,
  label text,
  url text NOT NULL
);

CREATE TABLE directory_taxonomy (
  id text PRIMARY KEY,
  name text NOT NULL,
  description text,
  uri text,
  version text
);

CREATE TABLE directory_taxonomy_term (
  id text PRIMARY KEY,
  taxonomy_id text REFERENCES directory_taxonomy (id),
  code text,
  name text NOT NULL,
  description text,
  parent_id text,
  term_uri text
);
CREATE INDEX directory_taxonomy_term_taxonomy ON directory_taxonomy_term (taxonomy_id, code);

-- Links a service (or another entity) to a taxonomy term: needs, delivery methods, feed terms.
CREATE TABLE directory_attribute (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  link_id text NOT NULL,
  link_type text,
  link_entity text NOT NULL DEFAULT 'service',
  taxonomy_term_id text NOT NULL REFERENCES directory_taxonomy_term (id),
  value text
);
CREATE INDEX directory_attribute_link ON directory_attribute (link_id);
CREATE INDEX directory_attribute_term ON directory_attribute (taxonomy_term_id, link_id);

-- "Suggest a change or report a problem" from the public, and provider edits awaiting review.
CREATE TABLE directory_change_request (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_id text NOT NULL REFERENCES directory_service (id) ON DELETE CASCADE,
  kind text NOT NULL DEFAULT 'suggestion' CHECK (kind IN ('suggestion', 'problem')),
  details text NOT NULL CHECK (length(details) BETWEEN 1 AND 2000),
  reply_email text,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
  decision_reason text,
  decided_by uuid,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX directory_change_request_open ON directory_change_request (created_at) WHERE status = 'open';

-- Every edit to a service: who, when, and the field-by-field difference.
CREATE TABLE directory_service_revision (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service_id text NOT NULL REFERENCES directory_service (id) ON DELETE CASCADE,
  changed_by uuid,
  changed_by_role text,
  changed_at timestamptz NOT NULL DEFAULT now(),
  action text NOT NULL,
  diff jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX directory_service_revision_service ON directory_service_revision (service_id, changed_at);

-- Full postcode coverage loaded by `signpost import postcodes` (ONSPD / NSPL). The demo's sample
-- and the outcode centroids ship with the code and need no table.
CREATE TABLE geo_postcode (
  postcode text PRIMARY KEY,
  latitude double precision NOT NULL,
  longitude double precision NOT NULL,
  lsoa11 text,
  lsoa21 text
);

-- Recomputes the weighted search document of the given services from their name, organisation,
-- taxonomy terms and description.
CREATE FUNCTION directory_refresh_search(service_ids text[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE directory_service s
     SET search_document =
           setweight(to_tsvector('english', coalesce(s.name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(o.name, '')), 'B')
        || setweight(to_tsvector('english', coalesce(
             (SELECT string_agg(t.name, ' ') FROM directory_attribute a
                JOIN directory_taxonomy_term t ON t.id = a.taxonomy_term_id
               WHERE a.link_id = s.id), '')), 'B')
        || setweight(to_tsvector('english', coalesce(s.description, '')), 'C')
    FROM directory_service s2
    LEFT JOIN directory_organization o ON o.id = s2.organization_id
   WHERE s.id = s2.id AND s.id = ANY (service_ids)
$$;
