-- Signpost's own taxonomies. Ids are md5-derived UUIDs of a stable key, so every installation
-- (and src/directory/taxonomy.ts) computes the same ids.
INSERT INTO directory_taxonomy (id, name, description, uri, version) VALUES
  (md5('signpost:taxonomy:needs')::uuid::text, 'Signpost needs', 'The needs link workers work with (loneliness, money, housing...).', 'https://signpost.example/taxonomies/needs', '1'),
  (md5('signpost:taxonomy:delivery')::uuid::text, 'Signpost delivery methods', 'How a service is delivered: in person, by phone or online.', 'https://signpost.example/taxonomies/delivery', '1'),
  (md5('signpost:taxonomy:capacity')::uuid::text, 'Signpost capacity', 'Whether a service is taking referrals, has a waiting list or is full.', 'https://signpost.example/taxonomies/capacity', '1');
INSERT INTO directory_taxonomy_term (id, taxonomy_id, code, name, term_uri) VALUES
  (md5('signpost:needs:loneliness')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'loneliness', 'Loneliness and isolation', 'https://signpost.example/taxonomies/needs/loneliness'),
  (md5('signpost:needs:money')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'money', 'Money and debt', 'https://signpost.example/taxonomies/needs/money'),
  (md5('signpost:needs:housing')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'housing', 'Housing', 'https://signpost.example/taxonomies/needs/housing'),
  (md5('signpost:needs:employment')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'employment', 'Employment and volunteering', 'https://signpost.example/taxonomies/needs/employment'),
  (md5('signpost:needs:physical-activity')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'physical-activity', 'Physical activity', 'https://signpost.example/taxonomies/needs/physical-activity'),
  (md5('signpost:needs:healthy-eating')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'healthy-eating', 'Healthy eating and weight', 'https://signpost.example/taxonomies/needs/healthy-eating'),
  (md5('signpost:needs:mental-wellbeing')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'mental-wellbeing', 'Mental wellbeing and stress', 'https://signpost.example/taxonomies/needs/mental-wellbeing'),
  (md5('signpost:needs:bereavement')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'bereavement', 'Bereavement', 'https://signpost.example/taxonomies/needs/bereavement'),
  (md5('signpost:needs:carers')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'carers', 'Carers', 'https://signpost.example/taxonomies/needs/carers'),
  (md5('signpost:needs:long-term-conditions')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'long-term-conditions', 'Long-term conditions', 'https://signpost.example/taxonomies/needs/long-term-conditions'),
  (md5('signpost:needs:arts')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'arts', 'Arts and creativity', 'https://signpost.example/taxonomies/needs/arts'),
  (md5('signpost:needs:gardening')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'gardening', 'Gardening and nature', 'https://signpost.example/taxonomies/needs/gardening'),
  (md5('signpost:needs:learning')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'learning', 'Learning', 'https://signpost.example/taxonomies/needs/learning'),
  (md5('signpost:needs:digital')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'digital', 'Digital inclusion', 'https://signpost.example/taxonomies/needs/digital'),
  (md5('signpost:needs:food')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'food', 'Food', 'https://signpost.example/taxonomies/needs/food'),
  (md5('signpost:needs:transport')::uuid::text, md5('signpost:taxonomy:needs')::uuid::text, 'transport', 'Transport', 'https://signpost.example/taxonomies/needs/transport'),
  (md5('signpost:delivery:in-person')::uuid::text, md5('signpost:taxonomy:delivery')::uuid::text, 'in-person', 'In person', 'https://signpost.example/taxonomies/delivery/in-person'),
  (md5('signpost:delivery:phone')::uuid::text, md5('signpost:taxonomy:delivery')::uuid::text, 'phone', 'By phone', 'https://signpost.example/taxonomies/delivery/phone'),
  (md5('signpost:delivery:online')::uuid::text, md5('signpost:taxonomy:delivery')::uuid::text, 'online', 'Online', 'https://signpost.example/taxonomies/delivery/online'),
  (md5('signpost:capacity:taking-referrals')::uuid::text, md5('signpost:taxonomy:capacity')::uuid::text, 'taking-referrals', 'Taking referrals', 'https://signpost.example/taxonomies/capacity/taking-referrals'),
  (md5('signpost:capacity:waiting-list')::uuid::text, md5('signpost:taxonomy:capacity')::uuid::text, 'waiting-list', 'Waiting list', 'https://signpost.example/taxonomies/capacity/waiting-list'),
  (md5('signpost:capacity:full')::uuid::text, md5('signpost:taxonomy:capacity')::uuid::text, 'full', 'Full', 'https://signpost.example/taxonomies/capacity/full');
