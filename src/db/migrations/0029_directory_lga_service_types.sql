-- The LGA (esd) Service list as a second taxonomy: the service types Signpost's needs map to, so
-- ORUK consumers that classify services by the LGA list (vocabulary "esdServiceTypes") find ours.
-- Codes and labels are the list's own (http://id.esd.org.uk/service/<code>); see
-- docs/data-sources.md. The same mapping is in src/directory/needs.ts, and a test keeps the two equal.
-- The food need has no fitting service type in the list and is not mapped.

INSERT INTO directory_taxonomy (id, name, description, uri, version) VALUES
  (md5('signpost:taxonomy:lga-services')::uuid::text, 'LGA service types',
   'The Local Government Association (esd) Service list: the service types Signpost needs map to.',
   'http://id.esd.org.uk/list/services', NULL);

INSERT INTO directory_taxonomy_term (id, taxonomy_id, code, name, term_uri) VALUES
  (md5('signpost:lga-service:241')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '241', 'Leisure and social activities inclusion', 'http://id.esd.org.uk/service/241'),
  (md5('signpost:lga-service:297')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '297', 'Community support groups and organisations', 'http://id.esd.org.uk/service/297'),
  (md5('signpost:lga-service:651')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '651', 'Debt counselling', 'http://id.esd.org.uk/service/651'),
  (md5('signpost:lga-service:189')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '189', 'Welfare rights advice', 'http://id.esd.org.uk/service/189'),
  (md5('signpost:lga-service:190')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '190', 'Benefits advice and assessment', 'http://id.esd.org.uk/service/190'),
  (md5('signpost:lga-service:112')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '112', 'Homelessness support', 'http://id.esd.org.uk/service/112'),
  (md5('signpost:lga-service:343')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '343', 'Employment and training initiatives', 'http://id.esd.org.uk/service/343'),
  (md5('signpost:lga-service:1113')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '1113', 'Volunteering', 'http://id.esd.org.uk/service/1113'),
  (md5('signpost:lga-service:885')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '885', 'Sports development', 'http://id.esd.org.uk/service/885'),
  (md5('signpost:lga-service:199')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '199', 'Health advice', 'http://id.esd.org.uk/service/199'),
  (md5('signpost:lga-service:1284')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '1284', 'Mental health support', 'http://id.esd.org.uk/service/1284'),
  (md5('signpost:lga-service:163')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '163', 'Counselling', 'http://id.esd.org.uk/service/163'),
  (md5('signpost:lga-service:328')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '328', 'Bereavement support', 'http://id.esd.org.uk/service/328'),
  (md5('signpost:lga-service:225')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '225', 'Adult carers', 'http://id.esd.org.uk/service/225'),
  (md5('signpost:lga-service:300')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '300', 'Young carers support', 'http://id.esd.org.uk/service/300'),
  (md5('signpost:lga-service:884')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '884', 'Arts development', 'http://id.esd.org.uk/service/884'),
  (md5('signpost:lga-service:838')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '838', 'Arts organisations and events', 'http://id.esd.org.uk/service/838'),
  (md5('signpost:lga-service:510')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '510', 'Allotments', 'http://id.esd.org.uk/service/510'),
  (md5('signpost:lga-service:27')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '27', 'Adult education courses', 'http://id.esd.org.uk/service/27'),
  (md5('signpost:lga-service:442')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '442', 'Library computers and the internet', 'http://id.esd.org.uk/service/442'),
  (md5('signpost:lga-service:272')::uuid::text, md5('signpost:taxonomy:lga-services')::uuid::text, '272', 'Community transport', 'http://id.esd.org.uk/service/272');

-- Services already tagged with a need get the service types it maps to, as new imports do.
INSERT INTO directory_attribute (id, link_id, link_type, link_entity, taxonomy_term_id)
SELECT DISTINCT md5('signpost:lga-attribute:' || a.link_id || ':' || m.code)::uuid::text, a.link_id, 'service_type', 'service',
       md5('signpost:lga-service:' || m.code)::uuid::text
  FROM directory_attribute a
  JOIN (VALUES
    ('loneliness', '241'),
    ('loneliness', '297'),
    ('money', '651'),
    ('money', '189'),
    ('money', '190'),
    ('housing', '112'),
    ('employment', '343'),
    ('employment', '1113'),
    ('physical-activity', '885'),
    ('healthy-eating', '199'),
    ('mental-wellbeing', '1284'),
    ('mental-wellbeing', '163'),
    ('bereavement', '328'),
    ('carers', '225'),
    ('carers', '300'),
    ('long-term-conditions', '199'),
    ('arts', '884'),
    ('arts', '838'),
    ('gardening', '510'),
    ('learning', '27'),
    ('digital', '442'),
    ('transport', '272')
  ) AS m (need, code) ON a.taxonomy_term_id = md5('signpost:needs:' || m.need)::uuid::text
 WHERE a.link_entity = 'service'
ON CONFLICT (id) DO NOTHING;

SELECT directory_refresh_search(coalesce(array_agg(DISTINCT link_id), '{}'))
  FROM directory_attribute WHERE link_type = 'service_type';
