import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aProviderService, aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { countRows } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';

// Every route of the episode's work declares the shape of its address, query and form: an address
// whose id is not an id names no record (a 404 page, never a database error), and a form whose
// fields are not text is a 400 with nothing saved.

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

const MALFORMED = 'not-an-id';

test('a malformed id in the address of a plan, social prescription, discharge, assessment, appointment or outcome page is a 404 page', async () => {
  const team = await aSocialPrescribingTeam(database);
  const worker = await signInAs(app, database, team.worker);
  const provider = await signInAs(app, database, team.provider);
  const lead = await signInAs(app, database, team.lead);
  const { referralId } = await anEpisodeInContact(database, team);
  const pages: Array<[Record<string, string>, string]> = [
    [worker, `/referrals/${MALFORMED}/support`],
    [worker, `/referrals/${MALFORMED}/plan`],
    [worker, `/referrals/${MALFORMED}/plan.pdf`],
    [worker, `/referrals/${MALFORMED}/onward/new`],
    [worker, `/onward-referrals/${MALFORMED}/letter`],
    [provider, `/provider/referrals/${MALFORMED}`],
    [worker, `/referrals/${MALFORMED}/discharge`],
    [worker, `/discharge-summaries/${MALFORMED}`],
    [worker, `/discharge-summaries/${MALFORMED}/pdf`],
    [worker, `/referrals/${MALFORMED}/assessment`],
    [worker, `/referrals/${MALFORMED}/safeguarding`],
    [worker, `/referrals/${MALFORMED}/appointments`],
    [worker, `/referrals/${MALFORMED}/outcomes`],
    [worker, `/referrals/${MALFORMED}/outcomes/new`],
  ];
  for (const [cookies, url] of pages) {
    const res = await app.inject({ url, cookies, headers: { accept: 'text/html' } });
    assert.equal(res.statusCode, 404, url);
    assert.match(res.body, /Page not found/, url);
  }
  const posts: Array<[Record<string, string>, string]> = [
    [worker, `/goals/${MALFORMED}/progress`],
    [worker, `/onward-referrals/${MALFORMED}/response`],
    [worker, `/onward-referrals/${MALFORMED}/follow-up`],
    [provider, `/provider/referrals/${MALFORMED}/respond`],
    [provider, `/provider/referrals/${MALFORMED}/attendance`],
    [lead, `/safeguarding/${MALFORMED}/action`],
    [worker, `/referrals/${referralId}/appointments/${MALFORMED}/cancel`],
  ];
  for (const [cookies, url] of posts) {
    const res = await postForm(app, cookies, url, { to: 'accepted' });
    assert.equal(res.statusCode, 404, url);
  }
});

test('a field sent as a list where the form has one value is a 400 and nothing is saved', async () => {
  const team = await aSocialPrescribingTeam(database);
  const worker = await signInAs(app, database, team.worker);
  const service = await aProviderService(database, team.provider, { name: 'Listed Twice Club' });
  const { referralId } = await anEpisodeInContact(database, team);
  const before = await countRows(database, 'onward_referral', team.tenantId);
  const res = await postForm(app, worker, `/referrals/${referralId}/onward`, {
    serviceId: [service.id, service.id],
    kind: 'refer',
    consent: 'yes',
  });
  assert.equal(res.statusCode, 400);
  assert.equal(await countRows(database, 'onward_referral', team.tenantId), before);

  // Ticking several things to share is a list, as the checkboxes send it.
  const shared = await postForm(app, worker, `/referrals/${referralId}/onward`, {
    serviceId: service.id,
    kind: 'refer',
    consent: 'yes',
    share: ['needs', 'accessibility'],
  });
  assert.equal(shared.statusCode, 303);
  const { rows } = await database.pool.query<{ shareFields: string[] }>(
    'SELECT share_fields AS "shareFields" FROM onward_referral WHERE referral_id = $1',
    [referralId],
  );
  assert.deepEqual(
    rows.map((r) => [...r.shareFields].sort()),
    [['accessibility', 'needs']],
  );
});
