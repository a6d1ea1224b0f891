-- Every message Signpost sends (email, SMS, letter) is first a row here, written in the same
-- transaction as the change that caused it; the job worker sends it through GOV.UK Notify.
-- The idempotency key makes a notification impossible to queue, and so to send, twice.
CREATE TABLE notification (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  recipient text NOT NULL,
  template text NOT NULL,
  personalisation jsonb NOT NULL DEFAULT '{}'::jsonb,
  idempotency_key text NOT NULL,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'cancelled')),
  provider_reference text,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX notification_queued ON notification (created_at) WHERE state = 'queued';

ALTER TABLE notification ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
