-- Periodic scans (reminders due, referrals waiting too long) run once per tenant. To fan out, the
-- worker must list tenant ids, which row-level security on `tenant` hides from every role but the
-- tenant's own. This role may read tenant ids and nothing else; the worker takes it only inside
-- the one transaction that lists them.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'signpost_jobs') THEN
    CREATE ROLE signpost_jobs NOLOGIN;
  END IF;
END
$$;
GRANT signpost_jobs TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO signpost_jobs;
GRANT SELECT (id) ON tenant TO signpost_jobs;
CREATE POLICY job_tenant_listing ON tenant FOR SELECT TO signpost_jobs USING (true);
