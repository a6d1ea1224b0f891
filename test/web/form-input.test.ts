import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import * as referrals from '../../src/referrals/service.ts';
import * as people from '../../src/people/service.ts';
import { asForm, formSession, newFormToken, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { aReferral, countRows } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
let team: Awaited<ReturnType<typeof aSocialPrescribingTeam>>;
let lead: Record<string, string>;
let worker: Record<string, string>;

before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  team = await aSocialPrescribingTeam(database);
  lead = await signInAs(app, database, team.lead);
  worker = await signInAs(app, database, team.worker);
});
after(async () => {
  await app.close();
  await database.close();
});

async function postFrom(page: string, url: string, cookies: Record<string, string>, fields: Record<string, string | string[]>) {
  const session = await formSession(app, page, cookies);
  return app.inject({ method: 'POST', url, cookies: session.cookies, ...asForm({ _csrf: session.token!, ...fields }) });
}

const versionOn = (body: string) => /name="version" value="(\d+)"/.exec(body)![1]!;

test('a NUL anywhere in a path, query or form is a 400 saying it cannot be saved, on public and staff routes alike', async () => {
  const made = await aReferral(database, team.worker);
  const publicCalls = [
    await app.inject({ url: '/services?q=%00' }),
    await app.inject({ url: '/api/oruk/services/%00' }),
    await app.inject({ url: '/services/a%00b' }),
    await postFrom('/sign-in', '/sign-in', {}, { email: 'a\u0000b@example.com', password: 'x' }),
    await postFrom('/refer-yourself', '/refer-yourself', {}, { givenName: 'Nul\u0000', familyName: 'Person' }),
  ];
  const staffCalls = [
    await postFrom(`/referrals/${made.referralId}/contacts/new`, `/referrals/${made.referralId}/contacts`, worker, {
      outcome: 'attempted',
      mode: 'phone',
      notes: 'rang\u0000',
    }),
    await postFrom(`/referrals/${made.referralId}`, `/referrals/${made.referralId}/next-action`, worker, {
      nextAction: 'Ring\u0000',
      version: '0',
    }),
    await app.inject({ url: `/caseload?sort=%00`, cookies: worker }),
  ];
  for (const res of [...publicCalls, ...staffCalls]) {
    assert.equal(res.statusCode, 400, res.body.slice(0, 300));
    assert.match(res.body, /cannot be saved/);
  }
  assert.equal(await countRows(database, 'contact', team.lead.tenantId), 0);
});

test('a form route takes only form bodies: JSON or text is a 415 with a message, and a JSON object never reaches a template', async () => {
  const token = (await formSession(app, '/refer-yourself')).token!;
  for (const [type, payload] of [
    ['application/json', JSON.stringify({ consentToRefer: { toString: 'x' }, givenName: ['a'], _csrf: token })],
    ['text/plain', 'consentToRefer=yes'],
    ['multipart/form-data; boundary=x', '--x\r\ncontent-disposition: form-data; name="a"\r\n\r\nb\r\n--x--'],
  ] as const) {
    const res = await app.inject({
      method: 'POST',
      url: '/refer-yourself',
      headers: { 'content-type': type, accept: 'text/html' },
      payload,
    });
    assert.equal(res.statusCode, 415, type);
    assert.match(res.body, /takes a form/);
  }
});

test('a field sent twice where one is expected is a 400 naming it, and nothing is saved', async () => {
  const made = await aReferral(database, team.worker);
  const res = await postFrom(`/referrals/${made.referralId}/contacts/new`, `/referrals/${made.referralId}/contacts`, worker, {
    outcome: ['attempted', 'made'],
    mode: 'phone',
  });
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /Outcome was sent more than once/);
  assert.equal(await countRows(database, 'contact', team.lead.tenantId), 0);
});

test('on the booking form a field sent twice is shown beside that field, with the answers kept and nothing booked', async () => {
  const { referralId } = await anEpisodeInContact(database, team, { givenName: 'Twice', familyName: 'Sent' });
  const url = `/referrals/${referralId}/appointments`;
  const res = await postFrom(url, url, worker, { date: ['2030-01-01', '2030-01-02'], time: '10:00', mode: 'group', place: 'Hall' });
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /href="#date">\s*Date was sent more than once/);
  assert.match(res.body, /value="Hall"/, 'the other answers are kept');
  assert.equal(await countRows(database, 'appointment', team.lead.tenantId), 0);
});

test('an edit without a valid version is refused with a 400 and changes nothing', async () => {
  const made = await aReferral(database, team.worker);
  const url = `/referrals/${made.referralId}`;
  for (const version of [undefined, '', '-1', '1.5', 'x'.repeat(100_000), '99999999999', ['0', '0']]) {
    const res = await postFrom(url, `${url}/status`, lead, {
      status: 'withdrawn',
      reason: 'Test',
      ...(version === undefined ? {} : { version }),
    });
    assert.equal(res.statusCode, 400, String(version).slice(0, 20));
  }
  const person = await postFrom(`/people/${made.personId}/edit`, `/people/${made.personId}/edit`, worker, {
    givenName: 'Changed',
    familyName: 'Name',
    'dateOfBirth[day]': '1',
    'dateOfBirth[month]': '2',
    'dateOfBirth[year]': '1960',
    version: '-1',
  });
  assert.equal(person.statusCode, 400);
  const after = await referrals.getReferral(database.pool, team.lead, made.referralId);
  assert.equal(after.referral.status, 'received');
  assert.notEqual((await people.getPerson(database.pool, team.worker, made.personId)).person.givenName, 'Changed');
});

test('text past a field’s limit is refused with a message naming the field and its limit, and the page counts characters', async () => {
  const made = await aReferral(database, team.worker);
  const url = `/referrals/${made.referralId}/not-suitable`;
  const page = await app.inject({ url, cookies: lead });
  assert.match(page.body, /data-module="nhsuk-character-count"/);
  assert.match(page.body, /data-maxlength="500"/);
  const version = versionOn(page.body);
  const long = await postFrom(url, url, lead, { notSuitableReason: 'r'.repeat(501), redirectedTo: 'Elsewhere', version });
  assert.equal(long.statusCode, 400);
  assert.match(long.body, /Reason must be 500 characters or fewer/);
  const redirected = await postFrom(url, url, lead, {
    notSuitableReason: 'Needs specialist help',
    redirectedTo: 'x'.repeat(100_000),
    version,
  });
  assert.equal(redirected.statusCode, 400);
  assert.match(redirected.body, /Where you redirected them must be 200 characters or fewer/);
  assert.equal((await referrals.getReferral(database.pool, team.lead, made.referralId)).referral.status, 'received');

  const person = await people.personPage(database.pool, team.worker, made.personId);
  const consent = person.consents[0]!;
  const withdraw = await postFrom(`/people/${made.personId}`, `/people/${made.personId}/consents/${consent.id}/withdraw`, worker, {
    reason: 'w'.repeat(501),
  });
  assert.equal(withdraw.statusCode, 400);
  assert.match(withdraw.body, /Reason for withdrawing consent must be 500 characters or fewer/);
  const after = await people.personPage(database.pool, team.worker, made.personId);
  assert.equal(after.consents.find((c) => c.id === consent.id)!.withdrawnAt, null);
});

test('the same safeguarding form sent five times makes one concern, and each repeat goes to it', async () => {
  const episode = await anEpisodeInContact(database, team, { givenName: 'Dora', familyName: 'Double' });
  const page = `/referrals/${episode.referralId}/safeguarding`;
  const session = await formSession(app, page, worker);
  assert.ok(session.formToken, 'the form carries a one-time token');
  const send = () =>
    app.inject({
      method: 'POST',
      url: page,
      cookies: session.cookies,
      ...asForm({ _csrf: session.token!, formToken: session.formToken!, concern: 'Says a neighbour takes her pension' }),
    });
  const answers = await Promise.all([send(), send(), send(), send(), send()]);
  for (const res of answers) assert.equal(res.statusCode, 303, res.body.slice(0, 200));
  assert.deepEqual(new Set(answers.map((r) => r.headers.location)).size, 1);
  const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM safeguarding_concern WHERE referral_id = $1', [
    episode.referralId,
  ]);
  assert.equal(rows[0].n, 1);
  // A new form (a fresh token) makes a second concern.
  const again = await app.inject({
    method: 'POST',
    url: page,
    cookies: session.cookies,
    ...asForm({ _csrf: session.token!, formToken: newFormToken(), concern: 'A second, different concern' }),
  });
  assert.equal(again.statusCode, 303);
  const { rows: after } = await database.pool.query('SELECT count(*)::int AS n FROM safeguarding_concern WHERE referral_id = $1', [
    episode.referralId,
  ]);
  assert.equal(after[0].n, 2);
});

test('a refused form can be corrected and sent again with the same token; a post without a token is refused', async () => {
  const made = await anEpisodeInContact(database, team, { givenName: 'Corrie', familyName: 'Again' });
  const contacts = async () =>
    (await database.pool.query('SELECT count(*)::int AS n FROM contact WHERE referral_id = $1', [made.referralId])).rows[0].n as number;
  const before = await contacts();
  const form = `/referrals/${made.referralId}/contacts/new`;
  const url = `/referrals/${made.referralId}/contacts`;
  const session = await formSession(app, form, worker);
  const post = (fields: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url,
      cookies: session.cookies,
      ...asForm({ _csrf: session.token!, formToken: session.formToken!, ...fields }),
    });
  const bad = await post({ outcome: 'attempted', mode: 'carrier-pigeon' });
  assert.equal(bad.statusCode, 400);
  assert.ok(bad.body.includes(`name="formToken" value="${session.formToken}"`), 'the re-shown form keeps its token');
  assert.equal((await post({ outcome: 'attempted', mode: 'phone' })).statusCode, 303);
  assert.equal((await post({ outcome: 'attempted', mode: 'phone' })).statusCode, 303);
  assert.equal(await contacts(), before + 1);
  const params = new URLSearchParams({ _csrf: session.token!, outcome: 'attempted', mode: 'phone' });
  const tokenless = await app.inject({
    method: 'POST',
    url,
    cookies: session.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: params.toString(),
  });
  assert.equal(tokenless.statusCode, 400);
  assert.match(tokenless.body, /This form is out of date/);
  assert.equal(await contacts(), before + 1);
  // Only hashes are kept, under the tenant.
  const { rows } = await database.pool.query('SELECT tenant_id, token_hash FROM form_submission WHERE token_hash = $1 OR tenant_id = $2', [
    session.formToken,
    team.lead.tenantId,
  ]);
  assert.ok(rows.length >= 1);
  assert.ok(rows.every((r) => r.tenant_id === team.lead.tenantId && /^[0-9a-f]{64}$/.test(r.token_hash)));
});

test('a CSRF token in the query string is not accepted', async () => {
  const session = await formSession(app, '/account', worker);
  const res = await app.inject({
    method: 'POST',
    url: `/sign-out/everywhere?_csrf=${encodeURIComponent(session.token!)}`,
    cookies: session.cookies,
    ...asForm({}),
  });
  assert.equal(res.statusCode, 403);
  const inBody = await app.inject({
    method: 'POST',
    url: '/sign-out/everywhere',
    cookies: session.cookies,
    ...asForm({ _csrf: session.token! }),
  });
  assert.equal(inBody.statusCode, 303);
  worker = await signInAs(app, database, team.worker);
});
