import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aSystem, aToken, GP_SCOPES } from './support.ts';

type Operation = {
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  security?: Record<string, string[]>[];
};
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
};

let database: Database;
let app: FastifyInstance;
let doc: Doc;

before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  const res = await app.inject({ url: '/api/openapi.json' });
  assert.equal(res.statusCode, 200);
  doc = res.json() as Doc;
});
after(async () => {
  await app.close();
  await database.close();
});

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

test('the document is OpenAPI 3.1: every path, operation and response is well formed and every schema compiles', () => {
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.info.title && doc.info.version);
  const ajv = new Ajv2020({ strict: false });
  addFormats.default(ajv);
  let operations = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    assert.match(path, /^\//, path);
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      assert.ok(METHODS.includes(method), `${path} ${method}`);
      assert.ok(Object.keys(op.responses).length > 0, `${method} ${path} documents its responses`);
      for (const [status, response] of Object.entries(op.responses)) {
        assert.match(status, /^([1-5][0-9]{2}|default)$/, `${method} ${path} ${status}`);
        for (const media of Object.values(response.content ?? {}))
          assert.doesNotThrow(() => ajv.compile(media.schema), `${method} ${path} ${status} schema compiles`);
      }
      for (const p of op.parameters ?? []) {
        assert.ok(['query', 'path', 'header', 'cookie'].includes(p.in), `${path} ${p.name}`);
        if (p.in === 'path') {
          assert.equal(p.required, true);
          assert.ok(path.includes(`{${p.name}}`), `${path} names {${p.name}}`);
        }
      }
      for (const s of op.security ?? []) for (const name of Object.keys(s)) assert.ok(doc.components.securitySchemes[name], name);
      operations++;
    }
  }
  assert.ok(operations > 20, `${operations} operations`);
});

test('it covers the ORUK API, FHIR, the token endpoint and health, and no HTML page', () => {
  const paths = Object.keys(doc.paths);
  for (const p of [
    '/api/oruk/services',
    '/api/oruk/services/{id}',
    '/fhir/metadata',
    '/fhir/Task',
    '/oauth/token',
    '/health/ready',
    '/api/openapi.json',
  ])
    assert.ok(paths.includes(p), p);
  for (const page of ['/', '/sign-in', '/referrals/new', '/services', '/admin/api-clients', '/docs'])
    assert.ok(!paths.includes(page), `${page} is a page, not API`);
  assert.deepEqual(doc.paths['/fhir/Task']!.get!.security, [{ smartBackendServices: ['system/Task.read'] }]);
  assert.ok(doc.paths['/api/oruk/services']!.get!.parameters!.some((p) => p.name === 'taxonomy_term_id'));
});

/** Every documented GET is called, and its body checked against the schema documented for the status it answered. */
test('every documented GET answers with a body that matches its documented schema', async () => {
  const service = await aDirectoryService(database, { needs: ['gardening'] });
  const system = await aSystem(database, { scopes: `${GP_SCOPES} system/*.read` });
  const token = await aToken(app, system, 'system/*.read');
  const ajv = new Ajv2020({ strict: false });
  addFormats.default(ajv);
  const ids: Record<string, string> = { '/api/oruk/services/{id}': service.id, '/api/oruk/organizations/{id}': service.organization_id! };
  let checked = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    const op = item.get;
    if (!op) continue;
    // By-id paths without a record made here are asked for an id that does not exist: a documented 404.
    const url = path.replace('{id}', ids[path] ?? randomUUID());
    const res = await app.inject({ url, headers: path.startsWith('/fhir') ? { authorization: `Bearer ${token}` } : {} });
    const documentedResponse = op.responses[String(res.statusCode)];
    assert.ok(documentedResponse, `GET ${url} answered ${res.statusCode}, which is documented`);
    const schema = Object.values(documentedResponse.content ?? {})[0]?.schema;
    assert.ok(schema, `GET ${url} ${res.statusCode} has a schema`);
    const validate = ajv.compile(schema);
    assert.ok(validate(res.json()), `GET ${url}: ${JSON.stringify(validate.errors)}`);
    checked++;
  }
  assert.ok(checked >= 20, `${checked} GETs checked`);
});

test('the reference page is served by the app with the NHS layout and names every operation', async () => {
  const page = await app.inject({ url: '/docs' });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /nhsuk-header/);
  assert.match(page.body, /GET \/fhir\/Task/);
  assert.match(page.body, /POST \/oauth\/token/);
  assert.doesNotMatch(String(page.headers['content-security-policy']), /https?:\/\//, 'no third-party hosts');
});
