-- The read model must never stand in the way of its sources: a referral removed by a retention
-- purge or an erasure request would otherwise be blocked by its report row. The next refresh
-- deletes report rows whose referral is gone.
ALTER TABLE reporting_referral_fact DROP CONSTRAINT IF EXISTS reporting_referral_fact_tenant_id_referral_id_fkey;
