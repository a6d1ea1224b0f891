-- One hash chain per tenant made every audited transaction of a tenant wait for the previous one
-- to commit (the chain head is locked from the insert until commit). Events now join one of up to
-- 32 chains per tenant, picked by the database connection, so concurrent requests on different
-- connections no longer queue behind each other; one connection runs one transaction at a time.
-- Each event records its chain and its position in it, assigned under the chain head's lock, so
-- the order is the order events were chained, whatever order their sequence numbers were drawn in.
-- Events written before this migration stay on their tenant-wide chains and verify as before.
ALTER TABLE audit_event ADD COLUMN chain text;
ALTER TABLE audit_event ADD COLUMN chain_pos bigint;
ALTER TABLE audit_chain_head ADD COLUMN last_pos bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION audit_event_content(e audit_event) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT (jsonb_build_object(
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
  ) || CASE WHEN e.chain IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('chain', e.chain, 'pos', e.chain_pos) END)::text
$$;

CREATE OR REPLACE FUNCTION audit_event_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  chain_key text := coalesce(NEW.tenant_id::text, 'installation') || ':' || (pg_backend_pid() % 32);
  head audit_chain_head;
BEGIN
  SELECT * INTO head FROM audit_chain_head WHERE chain = chain_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit_chain_head (chain, last_seq, last_hash, last_pos) VALUES (chain_key, 0, repeat('0', 64), 0)
    ON CONFLICT (chain) DO NOTHING;
    SELECT * INTO head FROM audit_chain_head WHERE chain = chain_key FOR UPDATE;
  END IF;
  NEW.chain := chain_key;
  NEW.chain_pos := head.last_pos + 1;
  NEW.prev_hash := head.last_hash;
  NEW.occurred_at := date_trunc('microseconds', clock_timestamp());
  NEW.hash := encode(digest(audit_event_content(NEW), 'sha256'), 'hex');
  UPDATE audit_chain_head SET last_seq = NEW.seq, last_pos = NEW.chain_pos, last_hash = NEW.hash WHERE chain = chain_key;
  RETURN NEW;
END
$$;
