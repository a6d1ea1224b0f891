import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { formSession, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor } from '../support/factories.ts';
import { aReferral, countRows } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
let lead: Actor;
let cookies: Record<string, string>;

before(async () => {
  database = await freshDatabase();
  lead = await anActor(database, { roles: ['lead', 'link_worker'] });
  app = await testApp(database);
  cookies = await signInAs(app, database, lead);
});
after(async () => {
  await app.close();
  await database.close();
});

const odd: unknown[] = [
  5,
  true,
  null,
  ['a', 'b'],
  { nested: 'x' },
  'x'.repeat(20_000),
  '\u0000',
  '<script>alert(1)</script>',
  '2024-02-30',
  '-1',
  '1e9',
];

test('odd shapes of input to referral forms get a 4xx with a message and change nothing, never a 500', async () => {
  const made = await aReferral(database, lead);
  const session = await formSession(app, '/referrals/new', cookies);
  const token = session.token!;
  const urls = [
    '/referrals/new',
    '/refer-yourself',
    '/refer-yourself/send',
    `/referrals/${made.referralId}/contacts`,
    `/referrals/${made.referralId}/allocate`,
    `/referrals/${made.referralId}/not-suitable`,
    `/referrals/${made.referralId}/status`,
    `/referrals/${made.referralId}/next-action`,
    `/people/${made.personId}/edit`,
    `/people/${made.personId}/merge`,
  ];
  const fields = [
    'givenName',
    'familyName',
    'dateOfBirth[day]',
    'dateOfBirth[year]',
    'nhsNumber',
    'postcode',
    'email',
    'phone',
    'contactChannels',
    'reasons',
    'consentToRefer',
    'answers',
    'outcome',
    'mode',
    'minutes',
    'approach',
    'linkWorkerId',
    'status',
    'version',
    'due',
    'duplicateId',
    'website',
  ];
  const referralsBefore = await countRows(database, 'referral', lead.tenantId);
  let calls = 0;
  const statuses = new Set<number>();
  const asForm = (value: unknown) => {
    const form = new URLSearchParams({ _csrf: token });
    for (const field of fields)
      for (const one of [value].flat()) form.append(field, typeof one === 'object' ? JSON.stringify(one) : String(one));
    return form.toString();
  };
  for (const url of urls) {
    for (const value of odd) {
      const body: Record<string, unknown> = { _csrf: token };
      for (const field of fields) body[field] = value;
      // A form route takes forms only: JSON is refused before it is read.
      // Each request from an address of its own, so the public form's rate limit never answers first.
      const remoteAddress = `10.9.${Math.floor(calls / 200)}.${calls % 200}`;
      const json = await app.inject({
        method: 'POST',
        url,
        remoteAddress,
        cookies: session.cookies,
        payload: JSON.stringify(body),
        headers: { 'content-type': 'application/json', accept: 'text/html' },
      });
      assert.equal(json.statusCode, 415, `${url} with JSON`);
      const res = await app.inject({
        method: 'POST',
        url,
        remoteAddress,
        cookies: session.cookies,
        payload: asForm(value),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      });
      calls++;
      statuses.add(res.statusCode);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url} with ${JSON.stringify(value).slice(0, 40)}: ${res.statusCode}`);
      assert.doesNotMatch(res.body, /<script>alert/);
    }
  }
  assert.equal(calls, urls.length * odd.length);
  // The forms were really read (not all turned away at the CSRF check).
  assert.ok(statuses.has(400) && !statuses.has(403), [...statuses].join(','));
  assert.equal(await countRows(database, 'referral', lead.tenantId), referralsBefore);
  assert.equal(await countRows(database, 'contact', lead.tenantId), 0);
});

test('unknown ids in paths are 404 pages, not errors', async () => {
  for (const url of [
    '/referrals/00000000-0000-4000-8000-000000000000',
    '/referrals/nope/allocate',
    '/people/123',
    '/people/00000000-0000-4000-8000-000000000000/merge',
    '/referrals/new/not-a-draft/person',
  ]) {
    const res = await app.inject({ url, cookies });
    assert.equal(res.statusCode, 404, url);
  }
});
