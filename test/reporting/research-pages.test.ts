import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import type { Actor, Role } from '../../src/identity/actor.ts';
import { formSession, newFormToken, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aPractice, aTenant } from '../support/factories.ts';
import { aTestNhsNumber } from '../support/referrals-factories.ts';
import { aResearchPerson, csvRows, unzip } from '../support/research-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
let tenantId: string;
let practiceId: string;
let researcher: Actor;
let worker: Actor;
let referrer: Actor;
const actors: Partial<Record<Role, Actor>> = {};

before(async () => {
  database = await freshDatabase();
  // The first tenant created is where public self-referrals land.
  tenantId = (await aTenant(database, { name: 'Research Pages PCN' })).id;
  practiceId = (await aPractice(database, tenantId, { name: 'Cedar Surgery' })).id;
  for (const role of ['researcher', 'link_worker', 'lead', 'commissioner', 'referrer', 'admin', 'provider', 'curator'] as const) {
    actors[role] = await anActor(database, { tenantId, roles: [role], practiceId });
  }
  researcher = actors.researcher!;
  worker = actors.link_worker!;
  referrer = actors.referrer!;
  app = await testApp(database);
});
after(async () => {
  await app.close();
  await database.close();
});

async function post(url: string, form: Record<string, string | string[]>, cookies: Record<string, string> = {}, formUrl = url) {
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
  });
}

/** The words of a page, without tags, on one line. */
const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

async function researchConsents(personFamilyName: string) {
  const { rows } = await database.pool.query<{ active: boolean }>(
    `SELECT c.withdrawn_at IS NULL AS active FROM consent c JOIN person p ON p.id = c.person_id WHERE p.family_name = $1 AND c.kind = 'research'`,
    [personFamilyName],
  );
  return rows.map((r) => r.active);
}

test('only researchers reach the research pages; researchers reach no one else’s pages but the aggregate reports', async () => {
  for (const [role, actor] of Object.entries(actors)) {
    const cookies = await signInAs(app, database, actor!);
    const research = await app.inject({ url: '/research', cookies });
    assert.equal(research.statusCode, role === 'researcher' ? 200 : 403, `${role} on /research`);
    const home = await app.inject({ url: '/reports', cookies });
    assert.equal(/href="\/research"/.test(home.body), role === 'researcher', `${role} sees the Research link`);
  }
  const anonymous = await app.inject({ url: '/research' });
  assert.equal(anonymous.statusCode, 303);
  const cookies = await signInAs(app, database, researcher);
  for (const url of [
    '/caseload',
    '/triage',
    '/referrals/new',
    '/my-referrals',
    '/admin/users',
    '/provider/inbox',
    '/curation',
    '/safeguarding',
  ]) {
    assert.equal((await app.inject({ url, cookies })).statusCode, 403, `a researcher may not open ${url}`);
  }
  assert.equal((await app.inject({ url: '/reports', cookies })).statusCode, 200, 'aggregate reports stay open to researchers');
});

test('a researcher creates a project, generates an extract, sees its figures and downloads its files; bad input gets messages, not errors', async () => {
  const cookies = await signInAs(app, database, researcher);
  for (let i = 0; i < 5; i++) {
    await aResearchPerson(database, tenantId, {
      givenName: `Peregrine${i}`,
      familyName: `Pagetest${i}`,
      dateOfBirth: '1960-04-04',
      sex: 'female',
      ethnicity: 'A',
      deprivationDecile: 1,
      practiceId,
    });
  }
  const empty = await post('/research/projects', { name: ' ', purpose: '', approvalReference: '' }, cookies, '/research/projects/new');
  assert.equal(empty.statusCode, 400);
  for (const message of ['Enter a name for the project', 'Enter what the research is for', 'Enter the approval reference'])
    assert.ok(empty.body.includes(message), message);
  const tooLong = await post(
    '/research/projects',
    { name: 'x'.repeat(6000), purpose: 'p', approvalReference: 'r' },
    cookies,
    '/research/projects/new',
  );
  assert.equal(tooLong.statusCode, 400);
  const formToken = newFormToken();
  const created = await post(
    '/research/projects',
    { name: 'Walking groups', purpose: 'Do walking groups help?', approvalReference: 'IRAS 300001', formToken },
    cookies,
    '/research/projects/new',
  );
  assert.equal(created.statusCode, 303);
  const projectUrl = created.headers.location as string;
  assert.match(projectUrl, /^\/research\/projects\/[0-9a-f-]{36}$/);
  // A double click sends the same form twice: the second goes to the project the first made.
  const again = await post(
    '/research/projects',
    { name: 'Walking groups', purpose: 'Do walking groups help?', approvalReference: 'IRAS 300001', formToken },
    cookies,
    '/research/projects/new',
  );
  assert.equal(again.statusCode, 303);
  assert.equal(again.headers.location, projectUrl);
  const duplicate = await post(
    '/research/projects',
    { name: 'walking GROUPS', purpose: 'Again', approvalReference: 'IRAS 300002' },
    cookies,
    '/research/projects/new',
  );
  assert.equal(duplicate.statusCode, 400);
  assert.match(duplicate.body, /already exists/);
  const list = await app.inject({ url: '/research', cookies });
  assert.match(list.body, /Walking groups/);
  assert.match(list.body, /IRAS 300001/);

  const generated = await post(`${projectUrl}/extracts`, {}, cookies, projectUrl);
  assert.equal(generated.statusCode, 303);
  const extractUrl = generated.headers.location as string;
  const page = await app.inject({ url: extractUrl, cookies });
  assert.equal(page.statusCode, 200);
  assert.match(
    textOf(page.body),
    /With consent to research 5 Released 5 Generalised \(details made coarser\) 0 Suppressed \(left out\) 0 Smallest group sharing a combination 5/,
  );
  assert.ok(!page.body.includes('Pagetest'), 'the extract page names no one');

  const csv = await app.inject({ url: `${extractUrl}/files/referrals.csv`, cookies });
  assert.equal(csv.statusCode, 200);
  assert.match(csv.headers['content-type'] as string, /^text\/csv/);
  assert.match(csv.headers['content-disposition'] as string, /attachment; filename="referrals.csv"/);
  assert.equal(csvRows(csv.body).length, 5);
  const zip = await app.inject({ url: `${extractUrl}/extract.zip`, cookies });
  assert.equal(zip.statusCode, 200);
  assert.equal(zip.headers['content-type'], 'application/zip');
  const entries = unzip(zip.rawPayload);
  assert.equal(entries.get('referrals.csv'), csv.body);
  assert.ok(entries.has('manifest.json') && entries.has('data_dictionary.md') && entries.has('data_dictionary.csv'));

  // Filters: a bad month is a 400 with the message beside its field and nothing generated; good ones are listed on the extract's page.
  const before = (await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM research_extract')).rows[0]!.n;
  const bad = await post(`${projectUrl}/extracts`, { from: '2026-13', to: '', practice: '', need: 'astrology' }, cookies, projectUrl);
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /There is a problem/);
  assert.match(bad.body, /<a href="#from">\s*Enter the first month as a year and month/);
  assert.match(bad.body, /<a href="#need">\s*Select a need from the list/);
  assert.match(bad.body, /value="2026-13"/, 'what was typed is kept');
  assert.equal((await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM research_extract')).rows[0]!.n, before);
  const filtered = await post(
    `${projectUrl}/extracts`,
    { from: '2026-09', to: '2026-09', practice: practiceId, need: 'loneliness' },
    cookies,
    projectUrl,
  );
  assert.equal(filtered.statusCode, 303);
  const filteredPage = textOf((await app.inject({ url: filtered.headers.location as string, cookies })).body);
  assert.match(
    filteredPage,
    /Referrals received from 2026-09 Referrals received to 2026-09 Practice Cedar Surgery \(Y\d+\): one practice, pseudonym [0-9a-f]{16} \(the referral’s practice; the practice column uses the same pseudonyms\) Need loneliness \(Loneliness and isolation\)/,
  );
  assert.match(filteredPage, /Released 5 /);
  assert.match(textOf(page.body), /Practice all practices, and referrals with no practice Need any need/, 'the unfiltered extract says so');

  for (const url of [
    `${extractUrl}/files/..%2Fsecrets.csv`,
    `${extractUrl}/files/person.csv`,
    '/research/projects/not-a-uuid',
    `${projectUrl.replace(/.{4}$/, '0000')}`,
    `${extractUrl.replace(/.{4}$/, '0000')}/extract.zip`,
  ]) {
    assert.equal((await app.inject({ url, cookies })).statusCode, 404, url);
  }
  const other = await aTenant(database, { name: 'Elsewhere PCN' });
  const otherResearcher = await anActor(database, { tenantId: other.id, roles: ['researcher'] });
  const otherCookies = await signInAs(app, database, otherResearcher);
  assert.equal((await app.inject({ url: projectUrl, cookies: otherCookies })).statusCode, 404, 'another tenant’s project is not found');
  assert.equal((await app.inject({ url: `${extractUrl}/files/referrals.csv`, cookies: otherCookies })).statusCode, 404);
});

test('research consent is asked at staff intake and on the public form, defaults to not given, and is recorded and withdrawn on the person page', async () => {
  const cookies = await signInAs(app, database, referrer);
  const refer = async (familyName: string, research: string | undefined) => {
    const first = await post(
      '/referrals/new',
      {
        givenName: 'Rosalind',
        familyName,
        'dateOfBirth[day]': '1',
        'dateOfBirth[month]': '2',
        'dateOfBirth[year]': '1950',
        nhsNumber: aTestNhsNumber(),
        phone: '07700 900111',
        contactChannels: 'phone',
      },
      cookies,
    );
    const reason = await post(first.headers.location as string, { source: 'gp', reasons: ['loneliness'], urgency: 'routine' }, cookies);
    const consentUrl = reason.headers.location as string;
    const consentPage = await app.inject({ url: consentUrl, cookies });
    assert.match(consentPage.body, /used for approved research/);
    const consent = await post(
      consentUrl,
      { consentToRefer: 'yes', consentToShare: 'yes', ...(research ? { consentToResearch: research } : {}) },
      cookies,
    );
    const check = await app.inject({ url: consent.headers.location as string, cookies });
    assert.match(textOf(check.body), new RegExp(`Agreed to research use of records ${research === 'yes' ? 'Yes' : 'No'} `));
    assert.equal((await post(consent.headers.location as string, { personChoice: 'new' }, cookies)).statusCode, 303);
  };
  await refer('Yesresearch', 'yes');
  await refer('Noresearch', 'no');
  await refer('Unanswered', undefined);
  assert.deepEqual(await researchConsents('Yesresearch'), [true]);
  assert.deepEqual(await researchConsents('Noresearch'), []);
  assert.deepEqual(await researchConsents('Unanswered'), []);

  const publicForm = await app.inject('/refer-yourself');
  assert.match(publicForm.body, /Can your records be used for research\?/);
  const self = (familyName: string, extra: Record<string, string>) => ({
    givenName: 'Sylvia',
    familyName,
    'dateOfBirth[day]': '3',
    'dateOfBirth[month]': '9',
    'dateOfBirth[year]': '1958',
    postcode: 'ls6 3ab',
    phone: '07700 900456',
    contactChannels: 'phone',
    safeToLeaveMessage: 'yes',
    reasons: 'loneliness',
    consentToRefer: 'yes',
    website: '',
    ...extra,
  });
  for (const [familyName, extra] of [
    ['Selfyes', { consentToResearch: 'yes' }],
    ['Selfdefault', {}],
  ] as const) {
    const sent = await post('/refer-yourself/send', { answers: JSON.stringify(self(familyName, extra)) }, {}, '/refer-yourself');
    assert.equal(sent.statusCode, 303);
    assert.match(sent.headers.location as string, /^\/refer-yourself\/sent\?reference=SP-/);
  }
  assert.deepEqual(await researchConsents('Selfyes'), [true]);
  assert.deepEqual(await researchConsents('Selfdefault'), []);

  const staff = await signInAs(app, database, worker);
  const { rows } = await database.pool.query<{ id: string }>(`SELECT id FROM person WHERE family_name = 'Noresearch'`);
  const personUrl = `/people/${rows[0]!.id}`;
  assert.match((await app.inject({ url: personUrl, cookies: staff })).body, /Record consent to research/);
  assert.equal((await post(`${personUrl}/consents/research`, {}, staff, personUrl)).statusCode, 303);
  assert.deepEqual(await researchConsents('Noresearch'), [true]);
  const page = await app.inject({ url: personUrl, cookies: staff });
  assert.match(page.body, /Research use of pseudonymised records/);
  assert.ok(!page.body.includes('Record consent to research'), 'no second button while one is active');
  assert.equal(
    (await post(`${personUrl}/consents/research`, {}, staff, personUrl)).statusCode,
    409,
    'a second active research consent is refused',
  );
  const consentId = (
    await database.pool.query<{ id: string }>(`SELECT id FROM consent WHERE person_id = $1 AND kind = 'research'`, [rows[0]!.id])
  ).rows[0]!.id;
  assert.equal(
    (await post(`${personUrl}/consents/${consentId}/withdraw`, { reason: 'Changed their mind' }, staff, personUrl)).statusCode,
    303,
  );
  assert.deepEqual(await researchConsents('Noresearch'), [false]);
  assert.equal(
    (await post(`${personUrl}/consents/research`, {}, await signInAs(app, database, researcher), '/research')).statusCode,
    403,
    'researchers never record consent',
  );
});
