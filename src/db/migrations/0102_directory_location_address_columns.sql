-- Addresses live in directory_address (0024), several per location; the single-address columns
-- left on directory_location are read and written by nothing.
ALTER TABLE directory_location
  DROP COLUMN address_id, DROP COLUMN address_1, DROP COLUMN address_2, DROP COLUMN city, DROP COLUMN region,
  DROP COLUMN state_province, DROP COLUMN postal_code, DROP COLUMN country, DROP COLUMN address_type;
