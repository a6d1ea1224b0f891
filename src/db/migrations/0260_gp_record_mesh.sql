-- The discharge summary into the GP record: GP Connect Send Document, an ITK3 message sent over
-- MESH to the practice's mailbox, and the acknowledgements the practice's system sends back.

-- The practice's MESH mailbox, from the admin's practice list (blank: not sent electronically).
ALTER TABLE practice ADD COLUMN mesh_mailbox_id text CHECK (mesh_mailbox_id ~ '^[A-Z0-9]{3,20}$');

-- One ITK3 message per discharge summary, and where it has got to.
CREATE TABLE gp_record_message (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  discharge_id uuid NOT NULL,
  referral_id uuid NOT NULL,
  -- The ITK3 MessageHeader.id: acknowledgements name it in MessageHeader.response.identifier.
  tracking_id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- queued: waiting to be sent (or to be sent again); sending: handed to MESH, not yet confirmed;
  -- sent: in the practice's mailbox; delivered: the practice's system took it (infrastructure ack);
  -- accepted / rejected: the practice's answer (business ack, or a failed infrastructure ack);
  -- not_sent: cannot go electronically (no NHS number, no practice mailbox), with the reason.
  state text NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'accepted', 'rejected', 'failed', 'not_sent')),
  practice_ods_code text,
  practice_name text,
  to_mailbox text,
  mesh_message_id text,
  attempts integer NOT NULL DEFAULT 0,
  -- Why it was not sent, the last transport error, or the practice's reason for rejecting it.
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, discharge_id),
  UNIQUE (tenant_id, tracking_id),
  FOREIGN KEY (tenant_id, discharge_id) REFERENCES discharge (tenant_id, id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id)
);
CREATE INDEX gp_record_message_tracking ON gp_record_message (tracking_id);

-- Each ITK3 acknowledgement received for a message, as it came.
CREATE TABLE gp_record_acknowledgement (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  message_id uuid NOT NULL,
  -- The MESH message that carried it: processing the same download twice records it once.
  mesh_message_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('infrastructure', 'business')),
  -- MessageHeader.response.code: ok, transient-error or fatal-error.
  response_code text NOT NULL,
  -- ITK3 response code (https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1) and its display.
  itk_code text,
  reason text,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, mesh_message_id),
  FOREIGN KEY (tenant_id, message_id) REFERENCES gp_record_message (tenant_id, id)
);
CREATE INDEX gp_record_acknowledgement_message ON gp_record_acknowledgement (tenant_id, message_id);

ALTER TABLE gp_record_message ENABLE ROW LEVEL SECURITY;
ALTER TABLE gp_record_message FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON gp_record_message USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
ALTER TABLE gp_record_acknowledgement ENABLE ROW LEVEL SECURITY;
ALTER TABLE gp_record_acknowledgement FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON gp_record_acknowledgement USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

-- An acknowledgement arrives in the installation's one MESH inbox, before any tenant is known; it
-- names the message it answers by tracking id. This answers "which tenant?" for exactly that one
-- value, so row-level security then confines the rest as usual.
CREATE FUNCTION gp_record_message_tenant(tracking uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT tenant_id FROM gp_record_message WHERE tracking_id = tracking
$$;
