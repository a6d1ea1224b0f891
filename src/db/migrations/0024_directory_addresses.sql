-- A location may have several addresses (HSDS 3 / ORUK 3.0: physical, postal, virtual). They move
-- from the one address on directory_location to their own table. The old address columns on
-- directory_location are no longer read or written by the directory; they stay only because the
-- search benchmark's data loader still fills them, and go in a later migration.

CREATE TABLE directory_address (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  location_id text NOT NULL REFERENCES directory_location (id) ON DELETE CASCADE,
  attention text,
  address_1 text,
  address_2 text,
  city text,
  region text,
  state_province text,
  postal_code text,
  country text,
  address_type text CHECK (address_type IN ('physical', 'postal', 'virtual'))
);
CREATE INDEX directory_address_location ON directory_address (location_id);

INSERT INTO directory_address (id, location_id, attention, address_1, address_2, city, region, state_province, postal_code, country, address_type)
SELECT address_id, id, NULL, address_1, address_2, city, region, state_province, postal_code, country,
       CASE WHEN address_type IN ('physical', 'postal', 'virtual') THEN address_type ELSE 'physical' END
  FROM directory_location
 WHERE address_id IS NOT NULL
ON CONFLICT (id) DO NOTHING;
