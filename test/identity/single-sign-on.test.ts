import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { freePort, startOidcProvider, type TestProvider } from './oidc-provider.ts';

// The full journey through the provider's pages runs in Chromium (test/browser/identity.test.ts).

let database: Database;
let provider: TestProvider;

before(async () => {
  database = await freshDatabase();
  provider = await startOidcProvider('http://127.0.0.1:3999/sign-in/oidc/callback');
});
after(async () => {
  await provider.close();
  await database.close();
});

const oidcEnv = () => ({
  BASE_URL: 'http://127.0.0.1:3999',
  OIDC_ISSUER: provider.issuer,
  OIDC_CLIENT_ID: provider.clientId,
  OIDC_CLIENT_SECRET: provider.clientSecret,
});

test('without OIDC settings there is no single sign-on link and its routes are 404', async () => {
  const app = await testApp(database);
  assert.doesNotMatch((await app.inject('/sign-in')).body, /sign-in\/oidc/);
  assert.equal((await app.inject('/sign-in/oidc')).statusCode, 404);
  assert.equal((await app.inject('/sign-in/oidc/callback?code=x&state=y')).statusCode, 404);
  await app.close();
});

test('starting single sign-on redirects to the provider with PKCE, state and nonce, keeping them in a signed cookie', async () => {
  const app = await testApp(database, oidcEnv());
  assert.match((await app.inject('/sign-in')).body, /href="\/sign-in\/oidc"/);
  const res = await app.inject('/sign-in/oidc?returnTo=%2Fcaseload');
  assert.equal(res.statusCode, 303);
  const location = new URL(res.headers.location as string);
  assert.equal(location.origin, provider.issuer);
  assert.equal(location.searchParams.get('client_id'), provider.clientId);
  assert.equal(location.searchParams.get('redirect_uri'), 'http://127.0.0.1:3999/sign-in/oidc/callback');
  assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(location.searchParams.get('state') && location.searchParams.get('nonce'));
  const cookie = res.cookies.find((c) => c.name === 'signpost_oidc');
  assert.ok(cookie?.httpOnly);
  assert.equal(cookie?.path, '/sign-in/oidc');
  await app.close();
});

test('a callback without its cookie, or with a forged state, is refused without signing anyone in', async () => {
  const app = await testApp(database, oidcEnv());
  const bare = await app.inject('/sign-in/oidc/callback?code=abc&state=def');
  assert.equal(bare.statusCode, 400);
  assert.match(bare.body, /Single sign-on did not finish/);
  const start = await app.inject('/sign-in/oidc');
  const cookie = start.cookies.find((c) => c.name === 'signpost_oidc')!;
  const forged = await app.inject({ url: '/sign-in/oidc/callback?code=abc&state=not-the-state', cookies: { signpost_oidc: cookie.value } });
  assert.equal(forged.statusCode, 400);
  assert.equal(
    forged.cookies.find((c) => c.name === 'signpost_session'),
    undefined,
  );
  const denied = await app.inject({ url: `/sign-in/oidc/callback?error=access_denied&state=x`, cookies: { signpost_oidc: cookie.value } });
  assert.equal(denied.statusCode, 400);
  await app.close();
});

test('an unreachable provider gives a 503 page offering password sign-in', async () => {
  const port = await freePort();
  const app = await testApp(database, { ...oidcEnv(), OIDC_ISSUER: `http://127.0.0.1:${port}` });
  const res = await app.inject('/sign-in/oidc');
  assert.equal(res.statusCode, 503);
  assert.match(res.body, /Single sign-on is not available/);
  await app.close();
});
