import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { asForm, formSession, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { aMembership, aUserWithPassword, auditEvents, TEST_PASSWORD } from '../support/identity-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;

before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
});
after(async () => {
  await app.close();
  await database.close();
});

const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function postSignIn(email: string, password: string, url = '/sign-in', remoteAddress?: string) {
  const session = await formSession(app, '/sign-in');
  const res = await app.inject({
    method: 'POST',
    url,
    cookies: session.cookies,
    headers: form,
    ...(remoteAddress ? { remoteAddress } : {}),
    payload: new URLSearchParams({ email, password, _csrf: session.token! }).toString(),
  });
  const cookies: Record<string, string> = { ...session.cookies };
  for (const c of res.cookies) cookies[c.name] = c.value;
  return { res, cookies };
}

test('signing in with the right password starts a session whose cookie is HttpOnly and SameSite=Lax', async () => {
  const user = await aUserWithPassword(database, { name: 'Rosa Field' });
  const { res, cookies } = await postSignIn(user.email, TEST_PASSWORD);
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/home');
  const cookie = res.cookies.find((c) => c.name === 'signpost_session');
  assert.ok(cookie);
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Lax');
  assert.notEqual(cookie.secure, true, 'not Secure on an http BASE_URL');
  const home = await app.inject({ url: '/services', cookies });
  assert.match(home.body, /Rosa Field/);
  assert.match(home.body, /Sign out/);
  const events = await auditEvents(database, user.tenantId);
  assert.equal(events.at(-1)?.action, 'sign-in.success');
  assert.equal(events.at(-1)?.userId, user.userId);
});

test('the session cookie is Secure when BASE_URL is https', async () => {
  const secureApp = await testApp(database, { BASE_URL: 'https://signpost.example' });
  const user = await aUserWithPassword(database);
  const page = await formSession(secureApp, '/sign-in');
  const res = await secureApp.inject({
    method: 'POST',
    url: '/sign-in',
    cookies: page.cookies,
    headers: form,
    payload: new URLSearchParams({ email: user.email, password: TEST_PASSWORD, _csrf: page.token! }).toString(),
  });
  assert.equal(res.statusCode, 303);
  assert.equal(res.cookies.find((c) => c.name === 'signpost_session')?.secure, true);
  await secureApp.close();
});

test('a wrong password and an unknown email get the same message and no session', async () => {
  const user = await aUserWithPassword(database);
  const wrong = await postSignIn(user.email, 'not-the-password-at-all');
  const unknown = await postSignIn('nobody-here@example.nhs.uk', 'not-the-password-at-all');
  for (const { res } of [wrong, unknown]) {
    assert.equal(res.statusCode, 401);
    assert.match(res.body, /Enter a correct email address and password/);
    assert.match(res.body, /nhsuk-error-summary/);
    assert.equal(
      res.cookies.find((c) => c.name === 'signpost_session'),
      undefined,
    );
  }
  const tenantEvents = await auditEvents(database, user.tenantId);
  assert.equal(tenantEvents.at(-1)?.action, 'sign-in.failure');
  assert.equal(tenantEvents.at(-1)?.reason, 'wrong password');
  const installation = await auditEvents(database, null);
  assert.equal(installation.at(-1)?.reason, 'unknown email');
});

test('an empty form is re-shown with an error for each field, status 400', async () => {
  const { res } = await postSignIn('', '');
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /href="#email"/);
  assert.match(res.body, /Enter your password/);
});

test('returnTo sends the person back to a local page, never to another site', async () => {
  const user = await aUserWithPassword(database);
  const local = await postSignIn(user.email, TEST_PASSWORD, '/sign-in?returnTo=%2Fcaseload%3Ftab%3D2');
  assert.equal(local.res.headers.location, '/caseload?tab=2');
  for (const evil of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
    const { res } = await postSignIn(user.email, TEST_PASSWORD, `/sign-in?returnTo=${encodeURIComponent(evil)}`);
    assert.equal(res.headers.location, '/home', `returnTo ${evil}`);
  }
});

test('a protected page sends a signed-out person to sign in and back again', async () => {
  // guardRoutes adds ?returnTo for GETs; this checks the sign-in page keeps it in its form.
  const page = await app.inject('/sign-in?returnTo=%2Fadmin%2Fusers');
  assert.match(page.body, /action="\/sign-in\?returnTo=%2Fadmin%2Fusers"/);
});

test('signing in again rotates the session id and ends the old session', async () => {
  const user = await aUserWithPassword(database);
  const first = await postSignIn(user.email, TEST_PASSWORD);
  const page = await formSession(app, '/sign-in', first.cookies);
  const second = await app.inject({
    method: 'POST',
    url: '/sign-in',
    cookies: page.cookies,
    headers: form,
    payload: new URLSearchParams({ email: user.email, password: TEST_PASSWORD, _csrf: page.token! }).toString(),
  });
  const newCookie = second.cookies.find((c) => c.name === 'signpost_session')!.value;
  assert.notEqual(newCookie, first.cookies.signpost_session);
  const old = await app.inject({ url: '/services', cookies: first.cookies });
  assert.doesNotMatch(old.body, /Sign out/, 'the old cookie no longer signs anyone in');
  const fresh = await app.inject({ url: '/services', cookies: { ...page.cookies, signpost_session: newCookie } });
  assert.match(fresh.body, /Sign out/);
});

test('the header sign-out form ends the session', async () => {
  const user = await aUserWithPassword(database);
  const { cookies } = await postSignIn(user.email, TEST_PASSWORD);
  const home = await formSession(app, '/services', cookies);
  // The token travels in the form body, never in the address.
  const form = /<form[^>]*action="\/sign-out"[^>]*>([\s\S]*?)<\/form>/.exec(home.page.body)?.[1];
  assert.ok(form, 'the header has a sign-out form');
  const token = /name="_csrf" value="([^"]+)"/.exec(form)?.[1];
  assert.ok(token, 'the sign-out form carries the CSRF token as a field');
  const res = await app.inject({ method: 'POST', url: '/sign-out', cookies: home.cookies, ...asForm({ _csrf: token }) });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/sign-in?signedOut');
  const after = await app.inject({ url: '/services', cookies });
  assert.doesNotMatch(after.body, /Sign out/);
  const { rows } = await database.pool.query('SELECT ended_reason FROM user_session WHERE user_id = $1', [user.userId]);
  assert.deepEqual(
    rows.map((r) => r.ended_reason),
    ['signed out'],
  );
});

test('sign-out with a wrong CSRF token is refused with 403 and the session lives on', async () => {
  const user = await aUserWithPassword(database);
  const cookies = await signInAs(app, database, user);
  const page = await formSession(app, '/services', cookies);
  const res = await app.inject({ method: 'POST', url: '/sign-out', cookies: page.cookies, ...asForm({ _csrf: 'not-the-token' }) });
  assert.equal(res.statusCode, 403);
  assert.match(res.body, /This form has expired/);
  // A right token in the query string is not accepted either: tokens are taken from the body or a header only.
  const inQuery = await app.inject({
    method: 'POST',
    url: `/sign-out?_csrf=${encodeURIComponent(page.token!)}`,
    cookies: page.cookies,
    ...asForm({}),
  });
  assert.equal(inQuery.statusCode, 403);
  assert.match((await app.inject({ url: '/services', cookies })).body, /Sign out/);
});

test('a tampered cookie is treated as signed out', async () => {
  const user = await aUserWithPassword(database);
  const cookies = await signInAs(app, database, user);
  const value = cookies.signpost_session!;
  const flipped = value.slice(0, 5) + (value[5] === 'a' ? 'b' : 'a') + value.slice(6);
  for (const bad of [flipped, 'garbage', `${value}x`]) {
    const res = await app.inject({ url: '/services', cookies: { signpost_session: bad } });
    assert.equal(res.statusCode, 200);
    assert.doesNotMatch(res.body, /Sign out/);
  }
});

test('a session idle for over 30 minutes, or older than 12 hours, is signed out', async () => {
  const user = await aUserWithPassword(database);
  const idle = await signInAs(app, database, user);
  const old = await signInAs(app, database, user);
  assert.match((await app.inject({ url: '/services', cookies: idle })).body, /Sign out/);
  await database.pool.query(
    `UPDATE user_session SET last_seen_at = now() - interval '31 minutes' WHERE user_id = $1 AND created_at = (SELECT min(created_at) FROM user_session WHERE user_id = $1)`,
    [user.userId],
  );
  await database.pool.query(
    `UPDATE user_session SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND last_seen_at > now() - interval '1 minute'`,
    [user.userId],
  );
  assert.doesNotMatch((await app.inject({ url: '/services', cookies: idle })).body, /Sign out/);
  assert.doesNotMatch((await app.inject({ url: '/services', cookies: old })).body, /Sign out/);
});

test('a person in two tenants chooses one after signing in, and only that tenant is used', async () => {
  const first = await aTenant(database, { name: 'Alpha PCN' });
  const second = await aTenant(database, { name: 'Beta PCN' });
  const user = await aUserWithPassword(database, { tenantId: first.id, roles: ['link_worker'] });
  await aMembership(database, user.userId, second.id, 'lead');
  const { res, cookies } = await postSignIn(user.email, TEST_PASSWORD, '/sign-in?returnTo=%2Fcaseload');
  assert.equal(res.headers.location, '/sign-in/organisation?returnTo=%2Fcaseload');
  const pending = await app.inject({ url: '/services', cookies });
  assert.doesNotMatch(pending.body, /Sign out/, 'not signed in until a tenant is chosen');
  const choose = await formSession(app, '/sign-in/organisation?returnTo=%2Fcaseload', cookies);
  assert.match(choose.page.body, /Alpha PCN/);
  assert.match(choose.page.body, /Beta PCN/);
  const none = await app.inject({
    method: 'POST',
    url: '/sign-in/organisation',
    cookies: choose.cookies,
    headers: form,
    payload: new URLSearchParams({ _csrf: choose.token! }).toString(),
  });
  assert.equal(none.statusCode, 400);
  assert.match(none.body, /Select the service/);
  const foreign = await aTenant(database, { name: 'Gamma PCN' });
  const notMine = await app.inject({
    method: 'POST',
    url: '/sign-in/organisation',
    cookies: choose.cookies,
    headers: form,
    payload: new URLSearchParams({ tenant: foreign.id, _csrf: choose.token! }).toString(),
  });
  assert.equal(notMine.statusCode, 400, 'a tenant the user has no role in cannot be chosen');
  const chosen = await app.inject({
    method: 'POST',
    url: '/sign-in/organisation?returnTo=%2Fcaseload',
    cookies: choose.cookies,
    headers: form,
    payload: new URLSearchParams({ tenant: second.id, _csrf: choose.token! }).toString(),
  });
  assert.equal(chosen.statusCode, 303);
  assert.equal(chosen.headers.location, '/caseload');
  const { rows } = await database.pool.query('SELECT tenant_id FROM user_session WHERE user_id = $1 AND ended_at IS NULL', [user.userId]);
  assert.deepEqual(
    rows.map((r) => r.tenant_id),
    [second.id],
  );
  assert.equal((await auditEvents(database, second.id)).at(-1)?.action, 'sign-in.success');
});

test('five wrong passwords lock the account for 15 minutes, with the same message for an unknown email', async () => {
  const user = await aUserWithPassword(database);
  for (let i = 0; i < 4; i++)
    assert.equal((await postSignIn(user.email, `wrong-password-${i}`, '/sign-in', '10.0.0.1')).res.statusCode, 401);
  const fifth = await postSignIn(user.email, 'wrong-password-5', '/sign-in', '10.0.0.1');
  assert.equal(fifth.res.statusCode, 429);
  const locked = await postSignIn(user.email, TEST_PASSWORD, '/sign-in', '10.0.0.1');
  assert.equal(locked.res.statusCode, 429, 'even the right password is refused while locked');
  assert.equal(
    locked.res.cookies.find((c) => c.name === 'signpost_session'),
    undefined,
  );
  const lockedMessage = /too many attempts to sign in with that email address/;
  assert.match(locked.res.body, lockedMessage);
  for (let i = 0; i < 5; i++) await postSignIn('ghost-user@example.nhs.uk', `wrong-password-${i}`, '/sign-in', '10.0.0.2');
  const ghost = await postSignIn('ghost-user@example.nhs.uk', 'anything-at-all', '/sign-in', '10.0.0.2');
  assert.equal(ghost.res.statusCode, 429);
  assert.match(ghost.res.body, lockedMessage, 'an unknown email locks the same way, so lockout reveals nothing');
  // Fifteen minutes later the right password works again.
  await database.pool.query(`UPDATE sign_in_throttle SET locked_until = now() - interval '1 second'`);
  assert.equal((await postSignIn(user.email, TEST_PASSWORD, '/sign-in', '10.0.0.1')).res.statusCode, 303);
});

test('many sign-in attempts from one address are rate limited', async () => {
  let limited = 0;
  for (let i = 0; i < 22; i++) {
    const { res } = await postSignIn(`someone-${i}@example.nhs.uk`, 'wrong-password-x', '/sign-in', '10.9.9.9');
    if (res.statusCode === 429) limited++;
  }
  assert.ok(limited >= 2, `expected the last attempts to be refused, got ${limited}`);
  const other = await postSignIn('someone-else@example.nhs.uk', 'wrong-password-x', '/sign-in', '10.9.9.10');
  assert.equal(other.res.statusCode, 401, 'another address is unaffected');
});
