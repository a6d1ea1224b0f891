-- Reporting read models: one row per referral with the figures reports are built from, and a
-- row per refresh. Nothing here is the source of truth: a refresh rebuilds a tenant's rows from
-- the referral, person, contact, discharge and onward referral tables. No direct identifiers are
-- copied: no names, NHS numbers, postcodes, addresses or dates of birth; age is kept as a band.
CREATE TABLE reporting_referral_fact (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  referral_id uuid NOT NULL,
  practice_id uuid,
  source text NOT NULL,
  -- Need codes from the referral's reasons (src/directory/needs.ts).
  needs text[] NOT NULL DEFAULT '{}',
  urgency text NOT NULL,
  -- The first day of the month the referral arrived, in London time.
  received_month date NOT NULL,
  status text NOT NULL,
  -- Calendar days between the London dates of arrival and of the first move to "in contact".
  first_contact_days integer CHECK (first_contact_days >= 0),
  -- Calendar days between the London dates of arrival and of the move to "discharged".
  discharge_days integer CHECK (discharge_days >= 0),
  discharge_reason text,
  age_band text NOT NULL,
  sex text,
  -- The NHS Data Dictionary group of the person's ethnic category ("Not known" when unrecorded).
  ethnic_group text NOT NULL,
  imd_decile smallint CHECK (imd_decile BETWEEN 1 AND 10),
  contact_attempts integer NOT NULL DEFAULT 0,
  contacts_made integer NOT NULL DEFAULT 0,
  contact_approaches text[] NOT NULL DEFAULT '{}',
  -- Social prescriptions of kind "refer" (not signposting), and how many of those the person attended.
  onward_referrals integer NOT NULL DEFAULT 0,
  onward_attended integer NOT NULL DEFAULT 0,
  signposted integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, referral_id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id)
);
CREATE INDEX reporting_referral_fact_month ON reporting_referral_fact (tenant_id, received_month, practice_id);

-- Every refresh of a tenant's read model: when, how many rows, how many changed, how long it took.
CREATE TABLE reporting_refresh (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  refreshed_at timestamptz NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('nightly', 'manual', 'demo')),
  row_count integer NOT NULL CHECK (row_count >= 0),
  changed_rows integer NOT NULL CHECK (changed_rows >= 0),
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX reporting_refresh_latest ON reporting_refresh (tenant_id, refreshed_at DESC);

ALTER TABLE reporting_referral_fact ENABLE ROW LEVEL SECURITY;
ALTER TABLE reporting_referral_fact FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reporting_referral_fact USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE reporting_refresh ENABLE ROW LEVEL SECURITY;
ALTER TABLE reporting_refresh FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reporting_refresh USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
