import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { getDischargeSummary } from '../../src/discharge/service.ts';
import { setTenantAddress } from '../../src/identity/service.ts';
import { outcomesForReferral, recordAdministration } from '../../src/outcomes/service.ts';
import { addGoal, planForReferral, updateGoalProgress } from '../../src/plans/service.ts';
import { createOnwardReferral, providerAttendance, providerRespond } from '../../src/social-prescriptions/service.ts';
import { getReferral } from '../../src/referrals/service.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { answersForm, anAssessedEpisode } from '../support/outcomes-factories.ts';
import { aProviderService, aSocialPrescribingTeam } from '../support/plans-factories.ts';
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
const valueOf = (body: string, id: string) =>
  new RegExp(`id="${id}"[^>]*value="([^"]*)"`).exec(body)?.[1] ?? new RegExp(`value="([^"]*)"[^>]*id="${id}"`).exec(body)?.[1];

async function pdfText(bytes: Buffer): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
  const parts: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    parts.push(content.items.map((i) => ('str' in i ? i.str : '')).join(' '));
  }
  return parts.join('\n').replace(/\s+/g, ' ');
}

test('the discharge form fills outcomes from the baseline and latest recorded score of each measure, and invents none', async () => {
  const team = await aSocialPrescribingTeam(database);
  const measured = await anAssessedEpisode(database, team);
  await recordAdministration(database.pool, team.worker, measured.referralId, {
    instrument: 'swemwbs',
    timepoint: 'baseline',
    answers: answersForm('swemwbs', [2, 2, 2, 3, 2, 1, 2]),
  });
  await recordAdministration(database.pool, team.worker, measured.referralId, {
    instrument: 'swemwbs',
    timepoint: 'review',
    answers: answersForm('swemwbs', [3, 3, 3, 3, 3, 3, 3]),
  });
  await recordAdministration(database.pool, team.worker, measured.referralId, {
    instrument: 'swemwbs',
    timepoint: 'review',
    answers: answersForm('swemwbs', [4, 4, 3, 4, 4, 5, 4]),
  });
  const unmeasured = await anAssessedEpisode(database, team);
  const cookies = await signInAs(app, database, team.worker);

  const recorded = (await outcomesForReferral(database.pool, team.worker, measured.referralId)).administrations;
  const baseline = recorded.find((a) => a.timepoint === 'baseline')!.score.metric;
  const latest = recorded
    .filter((a) => a.timepoint === 'review')
    .sort((a, b) => new Date(a.completedAt).getTime() - new Date(b.completedAt).getTime())
    .at(-1)!.score.metric;
  assert.notEqual(baseline, latest);

  const form = await app.inject({ url: `/referrals/${measured.referralId}/discharge`, cookies });
  assert.equal(form.statusCode, 200);
  assert.equal(valueOf(form.body, 'outcomeMeasure0'), 'SWEMWBS metric score (7 to 35)');
  assert.equal(Number(valueOf(form.body, 'outcomeBefore0')), baseline);
  assert.equal(Number(valueOf(form.body, 'outcomeAfter0')), latest);
  assert.equal(valueOf(form.body, 'outcomeMeasure1') ?? '', '', 'one empty row for a measure taken elsewhere');
  assert.doesNotMatch(form.body, /ONS4/, 'no measure that was never recorded');

  const empty = await app.inject({ url: `/referrals/${unmeasured.referralId}/discharge`, cookies });
  assert.equal(empty.statusCode, 200);
  assert.equal(valueOf(empty.body, 'outcomeMeasure0') ?? '', '');
  assert.doesNotMatch(empty.body, /ONS4|SWEMWBS/);
  assert.match(empty.body, /No outcome measures are recorded for this referral/);
});

test('reasons that contradict the record need a confirming note; the record that supports them needs none', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider, { name: 'Contradiction Allotments', needs: ['gardening'] });
  const { referralId } = await anAssessedEpisode(database, team);
  await addGoal(database.pool, team.worker, referralId, { goal: 'Grow beans' });
  const cookies = await signInAs(app, database, team.worker);
  const url = `/referrals/${referralId}/discharge/check`;

  const goalsMet = await post(cookies, url, { reason: 'goals_met', summary: 'All done' });
  assert.equal(goalsMet.statusCode, 400);
  assert.match(goalsMet.body, /None of the 1 goal is recorded as achieved/);
  assert.match(goalsMet.body, /href="#reasonNote"/);
  const connected = await post(cookies, url, { reason: 'connected_to_services', summary: 'Goes to a group' });
  assert.equal(connected.statusCode, 400);
  assert.match(connected.body, /No attendance at a service is recorded/);

  const noted = await post(cookies, url, {
    reason: 'goals_met',
    summary: 'All done',
    reasonNote: 'The person says the goal is met; the record was not updated',
  });
  assert.equal(noted.statusCode, 200);
  assert.match(noted.body, /Check the discharge summary before you send it/);
  assert.match(noted.body, /Note on the reason: The person says the goal is met/);

  // Positive controls: once the record shows it, no note is asked for.
  const goal = (await planForReferral(database.pool, team.worker, referralId)).goals[0]!;
  await updateGoalProgress(database.pool, team.worker, goal.id, { progress: 'achieved' });
  assert.equal((await post(cookies, url, { reason: 'goals_met', summary: 'All done' })).statusCode, 200);
  const sent = await createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: service.id, consent: true });
  await providerRespond(database.pool, team.provider, sent.id, { to: 'accepted' });
  await providerAttendance(database.pool, team.provider, sent.id, { attended: true, sessionDate: '2026-01-06' });
  const attended = await post(cookies, url, { reason: 'connected_to_services', summary: 'Goes to a group', [`onward-${sent.id}`]: 'keep' });
  assert.equal(attended.statusCode, 200);
  assert.equal(await countRows(database, 'discharge', team.tenantId), 0, 'checking saves nothing');
});

test('open referrals to services are listed and must be stopped or left open; the summary goes only from the check page', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider, { name: 'Pending Pottery', needs: ['arts'] });
  const stopping = await anAssessedEpisode(database, team);
  const keeping = await anAssessedEpisode(database, team);
  const first = await createOnwardReferral(database.pool, team.worker, stopping.referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
  });
  const second = await createOnwardReferral(database.pool, team.worker, keeping.referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
  });
  const cookies = await signInAs(app, database, team.worker);

  const form = await app.inject({ url: `/referrals/${stopping.referralId}/discharge`, cookies });
  assert.match(form.body, /Referrals to services still open/);
  assert.match(form.body, new RegExp(`name="onward-${first.id}"`));
  assert.match(form.body.replace(/\s+/g, ' '), /Pending Pottery, [^(]+\(Sent, waiting for a response\)/);
  const unanswered = await post(cookies, `/referrals/${stopping.referralId}/discharge/check`, {
    reason: 'person_chose_to_end',
    summary: 'Wants to stop',
  });
  assert.equal(unanswered.statusCode, 400);
  assert.match(unanswered.body, new RegExp(`href="#onward-${first.id}"`));
  assert.match(unanswered.body, /Choose whether to stop the referral to Pending Pottery/);

  const answers = { reason: 'person_chose_to_end', summary: 'Wants to stop', [`onward-${first.id}`]: 'stop' };
  const check = await post(cookies, `/referrals/${stopping.referralId}/discharge/check`, answers);
  assert.equal(check.statusCode, 200);
  assert.match(check.body.replace(/\s+/g, ' '), /Referred to Pending Pottery, [^:]+: Stopped; No attendance recorded/);
  const unchecked = await post(cookies, `/referrals/${stopping.referralId}/discharge`, answers);
  assert.equal(unchecked.statusCode, 400, 'not sent without the check page');
  assert.equal(await countRows(database, 'discharge', team.tenantId), 0);

  const changed = await post(cookies, `/referrals/${stopping.referralId}/discharge/change`, answers);
  assert.equal(changed.statusCode, 200);
  assert.match(changed.body, /Wants to stop<\/textarea>/, 'changing keeps the answers');

  assert.equal((await post(cookies, `/referrals/${stopping.referralId}/discharge`, { ...answers, checked: 'yes' })).statusCode, 303);
  assert.equal((await planForReferral(database.pool, team.worker, stopping.referralId)).onward[0]!.status, 'stopped');
  assert.equal((await getReferral(database.pool, team.worker, stopping.referralId)).referral.status, 'discharged');

  const kept = await post(cookies, `/referrals/${keeping.referralId}/discharge`, {
    reason: 'person_chose_to_end',
    summary: 'Carries on at pottery',
    [`onward-${second.id}`]: 'keep',
    checked: 'yes',
  });
  assert.equal(kept.statusCode, 303);
  assert.equal((await planForReferral(database.pool, team.worker, keeping.referralId)).onward[0]!.status, 'sent');
  const summary = await app.inject({ url: kept.headers.location!, cookies });
  assert.match(summary.body.replace(/\s+/g, ' '), /Still open with services: Pending Pottery, [^(]+\(Sent, waiting for a response\)/);
});

test('the summary and its PDF carry the letterhead, the PRSB headings, dates in words, capitalised values and every code that applies', async () => {
  const team = await aSocialPrescribingTeam(database);
  await setTenantAddress(database.pool, team.tenantId, 'Leeds North PCN, 12 Example Road, Leeds, LS6 2AA');
  const tenantName = (await database.pool.query<{ name: string }>('SELECT name FROM tenant WHERE id = $1', [team.tenantId])).rows[0]!.name;
  const walking = await aProviderService(database, team.provider, { name: 'Letterhead Walkers', needs: ['physical-activity'] });
  const { referralId } = await anAssessedEpisode(database, team, {
    givenName: 'Edith',
    familyName: 'Pdf',
    dateOfBirth: '1949-02-14',
    sex: 'female',
  });
  await addGoal(database.pool, team.worker, referralId, { goal: 'Walk to the shops' });
  // No need chosen when referring: the service's needs give the code.
  const sent = await createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: walking.id, consent: true });
  await providerRespond(database.pool, team.provider, sent.id, { to: 'accepted' });
  await providerAttendance(database.pool, team.provider, sent.id, { attended: true, sessionsAttended: 4, sessionsOffered: 5 });
  const cookies = await signInAs(app, database, team.worker);
  const done = await post(cookies, `/referrals/${referralId}/discharge`, {
    reason: 'connected_to_services',
    summary: 'Walks weekly',
    [`onward-${sent.id}`]: 'keep',
    checked: 'yes',
  });
  assert.equal(done.statusCode, 303);
  const id = done.headers.location!.split('/').at(-1)!;

  const doc = (await getDischargeSummary(database.pool, team.worker, id)).document;
  assert.deepEqual(
    doc.snomed.map((c) => c.code),
    ['871731000000106', '390893007'],
  );
  const page = await app.inject({ url: `/discharge-summaries/${id}`, cookies });
  const pdf = await pdfText((await app.inject({ url: `/discharge-summaries/${id}/pdf`, cookies })).rawPayload);
  for (const text of [page.body.replace(/\s+/g, ' '), pdf]) {
    assert.ok(
      text.indexOf(tenantName) >= 0 && text.indexOf(tenantName) < text.indexOf('Person demographics'),
      'the letterhead comes first',
    );
    assert.match(text, /12 Example Road/);
    for (const heading of [
      'Person demographics',
      'GP practice',
      'Referrer details',
      'What matters to me',
      'Needs and concerns',
      'Personalised care and support plan',
      'Activities referred to',
      'Outcome measures',
      'Social prescribing outcome',
      'Coded entries (SNOMED CT)',
    ]) {
      assert.ok(text.includes(heading), `the heading "${heading}"`);
    }
    assert.match(text, /Date of birth: 14 February 1949/);
    assert.match(text, /Sex: Female/);
    assert.match(text, /Loneliness and isolation: High need/);
    assert.match(text, /Goal: Walk to the shops \(Not started\)/);
    assert.match(text, /Referred to Letterhead Walkers, [^:]+: Attending; Attended 4 of 5 sessions/);
    assert.match(text, /Reason for discharge: Connected to community services/);
    assert.match(text, /871731000000106 Referral to social prescribing service/);
    assert.match(text, /390893007 Referral to physical activity program/);
    assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}/, 'no ISO dates');
  }
});
