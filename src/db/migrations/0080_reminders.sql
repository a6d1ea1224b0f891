-- Reminders to link workers, written by the daily reminder scan and shown on the caseload:
-- follow-up due or overdue, goal review due, waiting past the tenant's target for first contact,
-- and the "unable to contact" prompt. One row per condition, named by its key (the same key is
-- never written twice); resolved_at is set by the scan once the condition has cleared.
CREATE TABLE reminder (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('follow_up', 'plan_review', 'waiting', 'unable_to_contact')),
  -- e.g. follow-up:<referralId>:<due>, plan-review:<goalId>:<review date>
  reminder_key text NOT NULL,
  due_on date,
  -- The goal a plan review is for; NULL for the referral's own reminders.
  goal_id uuid,
  link_worker_id uuid REFERENCES app_user (id),
  detail text,
  created_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, reminder_key),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id)
);
CREATE INDEX reminder_open ON reminder (tenant_id, referral_id) WHERE resolved_at IS NULL;

ALTER TABLE reminder ENABLE ROW LEVEL SECURITY;
ALTER TABLE reminder FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reminder USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
