-- Outcome reviews join the caseload reminders: a baseline measure missing once the person is
-- assessed, or a review due some weeks after the baseline (conditions supplied by src/outcomes).
-- This must run after 0080, which created the reminder table.
ALTER TABLE reminder DROP CONSTRAINT reminder_kind_check;
ALTER TABLE reminder ADD CONSTRAINT reminder_kind_check
  CHECK (kind IN ('follow_up', 'plan_review', 'waiting', 'unable_to_contact', 'outcome_review'));
