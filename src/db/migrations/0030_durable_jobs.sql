-- The durable job queue. Workers in any number of processes claim due jobs with
-- FOR UPDATE SKIP LOCKED; a claim holds a lock until `locked_until`, so the job of a worker that
-- died is claimed again once that time has passed. Payloads carry ids only, never personal data.
CREATE TABLE job (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  -- Set for work on one tenant's data; null for system work (schedules, directory feeds).
  tenant_id uuid REFERENCES tenant (id),
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  last_error text,
  locked_by text,
  locked_until timestamptz,
  -- The same key twice schedules one job: e.g. `reminder:follow-up:<referralId>:<dueDate>`.
  idempotency_key text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX job_queued ON job (run_at) WHERE state = 'queued';
CREATE INDEX job_running ON job (locked_until) WHERE state = 'running';
CREATE INDEX job_tenant_state ON job (tenant_id, state, updated_at DESC);

-- Workers run as the owner and see every job; request code runs as signpost_app and may
-- schedule and see only its own tenant's jobs (system jobs are the owner's alone).
ALTER TABLE job ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- Recurring schedules (cron expressions). Each due run becomes one job whose idempotency key
-- names the schedule and the run time, so two workers ticking together make one job.
CREATE TABLE job_schedule (
  name text PRIMARY KEY,
  cron text NOT NULL,
  time_zone text NOT NULL DEFAULT 'Europe/London',
  kind text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  next_run_at timestamptz NOT NULL,
  last_run_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE job_schedule ENABLE ROW LEVEL SECURITY;
-- No policy: request code (signpost_app) cannot read or change schedules; workers own them.
