-- People, their consents, referrals and the referral life cycle: transitions, allocations and
-- contacts. All tenant tables: keys lead with tenant_id, foreign keys are composite, and
-- row-level security confines every statement to the current tenant.

-- One record per person per tenant. A record merged into another keeps its row (so audit events
-- that name it still resolve) with merged_into_id pointing at the survivor.
CREATE TABLE person (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  nhs_number text CHECK (nhs_number ~ '^[0-9]{10}$'),
  given_name text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 100),
  family_name text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
  preferred_name text,
  date_of_birth date NOT NULL,
  -- Sex and gender identity are separate questions (the person may answer one and not the other).
  sex text CHECK (sex IN ('female', 'male', 'intersex', 'not_stated')),
  gender_identity text,
  -- NHS Data Dictionary ETHNIC CATEGORY code (A-S, Z, 99).
  ethnicity text CHECK (ethnicity ~ '^([A-HJ-NPRSZ]|99)$'),
  postcode text,
  deprivation_decile smallint CHECK (deprivation_decile BETWEEN 1 AND 10),
  address text,
  phone text,
  email text,
  contact_channels text[] NOT NULL DEFAULT '{}',
  safe_to_leave_message boolean,
  -- Accessible Information Standard.
  interpreter_language text,
  large_print boolean NOT NULL DEFAULT false,
  easy_read boolean NOT NULL DEFAULT false,
  bsl boolean NOT NULL DEFAULT false,
  other_communication_needs text,
  practice_id uuid,
  merged_into_id uuid,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, practice_id) REFERENCES practice (tenant_id, id),
  FOREIGN KEY (tenant_id, merged_into_id) REFERENCES person (tenant_id, id),
  CHECK (contact_channels <@ ARRAY['phone', 'sms', 'email', 'letter']::text[])
);
-- One live record per NHS number; merged-away records keep theirs for the trail.
CREATE UNIQUE INDEX person_nhs_number ON person (tenant_id, nhs_number) WHERE nhs_number IS NOT NULL AND merged_into_id IS NULL;
-- Duplicate search narrows by date of birth, then compares names with pg_trgm similarity.
CREATE INDEX person_date_of_birth ON person (tenant_id, date_of_birth) WHERE merged_into_id IS NULL;

-- What the person agreed to, when, who recorded it, and when (if ever) it was withdrawn.
CREATE TABLE consent (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL,
  referral_id uuid,
  kind text NOT NULL CHECK (kind IN ('refer', 'share', 'contact')),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  -- A user, or NULL with recorded_by_description for the person themself (self-referral, FHIR).
  recorded_by uuid REFERENCES app_user (id),
  recorded_by_description text,
  withdrawn_at timestamptz,
  withdrawn_by uuid REFERENCES app_user (id),
  withdrawn_reason text,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id)
);
CREATE INDEX consent_person ON consent (tenant_id, person_id);

CREATE TABLE referral (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- What the referrer and the person quote: SP- and 8 characters without look-alikes.
  reference text NOT NULL CHECK (reference ~ '^SP-[0-9A-HJKMNP-TV-Z]{8}$'),
  person_id uuid NOT NULL,
  source text NOT NULL CHECK (source IN ('gp', 'practice_nurse', 'practice_staff', 'hospital', 'social_care', 'community', 'self', 'other')),
  channel text NOT NULL DEFAULT 'web' CHECK (channel IN ('web', 'letter', 'phone', 'email', 'self', 'fhir')),
  referrer_user_id uuid REFERENCES app_user (id),
  referrer_name text,
  referrer_organisation text,
  referrer_email text,
  -- The practice the referral came from (for the referrer view), when it came from one.
  practice_id uuid,
  reasons text[] NOT NULL CHECK (cardinality(reasons) >= 1),
  context text,
  urgency text NOT NULL DEFAULT 'routine' CHECK (urgency IN ('routine', 'soon', 'urgent')),
  consent_to_refer boolean NOT NULL,
  consent_to_share boolean NOT NULL,
  risk text,
  status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'triaged', 'allocated', 'in_contact', 'assessed', 'active_plan',
    'discharged', 'declined', 'unable_to_contact', 'not_suitable', 'withdrawn')),
  assigned_to uuid REFERENCES app_user (id),
  next_action text,
  next_action_due date,
  not_suitable_reason text,
  redirected_to text,
  received_at timestamptz NOT NULL DEFAULT now(),
  status_changed_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, reference),
  FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id),
  FOREIGN KEY (tenant_id, practice_id) REFERENCES practice (tenant_id, id)
);
CREATE INDEX referral_person ON referral (tenant_id, person_id);
CREATE INDEX referral_caseload ON referral (tenant_id, assigned_to, status);
CREATE INDEX referral_triage ON referral (tenant_id, received_at) WHERE status IN ('received', 'triaged');
CREATE INDEX referral_referrer ON referral (tenant_id, referrer_user_id);
CREATE INDEX referral_practice ON referral (tenant_id, practice_id);

ALTER TABLE consent ADD FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id);

-- One row per life-cycle change: who, when, why. Waiting times are computed from these.
CREATE TABLE referral_transition (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  from_status text,
  to_status text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  by_user_id uuid REFERENCES app_user (id),
  reason text,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id)
);
CREATE INDEX referral_transition_referral ON referral_transition (tenant_id, referral_id, occurred_at);

-- Every allocation and reallocation; the referral's assigned_to is the latest of these.
CREATE TABLE referral_allocation (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  link_worker_id uuid NOT NULL REFERENCES app_user (id),
  previous_link_worker_id uuid REFERENCES app_user (id),
  allocated_by uuid REFERENCES app_user (id),
  allocated_at timestamptz NOT NULL DEFAULT now(),
  reason text,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id)
);
CREATE INDEX referral_allocation_referral ON referral_allocation (tenant_id, referral_id, allocated_at);

CREATE TABLE contact (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('attempted', 'made')),
  mode text NOT NULL CHECK (mode IN ('phone', 'face_to_face', 'home_visit', 'video', 'group', 'text_email')),
  minutes integer CHECK (minutes BETWEEN 0 AND 600),
  approach text CHECK (approach IN ('signposting', 'guided_conversation', 'motivational_interviewing', 'health_coaching',
    'counselling_informed', 'warm_handover', 'group_session', 'practical_help')),
  notes text,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  recorded_by uuid REFERENCES app_user (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id)
);
CREATE INDEX contact_referral ON contact (tenant_id, referral_id, occurred_at DESC);

-- A staff referral being written: the question pages save here until "check your answers".
CREATE TABLE referral_draft (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES app_user (id),
  answers jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

ALTER TABLE person ENABLE ROW LEVEL SECURITY;
ALTER TABLE person FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON person USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE consent ENABLE ROW LEVEL SECURITY;
ALTER TABLE consent FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON consent USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE referral ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON referral USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE referral_transition ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_transition FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON referral_transition USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE referral_allocation ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_allocation FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON referral_allocation USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE contact ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE referral_draft ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_draft FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON referral_draft USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
