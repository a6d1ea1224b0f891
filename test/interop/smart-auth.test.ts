import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Database } from '../../src/db/database.ts';
import { revokeClient } from '../../src/interop/clients/service.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { auditEvents } from '../support/identity-factories.ts';
import { signInAs } from '../support/session.ts';
import { anAssertion, aSystem, aToken, tokenForm, type TestSystem } from './support.ts';

let database: Database;
let app: FastifyInstance;
let tokenUrl: string;

before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  tokenUrl = `${app.config.baseUrl}/oauth/token`;
});
after(async () => {
  await app.close();
  await database.close();
});

function askForToken(form: Record<string, string>) {
  return app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
}

function fhirGet(url: string, token?: string) {
  return app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

test('a registered system exchanges a signed assertion for a 5-minute bearer token, of which only the hash is stored', async () => {
  for (const alg of ['RS384', 'ES384'] as const) {
    const system = await aSystem(database, { alg });
    const res = await askForToken(tokenForm(await anAssertion(system, tokenUrl), 'system/Task.read system/ServiceRequest.write'));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json() as { access_token: string; token_type: string; expires_in: number; scope: string };
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 300);
    assert.equal(body.scope, 'system/Task.read system/ServiceRequest.write');
    const { rows } = await database.pool.query<{ tokenHash: string; seconds: number }>(
      `SELECT token_hash AS "tokenHash", extract(epoch FROM expires_at - issued_at)::int AS seconds FROM api_token WHERE client_id = $1`,
      [system.clientId],
    );
    assert.deepEqual(rows, [{ tokenHash: createHash('sha256').update(body.access_token).digest('hex'), seconds: 300 }]);
  }
});

test('bad assertions get the OAuth error that says what is wrong', async () => {
  const system = await aSystem(database);
  const stranger = await generateKeyPair('RS384');
  const cases: [string, Record<string, string>, number, string][] = [
    ['wrong audience', tokenForm(await anAssertion(system, 'https://elsewhere.example/token')), 401, 'invalid_client'],
    [
      'signed with another key',
      tokenForm(await anAssertion({ ...system, privateKey: stranger.privateKey }, tokenUrl)),
      401,
      'invalid_client',
    ],
    ['expired', tokenForm(await anAssertion(system, tokenUrl, {}, { now: new Date(Date.now() - 600_000) })), 400, 'invalid_grant'],
    ['exp more than 5 minutes ahead', tokenForm(await anAssertion(system, tokenUrl, {}, { expiresIn: 3600 })), 400, 'invalid_grant'],
    ['sub not the client', tokenForm(await anAssertion(system, tokenUrl, { sub: 'someone-else' })), 401, 'invalid_client'],
    [
      'a scope it is not registered for',
      tokenForm(await anAssertion(system, tokenUrl), 'system/QuestionnaireResponse.write'),
      400,
      'invalid_scope',
    ],
    ['no scope', tokenForm(await anAssertion(system, tokenUrl), ''), 400, 'invalid_scope'],
    ['not a JWT', tokenForm('not-a-jwt'), 401, 'invalid_client'],
    [
      'unknown client',
      tokenForm(await anAssertion({ ...system, clientId: '00000000-0000-4000-8000-000000000000' }, tokenUrl)),
      401,
      'invalid_client',
    ],
    ['another grant type', { ...tokenForm(await anAssertion(system, tokenUrl)), grant_type: 'password' }, 400, 'unsupported_grant_type'],
  ];
  for (const [what, form, status, error] of cases) {
    const res = await askForToken(form);
    assert.equal(res.statusCode, status, `${what}: ${res.body}`);
    const body = res.json() as { error: string; error_description: string };
    assert.equal(body.error, error, what);
    assert.ok(body.error_description.length > 10, what);
  }
  // HS256 with the public key as a secret is the classic confusion attack: refused.
  const hs = await new SignJWT({ jti: 'x' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(system.clientId)
    .setSubject(system.clientId)
    .setAudience(tokenUrl)
    .setExpirationTime('4m')
    .sign(new TextEncoder().encode('a-guessable-secret-of-enough-length!'));
  assert.equal((await askForToken(tokenForm(hs))).json().error, 'invalid_client');
  assert.equal(await countTokens(system), 0, 'nothing was issued');
});

async function countTokens(system: TestSystem) {
  const { rows } = await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM api_token WHERE client_id = $1', [
    system.clientId,
  ]);
  return rows[0]!.n;
}

test('an assertion is good once: its jti cannot be replayed', async () => {
  const system = await aSystem(database);
  const assertion = await anAssertion(system, tokenUrl);
  assert.equal((await askForToken(tokenForm(assertion))).statusCode, 200);
  const again = await askForToken(tokenForm(assertion));
  assert.equal(again.statusCode, 400);
  assert.match(again.json().error_description, /jti was used before/);
});

test('without a token a FHIR call is 401 with WWW-Authenticate; outside its scopes it is 403; both are OperationOutcomes', async () => {
  const system = await aSystem(database, { scopes: 'system/Task.read' });
  const none = await fhirGet('/fhir/Task');
  assert.equal(none.statusCode, 401);
  assert.match(String(none.headers['www-authenticate']), /^Bearer /);
  assert.equal(none.json().resourceType, 'OperationOutcome');
  assert.equal((await fhirGet('/fhir/Task', 'made-up-token')).statusCode, 401);
  const token = await aToken(app, system, 'system/Task.read');
  assert.equal((await fhirGet('/fhir/Task', token)).statusCode, 200);
  const refused = await fhirGet('/fhir/Patient', token);
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().issue[0].code, 'forbidden');
});

test('revoking a system ends its tokens at once, and every call it made is in the audit trail', async () => {
  const admin = await anActor(database, { roles: ['admin'] });
  const system = await aSystem(database, { admin });
  const token = await aToken(app, system);
  assert.equal((await fhirGet('/fhir/Task', token)).statusCode, 200);
  await revokeClient(database.pool, admin, system.clientId);
  assert.equal((await fhirGet('/fhir/Task', token)).statusCode, 401, 'the token in hand stops working');
  const retry = await askForToken(tokenForm(await anAssertion(system, tokenUrl)));
  assert.equal(retry.statusCode, 401);
  assert.equal(retry.json().error, 'invalid_client');
  const events = (await auditEvents(database, admin.tenantId)).filter((e) => e.userId === system.clientId);
  assert.deepEqual(
    events.map((e) => e.action),
    ['api-client.token', 'api-client.call'],
  );
  assert.equal(events[1]!.reason, 'GET /fhir/Task 200');
});

test('an admin registers a system on the page (public key pasted, client id shown), and a private key is refused', async () => {
  const admin = await anActor(database, { roles: ['admin'] });
  const cookies = await signInAs(app, database, admin);
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const refused = await postForm(
    app,
    cookies,
    '/admin/api-clients',
    { name: 'Leaky system', scopes: 'system/Task.read', jwks: JSON.stringify(await exportJWK(privateKey)) },
    '/admin/api-clients',
  );
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /That is a private key/);
  const badScope = await postForm(
    app,
    cookies,
    '/admin/api-clients',
    { name: 'Greedy', scopes: 'user/*.*', jwks: JSON.stringify(await exportJWK(publicKey)) },
    '/admin/api-clients',
  );
  assert.equal(badScope.statusCode, 400);
  assert.match(badScope.body, /not scopes Signpost knows: user\/\*\.\*/);
  const made = await postForm(
    app,
    cookies,
    '/admin/api-clients',
    { name: 'Hometown EMIS', scopes: 'system/Task.read', jwks: JSON.stringify(await exportJWK(publicKey)) },
    '/admin/api-clients',
  );
  assert.equal(made.statusCode, 303);
  const clientId = /created=([0-9a-f-]{36})/.exec(String(made.headers.location))![1]!;
  const page = await app.inject({ method: 'GET', url: String(made.headers.location), cookies });
  assert.match(page.body, new RegExp(`id="created-client-id">${clientId}<`));
  assert.match(page.body, /Hometown EMIS/);
  const other = await anActor(database, { roles: ['admin'] });
  const elsewhere = await app.inject({ method: 'GET', url: '/admin/api-clients', cookies: await signInAs(app, database, other) });
  assert.doesNotMatch(elsewhere.body, /Hometown EMIS/, 'another tenant never sees it');
});
