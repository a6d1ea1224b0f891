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

test('choosing a service searches by the referral’s need, nearest the person’s postcode', async () => {
  const team = await aSocialPrescribingTeam(database);
  await aDirectoryService(database, { name: 'Near Lonely Hearts Club', needs: ['loneliness'], postcode: 'LS6 3AB' });
  await aDirectoryService(database, { name: 'Money Only Advice', needs: ['money'], postcode: 'LS6 3AB' });
  const { referralId } = await anEpisodeInContact(database, team, { postcode: 'LS6 3AB' });
  const page = await app.inject({ url: `/referrals/${referralId}/onward/new`, cookies: await signInAs(app, database, team.worker) });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Near Lonely Hearts Club/);
  assert.match(page.body, /0 miles|0\.\d miles/);
  assert.doesNotMatch(page.body, /Money Only Advice/, 'filtered by the referral’s need (loneliness)');
});

test('sending without consent, to an inactive service, or twice to the same service is refused with a message and nothing is saved', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider, { name: 'Once Only Allotments' });
  const inactive = await aDirectoryService(database, { name: 'Closed Café', status: 'inactive' });
  const { referralId } = await anEpisodeInContact(database, team);
  const cookies = await signInAs(app, database, team.worker);
  const url = `/referrals/${referralId}/onward`;

  const noConsent = await post(cookies, url, { serviceId: service.id, kind: 'refer' });
  assert.equal(noConsent.statusCode, 400);
  assert.match(noConsent.body, /Record the person’s consent/);
  const closed = await post(cookies, url, { serviceId: inactive.id, kind: 'refer', consent: 'yes' });
  assert.equal(closed.statusCode, 409);
  assert.match(closed.body, /Closed Café is not taking referrals at the moment/);
  assert.equal(await countRows(database, 'onward_referral', team.tenantId), 0);

  assert.equal(
    (await post(cookies, url, { serviceId: service.id, kind: 'refer', consent: 'yes', share: ['needs', 'notes'] })).statusCode,
    303,
  );
  const twice = await post(cookies, url, { serviceId: service.id, kind: 'refer', consent: 'yes' });
  assert.equal(twice.statusCode, 409);
  assert.match(twice.body, /already an open referral to Once Only Allotments/);
  assert.equal(await countRows(database, 'onward_referral', team.tenantId), 1);
});
