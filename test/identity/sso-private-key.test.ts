import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import type { Database } from '../../src/db/database.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { signInAtProvider, startOidcProvider, type TestProvider } from './oidc-provider.ts';

// NHS CIS2 authenticates clients with private_key_jwt: Signpost signs a client assertion with its
// private key and the provider checks it against the public key registered for the client.

const BASE_URL = 'http://127.0.0.1:3999';
const REDIRECT_URI = `${BASE_URL}/sign-in/oidc/callback`;
const KID = 'signpost-test-2026-12';

let database: Database;
let provider: TestProvider;
let keyFile: string;
let otherKeyFile: string;
let publicJwk: JWK;

async function pkcs8File(alg: string, name: string): Promise<{ file: string; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'signpost-oidc-key-')), name);
  writeFileSync(file, await exportPKCS8(privateKey), { mode: 0o600 });
  return { file, publicJwk: await exportJWK(publicKey) };
}

before(async () => {
  database = await freshDatabase();
  const key = await pkcs8File('RS512', 'signpost.pem');
  keyFile = key.file;
  publicJwk = key.publicJwk;
  otherKeyFile = (await pkcs8File('RS512', 'someone-else.pem')).file;
  provider = await startOidcProvider(REDIRECT_URI, {
    privateKeyJwt: { keys: [{ ...publicJwk, kid: KID, alg: 'RS512', use: 'sig' }], alg: 'RS512' },
  });
});
after(async () => {
  await provider.close();
  await database.close();
});

const keyEnv = (file = keyFile): Record<string, string> => ({
  BASE_URL,
  OIDC_ISSUER: provider.issuer,
  OIDC_CLIENT_ID: provider.clientId,
  OIDC_CLIENT_PRIVATE_KEY: file,
  OIDC_CLIENT_KEY_ID: KID,
});

/** From Signpost's single sign-on link, through the provider, back to Signpost's callback. */
async function singleSignOn(app: Awaited<ReturnType<typeof testApp>>, email: string) {
  const start = await app.inject('/sign-in/oidc');
  assert.equal(start.statusCode, 303);
  const pending = start.cookies.find((c) => c.name === 'signpost_oidc')!;
  const back = await signInAtProvider(start.headers.location as string, email, REDIRECT_URI);
  return app.inject({ url: back.pathname + back.search, cookies: { signpost_oidc: pending.value } });
}

test('Signpost publishes only the public half of its key, with kid, alg and use, at /.well-known/jwks.json', async () => {
  const app = await testApp(database, keyEnv());
  const res = await app.inject('/.well-known/jwks.json');
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^application\/jwk-set\+json/);
  const { keys } = res.json() as { keys: JWK[] };
  assert.equal(keys.length, 1);
  assert.deepEqual(keys[0], { kty: 'RSA', n: publicJwk.n, e: publicJwk.e, kid: KID, alg: 'RS512', use: 'sig' });
  await app.close();
});

test('without OIDC_CLIENT_KEY_ID the key is named by its RFC 7638 thumbprint; an EC key is published with its curve and ES256', async () => {
  const env = { ...keyEnv() };
  delete env.OIDC_CLIENT_KEY_ID;
  const app = await testApp(database, env);
  const [rsa] = (await app.inject('/.well-known/jwks.json')).json().keys as JWK[];
  assert.equal(rsa!.kid, await calculateJwkThumbprint(publicJwk, 'sha256'));
  await app.close();

  const ec = await pkcs8File('ES256', 'ec.pem');
  const ecApp = await testApp(database, { ...env, OIDC_CLIENT_PRIVATE_KEY: ec.file });
  const [published] = (await ecApp.inject('/.well-known/jwks.json')).json().keys as JWK[];
  assert.deepEqual(published, {
    kty: 'EC',
    crv: 'P-256',
    x: ec.publicJwk.x,
    y: ec.publicJwk.y,
    kid: await calculateJwkThumbprint(ec.publicJwk, 'sha256'),
    alg: 'ES256',
    use: 'sig',
  });
  await ecApp.close();
});

test('with a client secret, or without single sign-on, there is no JWKS to publish', async () => {
  const noSso = await testApp(database);
  assert.equal((await noSso.inject('/.well-known/jwks.json')).statusCode, 404);
  await noSso.close();
  const secret = await testApp(database, {
    BASE_URL,
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: provider.clientId,
    OIDC_CLIENT_SECRET: 'a-secret-for-another-provider',
  });
  assert.equal((await secret.inject('/.well-known/jwks.json')).statusCode, 404);
  await secret.close();
});

test('a member of staff signs in through the provider with a signed client assertion and gets a session', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const app = await testApp(database, keyEnv());
  const before = provider.assertions.length;

  const callback = await singleSignOn(app, worker.email);
  assert.equal(callback.statusCode, 303, callback.body);
  assert.equal(callback.headers.location, '/home');
  const session = callback.cookies.find((c) => c.name === 'signpost_session');
  assert.ok(session?.value, 'a session cookie is set');
  const account = await app.inject({ url: '/account', cookies: { signpost_session: session.value } });
  assert.equal(account.statusCode, 200);
  assert.match(account.body, new RegExp(worker.email));

  // The provider checked one assertion: signed RS512 with our kid, for its token endpoint.
  assert.equal(provider.assertions.length, before + 1);
  const { header, claims } = provider.assertions.at(-1)!;
  assert.equal(header.alg, 'RS512');
  assert.equal(header.kid, KID);
  assert.equal(claims.aud, provider.tokenEndpoint);
  assert.equal(claims.iss, provider.clientId);
  assert.equal(claims.sub, provider.clientId);
  assert.ok(typeof claims.jti === 'string' && claims.jti.length >= 16);
  assert.ok((claims.exp as number) - (claims.iat as number) <= 300, 'a short-lived assertion');

  const { rows } = await database.pool.query<{ oidcSubject: string }>('SELECT oidc_subject AS "oidcSubject" FROM app_user WHERE id = $1', [
    worker.userId,
  ]);
  assert.equal(rows[0]!.oidcSubject, worker.email);
  await app.close();
});

test('an assertion signed with a key the provider does not know is refused, and Signpost shows its sign-in failure page', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const lines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const app = await testApp(database, { ...keyEnv(otherKeyFile), LOG_LEVEL: 'warn' }, { logStream });
  const before = provider.assertions.length;

  const callback = await singleSignOn(app, worker.email);
  assert.equal(callback.statusCode, 400);
  assert.match(callback.body, /Single sign-on did not finish/);
  assert.match(callback.body, /href="\/sign-in"/);
  assert.equal(callback.cookies.find((c) => c.name === 'signpost_session')?.value || undefined, undefined);
  assert.equal(provider.assertions.length, before, 'the provider accepted no assertion');
  // The operator learns why from the log: the provider refused the client.
  assert.ok(
    lines.some((line) => /invalid_client/.test(line)),
    "the provider's refusal is logged",
  );

  const { rows } = await database.pool.query<{ oidcSubject: string | null }>(
    'SELECT oidc_subject AS "oidcSubject" FROM app_user WHERE id = $1',
    [worker.userId],
  );
  assert.equal(rows[0]!.oidcSubject, null);
  await app.close();
});
