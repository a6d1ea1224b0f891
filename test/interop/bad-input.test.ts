import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aReferralBundle, aSystem, aToken, GP_SCOPES } from './support.ts';

let database: Database;
let app: FastifyInstance;
let token: string;

before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  // Every read scope, so searches reach their parameter checks rather than stopping at 403.
  const scopes = `${GP_SCOPES} system/HealthcareService.read system/Location.read system/QuestionnaireResponse.read`;
  token = await aToken(app, await aSystem(database, { scopes }), scopes);
});
after(async () => {
  await app.close();
  await database.close();
});

/** Replaces one value somewhere in a JSON document with another, as a careless sender might. */
function mutate(doc: unknown, path: number[], value: unknown): unknown {
  if (path.length === 0 || doc === null || typeof doc !== 'object') return value;
  const keys = Object.keys(doc);
  if (keys.length === 0) return value;
  const key = keys[path[0]! % keys.length]!;
  const copy: Record<string, unknown> = Array.isArray(doc)
    ? ([...doc] as unknown as Record<string, unknown>)
    : { ...(doc as Record<string, unknown>) };
  copy[key] = mutate((doc as Record<string, unknown>)[key], path.slice(1), value);
  return copy;
}

test('odd bodies to every FHIR write answer a 4xx OperationOutcome, never a 500', async () => {
  const urls: { method: 'POST' | 'PUT' | 'PATCH'; url: string }[] = [
    { method: 'POST', url: '/fhir' },
    { method: 'POST', url: '/fhir/ServiceRequest' },
    { method: 'PUT', url: '/fhir/Task/00000000-0000-4000-8000-000000000000' },
    { method: 'PATCH', url: '/fhir/Task/not-a-uuid' },
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...urls),
      fc.oneof(
        fc.jsonValue(),
        fc.tuple(fc.array(fc.nat(), { maxLength: 6 }), fc.jsonValue()).map(([path, value]) => mutate(aReferralBundle(), path, value)),
      ),
      async ({ method, url }, body) => {
        const res = await app.inject({
          method,
          url,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': method === 'PATCH' ? 'application/json-patch+json' : 'application/fhir+json',
          },
          payload: JSON.stringify(body),
        });
        assert.ok(
          res.statusCode < 500,
          `${method} ${url} ${JSON.stringify(body).slice(0, 300)} -> ${res.statusCode} ${res.body.slice(0, 300)}`,
        );
        if (res.statusCode >= 400) assert.equal(res.json().resourceType, 'OperationOutcome');
      },
    ),
    { numRuns: 50 },
  );
});

test('odd searches and token requests are refused with a message, never a 500', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(
        '/fhir/Task',
        '/fhir/ServiceRequest',
        '/fhir/Patient',
        '/fhir/DocumentReference',
        '/fhir/HealthcareService',
        '/fhir/Location',
        '/fhir/QuestionnaireResponse',
        '/fhir/Task/x',
        '/fhir/Patient/%00',
        '/fhir/Location/%00',
        '/fhir/QuestionnaireResponse/x',
      ),
      fc.dictionary(
        fc.constantFrom(
          '_count',
          '_offset',
          '_lastUpdated',
          'based-on',
          'patient',
          'subject',
          'identifier',
          '_id',
          'related',
          'name',
          'address-postalcode',
          '_format',
          'zzz',
        ),
        fc.string({ maxLength: 40 }),
      ),
      async (path, query) => {
        const res = await app.inject({
          method: 'GET',
          url: `${path}?${new URLSearchParams(query).toString()}`,
          headers: { authorization: `Bearer ${token}` },
        });
        assert.ok(res.statusCode < 500, `${path} ${JSON.stringify(query)} -> ${res.statusCode} ${res.body.slice(0, 200)}`);
      },
    ),
    { numRuns: 120 },
  );
  // Past 30 a minute from one address the endpoint answers 429: also a refusal with a message.
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(fc.constantFrom('grant_type', 'client_assertion_type', 'client_assertion', 'scope'), fc.string({ maxLength: 60 })),
      async (form) => {
        const res = await app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams(form).toString(),
        });
        assert.ok([400, 401, 429].includes(res.statusCode), `${JSON.stringify(form)} -> ${res.statusCode}`);
        assert.ok(typeof res.json().error === 'string');
      },
    ),
    { numRuns: 60 },
  );
});

test('a malformed id in a FHIR address is a 404 OperationOutcome, and a bad search parameter a 400 one', async () => {
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  for (const url of ['/fhir/Patient/not%20an%20id', `/fhir/Task/${'a'.repeat(65)}`, '/fhir/Location/x%2Fy']) {
    const res = await get(url);
    assert.equal(res.statusCode, 404, url);
    assert.equal(res.json().resourceType, 'OperationOutcome');
    assert.equal(res.json().issue[0].code, 'not-found');
  }
  // An empty search parameter narrows nothing: the search answers, it does not fail (with a
  // referral the system sent, so there is someone to find).
  const sent = await app.inject({
    method: 'POST',
    url: '/fhir',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    payload: JSON.stringify(aReferralBundle()),
  });
  assert.equal(sent.statusCode, 200, sent.body.slice(0, 300));
  for (const url of ['/fhir/Patient?_id=', '/fhir/DocumentReference?_id=', '/fhir/Task?_id=', '/fhir/ServiceRequest?_id=']) {
    const res = await get(url);
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.json().resourceType, 'Bundle', url);
  }
  const search = await get('/fhir/Patient?_count=many');
  assert.equal(search.statusCode, 400);
  assert.equal(search.json().resourceType, 'OperationOutcome');
  assert.equal(search.json().issue[0].code, 'invalid');
});
