-- Discharge: "connected to community services" as a reason; the note a link worker writes when the
-- reason seems to contradict the record (goals met with no goal achieved, connected to services
-- with nothing attended); and the social prescribing service's postal address, printed with its
-- name as the discharge summary's letterhead.
ALTER TABLE discharge DROP CONSTRAINT discharge_reason_check;
ALTER TABLE discharge ADD CONSTRAINT discharge_reason_check CHECK (reason IN (
  'goals_met', 'connected_to_services', 'person_chose_to_end', 'unable_to_engage', 'moved_away', 'referred_elsewhere', 'died'));
ALTER TABLE discharge ADD COLUMN reason_note text CHECK (length(reason_note) <= 1000);
ALTER TABLE tenant ADD COLUMN postal_address text CHECK (length(postal_address) <= 500);
