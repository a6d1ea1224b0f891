-- The search's cells and keys are worked out while each search near a place is planned, so they
-- must cost microseconds: the same answers as migration 0280's, with fewer steps. In each row of
-- cells the columns within reach are found at once rather than cell by cell, and the keys are
-- built in loops instead of queries (each query inside a function has its own executor to start).

-- The cells that reach a circle: those of its bounding box in degrees (the longitude span of a
-- spherical cap, so right at any latitude), less the corners beyond the circle: in each row of
-- cells, only the columns whose nearest edge is within reach (haversine, with 1% and a kilometre
-- to spare, since the nearest point is taken along the cell's edges). Null, meaning "search the
-- box instead", for a circle over a pole or the date line or one spanning more than 1,000 cells.
CREATE OR REPLACE FUNCTION directory_search_cells(latitude float8, longitude float8, metres float8) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  span_latitude float8 := degrees(metres / 6378168) * 1.01;
  span_longitude float8;
  -- The haversine of the reach: sin^2 of half the angle it subtends.
  reach float8 := sin(least(pi() / 2, (metres * 1.01 + 1000) / (2 * 6378168))) ^ 2;
  origin_latitude float8 := radians(latitude);
  nearest_latitude float8;
  room float8;
  span float8;
  cells text[] := '{}';
BEGIN
  IF abs(latitude) + span_latitude >= 89 THEN
    RETURN NULL;
  END IF;
  span_longitude := degrees(asin(least(1, sin(radians(span_latitude)) / cos(origin_latitude)))) * 1.01;
  IF longitude - span_longitude < -180 OR longitude + span_longitude >= 180
     OR (floor((latitude + span_latitude) * 10) - floor((latitude - span_latitude) * 10) + 1)
      * (floor((longitude + span_longitude) * 10) - floor((longitude - span_longitude) * 10) + 1) > 1000 THEN
    RETURN NULL;
  END IF;
  FOR y IN floor((latitude - span_latitude) * 10)::int .. floor((latitude + span_latitude) * 10)::int LOOP
    nearest_latitude := radians(greatest(y / 10.0::float8, least(latitude, (y + 1) / 10.0::float8)));
    -- How far in longitude this row's cells may start from the origin and still be in reach.
    room := (reach - sin((nearest_latitude - origin_latitude) / 2) ^ 2) / (cos(origin_latitude) * cos(nearest_latitude));
    CONTINUE WHEN room < 0;
    span := CASE WHEN room >= 1 THEN span_longitude ELSE least(span_longitude, degrees(2 * asin(sqrt(room)))) END;
    FOR x IN floor((longitude - span) * 10)::int .. floor((longitude + span) * 10)::int LOOP
      cells := cells || (y || ',' || x);
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
-- ("-walking"), or a circle the cells do not cover.
CREATE OR REPLACE FUNCTION directory_search_near_keys(words text, term_id text, other_term_id text,
                                           latitude float8, longitude float8, metres float8) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  cells text[] := directory_search_cells(latitude, longitude, metres);
  query tsquery;
  lexemes text[];
  lexeme text;
  first_kind text := 't ';
  first_words text[];
  second_kind text := 't ';
  second_words text[];
  cell text;
  keys text[] := '{}';
  and_keys text[] := '{}';
BEGIN
  IF cells IS NULL THEN
    RETURN NULL;
  END IF;
  IF words IS NULL THEN
    first_words := ARRAY[term_id];
    second_words := ARRAY[coalesce(other_term_id, term_id)];
  ELSE
    query := websearch_to_tsquery('english', words);
    IF ''::tsvector @@ query THEN
      RETURN NULL;
    END IF;
    lexemes := ARRAY(SELECT replace(replace(quoted[1], '''''', ''''), '\\', '\')
                       FROM regexp_matches(query::text, '''((?:[^'']|'''')*)''', 'g') quoted);
    IF cardinality(lexemes) = 0 THEN
      RETURN '{}';
    END IF;
    first_kind := 'w ';
    -- With no "or" and no "not" outside the quoted words, the query requires every one of them.
    IF regexp_replace(query::text, '''(?:[^'']|'''')*''', '', 'g') !~ '[|!]' THEN
      first_words := lexemes[1:1];
      IF cardinality(lexemes) > 1 THEN
        second_kind := 'w ';
        second_words := lexemes[2:2];
      END IF;
    ELSE
      first_words := lexemes;
    END IF;
    IF second_words IS NULL AND term_id IS NOT NULL THEN
      second_words := ARRAY[term_id];
    ELSIF second_words IS NULL THEN
      second_kind := 'w ';
      second_words := first_words;
    END IF;
  END IF;
  IF first_words[1] IS NULL THEN
    RETURN NULL;
  END IF;
  FOREACH cell IN ARRAY cells LOOP
    FOREACH lexeme IN ARRAY first_words LOOP
      keys := keys || (first_kind || cell || ' ' || lexeme);
    END LOOP;
  END LOOP;
  WHILE cardinality(and_keys) < cardinality(keys) LOOP
    FOREACH cell IN ARRAY cells LOOP
      FOREACH lexeme IN ARRAY second_words LOOP
        and_keys := and_keys || (second_kind || cell || ' ' || lexeme);
      END LOOP;
    END LOOP;
  END LOOP;
  RETURN ARRAY[keys, and_keys[1:cardinality(keys)]];
END
$$;

