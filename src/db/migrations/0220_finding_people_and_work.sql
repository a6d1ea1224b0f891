-- Finding people and work: search by name on the caseload, triage and referrers' lists, and
-- "new since you last looked" counts in the header.

-- Name search matches every word the user typed anywhere in the person's names (LIKE '%word%'),
-- which a trigram index serves; the expression must match the one in referrals/queries.ts.
CREATE INDEX person_names_trgm ON person
  USING gin (lower(given_name || ' ' || family_name || ' ' || coalesce(preferred_name, '')) gin_trgm_ops);

-- When a user last opened a work list (for now only 'responses'), so the header can count what
-- arrived since. One row per user and list, moved forward on each visit.
CREATE TABLE work_list_seen (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  user_id uuid NOT NULL REFERENCES app_user (id),
  list text NOT NULL CHECK (list IN ('responses')),
  seen_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, user_id, list)
);

ALTER TABLE work_list_seen ENABLE ROW LEVEL SECURITY;
ALTER TABLE work_list_seen FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON work_list_seen USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
