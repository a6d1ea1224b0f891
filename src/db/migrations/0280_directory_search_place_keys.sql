-- Searching near a place with words (or a need) reads only the points that hold them, exactly.
-- The place-and-words GiST index (migration 0100) keeps a lossy summary of the words, so every
-- point of the box was read and its words tested again: in a city thousands of rows to find a
-- hundred. Here each point is indexed under keys of the form "w <cell> <word>" and
-- "t <cell> <term id>", where a cell is a tenth of a degree of latitude by a tenth of longitude
-- (about 11 by 7 km in England); a search asks for its words in the cells that reach its circle,
-- so it reads only the points that hold one of the words near the place, then checks the whole
-- query and the distance on those few. The functions use SQL-standard bodies, resolved when they
-- are created, because PostgreSQL 17 and later evaluate index expressions with an empty search path.

CREATE FUNCTION directory_search_cell(latitude float8, longitude float8) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN floor(latitude * 10)::int || ',' || floor(longitude * 10)::int;

-- The keys a service point is indexed under: each word of its search document and each of its
-- terms (needs, types, delivery), in the point's cell.
CREATE FUNCTION directory_search_point_keys(latitude float8, longitude float8, document tsvector, term_ids text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(SELECT 'w ' || directory_search_cell(latitude, longitude) || ' ' || word FROM unnest(tsvector_to_array(document)) word
             UNION ALL
             SELECT 't ' || directory_search_cell(latitude, longitude) || ' ' || term FROM unnest(term_ids) term);

-- A point's position and the distance between two, as earthdistance's ll_to_earth and
-- earth_distance compute them (the same arithmetic with its radius, earth() = 6,378,168 m, so the
-- same metres to the last bit) but cheaply enough for every candidate and every plan: without the
-- earth domain's checks on each point, and with SQL-standard bodies and no nested SQL functions,
-- so the planner inlines them without parsing anything (it parses ll_to_earth and each earth()
-- inside it afresh every time a statement is planned).
CREATE FUNCTION directory_search_position(latitude float8, longitude float8) RETURNS cube
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN cube(cube(cube(6378168::float8 * cos(radians(latitude)) * cos(radians(longitude))),
                 6378168::float8 * cos(radians(latitude)) * sin(radians(longitude))),
            6378168::float8 * sin(radians(latitude)));

CREATE FUNCTION directory_search_metres(a cube, b cube) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 2 * 6378168::float8 * asin(least(1, cube_distance(a, b) / (2 * 6378168::float8)));

-- The cube around a circle, as earth_box(ll_to_earth(latitude, longitude), metres) makes it.
CREATE FUNCTION directory_search_box(latitude float8, longitude float8, metres float8) RETURNS cube
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN cube_enlarge(directory_search_position(latitude, longitude), 2 * 6378168::float8 * sin(metres / (2 * 6378168::float8)), 3);

-- The cells that reach a circle: those of its bounding box in degrees (the longitude span of a
-- spherical cap, so right at any latitude), less the corners whose nearest point is beyond the
-- circle (haversine, with 1% and a kilometre to spare, since that nearest point is taken along the
-- cell's edges). Null, meaning "search the box instead", for a circle over a pole or the date line
-- or one spanning more than 1,000 cells. Plain arithmetic in loops: it runs as each search is
-- planned, so it must cost microseconds (a query over generate_series was estimated at a million
-- rows and compiled by JIT every time).
CREATE FUNCTION directory_search_cells(latitude float8, longitude float8, metres float8) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  span_latitude float8 := degrees(metres / earth()) * 1.01;
  span_longitude float8;
  -- The haversine of the reach: sin^2 of half the angle it subtends.
  reach float8 := sin(least(pi() / 2, (metres * 1.01 + 1000) / (2 * earth()))) ^ 2;
  cells text[] := '{}';
  nearest_latitude float8;
  nearest_longitude float8;
BEGIN
  IF abs(latitude) + span_latitude >= 89 THEN
    RETURN NULL;
  END IF;
  span_longitude := degrees(asin(least(1, sin(radians(span_latitude)) / cos(radians(latitude))))) * 1.01;
  IF longitude - span_longitude < -180 OR longitude + span_longitude >= 180
     OR (floor((latitude + span_latitude) * 10) - floor((latitude - span_latitude) * 10) + 1)
      * (floor((longitude + span_longitude) * 10) - floor((longitude - span_longitude) * 10) + 1) > 1000 THEN
    RETURN NULL;
  END IF;
  FOR y IN floor((latitude - span_latitude) * 10)::int .. floor((latitude + span_latitude) * 10)::int LOOP
    nearest_latitude := radians(greatest(y / 10.0::float8, least(latitude, (y + 1) / 10.0::float8)));
    FOR x IN floor((longitude - span_longitude) * 10)::int .. floor((longitude + span_longitude) * 10)::int LOOP
      nearest_longitude := radians(greatest(x / 10.0::float8, least(longitude, (x + 1) / 10.0::float8)));
      IF sin((nearest_latitude - radians(latitude)) / 2) ^ 2
         + cos(radians(latitude)) * cos(nearest_latitude) * sin((nearest_longitude - radians(longitude)) / 2) ^ 2 <= reach THEN
        cells := cells || (y || ',' || x);
      END IF;
    END LOOP;
  END LOOP;
  RETURN cells;
END
$$;

-- The keys to read for a search near a place, as two rows of one array: a matching point holds
-- one key of the first row and one of the second, so the index reads only points holding both (it
-- intersects the two lists). The first row is the search's first word in the circle's cells (all
-- its words when any one may do, as with "walking or running"), else its need or type; the second
-- a second word the query requires, else its need or type, else the first row again (repeated to
-- the first row's length, as an array's rows must match). The words are those the full-text query
-- holds (its text quotes each one, doubling quotes and backslashes inside). Empty for a query of
-- no words ("the"), which matches nothing. Null when the keys cannot find every match, so the
-- search reads the box instead: a query that a document without any of its words satisfies
-- ("-walking"), or a circle the cells do not cover. The statement calls this with constants, so it
-- runs once, as the statement is planned.
CREATE FUNCTION directory_search_near_keys(words text, term_id text, other_term_id text,
                                           latitude float8, longitude float8, metres float8) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  cells text[] := directory_search_cells(latitude, longitude, metres);
  query tsquery;
  lexemes text[];
  term_keys text[];
  keys text[];
  and_keys text[];
BEGIN
  IF cells IS NULL THEN
    RETURN NULL;
  END IF;
  IF term_id IS NOT NULL THEN
    term_keys := ARRAY(SELECT 't ' || cell || ' ' || term_id FROM unnest(cells) cell);
  END IF;
  IF words IS NULL THEN
    keys := term_keys;
    IF other_term_id IS NOT NULL THEN
      and_keys := ARRAY(SELECT 't ' || cell || ' ' || other_term_id FROM unnest(cells) cell);
    END IF;
  ELSE
    query := websearch_to_tsquery('english', words);
    IF ''::tsvector @@ query THEN
      RETURN NULL;
    END IF;
    lexemes := ARRAY(SELECT DISTINCT replace(replace(quoted[1], '''''', ''''), '\\', '\')
                       FROM regexp_matches(query::text, '''((?:[^'']|'''')*)''', 'g') quoted);
    -- With no "or" and no "not" outside the quoted words, the query requires every one of them.
    IF regexp_replace(query::text, '''(?:[^'']|'''')*''', '', 'g') !~ '[|!]' AND cardinality(lexemes) > 0 THEN
      keys := ARRAY(SELECT 'w ' || cell || ' ' || lexemes[1] FROM unnest(cells) cell);
      IF cardinality(lexemes) > 1 THEN
        and_keys := ARRAY(SELECT 'w ' || cell || ' ' || lexemes[2] FROM unnest(cells) cell);
      END IF;
    ELSE
      keys := ARRAY(SELECT 'w ' || cell || ' ' || lexeme FROM unnest(cells) cell, unnest(lexemes) lexeme);
    END IF;
  END IF;
  IF keys IS NULL THEN
    RETURN NULL;
  ELSIF cardinality(keys) = 0 THEN
    RETURN '{}';
  END IF;
  and_keys := coalesce(and_keys, term_keys, keys);
  RETURN ARRAY[keys, ARRAY(SELECT and_keys[1 + (i - 1) % cardinality(and_keys)] FROM generate_series(1, cardinality(keys)) i)];
END
$$;

CREATE INDEX directory_service_point_place_keys
  ON directory_service_point USING gin (directory_search_point_keys(latitude, longitude, search_document, term_ids));

-- Without words or a need, the nearest points are read from the position alone, nearest first
-- (K-nearest), so a dense city stops after the first few hundred.
CREATE INDEX directory_service_point_place ON directory_service_point USING gist (directory_search_position(latitude, longitude));
DROP INDEX directory_service_point_place_and_words;
