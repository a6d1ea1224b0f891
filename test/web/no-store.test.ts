import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { aReferral } from '../support/referrals-factories.ts';
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

test('pages that show a person are sent with Cache-Control: no-store, so a shared computer keeps no copy', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const referral = await aReferral(database, worker);
  const cookies = await signInAs(app, database, worker);
  for (const url of ['/caseload', `/referrals/${referral.referralId}`, `/people/${referral.personId}`, '/home']) {
    const res = await app.inject({ url, cookies });
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.headers['cache-control'], 'no-store', url);
  }
  // The public front page sends someone signed in to their home page, and that answer is not kept either.
  const front = await app.inject({ url: '/', cookies });
  assert.equal(front.statusCode, 303);
  assert.equal(front.headers.location, '/home');
  assert.equal(front.headers['cache-control'], 'no-store', '/ when signed in');
  const missing = await app.inject({ url: '/no/such/page', cookies });
  assert.equal(missing.headers['cache-control'], 'no-store', 'even a signed-in 404');
  const signedOut = await app.inject({ url: `/referrals/${referral.referralId}` });
  assert.equal(signedOut.statusCode, 303);
  assert.equal(signedOut.headers['cache-control'], 'no-store', 'a page that needs signing in');
});

test('anonymous public pages and assets are left to choose their own caching', async () => {
  for (const url of ['/services', '/sign-in', '/assets/nhsuk-frontend.min.css']) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.doesNotMatch(String(res.headers['cache-control'] ?? ''), /no-store/, url);
  }
});
