import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// Tests may read the shared standards; the app never does.
export const openReferralDir = '/work/shared/data/openreferral';
const profile = path.join(openReferralDir, 'oruk-3.0-profile');
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

function compile(schema: object, extra: Record<string, object> = {}): ValidateFunction {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  for (const [id, s] of Object.entries(extra)) ajv.addSchema(s, id);
  return ajv.compile(schema);
}

const openapi = readJson(path.join(profile, 'schema', 'openapi.json')) as {
  components: { schemas: { Page: object } };
  paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: object }> }> } }>;
};
const pageSchema = openapi.components.schemas.Page;

function pageOf(item: object, extra: Record<string, object> = {}): ValidateFunction {
  return compile(
    {
      allOf: [pageSchema],
      type: 'object',
      required: ['total_items', 'total_pages', 'page_number', 'size', 'first_page', 'last_page', 'empty', 'contents'],
      properties: { contents: { type: 'array', items: item } },
    },
    extra,
  );
}

const compiled = (name: string) => readJson(path.join(profile, 'schema', 'compiled', `${name}.json`));
const taxonomyTerm = readJson(path.join(profile, 'schema', 'taxonomy_term.json'));
const taxonomy = { ...readJson(path.join(profile, 'schema', 'taxonomy.json')), $id: 'https://schemas.test/taxonomy.json' };
const termRef = { 'https://schemas.test/taxonomy_term.json': taxonomyTerm };

/** A validator per ORUK endpoint, from the profile's compiled schemas and its OpenAPI page wrapper. */
export const orukValidators = {
  apiDetails: compile(openapi.paths['/']!.get.responses['200']!.content['application/json']!.schema),
  serviceList: pageOf(compiled('service_list')),
  service: compile(compiled('service')),
  taxonomyList: pageOf({ $ref: 'https://schemas.test/taxonomy.json' }, { ...termRef, 'https://schemas.test/taxonomy.json': taxonomy }),
  taxonomy: compile(taxonomy, termRef),
  taxonomyTermList: pageOf(taxonomyTerm),
  taxonomyTerm: compile(taxonomyTerm),
  serviceAtLocationList: pageOf(compiled('service_at_location_list')),
  serviceAtLocation: compile(compiled('service_at_location')),
  organizationList: pageOf(compiled('organization_list')),
  organization: compile(compiled('organization')),
};

export function readOpenReferral(relative: string): unknown {
  return readJson(path.join(openReferralDir, relative));
}

/** "ok", or the schema errors in one line so a failing assertion says what is wrong. */
export function validationProblems(validate: ValidateFunction, value: unknown): string {
  return validate(value) ? 'ok' : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');
}
