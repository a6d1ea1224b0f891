-- Sign-in, sessions and the audit log.

-- A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a copy of
-- the database cannot be used to take over a session. tenant_id is NULL while a person who
-- belongs to several tenants has not yet chosen one.
CREATE TABLE user_session (
  id text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES app_user (id),
  tenant_id uuid REFERENCES tenant (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  ended_reason text
);
CREATE INDEX user_session_user ON user_session (user_id) WHERE ended_at IS NULL;

-- Failed sign-ins per email address (hashed, so addresses that are not users are not kept),
-- whether or not an account exists, so lockout messages never reveal which emails are users.
CREATE TABLE sign_in_throttle (
  email_key text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  last_failure_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz
);

ALTER TABLE app_user ADD COLUMN password_changed_at timestamptz;
ALTER TABLE app_user ADD COLUMN oidc_subject text;

-- Invitations and password resets: single use, expiring; only the token's SHA-256 is stored.
CREATE TABLE user_token (
  id text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES app_user (id),
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  purpose text NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX user_token_user ON user_token (user_id);

-- Who did what to which record, when and why. Append-only: the application role may insert and
-- read, never change or delete. Each tenant's events form a hash chain (tenant-less events, such
-- as a failed sign-in for an unknown email, form the 'installation' chain): every row stores the
-- previous row's hash and the SHA-256 of its own content including that previous hash, so any
-- edit, deletion or reordering breaks the chain at that row.
CREATE TABLE audit_event (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  tenant_id uuid REFERENCES tenant (id),
  occurred_at timestamptz NOT NULL DEFAULT now(),
  user_id uuid,
  roles text[] NOT NULL DEFAULT '{}',
  action text NOT NULL,
  entity_type text NOT NULL,
  entity_id text,
  person_id text,
  reason text,
  request_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_event_tenant ON audit_event (tenant_id, seq);
CREATE INDEX audit_event_user ON audit_event (tenant_id, user_id, seq);
CREATE INDEX audit_event_person ON audit_event (tenant_id, person_id, seq) WHERE person_id IS NOT NULL;

-- The last hash of each chain, so a deleted tail is caught too. Not visible to the app role.
CREATE TABLE audit_chain_head (
  chain text PRIMARY KEY,
  last_seq bigint NOT NULL,
  last_hash text NOT NULL
);

-- The content that is hashed; verification recomputes it with the same function.
CREATE FUNCTION audit_event_content(e audit_event) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'seq', e.seq,
    'id', e.id,
    'tenant', e.tenant_id,
    'at', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'user', e.user_id,
    'roles', to_jsonb(e.roles),
    'action', e.action,
    'entityType', e.entity_type,
    'entityId', e.entity_id,
    'person', e.person_id,
    'reason', e.reason,
    'request', e.request_id,
    'prev', e.prev_hash
  )::text
$$;

CREATE FUNCTION audit_event_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  chain_key text := coalesce(NEW.tenant_id::text, 'installation');
  previous text;
BEGIN
  INSERT INTO audit_chain_head (chain, last_seq, last_hash) VALUES (chain_key, 0, repeat('0', 64))
  ON CONFLICT (chain) DO NOTHING;
  -- The row lock orders concurrent writers of one chain.
  SELECT last_hash INTO previous FROM audit_chain_head WHERE chain = chain_key FOR UPDATE;
  NEW.prev_hash := previous;
  NEW.occurred_at := date_trunc('microseconds', clock_timestamp());
  NEW.hash := encode(digest(audit_event_content(NEW), 'sha256'), 'hex');
  UPDATE audit_chain_head SET last_seq = NEW.seq, last_hash = NEW.hash WHERE chain = chain_key;
  RETURN NEW;
END
$$;

CREATE TRIGGER audit_event_chain BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_chain();

ALTER TABLE audit_event ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_event FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_event USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM signpost_app;
REVOKE ALL ON audit_chain_head FROM signpost_app;
