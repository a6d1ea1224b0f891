-- The same directory search refresh as 0022, in PL/pgSQL: Citus cannot plan a parameterised SQL
-- function's statements on reference tables (the directory is one on Citus), but plans each
-- statement of a PL/pgSQL function as an ordinary query. Behaviour on PostgreSQL is unchanged.
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
END
$$;
