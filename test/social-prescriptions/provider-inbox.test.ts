import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { raiseConcern, recordAssessment } from '../../src/assessment/service.ts';
import type { Database } from '../../src/db/database.ts';
import { createOnwardReferral } from '../../src/social-prescriptions/service.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aProviderService, aSocialPrescribingTeam, anAssessment, anEpisodeInContact } from '../support/plans-factories.ts';
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

const post = (cookies: Record<string, string>, url: string, form: Record<string, string | string[]>) => postForm(app, cookies, url, form);

test('the provider sees the referral exactly as shared, and none of the person’s other referrals, notes or concerns', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider, { name: 'Allotment Angels' });
  const { referralId, personId } = await anEpisodeInContact(database, team, {
    givenName: 'Priscilla',
    familyName: 'Sharedonly',
    interpreterLanguage: 'Urdu',
  });
  await recordAssessment(database.pool, team.worker, referralId, anAssessment({ risks: 'Unshared risk text' }));
  await raiseConcern(database.pool, team.worker, referralId, 'Unshared safeguarding text');
  await aReferral(database, team.lead, {
    person: { givenName: 'Priscilla', familyName: 'Sharedonly', nhsNumber: null },
    personChoice: personId,
    referral: { context: 'Unshared second referral context' },
  });
  const sent = await createOnwardReferral(database.pool, team.worker, referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
    share: ['accessibility'],
    note: 'Unshared note',
  });

  const cookies = await signInAs(app, database, team.provider);
  const inbox = await app.inject({ url: '/provider/inbox', cookies });
  assert.equal(inbox.statusCode, 200);
  assert.match(inbox.body, /Priscilla Sharedonly/);
  const page = await app.inject({ url: `/provider/referrals/${sent.id}`, cookies });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Interpreter: Urdu/, 'accessibility was ticked');
  for (const hidden of [
    'Unshared note',
    'Unshared risk text',
    'Unshared safeguarding text',
    'Unshared second referral context',
    'Getting out of the house',
    referralId,
    personId,
  ]) {
    assert.ok(!page.body.includes(hidden), `"${hidden}" is not shown to the provider`);
  }
  // The person's record and referral pages are not theirs to open.
  assert.equal((await app.inject({ url: `/people/${personId}`, cookies })).statusCode, 403);
  assert.equal((await app.inject({ url: `/referrals/${referralId}/support`, cookies })).statusCode, 403);
});

test('a provider declines with a reason from the list; without one the page says what is missing and nothing changes', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider);
  const { referralId } = await anEpisodeInContact(database, team);
  const sent = await createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: true });
  const cookies = await signInAs(app, database, team.provider);

  const missing = await post(cookies, `/provider/referrals/${sent.id}/respond`, { to: 'declined', reason: '' });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.body, /Select why the referral was declined/);
  const declined = await post(cookies, `/provider/referrals/${sent.id}/respond`, {
    to: 'declined',
    reason: 'full',
    detail: 'Full until March',
  });
  assert.equal(declined.statusCode, 303);
  const again = await post(cookies, `/provider/referrals/${sent.id}/respond`, { to: 'accepted' });
  assert.equal(again.statusCode, 409);
  assert.match(again.body, /it is &quot;Declined&quot;|it is "Declined"/);

  const worker = await signInAs(app, database, team.worker);
  const support = await app.inject({ url: `/referrals/${referralId}/support`, cookies: worker });
  assert.match(support.body, /No places available: Full until March/);
});

test('a provider of another organisation gets a 404 for a referral not sent to them', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider);
  const { referralId } = await anEpisodeInContact(database, team);
  const sent = await createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: true });
  const stranger = (await aSocialPrescribingTeam(database, team.tenantId)).provider;
  const cookies = await signInAs(app, database, stranger);
  assert.equal((await app.inject({ url: `/provider/referrals/${sent.id}`, cookies })).statusCode, 404);
  assert.equal((await post(cookies, `/provider/referrals/${sent.id}/respond`, { to: 'accepted' })).statusCode, 404);
  const inbox = await app.inject({ url: '/provider/inbox', cookies });
  assert.ok(!inbox.body.includes(sent.id));
});

test('closed referrals page 20 at a time while new and accepted ones are listed whole; a page that does not exist is a 400', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider, { name: 'Paged Walking Group' });
  const cookies = await signInAs(app, database, team.provider);
  const sentIds: string[] = [];
  for (let i = 0; i < 25; i++) {
    const { referralId } = await anEpisodeInContact(database, team, {
      givenName: `Paged${String(i).padStart(2, '0')}`,
      familyName: 'Closedperson',
    });
    sentIds.push(
      (await createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: true })).id,
    );
  }
  // 22 declined (closed), 3 left new.
  for (const id of sentIds.slice(0, 22)) {
    const declined = await post(cookies, `/provider/referrals/${id}/respond`, { to: 'declined', reason: 'full' });
    assert.equal(declined.statusCode, 303, declined.body.slice(0, 300));
  }
  const names = (body: string, group: string) => {
    const section = body.split(`id="${group}"`)[1]!.split('<h2')[0]!;
    return (section.match(/Paged\d\d Closedperson/g) ?? []).length;
  };
  const first = await app.inject({ url: '/provider/inbox', cookies });
  assert.equal(first.statusCode, 200);
  assert.match(first.body, /New \(3\)/);
  assert.match(first.body, /Closed \(22\)/);
  assert.equal(names(first.body, 'new'), 3);
  assert.equal(names(first.body, 'closed'), 20);
  assert.match(first.body, /href="\/provider\/inbox\?closedPage=2#closed"/);
  const second = await app.inject({ url: '/provider/inbox?closedPage=2', cookies });
  assert.equal(names(second.body, 'closed'), 2);
  assert.equal(names(second.body, 'new'), 3, 'open work stays on every page');
  for (const bad of ['3', '0', 'two', '-1']) {
    const page = await app.inject({ url: `/provider/inbox?closedPage=${bad}`, cookies });
    assert.equal(page.statusCode, 400, `${bad}: ${page.statusCode} ${page.body.slice(0, 200)}`);
    assert.match(page.body, /That page of closed referrals does not exist/);
  }
});
