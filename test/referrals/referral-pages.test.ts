import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import * as referrals from '../../src/referrals/service.ts';
import * as people from '../../src/people/service.ts';
import { formSession, newFormToken, testApp } from '../support/app.ts';
import { freshDatabase, onCitus } from '../support/database.ts';
import { anActor, aPractice, aTenant } from '../support/factories.ts';
import { aContact, aReferral, aTestNhsNumber, countRows } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
let tenantId: string;
let lead: Actor;
let worker: Actor;
let referrer: Actor;

before(async () => {
  database = await freshDatabase();
  // The first tenant created is where public self-referrals land when none is configured.
  tenantId = (await aTenant(database, { name: 'First PCN' })).id;
  await aPractice(database, tenantId, { name: 'Demo Surgery' });
  lead = await anActor(database, { tenantId, roles: ['lead'] });
  worker = await anActor(database, { tenantId, roles: ['link_worker'] });
  referrer = await anActor(database, { tenantId, roles: ['referrer'] });
  app = await testApp(database);
});
after(async () => {
  await app.close();
  await database.close();
});

async function post(
  url: string,
  form: Record<string, string | string[]>,
  cookies: Record<string, string> = {},
  formUrl = url,
  remoteAddress?: string,
) {
  const session = await formSession(app, formUrl, cookies);
  const params = new URLSearchParams();
  params.append('_csrf', session.token ?? '');
  if (!('formToken' in form)) params.append('formToken', newFormToken());
  for (const [key, value] of Object.entries(form)) for (const v of [value].flat()) params.append(key, v);
  return app.inject({
    method: 'POST',
    url,
    payload: params.toString(),
    cookies: session.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    ...(remoteAddress ? { remoteAddress } : {}),
  });
}

function selfReferral(overrides: Record<string, string | string[]> = {}) {
  return {
    givenName: 'Robin',
    familyName: 'Public',
    'dateOfBirth[day]': '3',
    'dateOfBirth[month]': '9',
    'dateOfBirth[year]': '1958',
    postcode: 'ls6 3ab',
    phone: '07700 900456',
    email: 'robin@example.com',
    contactChannels: ['email', 'phone'],
    safeToLeaveMessage: 'yes',
    reasons: ['loneliness', 'gardening'],
    context: 'I would like to meet people.',
    consentToRefer: 'yes',
    consentToShare: 'yes',
    website: '',
    ...overrides,
  };
}

/** Sends the answers as the check page would, and follows the redirect to the confirmation. */
async function sendSelfReferral(form: Record<string, string | string[]>, remoteAddress = '10.0.0.1') {
  const sent = await post('/refer-yourself/send', { answers: JSON.stringify(form) }, {}, '/refer-yourself', remoteAddress);
  if (sent.statusCode !== 303) return sent;
  return app.inject({ url: String(sent.headers.location), remoteAddress });
}

test('the public self-referral form asks in plain English and needs no account', async () => {
  const res = await app.inject('/refer-yourself');
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /Ask for support from a link worker/);
  assert.match(res.body, /Feeling lonely or cut off from people/);
  assert.match(res.body, /name="website"/);
});

// On Citus every file shares one database, whose first tenant (where self-referrals land) is not this file's.
const ownFirstTenant = { skip: onCitus && 'needs a database of its own' };

test('a self-referral is checked, then saved with a reference, and a confirmation is queued to the person', ownFirstTenant, async () => {
  const check = await post('/refer-yourself', selfReferral(), {}, '/refer-yourself', '10.0.0.2');
  assert.equal(check.statusCode, 200);
  assert.match(check.body, /Check your answers/);
  assert.match(check.body, /LS6 3AB/);
  const before = await countRows(database, 'referral', tenantId);
  const res = await sendSelfReferral(selfReferral(), '10.0.0.2');
  assert.equal(res.statusCode, 200);
  const reference = /id="reference">(SP-[0-9A-Z]{8})</.exec(res.body)?.[1];
  assert.ok(reference);
  assert.equal(await countRows(database, 'referral', tenantId), before + 1);
  const { rows } = await database.pool.query(
    `SELECT r.source, r.channel, p.postcode FROM referral r JOIN person p ON p.id = r.person_id WHERE r.reference = $1`,
    [reference],
  );
  assert.deepEqual(rows[0], { source: 'self', channel: 'self', postcode: 'LS6 3AB' });
  const sent = await database.pool.query(`SELECT recipient, template FROM notification WHERE personalisation->>'reference' = $1`, [
    reference,
  ]);
  assert.deepEqual(sent.rows, [{ recipient: 'robin@example.com', template: 'self_referral_confirmation' }]);
});

test(
  'a self-referral for someone already known looks exactly the same and is held for a lead, not added to their record',
  ownFirstTenant,
  async () => {
    const nhsNumber = aTestNhsNumber();
    const known = await aReferral(database, worker, { person: { nhsNumber } });
    const peopleBefore = await countRows(database, 'person', tenantId);
    const unknown = await sendSelfReferral(selfReferral({ nhsNumber: aTestNhsNumber() }), '10.0.0.3');
    const existing = await sendSelfReferral(selfReferral({ nhsNumber }), '10.0.0.3');
    assert.equal(existing.statusCode, unknown.statusCode);
    const strip = (body: string) => body.replace(/SP-[0-9A-Z]{8}/g, '').replace(/nonce="[^"]+"|nonce-[^']+|value="[^"]+"/g, '');
    assert.equal(strip(existing.body), strip(unknown.body));
    // Each submission is held on a record of its own until a lead matches it.
    assert.equal(await countRows(database, 'person', tenantId), peopleBefore + 2);
    const page = await people.getPerson(database.pool, worker, known.personId);
    assert.equal(page.referrals.length, 1);
  },
);

test('bad self-referral answers re-show the form with an error summary and save nothing', async () => {
  const before = await countRows(database, 'referral', tenantId);
  const cases: [Record<string, string | string[]>, RegExp][] = [
    [{ nhsNumber: '999 000 0019' }, /not a real NHS number/],
    [{ 'dateOfBirth[year]': String(new Date().getFullYear() + 1) }, /Date of birth must be in the past/],
    [{ postcode: 'NOT A POSTCODE' }, /Enter a real postcode/],
    [{ consentToRefer: '' }, /agree to us contacting you/],
    [{ reasons: [] }, /at least one thing/],
  ];
  for (const [change, message] of cases) {
    const res = await post('/refer-yourself', selfReferral(change), {}, '/refer-yourself', '10.0.0.4');
    assert.equal(res.statusCode, 400, JSON.stringify(change));
    assert.match(res.body, /nhsuk-error-summary/);
    assert.match(res.body, message);
    const sent = await sendSelfReferral(selfReferral(change), '10.0.0.4');
    assert.equal(sent.statusCode, 400);
  }
  const garbled = await post('/refer-yourself/send', { answers: '{not json' }, {}, '/refer-yourself', '10.0.0.4');
  assert.equal(garbled.statusCode, 400);
  assert.equal(await countRows(database, 'referral', tenantId), before);
});

test('a filled honeypot gets a normal-looking confirmation and nothing is saved', async () => {
  const before = await countRows(database, 'referral', tenantId);
  const res = await sendSelfReferral(selfReferral({ website: 'http://spam.example' }), '10.0.0.5');
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /SP-[0-9A-Z]{8}/);
  assert.equal(await countRows(database, 'referral', tenantId), before);
});

test('self-referrals are rate limited per address', async () => {
  let last = 0;
  for (let i = 0; i < 11; i++) last = (await sendSelfReferral(selfReferral({ website: 'bot' }), '10.0.0.6')).statusCode;
  assert.equal(last, 429);
  assert.equal((await sendSelfReferral(selfReferral({ website: 'bot' }), '10.0.0.7')).statusCode, 200);
});

test('a GP referrer goes through the question pages, check your answers and confirmation, and then sees the status', async () => {
  const cookies = await signInAs(app, database, referrer);
  const first = await post(
    '/referrals/new',
    {
      givenName: 'Gwen',
      familyName: 'Referred',
      'dateOfBirth[day]': '1',
      'dateOfBirth[month]': '2',
      'dateOfBirth[year]': '1949',
      nhsNumber: aTestNhsNumber(),
      phone: '07700 900789',
      contactChannels: 'phone',
    },
    cookies,
  );
  assert.equal(first.statusCode, 303);
  const reasonUrl = first.headers.location as string;
  assert.match(reasonUrl, /^\/referrals\/new\/[0-9a-f-]+\/reason$/);
  const reason = await post(reasonUrl, { source: 'gp', reasons: ['money', 'housing'], urgency: 'soon' }, cookies);
  assert.equal(reason.statusCode, 303);
  const consentUrl = reason.headers.location as string;
  const missingConsent = await post(consentUrl, { consentToShare: 'yes' }, cookies);
  assert.equal(missingConsent.statusCode, 400);
  assert.match(missingConsent.body, /must agree to the referral/);
  const consent = await post(consentUrl, { consentToRefer: 'yes', consentToShare: 'yes' }, cookies);
  const checkUrl = consent.headers.location as string;
  assert.match(checkUrl, /\/check$/);
  const check = await app.inject({ url: checkUrl, cookies });
  assert.equal(check.statusCode, 200);
  assert.match(check.body, /Check your answers before sending the referral/);
  assert.match(check.body, /Money and debt/);
  const sent = await post(checkUrl, {}, cookies);
  assert.equal(sent.statusCode, 303);
  const reference = /reference=(SP-[0-9A-Z]{8})/.exec(sent.headers.location as string)?.[1];
  assert.ok(reference);
  const confirmation = await app.inject({ url: sent.headers.location as string, cookies });
  assert.match(confirmation.body, new RegExp(reference));
  const mine = await app.inject({ url: '/my-referrals', cookies });
  assert.equal(mine.statusCode, 200);
  assert.match(mine.body, new RegExp(`${reference}[\\s\\S]*Received`));
  // The draft is gone once sent.
  assert.equal((await post(checkUrl, {}, cookies)).statusCode, 404);
});

test('invalid NHS number and future date of birth on the staff person page are refused with the error summary', async () => {
  const cookies = await signInAs(app, database, worker);
  const res = await post(
    '/referrals/new',
    {
      givenName: 'A',
      familyName: 'B',
      nhsNumber: '943 476 5918',
      'dateOfBirth[day]': '1',
      'dateOfBirth[month]': '1',
      'dateOfBirth[year]': '2999',
    },
    cookies,
  );
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /nhsuk-error-summary/);
  assert.match(res.body, /href="#nhsNumber"/);
  assert.match(res.body, /href="#dateOfBirth-day"/);
  assert.equal(await countRows(database, 'referral_draft', tenantId), 0);
});

test('the check page shows a likely duplicate and asks which record before saving', async () => {
  const cookies = await signInAs(app, database, worker);
  const existing = await aReferral(database, worker, {
    person: { nhsNumber: null, givenName: 'Bartholomew', familyName: 'Finch', dateOfBirth: '1944-04-04' },
  });
  const first = await post(
    '/referrals/new',
    { givenName: 'Bartholemew', familyName: 'Finch', 'dateOfBirth[day]': '4', 'dateOfBirth[month]': '4', 'dateOfBirth[year]': '1944' },
    cookies,
  );
  const base = (first.headers.location as string).replace(/\/reason$/, '');
  await post(`${base}/reason`, { source: 'hospital', channel: 'letter', reasons: 'loneliness' }, cookies);
  await post(`${base}/consent`, { consentToRefer: 'yes', consentToShare: 'no' }, cookies);
  const check = await app.inject({ url: `${base}/check`, cookies });
  assert.match(check.body, /This person may already have a record/);
  assert.match(check.body, new RegExp(`value="${existing.personId}"`));
  const unanswered = await post(`${base}/check`, {}, cookies);
  assert.equal(unanswered.statusCode, 400);
  assert.match(unanswered.body, /Select the existing record/);
  const sent = await post(`${base}/check`, { personChoice: existing.personId }, cookies);
  assert.equal(sent.statusCode, 303);
  assert.equal((await people.getPerson(database.pool, worker, existing.personId)).referrals.length, 2);
});

test('a lead triages and allocates through the pages, and the link worker records contacts until unable to contact', async () => {
  const made = await aReferral(database, referrer);
  const leadCookies = await signInAs(app, database, lead);
  const triage = await app.inject({ url: '/triage', cookies: leadCookies });
  assert.equal(triage.statusCode, 200);
  assert.match(triage.body, new RegExp(made.reference));
  const allocatePage = await app.inject({ url: `/referrals/${made.referralId}/allocate`, cookies: leadCookies });
  assert.match(allocatePage.body, /\(suggested\)/);
  const allocateVersion = /name="version" value="(\d+)"/.exec(allocatePage.body)![1]!;
  const allocated = await post(
    `/referrals/${made.referralId}/allocate`,
    { linkWorkerId: worker.userId, version: allocateVersion },
    leadCookies,
    `/referrals/${made.referralId}/allocate`,
  );
  assert.equal(allocated.statusCode, 303);
  const cookies = await signInAs(app, database, worker);
  const formUrl = `/referrals/${made.referralId}/contacts/new`;
  const bad = await post(
    `/referrals/${made.referralId}/contacts`,
    { outcome: 'made', mode: 'carrier-pigeon', minutes: 'lots' },
    cookies,
    formUrl,
  );
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /Select how you tried to make contact/);
  for (let i = 0; i < 3; i++) {
    const res = await post(
      `/referrals/${made.referralId}/contacts`,
      { outcome: 'attempted', mode: 'phone', minutes: '2' },
      cookies,
      formUrl,
    );
    assert.equal(res.statusCode, 303);
  }
  const page = await app.inject({ url: `/referrals/${made.referralId}`, cookies });
  assert.match(page.body, /No contact after 3 attempts/);
  const done = await post(
    `/referrals/${made.referralId}/unable-to-contact`,
    { version: /name="version" value="(\d+)"/.exec(page.body)![1]! },
    cookies,
    `/referrals/${made.referralId}`,
  );
  assert.equal(done.statusCode, 303);
  assert.equal((await referrals.getReferral(database.pool, worker, made.referralId)).referral.status, 'unable_to_contact');
});

test('an illegal step and a stale form are refused on the page with a message, not a 500', async () => {
  const made = await aReferral(database, worker);
  const cookies = await signInAs(app, database, lead);
  const url = `/referrals/${made.referralId}`;
  const page = await app.inject({ url, cookies });
  const version = /name="version" value="(\d+)"/.exec(page.body)![1]!;
  await referrals.acceptReferral(database.pool, lead, made.referralId);
  const stale = await post(`${url}/accept`, { version }, cookies, url);
  assert.equal(stale.statusCode, 409);
  assert.match(stale.body, /changed since you opened it/);
  const current = /name="version" value="(\d+)"/.exec((await app.inject({ url, cookies })).body)![1]!;
  const illegal = await post(`${url}/accept`, { version: current }, cookies, url);
  assert.equal(illegal.statusCode, 409);
  assert.match(illegal.body, /it is &quot;Accepted, waiting for a link worker&quot;|it is "Accepted, waiting for a link worker"/);
  const unknownStatus = await post(`${url}/status`, { status: 'teleported' }, cookies, url);
  assert.equal(unknownStatus.statusCode, 400);
});

test('the caseload page lists the worker’s people with the overdue count, and the person page shows the timeline', async () => {
  const made = await aReferral(database, lead, { person: { givenName: 'Cass', familyName: 'Caseload' } });
  await referrals.allocateReferral(database.pool, lead, made.referralId, { linkWorkerId: worker.userId });
  await referrals.recordContact(database.pool, worker, made.referralId, aContact({ outcome: 'made', approach: 'health_coaching' }));
  const cookies = await signInAs(app, database, worker);
  const caseload = await app.inject({ url: '/caseload?sort=name&status=in_contact', cookies });
  assert.equal(caseload.statusCode, 200);
  assert.match(caseload.body, /Cass Caseload/);
  assert.match(caseload.body, /id="overdue-count">\d+ overdue follow-up/);
  const person = await app.inject({ url: `/people/${made.personId}`, cookies });
  assert.equal(person.statusCode, 200);
  assert.match(person.body, /Allocated → In contact/);
  const edit = await app.inject({ url: `/people/${made.personId}/edit`, cookies });
  assert.equal(edit.statusCode, 200);
  const version = /name="version" value="(\d+)"/.exec(edit.body)![1]!;
  const form = {
    givenName: 'Cass',
    familyName: 'Changed',
    'dateOfBirth[day]': '4',
    'dateOfBirth[month]': '5',
    'dateOfBirth[year]': '1970',
    version,
  };
  assert.equal((await post(`/people/${made.personId}/edit`, form, cookies)).statusCode, 303);
  const second = await post(`/people/${made.personId}/edit`, { ...form, familyName: 'Overwritten' }, cookies);
  assert.equal(second.statusCode, 409);
  assert.match(second.body, /this record changed since you opened it/i);
});

test('a referrer cannot open the referral page or person page, and a link worker cannot open triage', async () => {
  const made = await aReferral(database, referrer);
  const cookies = await signInAs(app, database, referrer);
  assert.equal((await app.inject({ url: `/referrals/${made.referralId}`, cookies })).statusCode, 403);
  assert.equal((await app.inject({ url: `/people/${made.personId}`, cookies })).statusCode, 403);
  const workerCookies = await signInAs(app, database, worker);
  assert.equal((await app.inject({ url: '/triage', cookies: workerCookies })).statusCode, 403);
  assert.equal((await app.inject({ url: '/referrals/not-a-uuid', cookies: workerCookies })).statusCode, 404);
  const stranger = await anActor(database, { roles: ['link_worker', 'lead'] });
  const strangerCookies = await signInAs(app, database, stranger);
  assert.equal((await app.inject({ url: `/referrals/${made.referralId}`, cookies: strangerCookies })).statusCode, 404);
});
