-- Outcome and approach reports. The referral facts gain what an approach profile needs (the
-- link worker, minutes and modes of the contacts made, whether an assessment happened); a new
-- read model holds each referral's baseline and follow-up per outcome measure. Like every read
-- model these are rebuilt by the reporting refresh and are never the source of truth.
ALTER TABLE reporting_referral_fact
  ADD COLUMN link_worker_id uuid,
  ADD COLUMN contact_minutes integer NOT NULL DEFAULT 0,
  ADD COLUMN contact_modes text[] NOT NULL DEFAULT '{}',
  ADD COLUMN assessed boolean NOT NULL DEFAULT false;

-- One row per referral and measure with a baseline: the baseline score and the follow-up (the
-- discharge measure, else the latest review). Measures: 'swemwbs' (metric score), 'ucla3' (sum),
-- and each ONS4 question ('ons4_life_satisfaction', 'ons4_worthwhile', 'ons4_happiness',
-- 'ons4_anxiety'). No foreign key to referral, for the reason given in migration 0091.
CREATE TABLE reporting_outcome_fact (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  referral_id uuid NOT NULL,
  measure text NOT NULL,
  baseline numeric(5, 2) NOT NULL,
  follow_up numeric(5, 2),
  follow_up_timepoint text CHECK (follow_up_timepoint IN ('review', 'discharge')),
  PRIMARY KEY (tenant_id, referral_id, measure)
);
CREATE INDEX reporting_outcome_fact_measure ON reporting_outcome_fact (tenant_id, measure);

ALTER TABLE reporting_outcome_fact ENABLE ROW LEVEL SECURITY;
ALTER TABLE reporting_outcome_fact FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reporting_outcome_fact USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- Registered patients per practice, entered by admins, for referral rates per 1,000 patients;
-- optionally the registered population by IMD quintile, age band, sex and ethnic group.
ALTER TABLE practice ADD COLUMN list_size integer CHECK (list_size > 0);

CREATE TABLE practice_population (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  practice_id uuid NOT NULL,
  dimension text NOT NULL CHECK (dimension IN ('imd_quintile', 'age_band', 'sex', 'ethnic_group')),
  category text NOT NULL CHECK (length(category) BETWEEN 1 AND 60),
  people integer NOT NULL CHECK (people >= 0),
  PRIMARY KEY (tenant_id, practice_id, dimension, category),
  FOREIGN KEY (tenant_id, practice_id) REFERENCES practice (tenant_id, id)
);

ALTER TABLE practice_population ENABLE ROW LEVEL SECURITY;
ALTER TABLE practice_population FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON practice_population USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
