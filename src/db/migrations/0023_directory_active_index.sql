-- ORUK paging counts and skips active services in id order: a partial index lets both be
-- index-only scans instead of reading every service row on every page.
CREATE INDEX directory_service_active_id ON directory_service (id) WHERE status = 'active';
