import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { testApp } from '../support/app.ts';
import { assertAccessible, closeContexts, sharedChromium, visit } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { aMembership, aUserWithPassword, TEST_PASSWORD } from '../support/identity-factories.ts';
import { signInInBrowser } from '../support/session.ts';
import { freePort, startOidcProvider, type TestProvider } from '../identity/oidc-provider.ts';

let database: Database;
let app: FastifyInstance;
let browser: Browser;
let provider: TestProvider;
let baseUrl: string;
let tenantId: string;

before(async () => {
  database = await freshDatabase();
  // The app's public address must be known before it starts: the provider redirects back to it.
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider(`${baseUrl}/sign-in/oidc/callback`);
  app = await testApp(database, {
    BASE_URL: baseUrl,
    SIGNPOST_DEMO: 'true',
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: provider.clientId,
    OIDC_CLIENT_SECRET: provider.clientSecret,
  });
  await app.listen({ port, host: '127.0.0.1' });
  browser = await sharedChromium();
  const tenant = await aTenant(database, { name: 'Browser PCN' });
  tenantId = tenant.id;
  await aPractice(database, tenant.id, { name: 'Browser Surgery' });
});
after(async () => {
  await closeContexts();
  await app.close();
  await provider.close();
  await database.close();
});

async function newPage() {
  const context = await browser.newContext({ baseURL: baseUrl });
  return { context, page: await context.newPage() };
}

test('a person signs in with email and password, sees their account, and signs out from the header', async () => {
  const user = await aUserWithPassword(database, { tenantId, roles: ['link_worker'], name: 'Bea Browser' });
  const { context, page } = await newPage();
  assert.equal(await visit(page, '/sign-in'), 200);
  await page.getByLabel('Email address').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill('not-my-password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText('There is a problem').waitFor();
  await assertAccessible(page);
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /Enter a correct email address and password/);

  await signInInBrowser(page, user.email, TEST_PASSWORD, '/account');
  assert.equal(new URL(page.url()).pathname, '/account');
  await assertAccessible(page);
  assert.match(await page.locator('main').innerText(), /Bea Browser[\s\S]*Link worker/);
  const cookie = (await context.cookies()).find((c) => c.name === 'signpost_session');
  assert.equal(cookie?.httpOnly, true);
  assert.equal(cookie?.sameSite, 'Lax');

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL(/\/sign-in\?signedOut/);
  assert.match(await page.locator('main').innerText(), /You have signed out/);
  assert.equal(await visit(page, '/account'), 200);
  assert.equal(new URL(page.url()).pathname, '/sign-in', 'the account page now asks for sign-in');
  await context.close();
});

test('an admin invites a colleague, who follows the link from the demo outbox, sets a password and signs in', async () => {
  const admin = await aUserWithPassword(database, { tenantId, roles: ['admin'], name: 'Ada Admin' });
  const { context, page } = await newPage();
  await signInInBrowser(page, admin.email, TEST_PASSWORD, '/admin/users');
  await assertAccessible(page);
  await page.getByRole('button', { name: 'Invite a user' }).click();
  await page.waitForURL(/\/admin\/users\/invite$/);
  await assertAccessible(page);
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await page.getByText('There is a problem').waitFor();
  await assertAccessible(page);
  await page.getByLabel('Full name').fill('Colin Colleague');
  await page.getByLabel('Email address').fill('colin.colleague@example.nhs.uk');
  await page.getByLabel('Link worker lead').check();
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await page.waitForURL(/\/admin\/users$/);
  assert.match(await page.locator('main').innerText(), /Colin Colleague[\s\S]*Invited/);

  assert.equal(await visit(page, '/admin/outbox'), 200);
  const href = await page
    .getByRole('link', { name: /Open the link in this invitation/ })
    .first()
    .getAttribute('href');
  assert.ok(href);
  assert.equal(await visit(page, '/admin/audit'), 200);
  assert.match(await page.locator('table').innerText(), /user\.invite/);
  assert.equal(await visit(page, '/admin/practices'), 200);
  await page.getByLabel('ODS code').fill('Y90123');
  await page.getByLabel('Practice name').fill('Meanwood Health Centre');
  await page.getByRole('button', { name: 'Add practice' }).click();
  await page.waitForURL(/\/admin\/practices$/);
  assert.match(await page.getByRole('table', { name: 'GP practices in this service' }).innerText(), /Meanwood Health Centre\s+Y90123/);
  await context.close();

  const invitee = await newPage();
  assert.equal(await visit(invitee.page, new URL(href).pathname + new URL(href).search), 200);
  await invitee.page.getByLabel('New password', { exact: true }).fill('maple-lantern-harbour');
  await invitee.page.getByLabel('Confirm new password').fill('maple-lantern-harbour');
  await invitee.page.getByRole('button', { name: 'Set password' }).click();
  await invitee.page.waitForURL(/\/sign-in\?passwordSet/);
  await signInInBrowser(invitee.page, 'colin.colleague@example.nhs.uk', 'maple-lantern-harbour');
  assert.match(await invitee.page.locator('header').innerText(), /Colin Colleague/);
  await invitee.context.close();
});

test('single sign-on through a real OpenID Connect provider signs in a known user by email', async () => {
  await aUserWithPassword(database, { tenantId, roles: ['lead'], name: 'Sophie Single-Sign-On', email: 'sophie.sso@example.nhs.uk' });
  const { context, page } = await newPage();
  await signInWithProvider(page, 'sophie.sso@example.nhs.uk', '/account');
  await page.waitForURL(`${baseUrl}/account`);
  await assertAccessible(page);
  assert.match(await page.locator('main').innerText(), /Sophie Single-Sign-On[\s\S]*Link worker lead/);
  const { rows } = await database.pool.query(
    `SELECT reason FROM audit_event WHERE tenant_id = $1 AND action = 'sign-in.success' ORDER BY seq DESC LIMIT 1`,
    [tenantId],
  );
  assert.equal(rows[0]?.reason, 'single sign-on');
  await context.close();
});

test('single sign-on for an email Signpost does not know is refused with a clear page', async () => {
  const { context, page } = await newPage();
  await signInWithProvider(page, 'stranger@example.nhs.uk');
  await page.getByRole('heading', { name: 'Your account is not set up in Signpost' }).waitFor();
  await assertAccessible(page);
  assert.match(await page.locator('main').innerText(), /stranger@example\.nhs\.uk[\s\S]*Ask your Signpost administrator/);
  assert.equal(
    (await context.cookies()).find((c) => c.name === 'signpost_session'),
    undefined,
  );
  await context.close();
});

test('a person in two services chooses one after signing in', async () => {
  const second = await aTenant(database, { name: 'Second Browser PCN' });
  const user = await aUserWithPassword(database, { tenantId, roles: ['commissioner'], name: 'Tess Twotenants' });
  await aMembership(database, user.userId, second.id, 'researcher');
  const { context, page } = await newPage();
  await signInInBrowser(page, user.email, TEST_PASSWORD);
  await page.waitForURL(/\/sign-in\/organisation/);
  await assertAccessible(page);
  await page.getByLabel('Second Browser PCN').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${baseUrl}/home`);
  assert.equal(await visit(page, '/account'), 200);
  assert.match(await page.locator('main').innerText(), /Second Browser PCN[\s\S]*Researcher/);
  await context.close();
});

test('five wrong passwords pause sign-in for that email with a message that reveals nothing', async () => {
  const user = await aUserWithPassword(database, { tenantId, roles: ['curator'] });
  const { context, page } = await newPage();
  await visit(page, '/sign-in');
  for (let i = 0; i < 5; i++) {
    await page.getByLabel('Email address').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(`wrong-password-${i}`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('.nhsuk-error-summary').waitFor();
  }
  await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('.nhsuk-error-summary').waitFor();
  assert.match(await page.locator('.nhsuk-error-summary').innerText(), /too many attempts[\s\S]*Wait 15 minutes/);
  await assertAccessible(page);
  assert.equal(
    (await context.cookies()).find((c) => c.name === 'signpost_session'),
    undefined,
  );
  await context.close();
});

test("an admin changes a colleague's roles and then deactivates them, ending their open session at once", async () => {
  const admin = await aUserWithPassword(database, { tenantId, roles: ['admin'], name: 'Adele Admin' });
  const colleague = await aUserWithPassword(database, { tenantId, roles: ['referrer'], name: 'Rory Roles' });
  const theirs = await newPage();
  await signInInBrowser(theirs.page, colleague.email, TEST_PASSWORD, '/account');
  const mine = await newPage();
  await signInInBrowser(mine.page, admin.email, TEST_PASSWORD, '/admin/users');
  await mine.page.getByRole('link', { name: 'Rory Roles' }).click();
  await mine.page.getByRole('heading', { name: 'Rory Roles' }).waitFor();
  await assertAccessible(mine.page);
  await mine.page.getByLabel('Referrer (practice staff)').uncheck();
  await mine.page.getByRole('button', { name: 'Save roles' }).click();
  await mine.page.getByText('There is a problem').waitFor();
  await assertAccessible(mine.page);
  await mine.page.getByLabel('Directory curator').check();
  await mine.page.getByRole('button', { name: 'Save roles' }).click();
  await mine.page.waitForURL(/\/admin\/users$/);
  assert.match(await mine.page.locator('table').innerText(), /Rory Roles[^\n]*Directory curator/);
  await theirs.page.reload();
  assert.match(await theirs.page.locator('main').innerText(), /Directory curator/, 'the new role applies on their next page');

  await mine.page.getByRole('link', { name: 'Rory Roles' }).click();
  await mine.page.getByRole('button', { name: 'Deactivate Rory Roles' }).click();
  await mine.page.waitForURL(/\/admin\/users$/);
  assert.doesNotMatch(await mine.page.locator('table').innerText(), /Rory Roles/);
  await theirs.page.reload();
  assert.equal(new URL(theirs.page.url()).pathname, '/sign-in', 'their session ended at once');
  await mine.context.close();
  await theirs.context.close();
});

/** From our sign-in page, through the provider's own login and consent pages, and back. */
async function signInWithProvider(page: import('playwright-core').Page, login: string, returnTo?: string) {
  await visit(page, returnTo ? `/sign-in?returnTo=${encodeURIComponent(returnTo)}` : '/sign-in');
  await page.getByRole('link', { name: 'Sign in with your organisation account' }).click();
  await page.waitForURL(`${provider.issuer}/**`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('anything');
  await page.locator('button[type="submit"]').click();
  // The provider asks for consent the first time this client is used for the account.
  await page.waitForURL((url) => url.origin === baseUrl || url.pathname.includes('/interaction/'));
  if (new URL(page.url()).origin !== baseUrl) {
    const consent = page.getByRole('button', { name: 'Continue' });
    if (await consent.count()) await consent.click();
    await page.waitForURL((url) => url.origin === baseUrl);
  }
}
