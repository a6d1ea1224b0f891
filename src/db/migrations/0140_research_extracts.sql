-- Research: a consent kind for the use of pseudonymised records in approved research, research
-- projects (each with its own pseudonymisation key, so ids never link across projects) and the
-- extracts made for them, kept so a download is the same files that were checked and audited.

ALTER TABLE consent DROP CONSTRAINT consent_kind_check;
ALTER TABLE consent ADD CONSTRAINT consent_kind_check CHECK (kind IN ('refer', 'share', 'contact', 'research'));
CREATE INDEX consent_active_research ON consent (tenant_id, person_id) WHERE kind = 'research' AND withdrawn_at IS NULL;

CREATE TABLE research_project (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  purpose text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 2000),
  -- The ethics or data access approval (REC reference, IRAS ID, DARS number ...).
  approval_reference text NOT NULL CHECK (length(approval_reference) BETWEEN 1 AND 100),
  -- 32 random bytes, the HMAC-SHA-256 key for this project's pseudonyms; never shown or exported.
  pseudonym_key bytea NOT NULL CHECK (length(pseudonym_key) = 32),
  created_by uuid REFERENCES app_user (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX research_project_name ON research_project (tenant_id, lower(name));

CREATE TABLE research_extract (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL,
  generated_at timestamptz NOT NULL,
  -- A user, or NULL for the command line.
  generated_by uuid REFERENCES app_user (id),
  manifest jsonb NOT NULL CHECK (jsonb_typeof(manifest) = 'object'),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, project_id) REFERENCES research_project (tenant_id, id)
);
CREATE INDEX research_extract_project ON research_extract (tenant_id, project_id, generated_at DESC);

CREATE TABLE research_extract_file (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  extract_id uuid NOT NULL,
  name text NOT NULL CHECK (name ~ '^[a-z_]+\.(csv|md|json)$'),
  content text NOT NULL,
  PRIMARY KEY (tenant_id, extract_id, name),
  FOREIGN KEY (tenant_id, extract_id) REFERENCES research_extract (tenant_id, id)
);

ALTER TABLE research_project ENABLE ROW LEVEL SECURITY;
ALTER TABLE research_project FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON research_project USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE research_extract ENABLE ROW LEVEL SECURITY;
ALTER TABLE research_extract FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON research_extract USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE research_extract_file ENABLE ROW LEVEL SECURITY;
ALTER TABLE research_extract_file FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON research_extract_file USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
