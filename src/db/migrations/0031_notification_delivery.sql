-- Delivery outcome from GOV.UK Notify: why a notification failed, so a permanent failure
-- (invalid number, bounced email) can flag the contact detail on the person page.
ALTER TABLE notification ADD COLUMN failure_kind text CHECK (failure_kind IN ('permanent', 'temporary', 'technical', 'configuration'));
ALTER TABLE notification ADD COLUMN provider_status text;
ALTER TABLE notification ADD COLUMN status_checked_at timestamptz;
CREATE INDEX notification_recipient ON notification (tenant_id, recipient, created_at DESC);
