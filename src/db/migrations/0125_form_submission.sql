-- Forms that create a record carry a one-time token minted when the page rendered. The first post
-- with a token claims it here and records where it led (the record it made); a repeat of the same
-- form (a double click, a resend after a slow answer, the back button) is sent to that result
-- instead of making a second record. Only a hash of the token, the user and the address is kept,
-- so a row says nothing about what was sent.
CREATE TABLE form_submission (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  token_hash text NOT NULL CHECK (length(token_hash) = 64),
  -- Null while the first post is still being handled (or if it failed without saying so).
  result_url text CHECK (length(result_url) <= 2000),
  submitted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, token_hash)
);
CREATE INDEX form_submission_age ON form_submission (tenant_id, submitted_at);

ALTER TABLE form_submission ENABLE ROW LEVEL SECURITY;
ALTER TABLE form_submission FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON form_submission USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
