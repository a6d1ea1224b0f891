import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { formSession, newFormToken, testApp } from '../support/app.ts';
import { hashToken } from '../../src/identity/sessions.ts';
import { freshDatabase } from '../support/database.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { aMembership, aUserWithPassword, auditEvents, TEST_PASSWORD } from '../support/identity-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;

before(async () => {
  database = await freshDatabase();
  app = await testApp(database, { SIGNPOST_DEMO: 'true' });
});
after(async () => {
  await app.close();
  await database.close();
});

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

async function post(url: string, cookies: Record<string, string>, body: Record<string, string | string[]>, tokenPage = '/sign-in') {
  const session = await formSession(app, tokenPage, cookies);
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) for (const one of [v].flat()) form.append(k, one);
  form.append('_csrf', session.token!);
  if (!('formToken' in body)) form.append('formToken', newFormToken());
  return app.inject({ method: 'POST', url, cookies: session.cookies, headers: formHeaders, payload: form.toString() });
}

async function latestLink(tenantId: string, template: string): Promise<string> {
  const { rows } = await database.pool.query<{ personalisation: { link: string } }>(
    'SELECT personalisation FROM notification WHERE tenant_id = $1 AND template = $2 ORDER BY created_at DESC LIMIT 1',
    [tenantId, template],
  );
  assert.ok(rows[0], `a ${template} notification was queued`);
  return new URL(rows[0].personalisation.link).pathname + new URL(rows[0].personalisation.link).search;
}

async function signIn(email: string, password: string) {
  return post('/sign-in', {}, { email, password });
}

test('an admin invites a user, the invitation goes to the outbox, and its link sets a password once', async () => {
  const tenant = await aTenant(database, { name: 'Invite PCN' });
  const practice = await aPractice(database, tenant.id, { name: 'Invite Surgery' });
  const admin = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['admin'] });
  const cookies = await signInAs(app, database, admin);

  const empty = await post('/admin/users/invite', cookies, {});
  assert.equal(empty.statusCode, 400);
  assert.match(empty.body, /Enter an email address/);
  assert.match(empty.body, /Select at least one role/);
  const noPractice = await post('/admin/users/invite', cookies, { name: 'Rita Referrer', email: 'rita@example.nhs.uk', roles: 'referrer' });
  assert.equal(noPractice.statusCode, 400);
  assert.match(noPractice.body, /Select the practice/);
  assert.match(noPractice.body, /value="rita@example.nhs.uk"/, 'what was typed is kept');

  const invited = await post('/admin/users/invite', cookies, {
    name: 'Rita Referrer',
    email: 'rita@example.nhs.uk',
    roles: ['referrer', 'link_worker'],
    practiceId: practice.id,
  });
  assert.equal(invited.statusCode, 303);
  const list = await app.inject({ url: '/admin/users', cookies });
  assert.match(list.body, /Rita Referrer/);
  assert.match(list.body, /Invited/);
  const outbox = await app.inject({ url: '/admin/outbox', cookies });
  assert.equal(outbox.statusCode, 200);
  assert.match(outbox.body, /rita@example.nhs.uk/);

  const link = await latestLink(tenant.id, 'invitation');
  assert.match(link, /^\/invitation\?token=/);
  const page = await app.inject({ url: link });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Rita Referrer/);
  const token = new URLSearchParams(link.split('?')[1]).get('token')!;
  const weak = await post('/invitation', {}, { token, password: 'password123', confirm: 'password123' });
  assert.equal(weak.statusCode, 400);
  assert.match(weak.body, /too common/);
  const mismatch = await post('/invitation', {}, { token, password: 'kettle-meadow-orbit', confirm: 'kettle-meadow-orbiT' });
  assert.match(mismatch.body, /do not match/);
  const set = await post('/invitation', {}, { token, password: 'kettle-meadow-orbit', confirm: 'kettle-meadow-orbit' });
  assert.equal(set.statusCode, 303);
  const again = await post('/invitation', {}, { token, password: 'another-strong-phrase', confirm: 'another-strong-phrase' });
  assert.equal(again.statusCode, 404, 'the link works once');
  assert.match(again.body, /expired or has already been used/);
  assert.equal((await signIn('rita@example.nhs.uk', 'kettle-meadow-orbit')).statusCode, 303);
  const actions = (await auditEvents(database, tenant.id)).map((e) => e.action);
  assert.ok(actions.includes('user.invite') && actions.includes('invitation.accept'));
});

test('an expired invitation link is refused', async () => {
  const tenant = await aTenant(database);
  const admin = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['admin'] });
  const cookies = await signInAs(app, database, admin);
  await post('/admin/users/invite', cookies, { name: 'Late Larry', email: 'larry@example.nhs.uk', roles: 'commissioner' });
  const link = await latestLink(tenant.id, 'invitation');
  assert.equal((await app.inject({ url: link })).statusCode, 200, 'the link works before it expires');
  // Only the token under test: other tests in the file keep their links.
  const token = new URL(link, 'http://localhost').searchParams.get('token')!;
  const expired = await database.pool.query(`UPDATE user_token SET expires_at = now() - interval '1 second' WHERE id = $1`, [
    hashToken(token),
  ]);
  assert.equal(expired.rowCount, 1);
  assert.equal((await app.inject({ url: link })).statusCode, 404);
});

test('changing roles applies on the next request, and an admin cannot remove their own admin role', async () => {
  const tenant = await aTenant(database);
  const admin = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['admin'] });
  const worker = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['link_worker'] });
  const adminCookies = await signInAs(app, database, admin);
  const workerCookies = await signInAs(app, database, worker);
  assert.equal((await app.inject({ url: '/admin/users', cookies: workerCookies })).statusCode, 403);
  const changed = await post(`/admin/users/${worker.userId}/roles`, adminCookies, { roles: ['link_worker', 'admin'] });
  assert.equal(changed.statusCode, 303);
  assert.equal((await app.inject({ url: '/admin/users', cookies: workerCookies })).statusCode, 200, 'the new role applies at once');
  const self = await post(`/admin/users/${admin.userId}/roles`, adminCookies, { roles: ['lead'] });
  assert.equal(self.statusCode, 409);
  assert.match(self.body, /cannot remove your own admin role/);
  const events = await auditEvents(database, tenant.id);
  assert.equal(events.at(-1)?.action, 'user.roles.change');
  assert.equal(events.at(-1)?.reason, 'from link_worker to link_worker, admin');
});

test('deactivating a user ends their sessions at once and they cannot sign in to that tenant', async () => {
  const tenant = await aTenant(database);
  const admin = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['admin'] });
  const leaver = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['lead'] });
  const adminCookies = await signInAs(app, database, admin);
  const leaverCookies = await signInAs(app, database, leaver);
  assert.match((await app.inject({ url: '/account', cookies: leaverCookies })).body, /Your account/);
  const res = await post(`/admin/users/${leaver.userId}/deactivate`, adminCookies, {});
  assert.equal(res.statusCode, 303);
  const after = await app.inject({ url: '/account', cookies: leaverCookies });
  assert.equal(after.statusCode, 303, 'the session ended: sent to sign in');
  const signIn2 = await signIn(leaver.email, TEST_PASSWORD);
  assert.equal(signIn2.statusCode, 403);
  assert.match(signIn2.body, /no access to any service/);
  assert.equal((await post(`/admin/users/${admin.userId}/deactivate`, adminCookies, {})).statusCode, 409, 'not yourself');
});

test('an admin cannot see or change a user of another tenant', async () => {
  const tenant = await aTenant(database);
  const otherTenant = await aTenant(database);
  const admin = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['admin'] });
  const stranger = await aUserWithPassword(database, { tenantId: otherTenant.id, roles: ['lead'], name: 'Stranger Danger' });
  const cookies = await signInAs(app, database, admin);
  assert.doesNotMatch((await app.inject({ url: '/admin/users', cookies })).body, /Stranger Danger/);
  assert.equal((await app.inject({ url: `/admin/users/${stranger.userId}`, cookies })).statusCode, 404);
  assert.equal((await post(`/admin/users/${stranger.userId}/deactivate`, cookies, {})).statusCode, 404);
  assert.equal((await post(`/admin/users/${stranger.userId}/roles`, cookies, { roles: 'admin' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/admin/users/not-a-uuid', cookies })).statusCode, 404);
  const { rows } = await database.pool.query('SELECT role FROM role_membership WHERE user_id = $1', [stranger.userId]);
  assert.deepEqual(
    rows.map((r) => r.role),
    ['lead'],
  );
});

test('inviting someone who already has an account elsewhere gives them access here without a new password', async () => {
  const tenant = await aTenant(database);
  const elsewhere = await aTenant(database);
  const admin = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['admin'] });
  const existing = await aUserWithPassword(database, { tenantId: elsewhere.id, roles: ['link_worker'] });
  const cookies = await signInAs(app, database, admin);
  const res = await post('/admin/users/invite', cookies, { name: 'Whatever', email: existing.email.toUpperCase(), roles: 'curator' });
  assert.equal(res.statusCode, 303);
  await latestLink(tenant.id, 'access-granted');
  const twice = await post('/admin/users/invite', cookies, { name: 'Whatever', email: existing.email, roles: 'curator' });
  assert.equal(twice.statusCode, 409);
  assert.match(twice.body, /already has access/);
});

test('a password reset never says whether the email exists, works once, and ends every session', async () => {
  const tenant = await aTenant(database);
  const user = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['researcher'] });
  const otherSession = await signInAs(app, database, user);
  const known = await post('/forgotten-password', {}, { email: user.email });
  const unknown = await post('/forgotten-password', {}, { email: 'nobody-at-all@example.nhs.uk' });
  assert.equal(known.statusCode, 200);
  assert.equal(unknown.statusCode, 200);
  const strip = (body: string) => body.replace(/nonce="[^"]+"|value="[^"]+"|_csrf=[^"]+/g, '');
  assert.equal(strip(known.body), strip(unknown.body), 'the two answers are the same page');
  assert.equal((await post('/forgotten-password', {}, { email: 'not an email' })).statusCode, 400);

  const link = await latestLink(tenant.id, 'password-reset');
  const token = new URLSearchParams(link.split('?')[1]).get('token')!;
  assert.equal((await app.inject({ url: link })).statusCode, 200);
  const done = await post('/reset-password', {}, { token, password: 'violet-canal-thunder', confirm: 'violet-canal-thunder' });
  assert.equal(done.statusCode, 303);
  assert.equal((await app.inject({ url: '/account', cookies: otherSession })).statusCode, 303, 'old sessions ended');
  assert.equal(
    (await post('/reset-password', {}, { token, password: 'violet-canal-thunder2', confirm: 'violet-canal-thunder2' })).statusCode,
    404,
  );
  assert.equal((await signIn(user.email, TEST_PASSWORD)).statusCode, 401);
  assert.equal((await signIn(user.email, 'violet-canal-thunder')).statusCode, 303);
});

test('sign out everywhere ends sessions on every device', async () => {
  const tenant = await aTenant(database);
  const second = await aTenant(database);
  const user = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['lead'] });
  await aMembership(database, user.userId, second.id, 'lead');
  const laptop = await signInAs(app, database, user);
  const phone = await signInAs(app, database, { userId: user.userId, tenantId: second.id });
  const res = await post('/sign-out/everywhere', laptop, {});
  assert.equal(res.statusCode, 303);
  for (const cookies of [laptop, phone]) assert.equal((await app.inject({ url: '/account', cookies })).statusCode, 303);
});

test('the account page changes the password after checking the current one', async () => {
  const user = await aUserWithPassword(database, { roles: ['curator'] });
  const cookies = await signInAs(app, database, user);
  const wrong = await post('/account/password', cookies, {
    current: 'nope-nope-nope',
    password: 'sable-river-quartz',
    confirm: 'sable-river-quartz',
  });
  assert.equal(wrong.statusCode, 400);
  assert.match(wrong.body, /current password is not right/);
  const ok = await post('/account/password', cookies, {
    current: TEST_PASSWORD,
    password: 'sable-river-quartz',
    confirm: 'sable-river-quartz',
  });
  assert.equal(ok.statusCode, 303);
  assert.equal((await signIn(user.email, 'sable-river-quartz')).statusCode, 303);
});

test('the audit page filters by user, person and date and rejects nonsense politely', async () => {
  const tenant = await aTenant(database);
  const admin = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['admin'], name: 'Audrey Admin' });
  const worker = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['link_worker'], name: 'Walter Worker' });
  const { recordAudit } = await import('../../src/identity/audit.ts');
  const { withTenant } = await import('../../src/db/transaction.ts');
  await withTenant(database.pool, tenant.id, (tx) =>
    recordAudit(tx, {
      tenantId: tenant.id,
      actor: worker,
      action: 'person.view',
      entityType: 'person',
      entityId: 'person-aaa',
      personId: 'person-aaa',
      reason: 'first contact',
    }),
  );
  await withTenant(database.pool, tenant.id, (tx) =>
    recordAudit(tx, {
      tenantId: tenant.id,
      actor: admin,
      action: 'person.view',
      entityType: 'person',
      entityId: 'person-bbb',
      personId: 'person-bbb',
    }),
  );
  const cookies = await signInAs(app, database, admin);
  const byWorker = await app.inject({ url: `/admin/audit?user=${worker.userId}`, cookies });
  assert.equal(byWorker.statusCode, 200);
  assert.match(byWorker.body, /person-aaa/);
  assert.doesNotMatch(byWorker.body, /person-bbb/);
  const byPerson = await app.inject({ url: '/admin/audit?person=person-bbb', cookies });
  assert.match(byPerson.body, /person-bbb/);
  assert.doesNotMatch(byPerson.body, /person-aaa/);
  const today = new Date().toISOString().slice(0, 10);
  assert.match((await app.inject({ url: `/admin/audit?from=${today}&to=${today}`, cookies })).body, /person-aaa/);
  assert.doesNotMatch((await app.inject({ url: '/admin/audit?from=2020-01-01&to=2020-01-02', cookies })).body, /person-aaa/);
  const bad = await app.inject({ url: '/admin/audit?from=2026-02-30&user=zzz', cookies });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /real date/);
  assert.match(bad.body, /Select a user/);
});

test('the outbox page exists only in demo mode', async () => {
  const plain = await testApp(database);
  const admin = await aUserWithPassword(database, { roles: ['admin'] });
  const cookies = await signInAs(plain, database, admin);
  assert.equal((await plain.inject({ url: '/admin/outbox', cookies })).statusCode, 404);
  await plain.close();
});

test('an admin form posted with a wrong CSRF token is refused with 403 and nothing changes', async () => {
  const tenant = await aTenant(database);
  const admin = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['admin'] });
  const target = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['lead'] });
  const cookies = await signInAs(app, database, admin);
  const page = await formSession(app, '/admin/users/invite', cookies);
  const forged = (url: string, body: string) =>
    app.inject({ method: 'POST', url, cookies: page.cookies, headers: formHeaders, payload: `${body}&_csrf=forged-token` });
  const invite = await forged('/admin/users/invite', 'name=Fay+Forged&email=fay.forged%40example.nhs.uk&roles=admin');
  assert.equal(invite.statusCode, 403);
  assert.match(invite.body, /This form has expired/);
  assert.equal((await forged(`/admin/users/${target.userId}/deactivate`, 'x=1')).statusCode, 403);
  assert.equal((await forged(`/admin/users/${target.userId}/roles`, 'roles=admin')).statusCode, 403);
  const noToken = await app.inject({
    method: 'POST',
    url: '/admin/users/invite',
    cookies: page.cookies,
    headers: formHeaders,
    payload: 'name=Fay&email=fay.forged%40example.nhs.uk&roles=admin',
  });
  assert.equal(noToken.statusCode, 403);
  assert.equal((await database.pool.query(`SELECT 1 FROM app_user WHERE email = 'fay.forged@example.nhs.uk'`)).rows.length, 0);
  const { rows } = await database.pool.query('SELECT role FROM role_membership WHERE user_id = $1', [target.userId]);
  assert.deepEqual(
    rows.map((r) => r.role),
    ['lead'],
  );
});

test('an admin adds a practice by ODS code; bad and duplicate codes are explained', async () => {
  const tenant = await aTenant(database);
  const elsewhere = await aTenant(database);
  await aPractice(database, elsewhere.id, { odsCode: 'B86001', name: 'Elsewhere Surgery' });
  const admin = await aUserWithPassword(database, { tenantId: tenant.id, roles: ['admin'] });
  const cookies = await signInAs(app, database, admin);
  const bad = await post('/admin/practices', cookies, { odsCode: 'b8-6', name: '' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /ODS code must be 3 to 10 letters and numbers/);
  assert.match(bad.body, /Enter the practice name/);
  const ok = await post('/admin/practices', cookies, { odsCode: ' b86001 ', name: 'Chapel Allerton Surgery' });
  assert.equal(ok.statusCode, 303, 'the same code in another tenant does not clash');
  const list = await app.inject({ url: '/admin/practices', cookies });
  assert.match(list.body, /Chapel Allerton Surgery/);
  assert.match(list.body, /B86001/);
  assert.doesNotMatch(list.body, /Elsewhere Surgery/);
  const twice = await post('/admin/practices', cookies, { odsCode: 'B86001', name: 'Again' });
  assert.equal(twice.statusCode, 400);
  assert.match(twice.body, /already a practice/);
  assert.equal((await auditEvents(database, tenant.id)).at(-1)?.action, 'practice.create');
});
