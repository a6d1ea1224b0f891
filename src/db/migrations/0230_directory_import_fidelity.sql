-- Importing real feeds (issue 17).
--
-- Capacity is unknown until a provider or curator (or the feed itself) states it: a feed that
-- says nothing no longer makes a service "Taking referrals".
ALTER TABLE directory_service DROP CONSTRAINT directory_service_capacity_check;
ALTER TABLE directory_service ADD CONSTRAINT directory_service_capacity_check
  CHECK (capacity IN ('unknown', 'taking_referrals', 'waiting_list', 'full'));
ALTER TABLE directory_service ALTER COLUMN capacity SET DEFAULT 'unknown';
INSERT INTO directory_taxonomy_term (id, taxonomy_id, code, name, description, term_uri) VALUES
  (md5('signpost:capacity:unknown')::uuid::text, md5('signpost:taxonomy:capacity')::uuid::text, 'unknown', 'Capacity not known',
   'Nobody has said yet whether this service is taking referrals.', 'https://signpost.example/taxonomies/capacity/unknown')
ON CONFLICT (id) DO NOTHING;
UPDATE directory_taxonomy SET description = 'Whether a service is taking referrals, has a waiting list or is full, or that nobody has said yet.'
 WHERE id = md5('signpost:taxonomy:capacity')::uuid::text;
-- Services imported from a feed and never touched by a person were given "Taking referrals" by
-- the old default, which nobody stated: they become unknown.
UPDATE directory_service s SET capacity = 'unknown', expected_wait_weeks = NULL
 WHERE s.source_feed IS NOT NULL AND s.source_feed <> 'demo' AND s.capacity = 'taking_referrals' AND s.last_verified_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM directory_service_revision r WHERE r.service_id = s.id);

-- A hash of the record as the feed last gave it (after repairs), so a re-import of an unchanged
-- feed compares hashes and writes nothing. Any other write of the service clears it.
ALTER TABLE directory_service ADD COLUMN import_hash text;

-- The parts of an imported HSDS 3.0 record that have no column of their own (alternate_name,
-- application_process, wait_time, licenses, location transportation and languages, organisation
-- contacts, metadata...), shaped like the record, so an export gives back everything the feed said.
ALTER TABLE directory_service ADD COLUMN hsds_extra jsonb;
