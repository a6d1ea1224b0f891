-- An organisation's registered identifiers: charity or company number and the like
-- (HSDS 3 organization_identifier).
CREATE TABLE directory_organization_identifier (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  organization_id text NOT NULL REFERENCES directory_organization (id) ON DELETE CASCADE,
  identifier_scheme text,
  identifier_type text,
  identifier text
);
CREATE INDEX directory_organization_identifier_organization ON directory_organization_identifier (organization_id);
