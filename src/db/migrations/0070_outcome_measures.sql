-- Outcome measures: validated questionnaires (ONS4, SWEMWBS, UCLA 3-item loneliness) answered at
-- baseline, review and discharge of a referral. The instruments themselves are code and data in
-- src/outcomes (their wording must not change), so only the administrations are stored.
CREATE TABLE outcome_administration (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  person_id uuid NOT NULL,
  instrument text NOT NULL CHECK (instrument IN ('swemwbs', 'ons4', 'ucla3')),
  timepoint text NOT NULL CHECK (timepoint IN ('baseline', 'review', 'discharge')),
  completed_at timestamptz NOT NULL,
  -- The link worker who asked the questions; NULL when the person completed it through a link.
  completed_by uuid REFERENCES app_user (id),
  mode text NOT NULL CHECK (mode IN ('with_link_worker', 'self_completed')),
  -- SWEMWBS raw 7-35 or the UCLA sum 3-9; NULL for ONS4, whose questions are never added up.
  raw_score integer,
  -- SWEMWBS only: the Rasch-transformed metric score from the published conversion table.
  metric_score numeric(4, 2),
  -- Item id -> answer value, e.g. {"optimistic": 3, ...}. jsonb rather than a child table: the
  -- items differ per instrument, the set is always written and read whole (scored, shown, turned
  -- into a FHIR QuestionnaireResponse), and src/outcomes/scoring.ts checks every item before insert.
  answers jsonb NOT NULL CHECK (jsonb_typeof(answers) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id),
  CHECK ((mode = 'with_link_worker') = (completed_by IS NOT NULL))
);
-- Reviews may repeat; a referral has at most one baseline and one discharge per instrument.
CREATE UNIQUE INDEX outcome_administration_once ON outcome_administration (tenant_id, referral_id, instrument, timepoint)
  WHERE timepoint IN ('baseline', 'discharge');
CREATE INDEX outcome_administration_referral ON outcome_administration (tenant_id, referral_id, completed_at);
CREATE INDEX outcome_administration_person ON outcome_administration (tenant_id, person_id);

ALTER TABLE outcome_administration ENABLE ROW LEVEL SECURITY;
ALTER TABLE outcome_administration FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outcome_administration USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- A link sent to the person to complete a measure themselves. Only the SHA-256 of the random
-- token is kept; the token exists only in the message sent. Single use, and it expires.
CREATE TABLE outcome_link (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  person_id uuid NOT NULL,
  instrument text NOT NULL CHECK (instrument IN ('swemwbs', 'ons4', 'ucla3')),
  timepoint text NOT NULL CHECK (timepoint IN ('baseline', 'review', 'discharge')),
  token_hash text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  sent_by uuid NOT NULL REFERENCES app_user (id),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  administration_id uuid,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id),
  FOREIGN KEY (tenant_id, administration_id) REFERENCES outcome_administration (tenant_id, id),
  CHECK ((used_at IS NULL) = (administration_id IS NULL))
);
CREATE INDEX outcome_link_token ON outcome_link (token_hash);
CREATE INDEX outcome_link_referral ON outcome_link (tenant_id, referral_id);

ALTER TABLE outcome_link ENABLE ROW LEVEL SECURITY;
ALTER TABLE outcome_link FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outcome_link USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
-- The public page knows no tenant until it has found the link. Whoever holds the token may read
-- that one row (to learn its tenant), and only by setting the token's hash for the transaction.
CREATE POLICY token_holder ON outcome_link FOR SELECT
  USING (token_hash = NULLIF(current_setting('app.outcome_link_hash', true), ''));
