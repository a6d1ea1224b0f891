import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { sendOutcomeLink } from '../../src/outcomes/service.ts';
import { asForm, formSession, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { answersForm, outcomeLinksSent } from '../support/outcomes-factories.ts';
import { aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { countRows } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
before(async () => {
  database = await freshDatabase();
  app = await testApp(database, { BASE_URL: 'https://signpost.example' });
});
after(async () => {
  await app.close();
  await database.close();
});

async function post(url: string, cookies: Record<string, string>, body: Record<string, string>, from = url) {
  const session = await formSession(app, from, cookies);
  return app.inject({ method: 'POST', url, cookies: session.cookies, ...asForm({ ...body, _csrf: session.token! }) });
}

test('a link worker chooses a measure, answers, checks and saves; errors come back with a summary and nothing is saved', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team, { givenName: 'Pia', familyName: 'Pages' });
  const cookies = await signInAs(app, database, team.worker);
  const base = `/referrals/${referralId}/outcomes`;

  const referralPage = await app.inject({ url: `/referrals/${referralId}`, cookies });
  assert.match(referralPage.body, new RegExp(`href="${base}">Outcome measures<`));
  const empty = await app.inject({ url: base, cookies });
  assert.equal(empty.statusCode, 200);
  assert.match(empty.body, /No outcome measures recorded yet/);

  const unchosen = await app.inject({ url: `${base}/new?instrument=&timepoint=soon`, cookies });
  assert.equal(unchosen.statusCode, 400);
  assert.match(unchosen.body, /There is a problem[\s\S]*Select which measure to record[\s\S]*Select when in the support/);

  const questions = await app.inject({ url: `${base}/new?instrument=swemwbs&timepoint=baseline`, cookies });
  assert.equal(questions.statusCode, 200);
  assert.match(questions.body, /I&#39;ve been feeling optimistic about the future|I've been feeling optimistic about the future/);
  assert.match(questions.body, /None of the time[\s\S]*All of the time/);

  const partial = answersForm('swemwbs', [3, 3, 3, 3, 3, 3, 3]);
  delete partial['item-own_mind'];
  const missing = await post(
    `${base}/check`,
    cookies,
    { instrument: 'swemwbs', timepoint: 'baseline', ...partial },
    `${base}/new?instrument=swemwbs&timepoint=baseline`,
  );
  assert.equal(missing.statusCode, 400);
  assert.match(missing.body, /href="#item-own_mind"/);
  assert.match(missing.body, /value="3" checked/, 'answers given are kept');

  const check = await post(
    `${base}/check`,
    cookies,
    { instrument: 'swemwbs', timepoint: 'baseline', ...answersForm('swemwbs', [3, 3, 3, 3, 3, 3, 3]) },
    `${base}/new?instrument=swemwbs&timepoint=baseline`,
  );
  assert.equal(check.statusCode, 200);
  assert.match(check.body, /Metric score 19.25 \(raw 21\)/);
  assert.equal(await countRows(database, 'outcome_administration', team.tenantId), 0, 'checking saves nothing');

  const saved = await post(
    base,
    cookies,
    { instrument: 'swemwbs', timepoint: 'baseline', ...answersForm('swemwbs', [3, 3, 3, 3, 3, 3, 3]) },
    `${base}/new?instrument=swemwbs&timepoint=baseline`,
  );
  assert.equal(saved.statusCode, 303);
  const confirmation = await app.inject({ url: saved.headers.location as string, cookies });
  assert.match(confirmation.body, /SWEMWBS baseline saved[\s\S]*Metric score 19.25/);

  const again = await post(
    base,
    cookies,
    { instrument: 'swemwbs', timepoint: 'baseline', ...answersForm('swemwbs', [1, 1, 1, 1, 1, 1, 1]) },
    base,
  );
  assert.equal(again.statusCode, 409);
  assert.match(again.body, /already has a baseline SWEMWBS/);
  assert.equal(await countRows(database, 'outcome_administration', team.tenantId), 1);
});

test('the person opens their link without signing in, answers, and the link then says it was used; nothing about them is shown on a bad link', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team, {
    givenName: 'Quinn',
    familyName: 'Quietly',
    email: 'quinn@example.com',
    contactChannels: ['email'],
  });
  const cookies = await signInAs(app, database, team.worker);
  const sent = await post(
    `/referrals/${referralId}/outcome-links`,
    cookies,
    { instrument: 'ucla3', timepoint: 'baseline' },
    `/referrals/${referralId}/outcomes`,
  );
  assert.equal(sent.statusCode, 303);
  const [message] = await outcomeLinksSent(database, team.tenantId);
  const path = new URL(message!.link).pathname;
  assert.equal(new URL(message!.link).origin, 'https://signpost.example', 'built from BASE_URL');

  const page = await app.inject({ url: path });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /How often do you feel that you lack companionship\?/);
  assert.doesNotMatch(page.body, /Quinn|Quietly|quinn@example/);
  assert.equal(page.headers['cache-control'], 'no-store');

  const bad = await post(path, {}, { 'item-lack_companionship': '2' }, path);
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /There is a problem[\s\S]*Select an answer for question 2/);
  const good = await post(path, {}, answersForm('ucla3', [2, 3, 3]), path);
  assert.equal(good.statusCode, 200);
  assert.match(good.body, /Thank you, your answers are saved/);
  const used = await app.inject({ url: path });
  assert.equal(used.statusCode, 410);
  assert.match(used.body, /This link has already been used/);
  const unknown = await app.inject({ url: '/outcomes/complete/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' });
  assert.equal(unknown.statusCode, 404);
  assert.match(unknown.body, /This link does not work/);

  const list = await app.inject({ url: `/referrals/${referralId}/outcomes`, cookies });
  assert.match(list.body, /Score 8 of 9[\s\S]*Self-completed online/);
  assert.match(list.body, /Completed/);
});

test('sending a link to someone who withdrew consent or has no email or text is refused on the page, with nothing queued', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team, { email: null, contactChannels: ['phone'] });
  const cookies = await signInAs(app, database, team.worker);
  const refused = await post(
    `/referrals/${referralId}/outcome-links`,
    cookies,
    { instrument: 'ons4', timepoint: 'baseline' },
    `/referrals/${referralId}/outcomes`,
  );
  assert.equal(refused.statusCode, 409);
  assert.match(refused.body, /href="#link-instrument"[\s\S]*We cannot send a link/);
  assert.equal((await outcomeLinksSent(database, team.tenantId)).length, 0);
});

test('the link token never reaches the request logs', async () => {
  const lines: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const logged = await testApp(database, { LOG_LEVEL: 'info' }, { logStream });
  try {
    const team = await aSocialPrescribingTeam(database);
    const { referralId } = await anEpisodeInContact(database, team, { email: 'logs@example.com', contactChannels: ['email'] });
    await sendOutcomeLink(
      database.pool,
      team.worker,
      referralId,
      { instrument: 'ons4', timepoint: 'baseline' },
      { baseUrl: 'http://localhost' },
    );
    const [message] = await outcomeLinksSent(database, team.tenantId);
    const cookies = await signInAs(logged, database, team.worker);
    assert.equal((await logged.inject({ url: `/referrals/${referralId}/outcomes`, cookies })).statusCode, 200);
    assert.equal((await logged.inject({ url: `/outcomes/complete/${message!.token}` })).statusCode, 200);
    assert.equal((await logged.inject({ method: 'POST', url: `/outcomes/complete/${message!.token}`, ...asForm({}) })).statusCode, 403);
    assert.ok(
      lines.some((l) => l.includes(`/referrals/${referralId}/outcomes`)),
      'other requests are logged',
    );
    assert.ok(!lines.some((l) => l.includes(message!.token)), 'the token is not');
  } finally {
    await logged.close();
  }
});
