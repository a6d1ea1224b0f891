-- Hash audit events with PostgreSQL's built-in sha256() rather than pgcrypto's digest(): the
-- embedded backend's pgcrypto can fail to initialise its cipher ("Cannot use sha256"), and an
-- audit write must never fail for that. Both give the same hash of the same UTF-8 text, so
-- existing chains verify unchanged.
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
  NEW.hash := encode(sha256(convert_to(audit_event_content(NEW), 'UTF8')), 'hex');
  UPDATE audit_chain_head SET last_seq = NEW.seq, last_pos = NEW.chain_pos, last_hash = NEW.hash WHERE chain = chain_key;
  RETURN NEW;
END
$$;
