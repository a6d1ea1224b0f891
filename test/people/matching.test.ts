import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import * as referrals from '../../src/referrals/service.ts';
import * as people from '../../src/people/service.ts';
import { InvalidInput, RuleBroken } from '../../src/web/errors.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aTenant } from '../support/factories.ts';
import { auditEvents } from '../support/identity-factories.ts';
import { aReferral, aTestNhsNumber } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
let tenantId: string;
let lead: Actor;
let worker: Actor;
let referrer: Actor;
let leadCookies: Record<string, string>;

before(async () => {
  database = await freshDatabase();
  // The first tenant created is where public self-referrals land.
  tenantId = (await aTenant(database, { name: 'Matching PCN' })).id;
  lead = await anActor(database, { tenantId, roles: ['lead'] });
  worker = await anActor(database, { tenantId, roles: ['link_worker'] });
  referrer = await anActor(database, { tenantId, roles: ['referrer'] });
  app = await testApp(database);
  leadCookies = await signInAs(app, database, lead);
});
after(async () => {
  await app.close();
  await database.close();
});

function selfReferral(overrides: Record<string, string | string[]> = {}) {
  return {
    givenName: 'Robin',
    familyName: 'Public',
    'dateOfBirth[day]': '3',
    'dateOfBirth[month]': '9',
    'dateOfBirth[year]': '1958',
    postcode: 'LS6 3AB',
    phone: '07700 900456',
    email: 'robin@example.com',
    contactChannels: ['email', 'phone'],
    safeToLeaveMessage: 'yes',
    reasons: ['loneliness'],
    context: 'I would like to meet people.',
    consentToRefer: 'yes',
    consentToShare: 'yes',
    website: '',
    ...overrides,
  };
}

/** Sends a self-referral as the public would; returns the reference on the confirmation page. */
async function sendSelfReferral(form: Record<string, string | string[]>): Promise<string> {
  const res = await postForm(app, {}, '/refer-yourself/send', { answers: JSON.stringify(form) }, '/refer-yourself');
  assert.equal(res.statusCode, 303, res.body);
  const confirmation = await app.inject({ url: res.headers.location as string });
  assert.equal(confirmation.statusCode, 200);
  return /id="reference">(SP-[0-9A-Z]{8})</.exec(confirmation.body)![1]!;
}

async function referralByReference(reference: string) {
  const { rows } = await database.pool.query<{ id: string; personId: string }>(
    'SELECT id, person_id AS "personId" FROM referral WHERE reference = $1',
    [reference],
  );
  return rows[0]!;
}

async function matchRow(referralId: string) {
  const { rows } = await database.pool.query<{
    reason: string;
    nhsNumber: string | null;
    decision: string | null;
    matchedPersonId: string | null;
    submittedPersonId: string;
  }>(
    `SELECT reason, nhs_number AS "nhsNumber", decision, matched_person_id AS "matchedPersonId", submitted_person_id AS "submittedPersonId"
       FROM referral_match WHERE referral_id = $1`,
    [referralId],
  );
  return rows[0];
}

async function personRow(personId: string) {
  const { rows } = await database.pool.query<{ nhsNumber: string | null; awaitingMatch: boolean; mergedIntoId: string | null }>(
    'SELECT nhs_number AS "nhsNumber", awaiting_match AS "awaitingMatch", merged_into_id AS "mergedIntoId" FROM person WHERE id = $1',
    [personId],
  );
  return rows[0]!;
}

/** A known person whose link worker recorded every consent as withdrawn. */
async function aPersonWhoWithdrewConsent(person: { nhsNumber: string; givenName: string; familyName: string; dateOfBirth: string }) {
  const made = await aReferral(database, worker, { person: { ...person, email: 'known@example.com', contactChannels: ['email'] } });
  for (const consent of (await people.getPerson(database.pool, worker, made.personId)).consents) {
    await people.withdrawConsent(database.pool, worker, made.personId, consent.id, 'Asked us to stop');
  }
  return made;
}

const snapshot = async (personId: string) => {
  const page = await people.getPerson(database.pool, worker, personId);
  return {
    referrals: page.referrals.map((r) => r.id).sort(),
    consents: page.consents
      .map((c) => ({ id: c.id, kind: c.kind, withdrawn: c.withdrawnAt !== null }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    person: { given: page.person.givenName, family: page.person.familyName, born: page.person.dateOfBirth, version: page.person.version },
  };
};

let strangerReference = '';

test('a self-referral with a known NHS number but another name and date of birth leaves that record alone and waits to be matched', async () => {
  const known = await aPersonWhoWithdrewConsent({
    nhsNumber: '9990002029',
    givenName: 'Margaret',
    familyName: 'Knownperson',
    dateOfBirth: '1950-01-01',
  });
  const before = await snapshot(known.personId);
  assert.equal(before.consents.length, 3);
  assert.ok(before.consents.every((c) => c.withdrawn));

  strangerReference = await sendSelfReferral(selfReferral({ nhsNumber: '999 000 2029', givenName: 'Stranger', familyName: 'Elsewhere' }));

  assert.deepEqual(await snapshot(known.personId), before, 'the known person’s referrals, consents and details are unchanged');
  const referral = await referralByReference(strangerReference);
  assert.notEqual(referral.personId, known.personId);
  assert.deepEqual(await matchRow(referral.id), {
    reason: 'self_referral',
    nhsNumber: '9990002029',
    decision: null,
    matchedPersonId: null,
    submittedPersonId: referral.personId,
  });
  // The held record carries no NHS number (the known person holds it) and the consents given online.
  assert.deepEqual(await personRow(referral.personId), { nhsNumber: null, awaitingMatch: true, mergedIntoId: null });
  const held = await people.getPerson(database.pool, worker, referral.personId);
  assert.deepEqual(held.consents.map((c) => [c.kind, c.recordedByDescription, c.withdrawnAt]).sort(), [
    ['contact', 'The person, online', null],
    ['refer', 'The person, online', null],
    ['share', 'The person, online', null],
  ]);

  const triage = await app.inject({ url: '/triage', cookies: leadCookies });
  assert.match(triage.body, new RegExp(`${strangerReference}[\\s\\S]*?Needs matching[\\s\\S]*?/triage/${referral.id}/match`));
});

test('a held referral cannot be accepted or allocated until matched, and the referral page says why', async () => {
  const referral = await referralByReference(strangerReference);
  await assert.rejects(
    referrals.acceptReferral(database.pool, lead, referral.id),
    (e) => e instanceof RuleBroken && /Match this referral/.test(e.message),
  );
  await assert.rejects(referrals.allocateReferral(database.pool, lead, referral.id, { linkWorkerId: worker.userId }), RuleBroken);
  const page = await app.inject({ url: `/referrals/${referral.id}`, cookies: leadCookies });
  assert.match(page.body, /id="needs-matching"/);
  assert.doesNotMatch(page.body, /Accept referral|Allocate to a link worker/);
});

test('a public submission whose details all match a record still arrives unmatched', async () => {
  const nhsNumber = aTestNhsNumber();
  const known = await aPersonWhoWithdrewConsent({ nhsNumber, givenName: 'Robin', familyName: 'Public', dateOfBirth: '1958-09-03' });
  const before = await snapshot(known.personId);
  const reference = await sendSelfReferral(selfReferral({ nhsNumber }));
  assert.deepEqual(await snapshot(known.personId), before);
  const referral = await referralByReference(reference);
  assert.notEqual(referral.personId, known.personId);
  assert.equal((await matchRow(referral.id))?.decision, null);
});

test('the lead sees what agrees and differs; "the same person" attaches the referral and leaves the record’s consents as they were', async () => {
  const nhsNumber = aTestNhsNumber();
  const known = await aPersonWhoWithdrewConsent({ nhsNumber, givenName: 'Petra', familyName: 'Sameperson', dateOfBirth: '1961-02-03' });
  const before = await snapshot(known.personId);
  const reference = await sendSelfReferral(
    selfReferral({
      nhsNumber,
      givenName: 'petra',
      familyName: 'Same-Person',
      'dateOfBirth[day]': '3',
      'dateOfBirth[month]': '2',
      'dateOfBirth[year]': '1961',
      email: 'KNOWN@example.com',
    }),
  );
  const referral = await referralByReference(reference);

  const url = `/triage/${referral.id}/match`;
  const page = await app.inject({ url, cookies: leadCookies });
  assert.equal(page.statusCode, 200);
  const table = /<table[^>]*id="compare-[^"]+"[\s\S]*?<\/table>/.exec(page.body)![0];
  const agreement = (label: string) => new RegExp(`${label}[\\s\\S]*?nhsuk-tag[^>]*>(Agrees|Differs|Cannot compare)<`).exec(table)![1];
  assert.equal(agreement('NHS number'), 'Agrees');
  assert.equal(agreement('Name'), 'Agrees', 'case and hyphens are how one name gets typed twice');
  assert.equal(agreement('Date of birth'), 'Agrees');
  assert.equal(agreement('Postcode'), 'Cannot compare', 'the record holds no postcode');
  assert.equal(agreement('Phone'), 'Differs');
  assert.equal(agreement('Email'), 'Agrees');
  assert.match(page.body, new RegExp(`value="${known.personId}"`));
  assert.match(page.body, /Agreed to the referral; to sharing their details with services that can help; to being contacted/);

  const unanswered = await postForm(app, leadCookies, url, {}, url);
  assert.equal(unanswered.statusCode, 400);
  assert.match(unanswered.body, /Select whether this is the same person/);

  const done = await postForm(app, leadCookies, url, { choice: known.personId }, url);
  assert.equal(done.statusCode, 303);
  const after = await snapshot(known.personId);
  assert.deepEqual(after.referrals, [...before.referrals, referral.id].sort());
  assert.deepEqual(after.consents, before.consents, 'no consent added, none re-activated');
  assert.deepEqual(await personRow(referral.personId), { nhsNumber: null, awaitingMatch: false, mergedIntoId: known.personId });
  assert.equal((await matchRow(referral.id))?.decision, 'same_person');
  const audit = (await auditEvents(database, tenantId)).filter((e) => e.action === 'referral.match' && e.entityId === referral.id);
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.userId, lead.userId);
  assert.match(audit[0]!.reason ?? '', /Same person/);

  const workerCookies = await signInAs(app, database, worker);
  const referralPage = await app.inject({ url: `/referrals/${referral.id}`, cookies: workerCookies });
  assert.match(
    referralPage.body,
    /id="submitted-consents">With this referral the person agreed to the referral; [\s\S]*?confirm them with the person/,
  );
  // The link worker confirms with the person, then records what they agreed to on the record.
  const consentsUrl = `/referrals/${referral.id}/confirmed-consents`;
  assert.equal((await postForm(app, workerCookies, consentsUrl, {}, `/referrals/${referral.id}`)).statusCode, 400);
  const confirmed = await postForm(app, workerCookies, consentsUrl, { consents: ['refer', 'contact'] }, `/referrals/${referral.id}`);
  assert.equal(confirmed.statusCode, 303);
  const withConfirmed = await people.getPerson(database.pool, worker, known.personId);
  assert.deepEqual(
    withConfirmed.consents
      .filter((c) => !c.withdrawnAt)
      .map((c) => [c.kind, c.recordedByName])
      .sort(),
    [
      ['contact', worker.name],
      ['refer', worker.name],
    ],
  );
  assert.equal((await postForm(app, workerCookies, consentsUrl, { consents: 'share' }, `/referrals/${referral.id}`)).statusCode, 409);
  assert.match(
    (await app.inject({ url: `/referrals/${referral.id}`, cookies: workerCookies })).body,
    /id="consents-confirmed">Confirmed with the person by/,
  );
  // Decided once: a second decision (another lead, an old tab) is refused.
  const again = await postForm(app, leadCookies, url, { choice: 'new' }, url);
  assert.equal(again.statusCode, 409);
  assert.equal((await personRow(referral.personId)).mergedIntoId, known.personId);
  // Now matched, it can be accepted.
  await referrals.acceptReferral(database.pool, lead, referral.id);
});

test('"a different person" keeps a new record; an NHS number held by another record must be corrected or cleared', async () => {
  const referral = await referralByReference(strangerReference);
  const url = `/triage/${referral.id}/match`;
  const page = await app.inject({ url, cookies: leadCookies });
  assert.match(page.body, /Name[\s\S]*?nhsuk-tag[^>]*>Differs</);
  assert.match(page.body, /NHS number 999 000 2029 is on another record/);

  const kept = await postForm(app, leadCookies, url, { choice: 'new', nhsNumber: '999 000 2029' }, url);
  assert.equal(kept.statusCode, 400);
  assert.match(kept.body, /Another record has this NHS number/);
  const invalid = await postForm(app, leadCookies, url, { choice: 'new', nhsNumber: '999 000 2028' }, url);
  assert.equal(invalid.statusCode, 400);
  assert.match(invalid.body, /not a real NHS number/);
  assert.equal((await matchRow(referral.id))?.decision, null);

  const cleared = await postForm(app, leadCookies, url, { choice: 'new', nhsNumber: '' }, url);
  assert.equal(cleared.statusCode, 303);
  assert.deepEqual(await personRow(referral.personId), { nhsNumber: null, awaitingMatch: false, mergedIntoId: null });
  assert.equal((await matchRow(referral.id))?.decision, 'different_person');
  const audit = (await auditEvents(database, tenantId)).find((e) => e.action === 'referral.match' && e.entityId === referral.id);
  assert.match(audit?.reason ?? '', /Different person.*NHS number cleared/);

  // With no clash the submitted NHS number goes onto the new record; a corrected one replaces it.
  const free = aTestNhsNumber();
  const fresh = await referralByReference(
    await sendSelfReferral(selfReferral({ nhsNumber: free, givenName: 'Nobody', familyName: 'Knownyet' })),
  );
  const freshUrl = `/triage/${fresh.id}/match`;
  assert.match((await app.inject({ url: freshUrl, cookies: leadCookies })).body, /id="no-candidates"/);
  assert.equal((await postForm(app, leadCookies, freshUrl, { choice: 'new', nhsNumber: '999 000 2029' }, freshUrl)).statusCode, 303);
  assert.equal((await personRow(fresh.personId)).nhsNumber, free);
});

test('a staff referral whose NHS number is on a record with another name is a mismatch: said so, never attached, sent for a lead to match', async () => {
  const nhsNumber = aTestNhsNumber();
  const known = await aReferral(database, worker, {
    person: { nhsNumber, givenName: 'Quentin', familyName: 'Holder', dateOfBirth: '1944-04-04' },
  });
  const before = await snapshot(known.personId);
  const cookies = await signInAs(app, database, referrer);
  const first = await postForm(
    app,
    cookies,
    '/referrals/new',
    {
      givenName: 'Ursula',
      familyName: 'Typo',
      'dateOfBirth[day]': '4',
      'dateOfBirth[month]': '4',
      'dateOfBirth[year]': '1944',
      nhsNumber,
    },
    '/referrals/new',
  );
  const base = (first.headers.location as string).replace(/\/reason$/, '');
  await postForm(app, cookies, `${base}/reason`, { source: 'gp', reasons: 'loneliness' }, `${base}/reason`);
  await postForm(app, cookies, `${base}/consent`, { consentToRefer: 'yes', consentToShare: 'yes' }, `${base}/consent`);

  const check = await app.inject({ url: `${base}/check`, cookies });
  assert.match(check.body, /id="nhs-number-mismatch">NHS number \d{3} \d{3} \d{4} is already on a record with a different name\./);
  assert.doesNotMatch(check.body, /Quentin|Holder/, 'the other person’s details are not shown to the referrer');
  assert.doesNotMatch(check.body, new RegExp(`value="${known.personId}"`));
  assert.match(check.body, new RegExp(`href="${base}/person">Go back and correct the NHS number`));

  const attach = await postForm(app, cookies, `${base}/check`, { personChoice: known.personId }, `${base}/check`);
  assert.equal(attach.statusCode, 400);
  assert.match(attach.body, /on a record with a different name or date of birth/);
  const sent = await postForm(app, cookies, `${base}/check`, { personChoice: 'unmatched' }, `${base}/check`);
  assert.equal(sent.statusCode, 303);
  assert.match(sent.headers.location as string, /held=yes/);
  const reference = /reference=(SP-[0-9A-Z]{8})/.exec(sent.headers.location as string)![1]!;
  const referral = await referralByReference(reference);
  assert.deepEqual(await snapshot(known.personId), before);
  assert.equal((await matchRow(referral.id))?.reason, 'nhs_number_mismatch');
  assert.equal((await matchRow(referral.id))?.nhsNumber, nhsNumber);

  // The intake itself refuses the attachment too, whatever page sent it.
  await assert.rejects(
    aReferral(database, worker, {
      person: { nhsNumber, givenName: 'Ursula', familyName: 'Typo', dateOfBirth: '1944-04-04' },
      personChoice: known.personId,
    }),
    (e) => e instanceof InvalidInput && /different name or date of birth/.test(e.message),
  );
  // And the lead sees it with the record that holds the number.
  const matchPage = await app.inject({ url: `/triage/${referral.id}/match`, cookies: leadCookies });
  assert.match(matchPage.body, /entered an NHS number that is on a record with a different name/);
  assert.match(matchPage.body, new RegExp(`value="${known.personId}"`));
});

test('a true duplicate (same NHS number, same name and date of birth) is still offered to choose on check your answers', async () => {
  const nhsNumber = aTestNhsNumber();
  const known = await aReferral(database, worker, {
    person: { nhsNumber, givenName: 'Tabitha', familyName: 'Twice', dateOfBirth: '1977-07-07' },
  });
  const cookies = await signInAs(app, database, worker);
  const first = await postForm(
    app,
    cookies,
    '/referrals/new',
    {
      givenName: 'TABITHA',
      familyName: 'Twice',
      'dateOfBirth[day]': '7',
      'dateOfBirth[month]': '7',
      'dateOfBirth[year]': '1977',
      nhsNumber,
    },
    '/referrals/new',
  );
  const base = (first.headers.location as string).replace(/\/reason$/, '');
  await postForm(app, cookies, `${base}/reason`, { source: 'gp', reasons: 'loneliness' }, `${base}/reason`);
  await postForm(app, cookies, `${base}/consent`, { consentToRefer: 'yes', consentToShare: 'yes' }, `${base}/consent`);
  const check = await app.inject({ url: `${base}/check`, cookies });
  assert.match(check.body, /This person may already have a record/);
  assert.doesNotMatch(check.body, /nhs-number-mismatch/);
  const sent = await postForm(app, cookies, `${base}/check`, { personChoice: known.personId }, `${base}/check`);
  assert.equal(sent.statusCode, 303);
  assert.equal((await people.getPerson(database.pool, worker, known.personId)).referrals.length, 2);
});

test('a held record cannot be merged or edited by hand, and another tenant’s lead cannot open the match page', async () => {
  const reference = await sendSelfReferral(selfReferral({ givenName: 'Held', familyName: 'Record' }));
  const referral = await referralByReference(reference);
  const other = await aReferral(database, worker, {
    person: { nhsNumber: null, givenName: 'Held', familyName: 'Record', dateOfBirth: '1958-09-03' },
  });
  await assert.rejects(people.mergePeople(database.pool, worker, other.personId, referral.personId), RuleBroken);
  const held = await people.getPerson(database.pool, worker, referral.personId);
  await assert.rejects(
    people.updatePerson(database.pool, worker, referral.personId, held.person.version, { ...held.person, nhsNumber: aTestNhsNumber() }),
    (e) => e instanceof RuleBroken && /waiting for a lead to match/.test(e.message),
  );
  const stranger = await anActor(database, { roles: ['lead'] });
  const strangerCookies = await signInAs(app, database, stranger);
  assert.equal((await app.inject({ url: `/triage/${referral.id}/match`, cookies: strangerCookies })).statusCode, 404);
  const garbled = await postForm(
    app,
    leadCookies,
    `/triage/${referral.id}/match`,
    { choice: 'not-a-person' },
    `/triage/${referral.id}/match`,
  );
  assert.equal(garbled.statusCode, 400);
});
