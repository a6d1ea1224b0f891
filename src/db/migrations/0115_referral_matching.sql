-- Referrals held until a lead confirms whose they are. A public self-referral, and a staff referral
-- whose NHS number belongs to a record with another name or date of birth, never attach to an
-- existing person by themselves: the referral points at a new record made from the submitted
-- details (awaiting_match), and a lead decides on the triage page.

ALTER TABLE person ADD COLUMN awaiting_match boolean NOT NULL DEFAULT false;

CREATE TABLE referral_match (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  referral_id uuid NOT NULL,
  reason text NOT NULL CHECK (reason IN ('self_referral', 'nhs_number_mismatch')),
  -- The record made from the submitted details, holding the consents given with the submission.
  submitted_person_id uuid NOT NULL,
  -- The submitted NHS number: kept here because another live record may already hold it, and
  -- one live record per NHS number is the rule.
  nhs_number text CHECK (nhs_number ~ '^[0-9]{10}$'),
  decision text CHECK (decision IN ('same_person', 'different_person')),
  matched_person_id uuid,
  decided_by uuid REFERENCES app_user (id),
  decided_at timestamptz,
  -- Attached to an existing record, the submitted consents are confirmed with the person by a link worker.
  consents_confirmed_by uuid REFERENCES app_user (id),
  consents_confirmed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, referral_id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id),
  FOREIGN KEY (tenant_id, submitted_person_id) REFERENCES person (tenant_id, id),
  FOREIGN KEY (tenant_id, matched_person_id) REFERENCES person (tenant_id, id),
  CHECK ((decision IS NULL) = (decided_at IS NULL) AND (decision IS NULL) = (matched_person_id IS NULL))
);
CREATE INDEX referral_match_waiting ON referral_match (tenant_id, created_at) WHERE decision IS NULL;

ALTER TABLE referral_match ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_match FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON referral_match USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
