import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { bookAppointment, cancelAppointment } from '../../src/appointments/service.ts';
import type { Database } from '../../src/db/database.ts';
import { addDays, localDate } from '../../src/calendar/london.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { createOnwardReferral, providerRespond } from '../../src/social-prescriptions/service.ts';
import { formatNhsNumber } from '../../src/people/nhs-number.ts';
import { allocateReferral } from '../../src/referrals/service.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aPractice } from '../support/factories.ts';
import { aProviderService, aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { aReferral, aTestNhsNumber, transitionRows } from '../support/referrals-factories.ts';
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

const get = async (actor: Actor, url: string) => app.inject({ url, cookies: await signInAs(app, database, actor) });

async function referenceOf(referralId: string): Promise<string> {
  const { rows } = await database.pool.query<{ reference: string }>('SELECT reference FROM referral WHERE id = $1', [referralId]);
  return rows[0]!.reference;
}

async function auditActions(referralId: string): Promise<string[]> {
  const { rows } = await database.pool.query<{ action: string }>(
    'SELECT action FROM audit_event WHERE entity_id = $1 ORDER BY occurred_at, id',
    [referralId],
  );
  return rows.map((r) => r.action);
}

/** Two tenants: a team with referrals to find, and a stranger tenant holding a person of the same name. */
async function searchWorld() {
  const team = await aSocialPrescribingTeam(database);
  const practice = await aPractice(database, team.tenantId);
  const referrer = await anActor(database, { tenantId: team.tenantId, roles: ['referrer'], practiceId: practice.id });
  const nhsNumber = aTestNhsNumber();
  const wanted = await aReferral(database, referrer, {
    person: { givenName: 'Winifred', familyName: 'Quarrington', nhsNumber, practiceId: practice.id },
  });
  const other = await aReferral(database, referrer, {
    person: { givenName: 'Bartholomew', familyName: 'Pennington', practiceId: practice.id },
  });
  const stranger = await aSocialPrescribingTeam(database);
  const strangerReferral = await aReferral(database, stranger.lead, { person: { givenName: 'Winifred', familyName: 'Quarrington' } });
  return {
    team,
    referrer,
    nhsNumber,
    wanted,
    other,
    stranger,
    strangerReferral,
    reference: await referenceOf(wanted.referralId),
    strangerReference: await referenceOf(strangerReferral.referralId),
  };
}

test('triage finds a referral by name, NHS number with or without spaces, and reference with or without SP-, and never another tenant’s', async () => {
  const w = await searchWorld();
  const search = (q: string) => get(w.team.lead, `/triage?q=${encodeURIComponent(q)}`);
  const spaced = formatNhsNumber(w.nhsNumber);
  assert.match(spaced, / /, 'the spaced form has spaces');
  for (const q of ['quarrington', 'Winifred Quarr', w.nhsNumber, spaced, w.reference, w.reference.slice(3).toLowerCase()]) {
    const res = await search(q);
    assert.equal(res.statusCode, 200, q);
    assert.match(res.body, new RegExp(w.reference), `"${q}" finds the referral`);
    assert.doesNotMatch(res.body, /Pennington/, `"${q}" leaves out other people`);
    assert.match(res.body, /1 result for/);
  }
  // Nothing for the other tenant's reference here; the stranger's own lead finds it (positive control).
  const elsewhere = await search(w.strangerReference);
  assert.match(elsewhere.body, /No referrals waiting match your search/);
  assert.doesNotMatch(elsewhere.body, new RegExp(w.strangerReference.replace('-', '\\-') + '<'));
  const own = await get(w.stranger.lead, `/triage?q=${w.strangerReference}`);
  assert.match(own.body, new RegExp(w.strangerReference));
  // Without a search, both of the home tenant's referrals are listed.
  const all = await get(w.team.lead, '/triage');
  assert.match(all.body, /Pennington/);
  assert.match(all.body, /Quarrington/);
});

test('a search for text that matches no one says so, and odd characters are searched as text', async () => {
  const w = await searchWorld();
  for (const q of ['%', '_', 'Quarrington%', "O'Brien", '\\']) {
    const res = await get(w.team.lead, `/triage?q=${encodeURIComponent(q)}`);
    assert.equal(res.statusCode, 200, q);
    assert.match(res.body, /No referrals waiting match your search/, `"${q}" matches nothing`);
  }
  const long = await get(w.team.lead, `/triage?q=${'a'.repeat(101)}`);
  assert.equal(long.statusCode, 400);
  assert.match(long.body, /Search must be 100 characters or fewer/);
});

test('the caseload search keeps to the worker’s caseload and the tenant, beside the unfiltered list', async () => {
  const w = await searchWorld();
  await allocateReferral(database.pool, w.team.lead, w.wanted.referralId, { linkWorkerId: w.team.worker.userId });
  await allocateReferral(database.pool, w.team.lead, w.other.referralId, { linkWorkerId: w.team.worker.userId });
  await allocateReferral(database.pool, w.stranger.lead, w.strangerReferral.referralId, { linkWorkerId: w.stranger.worker.userId });
  const found = await get(w.team.worker, `/caseload?q=${encodeURIComponent(formatNhsNumber(w.nhsNumber))}`);
  assert.equal(found.statusCode, 200);
  assert.match(found.body, /Winifred Quarrington/);
  assert.doesNotMatch(found.body, /Pennington/);
  const byReference = await get(w.team.worker, `/caseload?q=${w.reference}&sort=due`);
  assert.match(byReference.body, /Winifred Quarrington/);
  assert.doesNotMatch(byReference.body, /Pennington/);
  const none = await get(w.team.worker, `/caseload?q=${w.strangerReference}`);
  assert.match(none.body, /No open referrals match your search/);
  const everyone = await get(w.team.worker, '/caseload');
  assert.match(everyone.body, /Winifred Quarrington/);
  assert.match(everyone.body, /Bartholomew Pennington/);
  // The stranger's worker finds their own Winifred by name (positive control), never this tenant's.
  const theirs = await get(w.stranger.worker, '/caseload?q=winifred');
  assert.match(theirs.body, new RegExp(w.strangerReference));
  assert.doesNotMatch(theirs.body, new RegExp(w.reference));
});

test('My referrals searches, pages 25 at a time, and each row opens the referral’s status page', async () => {
  const w = await searchWorld();
  for (let i = 0; i < 26; i++)
    await aReferral(database, w.referrer, { person: { givenName: 'Paged', familyName: `Person${String(i).padStart(2, '0')}` } });
  const first = await get(w.referrer, '/my-referrals');
  assert.equal(first.statusCode, 200);
  assert.match(first.body, /28 referrals \(page 1 of 2\)/);
  assert.equal(first.body.match(/href="\/my-referrals\/[0-9a-f-]{36}"/g)?.length, 25);
  assert.match(first.body, /href="\/my-referrals\?page=2"/);
  const second = await get(w.referrer, '/my-referrals?page=2');
  assert.equal(second.body.match(/href="\/my-referrals\/[0-9a-f-]{36}"/g)?.length, 3);
  assert.match(second.body, /Winifred Quarrington/, 'the oldest are on the last page');

  const searched = await get(w.referrer, `/my-referrals?q=${w.nhsNumber}`);
  assert.match(searched.body, /1 referral</);
  assert.match(searched.body, new RegExp(`href="/my-referrals/${w.wanted.referralId}"`));
  const none = await get(w.referrer, `/my-referrals?q=${w.strangerReference}`);
  assert.match(none.body, /None of your referrals match your search/);

  const status = await get(w.referrer, `/my-referrals/${w.wanted.referralId}`);
  assert.equal(status.statusCode, 200);
  assert.match(status.body, /Winifred Quarrington/);
  assert.match(status.body, /Not allocated yet/);
  assert.match(status.body, /Received/);
  // Another practice's referrer in the same tenant, and another tenant, get a 404.
  const colleague = await anActor(database, { tenantId: w.team.tenantId, roles: ['referrer'] });
  assert.equal((await get(colleague, `/my-referrals/${w.wanted.referralId}`)).statusCode, 404);
  const strangerReferrer = await anActor(database, { tenantId: w.stranger.tenantId, roles: ['referrer'] });
  assert.equal((await get(strangerReferrer, `/my-referrals/${w.wanted.referralId}`)).statusCode, 404);
  assert.equal((await get(w.referrer, '/my-referrals/not-a-uuid')).statusCode, 404);
});

test('a lead accepts several referrals at once, each with its own transition and audit row', async () => {
  const team = await aSocialPrescribingTeam(database);
  const a = await aReferral(database, team.lead, { person: { givenName: 'Bulk', familyName: 'Acceptone' } });
  const b = await aReferral(database, team.lead, { person: { givenName: 'Bulk', familyName: 'Accepttwo' } });
  const untouched = await aReferral(database, team.lead, { person: { givenName: 'Bulk', familyName: 'Leftalone' } });
  const cookies = await signInAs(app, database, team.lead);
  const res = await postForm(app, cookies, '/triage/bulk', { action: 'accept', referralIds: [a.referralId, b.referralId] }, '/triage');
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/triage?done=accepted&count=2');
  for (const r of [a, b]) {
    assert.deepEqual(
      (await transitionRows(database, r.referralId)).map((t) => t.toStatus),
      ['received', 'triaged'],
    );
    assert.ok((await auditActions(r.referralId)).includes('referral.transition'));
  }
  assert.deepEqual(
    (await transitionRows(database, untouched.referralId)).map((t) => t.toStatus),
    ['received'],
  );
  const page = await app.inject({ url: String(res.headers.location), cookies });
  assert.match(page.body, /2 referrals accepted\./);
});

test('a bulk allocation with one referral that cannot move changes nothing and names that referral', async () => {
  const team = await aSocialPrescribingTeam(database);
  const ok = await aReferral(database, team.lead, { person: { givenName: 'Alloc', familyName: 'Fineperson' } });
  const held = await aReferral(database, team.lead, {
    person: { givenName: 'Alloc', familyName: 'Heldperson' },
    personChoice: 'unmatched',
  });
  const cookies = await signInAs(app, database, team.lead);
  const heldReference = await referenceOf(held.referralId);

  const refused = await postForm(
    app,
    cookies,
    '/triage/bulk',
    { action: 'allocate', linkWorkerId: team.worker.userId, referralIds: [ok.referralId, held.referralId] },
    '/triage',
  );
  assert.equal(refused.statusCode, 400);
  assert.match(refused.body, /Nothing was changed/);
  assert.match(refused.body, new RegExp(`${heldReference} \\(Alloc Heldperson\\): it is waiting to be matched to a person`));
  assert.match(refused.body, new RegExp(`href="#referral-${held.referralId}"`));
  assert.match(refused.body, new RegExp(`id="referral-${ok.referralId}"[^>]*checked`), 'the selection is kept');
  for (const r of [ok, held]) {
    assert.deepEqual(
      (await transitionRows(database, r.referralId)).map((t) => t.toStatus),
      ['received'],
      'nothing moved',
    );
    assert.ok(!(await auditActions(r.referralId)).includes('referral.allocate'));
  }

  // Without the held one, both steps happen for the other, with an allocation audit row.
  const done = await postForm(
    app,
    cookies,
    '/triage/bulk',
    { action: 'allocate', linkWorkerId: team.worker.userId, referralIds: [ok.referralId] },
    '/triage',
  );
  assert.equal(done.statusCode, 303);
  assert.deepEqual(
    (await transitionRows(database, ok.referralId)).map((t) => t.toStatus),
    ['received', 'triaged', 'allocated'],
  );
  assert.ok((await auditActions(ok.referralId)).includes('referral.allocate'));
  // Allocating it again in bulk is refused: it has left the queue.
  const again = await postForm(
    app,
    cookies,
    '/triage/bulk',
    { action: 'allocate', linkWorkerId: team.worker.userId, referralIds: [ok.referralId] },
    '/triage',
  );
  assert.equal(again.statusCode, 400);
  assert.match(again.body, /it is already allocated/);
});

test('bulk triage refuses a missing selection, a missing link worker and another tenant’s referral', async () => {
  const team = await aSocialPrescribingTeam(database);
  const mine = await aReferral(database, team.lead, { person: { givenName: 'Bulk', familyName: 'Minenotmoved' } });
  const stranger = await aSocialPrescribingTeam(database);
  const theirs = await aReferral(database, stranger.lead, { person: { givenName: 'Bulk', familyName: 'Theirsnotmoved' } });
  const cookies = await signInAs(app, database, team.lead);
  const none = await postForm(app, cookies, '/triage/bulk', { action: 'accept' }, '/triage');
  assert.equal(none.statusCode, 400);
  assert.match(none.body, /Select at least one referral/);
  const noWorker = await postForm(app, cookies, '/triage/bulk', { action: 'allocate', referralIds: [mine.referralId] }, '/triage');
  assert.equal(noWorker.statusCode, 400);
  assert.match(noWorker.body, /Select a link worker to allocate the referrals to/);
  const strangerWorker = await postForm(
    app,
    cookies,
    '/triage/bulk',
    { action: 'allocate', linkWorkerId: stranger.worker.userId, referralIds: [mine.referralId] },
    '/triage',
  );
  assert.equal(strangerWorker.statusCode, 400);
  const mixed = await postForm(
    app,
    cookies,
    '/triage/bulk',
    { action: 'accept', referralIds: [mine.referralId, theirs.referralId] },
    '/triage',
  );
  assert.equal(mixed.statusCode, 400);
  assert.match(mixed.body, /does not exist/);
  assert.doesNotMatch(mixed.body, /Theirsnotmoved/);
  for (const r of [mine, theirs])
    assert.deepEqual(
      (await transitionRows(database, r.referralId)).map((t) => t.toStatus),
      ['received'],
    );
  // A referrer may not use it at all.
  const referrer = await anActor(database, { tenantId: team.tenantId, roles: ['referrer'] });
  assert.equal(
    (
      await postForm(
        app,
        await signInAs(app, database, referrer),
        '/triage/bulk',
        { action: 'accept', referralIds: [mine.referralId] },
        '/sign-in',
      )
    ).statusCode,
    403,
  );
});

/** Unfolds RFC 5545 content lines and checks the framing every line must have. */
function parseCalendar(text: string) {
  assert.ok(text.endsWith('\r\n'), 'ends with CRLF');
  assert.doesNotMatch(text.replace(/\r\n/g, ''), /[\r\n]/, 'only CRLF line breaks');
  for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line, 'utf8') <= 75, `line within 75 octets: ${line}`);
  const lines = text
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter(Boolean);
  for (const line of lines) assert.match(line, /^[A-Z][A-Z0-9-]*(;[^:]*)?:/, `a content line: ${line}`);
  assert.equal(lines[0], 'BEGIN:VCALENDAR');
  assert.equal(lines.at(-1), 'END:VCALENDAR');
  assert.ok(lines.includes('VERSION:2.0'));
  assert.ok(lines.some((l) => l.startsWith('PRODID:')));
  const events: Record<string, string>[] = [];
  let current: Record<string, string> | undefined;
  for (const line of lines.slice(1, -1)) {
    if (line === 'BEGIN:VEVENT') {
      assert.equal(current, undefined, 'events do not nest');
      current = {};
      continue;
    }
    if (line === 'END:VEVENT') {
      events.push(current!);
      current = undefined;
      continue;
    }
    if (!current) continue;
    const at = line.indexOf(':');
    const name = line.slice(0, at);
    assert.equal(current[name], undefined, `${name} once per event`);
    current[name] = line.slice(at + 1);
  }
  assert.equal(current, undefined, 'every event ends');
  for (const e of events) {
    for (const required of ['UID', 'DTSTAMP', 'DTSTART', 'DTEND', 'SUMMARY', 'STATUS']) assert.ok(e[required], `${required} present`);
    for (const stamp of ['DTSTAMP', 'DTSTART', 'DTEND']) assert.match(e[stamp]!, /^\d{8}T\d{6}Z$/, `${stamp} is a UTC date-time`);
    assert.ok(e.DTEND! > e.DTSTART!, 'ends after it starts');
  }
  return events;
}

test('the calendar file is valid iCalendar with reference and initials, never names, and only the worker’s own appointments', async () => {
  const team = await aSocialPrescribingTeam(database);
  const episode = await anEpisodeInContact(database, team, { givenName: 'Marjorie', familyName: 'Wetherell-Ojo' });
  const reference = await referenceOf(episode.referralId);
  const date = addDays(localDate(new Date()), 3);
  const booked = await bookAppointment(database.pool, team.worker, episode.referralId, {
    date,
    time: '14:30',
    mode: 'face_to_face',
    place: 'Woodhouse Surgery, room 2; ground floor',
  });
  const visit = await bookAppointment(database.pool, team.worker, episode.referralId, {
    date,
    time: '16:00',
    mode: 'home_visit',
    place: '12 Secret Street',
  });
  const cancelled = await bookAppointment(database.pool, team.worker, episode.referralId, {
    date,
    time: '09:00',
    mode: 'phone',
    place: '',
  });
  await cancelAppointment(database.pool, team.worker, episode.referralId, cancelled.id, 'Moved');
  const colleague = await anActor(database, { tenantId: team.tenantId, roles: ['link_worker'] });
  const theirs = await anEpisodeInContact(
    database,
    { lead: team.lead, worker: colleague },
    { givenName: 'Colleagues', familyName: 'Ownperson' },
  );
  await bookAppointment(database.pool, colleague, theirs.referralId, { date, time: '11:00', mode: 'phone', place: '' });

  const res = await get(team.worker, '/appointments/calendar.ics');
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/calendar; charset=utf-8/);
  assert.match(String(res.headers['content-disposition']), /attachment; filename="signpost-appointments.ics"/);
  assert.equal(res.headers['cache-control'], 'no-store');
  const events = parseCalendar(res.body);
  assert.equal(events.length, 3, 'the worker’s three, not the colleague’s');
  const byUid = new Map(events.map((e) => [e.UID, e]));
  const main = byUid.get(`${booked.id}@signpost`)!;
  assert.equal(main.SUMMARY, `${reference} (M.W.): Face to face`);
  assert.equal(main.LOCATION, 'Woodhouse Surgery\\, room 2\\; ground floor');
  assert.equal(main.STATUS, 'CONFIRMED');
  assert.equal(byUid.get(`${visit.id}@signpost`)!.LOCATION, 'Home visit', 'a home visit’s address stays out');
  assert.equal(byUid.get(`${cancelled.id}@signpost`)!.STATUS, 'CANCELLED');
  assert.doesNotMatch(res.body, /Marjorie|Wetherell|Secret Street|Colleagues|Ownperson/);
  // 14:30 in London on that date, as UTC.
  const { rows } = await database.pool.query<{ at: Date }>(`SELECT ($1::date + time '14:30') AT TIME ZONE 'Europe/London' AS at`, [date]);
  assert.equal(
    main.DTSTART,
    rows[0]!.at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, ''),
  );

  // The week page shows the appointment with the person's name, inside the app.
  const week = await get(team.worker, `/appointments?week=${date}`);
  assert.equal(week.statusCode, 200);
  assert.match(week.body, /Marjorie Wetherell-Ojo/);
  assert.match(week.body, /2:30pm/);
  assert.doesNotMatch(week.body, /Moved|9:00am/, 'cancelled appointments leave the week');
  const emptyWeek = await get(team.worker, `/appointments?week=${addDays(date, 28)}`);
  assert.match(emptyWeek.body, /0 appointments/);
  assert.equal((await get(team.worker, '/appointments?week=2026-02-30')).statusCode, 400);
  assert.equal((await get(team.lead, '/appointments/calendar.ics')).statusCode, 403);
});

test('the header counts new allocations and new responses, and opening the responses clears that count', async () => {
  const team = await aSocialPrescribingTeam(database);
  const service = await aProviderService(database, team.provider, { name: 'Counting Choir' });
  const cookies = await signInAs(app, database, team.worker);
  const header = async () => (await app.inject({ url: '/home', cookies })).body;
  const before = await header();
  assert.match(before, /href="\/caseload"[^>]*>\s*Caseload\s*</, 'no count when nothing is new');
  assert.match(before, /href="\/follow-ups"/);
  assert.match(before, /href="\/responses"/);

  const fresh = await aReferral(database, team.lead, { person: { givenName: 'Newly', familyName: 'Allocatedperson' } });
  await allocateReferral(database.pool, team.lead, fresh.referralId, { linkWorkerId: team.worker.userId });
  const episode = await anEpisodeInContact(database, team, { givenName: 'Rhoda', familyName: 'Respondedto' });
  const onward = await createOnwardReferral(database.pool, team.worker, episode.referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
  });
  await providerRespond(database.pool, team.provider, onward.id, { to: 'accepted' });

  const after = await header();
  assert.match(
    after,
    /Caseload<span class="signpost-count" aria-hidden="true">1<\/span><span class="nhsuk-u-visually-hidden">, 1 new<\/span>/,
  );
  assert.match(after, /Responses<span class="signpost-count" aria-hidden="true">1<\/span>/);
  assert.match(after, /Newly Allocatedperson/, 'the home page lists the new allocation');
  assert.match(after, /Rhoda Respondedto<\/a>: Counting Choir, Accepted/);

  const responses = await app.inject({ url: '/responses', cookies });
  assert.match(responses.body, /Rhoda Respondedto/, 'the responses page names the person');
  assert.match(responses.body, /1 new since you last looked/);
  const cleared = await header();
  assert.doesNotMatch(cleared, /Responses<span class="signpost-count"/);
  assert.match(
    cleared,
    /Caseload<span class="signpost-count" aria-hidden="true">1</,
    'the allocation stays new until the person is contacted',
  );
  const again = await app.inject({ url: '/responses', cookies });
  assert.match(again.body, /Rhoda Respondedto/, 'seen responses stay listed');
  assert.doesNotMatch(again.body, /new since you last looked/);
});

test('each role’s home page shows its own work, and signing in lands there', async () => {
  const team = await aSocialPrescribingTeam(database);
  const practice = await aPractice(database, team.tenantId);
  const referrer = await anActor(database, { tenantId: team.tenantId, roles: ['referrer'], practiceId: practice.id });
  await aReferral(database, referrer, {
    person: { givenName: 'Homepage', familyName: 'Referredperson', practiceId: practice.id },
    referral: { urgency: 'urgent' },
  });
  const service = await aProviderService(database, team.provider, { name: 'Homepage Walkers' });
  const episode = await anEpisodeInContact(database, team, { givenName: 'Onward', familyName: 'Homepageperson' });
  await createOnwardReferral(database.pool, team.worker, episode.referralId, { kind: 'refer', serviceId: service.id, consent: true });
  await bookAppointment(database.pool, team.worker, episode.referralId, {
    date: addDays(localDate(new Date()), 1),
    time: '10:00',
    mode: 'phone',
    place: '',
  });

  const lead = (await get(team.lead, '/home')).body;
  assert.match(lead, /Triage waiting \(1\)/);
  assert.match(lead, /1 urgent/);
  assert.match(lead, /Safeguarding tasks \(0\)/);
  assert.match(lead, new RegExp(`${team.worker.name}</a></td><td class="nhsuk-table__cell nhsuk-table__cell--numeric">1<`));
  const worker = (await get(team.worker, '/home')).body;
  assert.match(worker, /New allocations \(0\)/, 'contacted already: not new');
  assert.match(worker, /Appointments today \(0\)/, 'tomorrow’s appointment is not today’s');
  assert.doesNotMatch(worker, /Triage waiting/);
  const referrerHome = (await get(referrer, '/home')).body;
  assert.match(referrerHome, /Homepage Referredperson/);
  assert.match(referrerHome, /New discharge summaries \(0\)/);
  const provider = (await get(team.provider, '/home')).body;
  assert.match(provider, /New referrals to your organisation \(1\)/);
  assert.match(provider, /for Homepage Walkers/);
  assert.doesNotMatch(provider, /Referredperson/);

  assert.equal((await get(team.lead, '/')).headers.location, '/home');
  const publicPage = await app.inject('/');
  assert.equal(publicPage.statusCode, 200);
  assert.match(publicPage.body, /Find support in your community/);
});
