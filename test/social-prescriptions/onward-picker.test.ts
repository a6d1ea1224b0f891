import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aProviderService, aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { countRows } from '../support/referrals-factories.ts';
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

const post = (cookies: Record<string, string>, url: string, form: Record<string, string | string[]>) => postForm(app, cookies, url, form);

/** The radio item of one service on the picker: its label and hint, up to the next item. */
function choiceOf(body: string, serviceId: string): string {
  const start = body.indexOf(`value="${serviceId}"`);
  assert.ok(start >= 0, `service ${serviceId} is listed`);
  const end = body.indexOf('nhsuk-radios__item', start);
  return body.slice(start, end < 0 ? undefined : end).replace(/\s+/g, ' ');
}

test('services with the same name are told apart by organisation, address or phone/online, capacity, last check and how the referral travels', async () => {
  const team = await aSocialPrescribingTeam(database);
  const inbox = await aProviderService(database, team.provider, {
    name: 'Little London Men’s shed',
    organizationName: 'Leeds Older People’s Forum',
    needs: ['loneliness'],
    delivery: ['in-person'],
  });
  const byEmail = await aDirectoryService(database, {
    name: 'Little London Men’s shed',
    organizationName: 'Shed Network North',
    needs: ['loneliness'],
    capacity: 'waiting_list',
    expectedWaitWeeks: 6,
  });
  await database.pool.query('UPDATE directory_service SET email = $2 WHERE id = $1', [byEmail.id, 'shed@north.example']);
  const onPaper = await aDirectoryService(database, {
    name: 'Little London Men’s shed',
    organizationName: 'St Luke’s <Church>',
    needs: ['loneliness'],
    lastVerifiedAt: new Date('2020-01-14T12:00:00Z'),
    capacity: 'full',
  });
  const phoneLine = await aDirectoryService(database, {
    name: 'Little London shed phone friends',
    organizationName: 'Befriend by Phone',
    postcode: null,
    delivery: ['phone'],
    needs: ['loneliness'],
  });
  const { referralId } = await anEpisodeInContact(database, team, { postcode: 'LS6 3AB' });
  const cookies = await signInAs(app, database, team.worker);

  const page = await app.inject({
    url: `/referrals/${referralId}/onward/new?${new URLSearchParams({ q: 'Little London shed', need: '', postcode: 'LS6 3AB', miles: '10' })}`,
    cookies,
  });
  assert.equal(page.statusCode, 200);
  const first = choiceOf(page.body, inbox.id);
  assert.match(first, /Little London Men’s shed<\/strong>, Leeds Older People’s Forum/);
  assert.match(first, /1 Test Street, Leeds, LS6 3AB/);
  assert.match(first, /Taking referrals/);
  assert.match(first, /Last checked \d{1,2} [A-Z][a-z]+ \d{4}/);
  assert.match(first, /Referral goes by: Signpost inbox/);
  assert.match(first, new RegExp(`href="/services/${inbox.id}"`));
  const second = choiceOf(page.body, byEmail.id);
  assert.match(second, /Shed Network North/);
  assert.match(second, /Waiting list: about 6 weeks/);
  assert.match(second, /Referral goes by: Secure email/);
  const third = choiceOf(page.body, onPaper.id);
  assert.match(third, /St Luke’s &lt;Church&gt;/, 'names are escaped');
  assert.match(third, /nhsuk-tag--red">Full/);
  assert.match(third, /Last checked 14 January 2020 \(may be out of date\)/);
  assert.match(third, /Referral goes by: Print/);
  const phone = choiceOf(page.body, phoneLine.id);
  assert.match(phone, /By phone: no address/, 'a phone-only service appears, without an address');

  const inPerson = await app.inject({
    url: `/referrals/${referralId}/onward/new?${new URLSearchParams({ q: 'Little London shed', need: '', postcode: 'LS6 3AB', miles: '10', method: 'in-person' })}`,
    cookies,
  });
  assert.doesNotMatch(inPerson.body, new RegExp(phoneLine.id), 'the delivery filter applies');
  assert.match(inPerson.body, new RegExp(inbox.id));
});

test('the picker searches by words and pages through every match', async () => {
  const team = await aSocialPrescribingTeam(database);
  const made = [];
  for (let i = 0; i < 12; i++)
    made.push(
      await aDirectoryService(database, { name: `Quillwort walking group ${String(i).padStart(2, '0')}`, needs: ['physical-activity'] }),
    );
  const { referralId } = await anEpisodeInContact(database, team, { postcode: 'LS6 3AB' });
  const cookies = await signInAs(app, database, team.worker);
  const search = { q: 'Quillwort', need: '', postcode: 'LS6 3AB', miles: '10' };
  const one = await app.inject({ url: `/referrals/${referralId}/onward/new?${new URLSearchParams(search)}`, cookies });
  assert.equal(one.statusCode, 200);
  assert.match(one.body, /12 services found, page 1 of 2/);
  const onFirst = made.filter((s) => one.body.includes(s.id));
  assert.equal(onFirst.length, 10);
  const next = /href="([^"]*page=2[^"]*)"/.exec(one.body)?.[1]?.replace(/&amp;/g, '&');
  assert.ok(next, 'a link to the next page');
  const two = await app.inject({ url: next, cookies });
  const onSecond = made.filter((s) => two.body.includes(s.id));
  assert.equal(onSecond.length, 2);
  assert.deepEqual([...onFirst, ...onSecond].map((s) => s.id).sort(), made.map((s) => s.id).sort(), 'every match on one page or the other');

  const none = await app.inject({
    url: `/referrals/${referralId}/onward/new?${new URLSearchParams({ ...search, q: 'Quillwort', need: 'money' })}`,
    cookies,
  });
  assert.match(none.body, /No services match/);
});

test('a full or waiting-list service asks to confirm before anything is saved; a service not taking referrals is refused', async () => {
  const team = await aSocialPrescribingTeam(database);
  const full = await aProviderService(database, team.provider, { name: 'Brimful Allotments', capacity: 'full' });
  const waiting = await aDirectoryService(database, { name: 'Patience Choir', capacity: 'waiting_list', expectedWaitWeeks: 3 });
  const closed = await aDirectoryService(database, { name: 'Shuttered Café', status: 'temporarily closed' });
  const { referralId } = await anEpisodeInContact(database, team);
  const cookies = await signInAs(app, database, team.worker);
  const url = `/referrals/${referralId}/onward`;

  const unconfirmed = await post(cookies, url, { serviceId: full.id, kind: 'refer', consent: 'yes', need: '' });
  assert.equal(unconfirmed.statusCode, 409);
  assert.match(unconfirmed.body, /Brimful Allotments \([^)]+\) is full/);
  assert.match(unconfirmed.body, /href="#confirmCapacity"/);
  assert.match(unconfirmed.body, /id="confirmCapacity"/, 'the error links to the confirmation box');
  assert.match(unconfirmed.body, new RegExp(`value="${full.id}" checked`), 'the choice is kept');
  const waitingUnconfirmed = await post(cookies, url, { serviceId: waiting.id, kind: 'signpost', need: '' });
  assert.equal(waitingUnconfirmed.statusCode, 409);
  assert.match(waitingUnconfirmed.body, /Patience Choir \([^)]+\) has a waiting list of about 3 weeks/);
  const notTaking = await post(cookies, url, { serviceId: closed.id, kind: 'refer', consent: 'yes', confirmCapacity: 'yes', need: '' });
  assert.equal(notTaking.statusCode, 409);
  assert.match(notTaking.body, /Shuttered Café is not taking referrals at the moment/);
  assert.equal(await countRows(database, 'onward_referral', team.tenantId), 0, 'nothing saved');

  assert.equal(
    (await post(cookies, url, { serviceId: full.id, kind: 'refer', consent: 'yes', confirmCapacity: 'yes', need: '' })).statusCode,
    303,
  );
  assert.equal((await post(cookies, url, { serviceId: waiting.id, kind: 'signpost', confirmCapacity: 'yes', need: '' })).statusCode, 303);
  assert.equal(await countRows(database, 'onward_referral', team.tenantId), 2);

  const support = await app.inject({ url: `/referrals/${referralId}/support`, cookies });
  const organisation = (
    await database.pool.query<{ name: string }>('SELECT name FROM directory_organization WHERE id = $1', [full.organization_id])
  ).rows[0]!.name;
  assert.match(
    support.body,
    new RegExp(`Brimful Allotments<span class="nhsuk-caption-m nhsuk-caption--bottom">${organisation}</span>`),
    'the support page names the organisation',
  );
  const responses = await app.inject({ url: '/follow-ups', cookies });
  assert.match(responses.body, new RegExp(`Brimful Allotments, ${organisation}: Sent`), 'the follow-ups list names the organisation');
});
