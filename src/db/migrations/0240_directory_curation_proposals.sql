-- Curation of a whole service. A provider's change to a part of their service (opening times,
-- locations, phones, ...) or a new service they propose waits as a change request holding the
-- proposal and its difference until a curator accepts it; the public's suggestions are unchanged.
ALTER TABLE directory_change_request DROP CONSTRAINT directory_change_request_kind_check;
ALTER TABLE directory_change_request ADD CONSTRAINT directory_change_request_kind_check
  CHECK (kind IN ('suggestion', 'problem', 'edit', 'new-service'));
-- A proposed new service has no service row until it is accepted.
ALTER TABLE directory_change_request ALTER COLUMN service_id DROP NOT NULL;
ALTER TABLE directory_change_request
  ADD COLUMN proposal jsonb,
  ADD COLUMN diff jsonb,
  ADD COLUMN proposed_by uuid,
  ADD COLUMN proposed_by_organization_id text REFERENCES directory_organization (id);
ALTER TABLE directory_change_request ADD CONSTRAINT directory_change_request_proposal_check
  CHECK ((kind IN ('edit', 'new-service')) = (proposal IS NOT NULL) AND (kind = 'new-service' OR service_id IS NOT NULL));

-- HSDS 3 service.application_process: "how to apply". The importer may add the same column.
ALTER TABLE directory_service ADD COLUMN IF NOT EXISTS application_process text;
