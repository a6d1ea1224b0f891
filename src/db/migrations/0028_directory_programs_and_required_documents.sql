-- Programmes that group an organisation's services (HSDS 3 program), and the documents a person
-- needs to bring to use a service (HSDS 3 required_document). ORUK 3.0 leaves both out; HSDS feeds
-- carry them, and an import must not lose them.
CREATE TABLE directory_program (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  organization_id text REFERENCES directory_organization (id) ON DELETE SET NULL,
  name text NOT NULL,
  alternate_name text,
  description text
);
CREATE INDEX directory_program_organization ON directory_program (organization_id);

-- Not a foreign key: a feed may name a programme it does not describe, and the id must survive.
ALTER TABLE directory_service ADD COLUMN program_id text;

CREATE TABLE directory_required_document (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  service_id text NOT NULL REFERENCES directory_service (id) ON DELETE CASCADE,
  document text,
  uri text
);
CREATE INDEX directory_required_document_service ON directory_required_document (service_id);
