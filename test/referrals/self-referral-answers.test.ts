import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { formSession, newFormToken, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';
import { countRows } from '../support/referrals-factories.ts';

// The public self-referral keeps every answer: across errors, on the check page, and back from
// the check page's "Change".

let database: Database;
let app: FastifyInstance;
let tenantId: string;
before(async () => {
  database = await freshDatabase();
  tenantId = (await aTenant(database, { name: 'Answers PCN' })).id;
  app = await testApp(database);
});
after(async () => {
  await app.close();
  await database.close();
});

async function post(url: string, form: Record<string, string | string[]>, remoteAddress: string) {
  const session = await formSession(app, '/refer-yourself');
  const params = new URLSearchParams({ _csrf: session.token ?? '', formToken: newFormToken() });
  for (const [key, value] of Object.entries(form)) for (const v of [value].flat()) params.append(key, v);
  return app.inject({
    method: 'POST',
    url,
    payload: params.toString(),
    cookies: session.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    remoteAddress,
  });
}

const answers = (overrides: Record<string, string | string[]> = {}) => ({
  givenName: 'Robin',
  familyName: 'Public',
  preferredName: 'Rob',
  'dateOfBirth[day]': '3',
  'dateOfBirth[month]': '9',
  'dateOfBirth[year]': '1958',
  nhsNumber: '999 000 0018',
  postcode: 'ls6 3ab',
  address: '1 Test Street, Leeds',
  phone: '07700 900456',
  email: 'robin@example.com',
  contactChannels: ['sms', 'email'],
  safeToLeaveMessage: 'no',
  interpreterLanguage: 'Polish',
  communication: ['largePrint'],
  reasons: ['loneliness', 'gardening'],
  context: 'I would like to meet people.',
  consentToRefer: 'yes',
  consentToShare: 'yes',
  consentToResearch: 'no',
  website: '',
  ...overrides,
});

const checked = (body: string, name: string, value: string) =>
  new RegExp(`<input[^>]*name="${name.replace(/[[\]]/g, '\\$&')}"[^>]*value="${value}"[^>]*checked`).test(body);

function assertEveryAnswerKept(body: string) {
  for (const [name, value] of [
    ['givenName', 'Robin'],
    ['preferredName', 'Rob'],
    ['dateOfBirth[day]', '3'],
    ['dateOfBirth[year]', '1958'],
    ['nhsNumber', '999 000 0018'],
    ['postcode', 'ls6 3ab'],
    ['phone', '07700 900456'],
    ['email', 'robin@example.com'],
    ['interpreterLanguage', 'Polish'],
  ]) {
    assert.match(body, new RegExp(`name="${name.replace(/[[\]]/g, '\\$&')}"[^>]*value="${value}"`), `${name} is kept`);
  }
  assert.match(body, />1 Test Street, Leeds</, 'the address is kept');
  assert.match(body, />I would like to meet people\.</, 'what they told us is kept');
  for (const [name, value] of [
    ['contactChannels', 'sms'],
    ['contactChannels', 'email'],
    ['safeToLeaveMessage', 'no'],
    ['communication', 'largePrint'],
    ['reasons', 'loneliness'],
    ['reasons', 'gardening'],
    ['consentToRefer', 'yes'],
    ['consentToShare', 'yes'],
    ['consentToResearch', 'no'],
  ]) {
    assert.ok(checked(body, name, value), `${name}=${value} is still ticked`);
  }
  assert.ok(!checked(body, 'contactChannels', 'phone'), 'an option not chosen stays unticked');
}

test('after an error every answer is still there, including how we can get in touch, in public wording with a text message option', async () => {
  const before = await countRows(database, 'referral', tenantId);
  const res = await post('/refer-yourself', answers({ familyName: '' }), '10.1.0.1');
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /Enter last name/);
  assertEveryAnswerKept(res.body);
  const contactOptions = /How can we get in touch with you\?[\s\S]*?<\/fieldset>/.exec(res.body)?.[0] ?? '';
  for (const option of ['Phone call', 'Text message', 'Email', 'Letter']) assert.match(contactOptions, new RegExp(`>\\s*${option}\\s*<`));
  assert.doesNotMatch(res.body, /Entered by the referrer/);
  assert.equal(await countRows(database, 'referral', tenantId), before);
});

test('the check page shows the ways to get in touch and a Change for every answer, which brings the form back filled in at that answer', async () => {
  const before = await countRows(database, 'referral', tenantId);
  const check = await post('/refer-yourself', answers(), '10.1.0.2');
  assert.equal(check.statusCode, 200);
  assert.match(check.body, /How we can get in touch\s*<\/dt>\s*<dd class="nhsuk-summary-list__value">Text message, Email</);
  assert.doesNotMatch(check.body, /Not given|Not recorded|Start again/);
  const changes = [...check.body.matchAll(/formaction="\/refer-yourself\/change#([A-Za-z-]+)"/g)].map((m) => m[1]);
  assert.ok(changes.includes('contactChannels') && changes.includes('dateOfBirth-day') && changes.includes('reasons'), changes.join(', '));
  assert.equal(changes.length, (check.body.match(/nhsuk-summary-list__row/g) ?? []).length, 'one Change per answer');

  const carried = /name="answers" value="([^"]+)"/
    .exec(check.body)![1]!
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&#39;/g, "'");
  const back = await post('/refer-yourself/change', { answers: carried }, '10.1.0.2');
  assert.equal(back.statusCode, 200);
  assert.match(back.body, /Ask for support from a link worker/);
  assertEveryAnswerKept(back.body);
  for (const field of changes) assert.match(back.body, new RegExp(`id="${field}"`), `the form has the field "${field}" a Change goes to`);
  assert.equal(await countRows(database, 'referral', tenantId), before, 'nothing is saved until Send');

  const garbled = await post('/refer-yourself/change', { answers: '{not json' }, '10.1.0.2');
  assert.equal(garbled.statusCode, 400);
  assert.match(garbled.body, /could not read your answers/);
});
