import type { Json } from './mapping.ts';

/** One resource type Signpost serves: what may be done and searched, and the scope it needs. */
export interface ResourceCapability {
  type: string;
  interactions: ('read' | 'search-type' | 'create' | 'update' | 'patch')[];
  search: { name: string; type: string; documentation: string }[];
  documentation: string;
}

const PAGING = 'Searches return searchset Bundles: _count (1 to 100, default 20) and a next link.';

export const RESOURCES: ResourceCapability[] = [
  {
    type: 'ServiceRequest',
    interactions: ['read', 'search-type', 'create'],
    documentation:
      'A referral to social prescribing. Create with the Patient contained, or post a transaction Bundle of Patient and ServiceRequest to the base. Only referrals this system sent are visible.',
    search: [
      { name: '_id', type: 'token', documentation: 'The referral id' },
      {
        name: 'identifier',
        type: 'token',
        documentation: 'The Signpost reference (https://fhir.signpost.example/Id/referral-reference|SP-...)',
      },
      { name: 'patient', type: 'reference', documentation: 'Patient/<id>' },
      { name: '_lastUpdated', type: 'date', documentation: 'gt or ge an instant' },
    ],
  },
  {
    type: 'Task',
    interactions: ['read', 'search-type', 'update', 'patch'],
    documentation:
      'Tracks a referral (Gravity TaskForReferralManagement). Update or patch only to cancel: status "cancelled" with statusReason.text.',
    search: [
      { name: '_id', type: 'token', documentation: 'The Task id (the same as its ServiceRequest)' },
      { name: 'based-on', type: 'reference', documentation: 'ServiceRequest/<id>' },
      { name: 'patient', type: 'reference', documentation: 'Patient/<id>' },
      { name: '_lastUpdated', type: 'date', documentation: 'gt or ge an instant: Tasks changed since the last poll' },
    ],
  },
  {
    type: 'Patient',
    interactions: ['read', 'search-type'],
    documentation: 'People this system has referred.',
    search: [
      { name: '_id', type: 'token', documentation: 'The Patient id' },
      { name: 'identifier', type: 'token', documentation: 'https://fhir.nhs.uk/Id/nhs-number|<NHS number>' },
    ],
  },
  {
    type: 'DocumentReference',
    interactions: ['read', 'search-type'],
    documentation: 'Discharge summaries (PDF attachment and SNOMED CT codes) of referrals this system sent.',
    search: [
      { name: '_id', type: 'token', documentation: 'The document id' },
      { name: 'patient', type: 'reference', documentation: 'Patient/<id>' },
      { name: 'related', type: 'reference', documentation: 'ServiceRequest/<id>' },
    ],
  },
  {
    type: 'HealthcareService',
    interactions: ['read', 'search-type'],
    documentation:
      'Services in the directory of local services (shared, not tenant data). location[] refers to the Locations where each is delivered.',
    search: [{ name: 'name', type: 'string', documentation: 'Words in the name or description' }],
  },
  {
    type: 'Location',
    interactions: ['read', 'search-type'],
    documentation:
      'Places where directory services are delivered (shared, not tenant data): name, address, position. Searches list places with at least one active service.',
    search: [
      { name: 'name', type: 'string', documentation: 'Part of the name, any case' },
      { name: 'address-postalcode', type: 'string', documentation: 'A full postcode (LS6 3AB) or its outward code (LS6)' },
    ],
  },
  {
    type: 'Questionnaire',
    interactions: ['read', 'search-type'],
    documentation: 'The outcome measures Signpost records (SWEMWBS, ONS4, UCLA 3-item loneliness).',
    search: [],
  },
  {
    type: 'QuestionnaireResponse',
    interactions: ['read', 'search-type'],
    documentation: "Outcome measures recorded on referrals this system sent: the answers, basedOn the referral's ServiceRequest.",
    search: [
      { name: '_id', type: 'token', documentation: 'The QuestionnaireResponse id' },
      { name: 'subject', type: 'reference', documentation: 'Patient/<id>' },
      { name: 'patient', type: 'reference', documentation: 'Patient/<id>' },
      { name: 'based-on', type: 'reference', documentation: 'ServiceRequest/<id>' },
    ],
  },
];

/** The CapabilityStatement at /fhir/metadata: exactly what is served, and how to get a token. */
export function capabilityStatement(baseUrl: string, tokenUrl: string, software: { version: string }): Json {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-12-07',
    publisher: 'Signpost',
    kind: 'instance',
    software: { name: 'Signpost', version: software.version },
    implementation: { description: 'Signpost social prescribing', url: `${baseUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    rest: [
      {
        mode: 'server',
        documentation: `${PAGING} Errors are OperationOutcome resources.`,
        security: {
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: tokenUrl }],
            },
          ],
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          description:
            "SMART backend services: a JWT assertion (RS384 or ES384) signed with the system's registered key, exchanged at the token URL for a 5-minute bearer token with system/<Resource>.read|write scopes.",
        },
        resource: RESOURCES.map((r) => ({
          type: r.type,
          documentation: r.documentation,
          interaction: r.interactions.map((code) => ({ code })),
          ...(r.search.length ? { searchParam: r.search } : {}),
        })),
        interaction: [
          {
            code: 'transaction',
            documentation: 'A Bundle of one Patient and one ServiceRequest: a referral, created whole or not at all.',
          },
        ],
      },
    ],
  };
}
