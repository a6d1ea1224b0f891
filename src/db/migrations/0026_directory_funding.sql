-- Who funds a service or an organisation (HSDS 3 funding). One row may name both, as HSDS CSV does.
CREATE TABLE directory_funding (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  organization_id text REFERENCES directory_organization (id) ON DELETE CASCADE,
  service_id text REFERENCES directory_service (id) ON DELETE CASCADE,
  source text
);
CREATE INDEX directory_funding_service ON directory_funding (service_id);
CREATE INDEX directory_funding_organization ON directory_funding (organization_id);
