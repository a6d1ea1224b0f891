import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
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

test('an assessment without what matters or any rated need is refused with messages and nothing is saved', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  const cookies = await signInAs(app, database, team.worker);
  const refused = await post(cookies, `/referrals/${referralId}/assessment`, {
    whatMatters: '',
    'need-money': 'none',
    'need-housing': 'extreme',
  });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /Enter what matters to the person, in their own words/);
  assert.match(refused.body, /Select no need, some need or high need for Housing/);
  assert.equal(await countRows(database, 'assessment', team.tenantId), 0);
  const saved = await post(cookies, `/referrals/${referralId}/assessment`, {
    whatMatters: 'My garden',
    'need-gardening': 'high',
    barriers: 'transport',
  });
  assert.equal(saved.statusCode, 303);
  assert.equal(await countRows(database, 'assessment', team.tenantId), 1);
});

test('a safeguarding concern shows as an alert, appears on the person’s timeline, and only a lead can close it with a note', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId, personId } = await anEpisodeInContact(database, team);
  const worker = await signInAs(app, database, team.worker);
  assert.equal((await post(worker, `/referrals/${referralId}/safeguarding`, { concern: '' })).statusCode, 400);
  assert.equal(
    (await post(worker, `/referrals/${referralId}/safeguarding`, { concern: 'Bruises on arms, says they fell' })).statusCode,
    303,
  );
  const support = await app.inject({ url: `/referrals/${referralId}/support`, cookies: worker });
  assert.match(support.body, /id="safeguarding-alert"[\s\S]*Bruises on arms/);
  const person = await app.inject({ url: `/people/${personId}`, cookies: worker });
  assert.match(
    person.body,
    new RegExp(`<a href="/referrals/${referralId}/support">Safeguarding concern raised: open, waiting for the lead</a>`),
  );
  assert.match(person.body, /nhsuk-warning-callout[\s\S]*Open safeguarding concern/, 'an alert at the top of the person page');

  const lead = await signInAs(app, database, team.lead);
  const tasks = await app.inject({ url: '/safeguarding', cookies: lead });
  const concernId = /id="concern-([0-9a-f-]{36})"/.exec(tasks.body)![1]!;
  const empty = await post(lead, `/safeguarding/${concernId}/action`, { action: ' ' });
  assert.equal(empty.statusCode, 400);
  assert.match(empty.body, /cannot be closed without a note/);
  assert.equal((await post(worker, `/safeguarding/${concernId}/action`, { action: 'Closed it' })).statusCode, 403);
  assert.equal(
    (await post(lead, `/safeguarding/${concernId}/action`, { action: 'Raised with the adult safeguarding team' })).statusCode,
    303,
  );
  const after = await app.inject({ url: `/referrals/${referralId}/support`, cookies: worker });
  assert.doesNotMatch(after.body, /id="safeguarding-alert"/);
  assert.doesNotMatch((await app.inject({ url: `/people/${personId}`, cookies: worker })).body, /Open safeguarding concern/);
});
