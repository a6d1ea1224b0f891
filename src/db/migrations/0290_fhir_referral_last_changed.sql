-- When each referral a system sent last changed as the system sees it: its status, a social
-- prescription's status once sent, its discharge (which is also a status change). The interop
-- area keeps it in the same transaction as the change (src/wiring.ts), so a system's search and
-- its _lastUpdated polls read this table alone, in order, from an index.
ALTER TABLE fhir_referral ADD COLUMN last_changed_at timestamptz;

UPDATE fhir_referral f
   SET last_changed_at = greatest(r.status_changed_at, o.last_changed, d.discharged_at)
  FROM referral r
  LEFT JOIN LATERAL (SELECT max(x.status_changed_at) AS last_changed FROM onward_referral x
                      WHERE x.tenant_id = r.tenant_id AND x.referral_id = r.id AND x.status <> 'draft') o ON true
  LEFT JOIN discharge d ON d.tenant_id = r.tenant_id AND d.referral_id = r.id
 WHERE r.tenant_id = f.tenant_id AND r.id = f.referral_id;

ALTER TABLE fhir_referral ALTER COLUMN last_changed_at SET DEFAULT now();
ALTER TABLE fhir_referral ALTER COLUMN last_changed_at SET NOT NULL;

CREATE INDEX fhir_referral_by_change ON fhir_referral (tenant_id, client_id, last_changed_at, referral_id);
