-- Tenancy: who owns what. Every table holding tenant data carries tenant_id, leads its keys with
-- it (so the schema can be distributed by tenant), and is guarded by row-level security.

CREATE TABLE tenant (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- Working days an onward referral may wait for a provider's answer, unable-to-contact attempts, etc.
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A GP surgery, by its ODS code.
CREATE TABLE practice (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  ods_code text NOT NULL CHECK (ods_code ~ '^[A-Z0-9]{3,10}$'),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, ods_code)
);

-- A community organisation that receives onward referrals. directory_organization_id links it to
-- its entry in the shared directory, once that exists.
CREATE TABLE provider_organisation (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  directory_organization_id text,
  email text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

-- A person who signs in. Users are installation-wide (one email, one account); what they may do
-- is given per tenant by role_membership.
CREATE TABLE app_user (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  name text NOT NULL,
  password_hash text,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX app_user_email ON app_user (lower(email));

CREATE TABLE role_membership (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  user_id uuid NOT NULL REFERENCES app_user (id),
  role text NOT NULL CHECK (role IN ('referrer', 'link_worker', 'lead', 'provider', 'commissioner', 'researcher', 'curator', 'admin')),
  practice_id uuid,
  provider_organisation_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id, role),
  FOREIGN KEY (tenant_id, practice_id) REFERENCES practice (tenant_id, id),
  FOREIGN KEY (tenant_id, provider_organisation_id) REFERENCES provider_organisation (tenant_id, id),
  CHECK (role <> 'provider' OR provider_organisation_id IS NOT NULL)
);
CREATE INDEX role_membership_user ON role_membership (user_id);

ALTER TABLE tenant ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant USING (id = current_tenant_id());

ALTER TABLE practice ENABLE ROW LEVEL SECURITY;
ALTER TABLE practice FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON practice USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE provider_organisation ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_organisation FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON provider_organisation USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE role_membership ENABLE ROW LEVEL SECURITY;
ALTER TABLE role_membership FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON role_membership USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
