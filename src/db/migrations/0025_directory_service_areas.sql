-- Where a service is available (HSDS 3 service_area; ORUK adds the free-text service_area field).
CREATE TABLE directory_service_area (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  service_id text NOT NULL REFERENCES directory_service (id) ON DELETE CASCADE,
  name text,
  description text,
  service_area text,
  extent text,
  extent_type text,
  uri text
);
CREATE INDEX directory_service_area_service ON directory_service_area (service_id);
