-- Search speed: the search reads needs and "has a location" from the service row itself, and
-- finds services near a point from one narrow table of service points (GiST on earthdistance),
-- instead of joining locations and attributes for every candidate. All kept up to date by
-- directory_refresh_search().

ALTER TABLE directory_service ADD COLUMN term_ids text[] NOT NULL DEFAULT '{}';
ALTER TABLE directory_service ADD COLUMN has_location boolean NOT NULL DEFAULT false;
CREATE INDEX directory_service_terms ON directory_service USING gin (term_ids);
CREATE INDEX directory_service_remote ON directory_service (id) WHERE status = 'active' AND NOT has_location;

-- A read model: one row per active service and location, carrying what the near-a-point search
-- filters on, so that search reads only nearby rows of one narrow table.
CREATE TABLE directory_service_point (
  service_id text NOT NULL REFERENCES directory_service (id) ON DELETE CASCADE,
  location_id text NOT NULL REFERENCES directory_location (id) ON DELETE CASCADE,
  latitude double precision NOT NULL,
  longitude double precision NOT NULL,
  search_document tsvector NOT NULL,
  name text NOT NULL,
  term_ids text[] NOT NULL,
  PRIMARY KEY (service_id, location_id)
);
CREATE INDEX directory_service_point_earth ON directory_service_point USING gist (ll_to_earth(latitude, longitude));

-- Joins the id list (unnest) rather than testing = ANY against it row by row, so refreshing a
-- large batch stays linear.
CREATE OR REPLACE FUNCTION directory_refresh_search(service_ids text[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE directory_service s
     SET search_document =
           setweight(to_tsvector('english', coalesce(s2.name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(o.name, '')), 'B')
        || setweight(to_tsvector('english', coalesce(
             (SELECT string_agg(t.name, ' ') FROM directory_attribute a
                JOIN directory_taxonomy_term t ON t.id = a.taxonomy_term_id
               WHERE a.link_id = s2.id), '')), 'B')
        || setweight(to_tsvector('english', coalesce(s2.description, '')), 'C'),
         term_ids = coalesce((SELECT array_agg(DISTINCT a.taxonomy_term_id) FROM directory_attribute a WHERE a.link_id = s2.id), '{}'),
         has_location = EXISTS (SELECT 1 FROM directory_service_at_location x WHERE x.service_id = s2.id)
    FROM (SELECT DISTINCT unnest(service_ids) AS id) ids
    JOIN directory_service s2 ON s2.id = ids.id
    LEFT JOIN directory_organization o ON o.id = s2.organization_id
   WHERE s.id = s2.id;
  -- Points of these services and of any service sharing one of their locations.
  DELETE FROM directory_service_point p
   WHERE p.service_id IN (SELECT i.id FROM unnest(service_ids) i(id)
                          UNION
                          SELECT x2.service_id FROM unnest(service_ids) i(id)
                            JOIN directory_service_at_location x1 ON x1.service_id = i.id
                            JOIN directory_service_at_location x2 ON x2.location_id = x1.location_id);
  INSERT INTO directory_service_point (service_id, location_id, latitude, longitude, search_document, name, term_ids)
  SELECT DISTINCT ON (x.service_id, l.id) x.service_id, l.id, l.latitude, l.longitude, s.search_document, s.name, s.term_ids
    FROM directory_service_at_location x
    JOIN directory_location l ON l.id = x.location_id
    JOIN directory_service s ON s.id = x.service_id
   WHERE l.latitude IS NOT NULL AND s.status = 'active'
     AND x.service_id IN (SELECT x2.service_id FROM unnest(service_ids) i(id)
                            JOIN directory_service_at_location x1 ON x1.service_id = i.id
                            JOIN directory_service_at_location x2 ON x2.location_id = x1.location_id);
$$;

SELECT directory_refresh_search(coalesce(array_agg(id), '{}')) FROM directory_service;
