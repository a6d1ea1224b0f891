import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../src/config.ts';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { DEVICE_COOKIE } from '../../src/identity/devices.ts';
import { formSession, testApp, testConfig } from '../support/app.ts';
import { backend, freshDatabase } from '../support/database.ts';
import { aUserWithPassword, auditEvents, TEST_PASSWORD } from '../support/identity-factories.ts';

let database: Database & { url?: string };
let app: FastifyInstance;

before(async () => {
  database = await freshDatabase();
  app = await testApp(database, { BASE_URL: 'https://signpost.example' });
});
after(async () => {
  await app.close();
  await database.close();
});

const SIGN_IN_LIMIT = 20;

/**
 * A sign-in post with no CSRF token: refused with 403 after the per-address limit has counted it,
 * so the limit can be exercised without paying for a password hash each time.
 */
function bareSignIn(on: FastifyInstance, remoteAddress: string, forwardedFor?: string) {
  return on.inject({
    method: 'POST',
    url: '/sign-in',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    payload: 'email=someone%40example.nhs.uk&password=guess',
  });
}

async function statuses(count: number, send: (i: number) => ReturnType<typeof bareSignIn>) {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await send(i)).statusCode);
  return seen;
}

test('a client rotating X-Forwarded-For is still limited by its own address when no proxy is trusted', async () => {
  const seen = await statuses(24, (i) => bareSignIn(app, '203.0.113.7', `198.51.100.${i}`));
  assert.deepEqual(seen.slice(0, SIGN_IN_LIMIT), Array(SIGN_IN_LIMIT).fill(403));
  assert.deepEqual(seen.slice(SIGN_IN_LIMIT), [429, 429, 429, 429]);
  const refused = await bareSignIn(app, '203.0.113.7', '198.51.100.200');
  assert.ok(Number(refused.headers['retry-after']) > 0, 'says when to try again');
  assert.match(refused.body, /Too many attempts/);
});

test('X-Forwarded-For from a configured proxy is honoured: each client behind it has its own count', async () => {
  const proxied = await testApp(database, { BASE_URL: 'https://signpost.example', TRUST_PROXY: '192.0.2.10, 10.20.0.0/16' });
  try {
    const rotating = await statuses(24, (i) => bareSignIn(proxied, '10.20.3.4', `198.51.100.${i}`));
    assert.ok(!rotating.includes(429), 'different clients behind the proxy are not limited together');
    const oneClient = await statuses(SIGN_IN_LIMIT + 2, () => bareSignIn(proxied, '192.0.2.10', '198.51.100.77'));
    assert.deepEqual(oneClient.slice(SIGN_IN_LIMIT), [429, 429], 'one client behind the proxy is limited by its own address');
  } finally {
    await proxied.close();
  }
});

test('TRUST_PROXY takes addresses, CIDR ranges and proxy-addr range names; anything else stops start-up naming it', () => {
  assert.deepEqual(testConfig({}).trustProxy, []);
  assert.deepEqual(testConfig({ TRUST_PROXY: ' 10.0.0.1 ,fd00::/8, loopback' }).trustProxy, ['10.0.0.1', 'fd00::/8', 'loopback']);
  for (const bad of ['true', '10.0.0.300', '10.0.0.0/33', 'proxy.example', '10.0.0.0/8/1']) {
    assert.throws(
      () => testConfig({ TRUST_PROXY: bad }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.variable === 'TRUST_PROXY' &&
        err.message.startsWith('TRUST_PROXY') &&
        !err.message.includes('\n'),
      bad,
    );
  }
});

async function signIn(email: string, password: string, remoteAddress: string, cookies: Record<string, string> = {}) {
  const page = await formSession(app, '/sign-in', cookies);
  return app.inject({
    method: 'POST',
    url: '/sign-in',
    remoteAddress,
    cookies: page.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email, password, _csrf: page.token! }).toString(),
  });
}

test('a locked email address still signs in with the right password from a browser that signed in before, and not from a new one', async () => {
  const user = await aUserWithPassword(database);
  const first = await signIn(user.email, TEST_PASSWORD, '10.40.0.1');
  assert.equal(first.statusCode, 303);
  const device = first.cookies.find((c) => c.name === DEVICE_COOKIE);
  assert.ok(device, 'a device cookie is set at sign-in');
  assert.equal(device.httpOnly, true);
  assert.equal(device.secure, true);
  assert.ok(Number(device.maxAge) >= 180 * 86_400, 'long-lived');
  assert.doesNotMatch(device.value, new RegExp(user.email.replace(/[.@]/g, '\\$&')), 'names no email');
  const knownBrowser = { [DEVICE_COOKIE]: device.value };

  // Strangers lock the address.
  for (let i = 0; i < 5; i++) await signIn(user.email, `wrong-guess-${i}`, `10.41.0.${i}`);
  const stranger = await signIn(user.email, TEST_PASSWORD, '10.41.1.1');
  assert.equal(stranger.statusCode, 429, 'the right password from a new browser waits out the lock');

  const owner = await signIn(user.email, TEST_PASSWORD, '10.40.0.1', knownBrowser);
  assert.equal(owner.statusCode, 303, 'the owner is not locked out of their own computer');

  // A device cookie of someone else, or one with a forged signature, is a new browser.
  const other = await aUserWithPassword(database);
  const otherDevice = (await signIn(other.email, TEST_PASSWORD, '10.40.0.2')).cookies.find((c) => c.name === DEVICE_COOKIE)!;
  assert.equal((await signIn(user.email, TEST_PASSWORD, '10.40.0.2', { [DEVICE_COOKIE]: otherDevice.value })).statusCode, 429);
  const forged = `${user.userId}.${'A'.repeat(22)}.forged-signature`;
  assert.equal((await signIn(user.email, TEST_PASSWORD, '10.40.0.3', { [DEVICE_COOKIE]: forged })).statusCode, 429);
});

test('a known browser has its own small budget of wrong passwords: it cannot brute force, and strangers do not spend it', async () => {
  const user = await aUserWithPassword(database);
  const device = (await signIn(user.email, TEST_PASSWORD, '10.50.0.1')).cookies.find((c) => c.name === DEVICE_COOKIE)!;
  const knownBrowser = { [DEVICE_COOKIE]: device.value };
  for (let i = 0; i < 4; i++) assert.equal((await signIn(user.email, `wrong-guess-${i}`, '10.50.0.1', knownBrowser)).statusCode, 401);
  // The address itself has not been spent by the owner's slips.
  assert.equal((await signIn(user.email, 'wrong-guess-anonymous', '10.51.0.1')).statusCode, 401);
  assert.equal((await signIn(user.email, 'wrong-guess-4', '10.50.0.1', knownBrowser)).statusCode, 429);
  assert.equal((await signIn(user.email, TEST_PASSWORD, '10.50.0.1', knownBrowser)).statusCode, 429, 'paused after five wrong passwords');
  const events = await auditEvents(database, user.tenantId);
  assert.ok(events.some((e) => e.reason === 'wrong password from a known device'));
});

test('request counts are kept in the database, under keys that hold no address', async () => {
  await bareSignIn(app, '198.18.7.7');
  const { rows } = await database.pool.query<{ key: string }>('SELECT key FROM rate_limit_counter');
  assert.ok(rows.length > 0);
  assert.ok(
    rows.every((r) => /^[0-9a-f]{64}$/.test(r.key)),
    'keys are HMACs',
  );
  assert.ok(!rows.some((r) => r.key.includes('198.18.7.7')));
});

test('request counts survive a restart: a new app on the same database carries on counting', async () => {
  const first = await testApp(database);
  await statuses(SIGN_IN_LIMIT, () => bareSignIn(first, '198.18.1.1'));
  await first.close();
  const restarted = await testApp(database);
  try {
    assert.equal((await bareSignIn(restarted, '198.18.1.1')).statusCode, 429);
    assert.equal((await bareSignIn(restarted, '198.18.1.2')).statusCode, 403, 'another address is unaffected');
  } finally {
    await restarted.close();
  }
});

test(
  'two app processes on one PostgreSQL database share their counts',
  {
    skip: backend === 'pglite' ? 'an embedded database belongs to one process' : false,
  },
  async () => {
    const second = openPostgres(database.url!, 2);
    const appA = await testApp(database);
    const appB = await testApp(second);
    try {
      await statuses(SIGN_IN_LIMIT / 2, () => bareSignIn(appA, '198.18.2.1'));
      await statuses(SIGN_IN_LIMIT / 2, () => bareSignIn(appB, '198.18.2.1'));
      assert.equal((await bareSignIn(appA, '198.18.2.1')).statusCode, 429);
      assert.equal((await bareSignIn(appB, '198.18.2.1')).statusCode, 429);
    } finally {
      await appA.close();
      await appB.close();
      await second.close();
    }
  },
);
