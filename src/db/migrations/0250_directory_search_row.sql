-- Everything the public results list shows, kept on the service row by the one refresh function,
-- so a search is one index scan and a join, with no per-row subqueries for the organisation,
-- the highest cost or the sessions, and no second query for schedules. A point (any of the
-- service's locations) places it on the results map when there is no postcode to measure from.
ALTER TABLE directory_service
  ADD COLUMN organization_name text,
  ADD COLUMN max_cost numeric,
  ADD COLUMN sessions jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN map_latitude float8,
  ADD COLUMN map_longitude float8;

CREATE OR REPLACE FUNCTION directory_refresh_search(service_ids text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
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
         has_location = EXISTS (SELECT 1 FROM directory_service_at_location x WHERE x.service_id = s2.id),
         organization_name = o.name,
         max_cost = (SELECT max(c.amount) FROM directory_cost_option c WHERE c.service_id = s2.id),
         sessions = coalesce((SELECT jsonb_agg(jsonb_build_object(
                        'byday', sc.byday, 'freq', sc.freq,
                        'opensAt', to_char(sc.opens_at, 'HH24:MI'), 'closesAt', to_char(sc.closes_at, 'HH24:MI'),
                        'description', sc.description) ORDER BY sc.opens_at NULLS LAST, sc.id)
                      FROM directory_schedule sc WHERE sc.service_id = s2.id), '[]'),
         map_latitude = (SELECT l.latitude FROM directory_service_at_location x JOIN directory_location l ON l.id = x.location_id
                          WHERE x.service_id = s2.id AND l.latitude IS NOT NULL ORDER BY l.id LIMIT 1),
         map_longitude = (SELECT l.longitude FROM directory_service_at_location x JOIN directory_location l ON l.id = x.location_id
                           WHERE x.service_id = s2.id AND l.latitude IS NOT NULL ORDER BY l.id LIMIT 1)
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
END
$$;

-- Fill the new columns for services already there.
SELECT directory_refresh_search(coalesce(array_agg(id), '{}')) FROM directory_service;
