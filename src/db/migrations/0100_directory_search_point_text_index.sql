-- Searching near a place with words: one GiST index over each service point's position and its
-- search document, so the scan keeps only points that are both in the box and match the words,
-- instead of visiting every service in the box (thousands in a city) to test the words row by
-- row. The first column alone still serves searches near a place without words.
CREATE INDEX directory_service_point_place_and_words
  ON directory_service_point USING gist (ll_to_earth(latitude, longitude), search_document);
DROP INDEX directory_service_point_earth;
