-- Assessment ("what matters to me"), safeguarding concerns, the personal plan, social
-- prescriptions (onward referrals and signposting) with their life cycle and attendance, and
-- discharge back to the referrer. All tenant tables: keys lead with tenant_id, foreign keys are
-- composite, and row-level security confines every statement to the current tenant.

CREATE TABLE assessment (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  person_id uuid NOT NULL,
  what_matters text NOT NULL,
  -- [{ "need": "<need code>", "rating": "none" | "some" | "high", "notes": "..." }]
  needs jsonb NOT NULL DEFAULT '[]'::jsonb,
  strengths text,
  barriers text[] NOT NULL DEFAULT '{}',
  barrier_notes text,
  risks text,
  assessed_by uuid REFERENCES app_user (id),
  assessed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id),
  CHECK (barriers <@ ARRAY['transport', 'cost', 'confidence', 'caring', 'language', 'digital']::text[])
);
CREATE INDEX assessment_referral ON assessment (tenant_id, referral_id, assessed_at DESC);

-- A concern stays open (an alert on the person's pages and a task for the lead) until the lead
-- records the action taken; it cannot be closed without that note.
CREATE TABLE safeguarding_concern (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  person_id uuid NOT NULL,
  concern text NOT NULL,
  raised_by uuid REFERENCES app_user (id),
  raised_at timestamptz NOT NULL DEFAULT now(),
  action_taken text,
  actioned_by uuid REFERENCES app_user (id),
  actioned_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id),
  CHECK ((actioned_at IS NULL) = (action_taken IS NULL))
);
CREATE INDEX safeguarding_open ON safeguarding_concern (tenant_id, raised_at) WHERE actioned_at IS NULL;
CREATE INDEX safeguarding_person ON safeguarding_concern (tenant_id, person_id);

CREATE TABLE plan_goal (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  person_id uuid NOT NULL,
  goal text NOT NULL,
  steps text,
  who_does_what text,
  review_date date,
  progress text NOT NULL DEFAULT 'not_started' CHECK (progress IN ('not_started', 'in_progress', 'achieved', 'no_longer_relevant')),
  created_by uuid REFERENCES app_user (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id)
);
CREATE INDEX plan_goal_referral ON plan_goal (tenant_id, referral_id, created_at);

-- Every change of a goal's progress, so the plan shows how it moved.
CREATE TABLE goal_progress (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  goal_id uuid NOT NULL,
  from_progress text,
  to_progress text NOT NULL,
  note text,
  by_user_id uuid REFERENCES app_user (id),
  occurred_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, goal_id) REFERENCES plan_goal (tenant_id, id)
);
CREATE INDEX goal_progress_goal ON goal_progress (tenant_id, goal_id, occurred_at);

-- A social prescription: signposting (details given, recorded) or an onward referral to a
-- directory service. `shared` is the snapshot the provider sees, exactly as ticked and consented.
CREATE TABLE onward_referral (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  person_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('refer', 'signpost')),
  -- How it reaches the service: through Signpost, by secure email, on paper, or by telling the person.
  delivery text NOT NULL CHECK (delivery IN ('signpost', 'email', 'print', 'signposted')),
  service_id text NOT NULL,
  service_name text NOT NULL,
  organisation_name text,
  provider_organisation_id uuid,
  need text,
  status text NOT NULL CHECK (status IN ('signposted', 'draft', 'sent', 'accepted', 'declined', 'attending', 'completed', 'did_not_attend', 'stopped')),
  share_fields text[] NOT NULL DEFAULT '{}',
  shared jsonb NOT NULL DEFAULT '{}'::jsonb,
  consent_recorded_at timestamptz,
  consent_recorded_by uuid REFERENCES app_user (id),
  note text,
  decline_reason text,
  decline_detail text,
  stop_reason text,
  first_session_date date,
  sent_at timestamptz,
  responded_at timestamptz,
  nudged_provider_at timestamptz,
  nudged_worker_at timestamptz,
  follow_up_asked_at timestamptz,
  follow_up_answer text,
  follow_up_answered_at timestamptz,
  created_by uuid REFERENCES app_user (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  status_changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES person (tenant_id, id),
  FOREIGN KEY (tenant_id, provider_organisation_id) REFERENCES provider_organisation (tenant_id, id),
  CHECK (kind = 'signpost' OR consent_recorded_at IS NOT NULL)
);
CREATE INDEX onward_referral_referral ON onward_referral (tenant_id, referral_id, created_at);
CREATE INDEX onward_referral_provider ON onward_referral (tenant_id, provider_organisation_id, status);
-- One open onward referral per service per episode: a second is refused, and this index backs it.
CREATE UNIQUE INDEX onward_referral_open_per_service ON onward_referral (tenant_id, referral_id, service_id)
  WHERE kind = 'refer' AND status IN ('draft', 'sent', 'accepted', 'attending');

CREATE TABLE onward_referral_transition (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  onward_referral_id uuid NOT NULL,
  from_status text,
  to_status text NOT NULL,
  reason text,
  by_user_id uuid REFERENCES app_user (id),
  -- "Recorded by hand from the service's email", "provider", ...
  by_description text,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, onward_referral_id) REFERENCES onward_referral (tenant_id, id)
);
CREATE INDEX onward_referral_transition_of ON onward_referral_transition (tenant_id, onward_referral_id, occurred_at);

CREATE TABLE onward_attendance (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  onward_referral_id uuid NOT NULL,
  -- NULL for an overall record ("attended 6 of 8 sessions") rather than one session.
  session_date date,
  attended boolean NOT NULL,
  sessions_attended integer CHECK (sessions_attended BETWEEN 0 AND 500),
  sessions_offered integer CHECK (sessions_offered BETWEEN 0 AND 500),
  note text,
  recorded_by uuid REFERENCES app_user (id),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, onward_referral_id) REFERENCES onward_referral (tenant_id, id)
);
CREATE INDEX onward_attendance_of ON onward_attendance (tenant_id, onward_referral_id, session_date);

-- The end of an episode, and the summary sent back to the referrer, kept as written then.
CREATE TABLE discharge (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  reason text NOT NULL CHECK (reason IN ('goals_met', 'person_chose_to_end', 'unable_to_engage', 'moved_away', 'referred_elsewhere', 'died')),
  summary text NOT NULL,
  -- [{ "measure": "ONS4 life satisfaction", "before": 3, "after": 7 }]
  outcomes jsonb NOT NULL DEFAULT '[]'::jsonb,
  document jsonb NOT NULL,
  discharged_by uuid REFERENCES app_user (id),
  discharged_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, referral_id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id)
);

ALTER TABLE assessment ENABLE ROW LEVEL SECURITY;
ALTER TABLE assessment FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON assessment USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE safeguarding_concern ENABLE ROW LEVEL SECURITY;
ALTER TABLE safeguarding_concern FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON safeguarding_concern USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE plan_goal ENABLE ROW LEVEL SECURITY;
ALTER TABLE plan_goal FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON plan_goal USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE goal_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE goal_progress FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON goal_progress USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE onward_referral ENABLE ROW LEVEL SECURITY;
ALTER TABLE onward_referral FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON onward_referral USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE onward_referral_transition ENABLE ROW LEVEL SECURITY;
ALTER TABLE onward_referral_transition FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON onward_referral_transition USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE onward_attendance ENABLE ROW LEVEL SECURITY;
ALTER TABLE onward_attendance FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON onward_attendance USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

ALTER TABLE discharge ENABLE ROW LEVEL SECURITY;
ALTER TABLE discharge FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON discharge USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
