-- Appointments a link worker books with the person (the next contact, planned): when, how, and
-- where. The person is reminded the day before on the channel they chose. Cancelling keeps the
-- row (who cancelled and why) so the referral's history stays whole.
CREATE TABLE appointment (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  referral_id uuid NOT NULL,
  starts_at timestamptz NOT NULL,
  mode text NOT NULL CHECK (mode IN ('phone', 'face_to_face', 'home_visit', 'video', 'group')),
  -- Where a face-to-face or group appointment happens, in words the person will recognise.
  place text CHECK (length(place) <= 200),
  status text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
  booked_by uuid REFERENCES app_user (id),
  booked_at timestamptz NOT NULL DEFAULT now(),
  cancelled_by uuid REFERENCES app_user (id),
  cancelled_at timestamptz,
  cancel_reason text CHECK (length(cancel_reason) <= 500),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, referral_id) REFERENCES referral (tenant_id, id),
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX appointment_referral ON appointment (tenant_id, referral_id, starts_at);

ALTER TABLE appointment ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON appointment USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
