-- Extensions later areas rely on: fuzzy names, distance, unaccented search, digests.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- The application role: not a superuser, so row-level security applies to it.
-- Roles are cluster-wide on a PostgreSQL server, so create it only once.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'signpost_app') THEN
    CREATE ROLE signpost_app NOLOGIN;
  END IF;
END
$$;
GRANT signpost_app TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO signpost_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO signpost_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO signpost_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO signpost_app;

-- The tenant a transaction is confined to, or NULL when none is set (then no tenant rows match).
CREATE FUNCTION current_tenant_id() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid
$$;

-- Facts about this installation (for example, when demo data was loaded).
CREATE TABLE installation_fact (
  key text PRIMARY KEY,
  value text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
