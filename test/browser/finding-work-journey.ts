import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { bookAppointment } from '../../src/appointments/service.ts';
import { addDays, localDate } from '../../src/calendar/london.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { createOnwardReferral, providerRespond } from '../../src/social-prescriptions/service.ts';
import { formatNhsNumber } from '../../src/people/nhs-number.ts';
import { assertAccessible, startBrowserRig, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { aPractice, aTenant } from '../support/factories.ts';
import { TEST_PASSWORD, aUserWithPassword } from '../support/identity-factories.ts';
import { aProviderService, anEpisodeInContact } from '../support/plans-factories.ts';
import { aReferral, aTestNhsNumber } from '../support/referrals-factories.ts';
import { signInInBrowser } from '../support/session.ts';

// The finding-people-and-work journey, run at each width from its own test file (finding-work-*.test.ts)
// so that each file, with its own app and browser, stays well inside the runner's time per file.

/** A service with a lead, a link worker, a referrer with 27 referrals, and a provider, named per run. */
async function aService(rig: BrowserRig, run: string) {
  const database = rig.database;
  const tenantId = (await aTenant(database, { name: `Finding PCN ${run}` })).id;
  const practice = await aPractice(database, tenantId, { name: `Finding Surgery ${run}` });
  const users = {
    lead: await aUserWithPassword(database, { tenantId, roles: ['lead'], name: 'Lena Lead', email: `lead-${run}@finding.example` }),
    worker: await aUserWithPassword(database, {
      tenantId,
      roles: ['link_worker'],
      name: 'Wren Worker',
      email: `worker-${run}@finding.example`,
    }),
    referrer: await aUserWithPassword(database, {
      tenantId,
      roles: ['referrer'],
      name: 'Dr Rhys Referrer',
      email: `referrer-${run}@finding.example`,
      practiceId: practice.id,
    }),
    provider: await aUserWithPassword(database, {
      tenantId,
      roles: ['provider'],
      name: 'Priya Provider',
      email: `provider-${run}@finding.example`,
    }),
  };
  const nhsNumber = aTestNhsNumber();
  const person = (givenName: string, familyName: string, extra = {}) => ({
    person: { givenName, familyName, practiceId: practice.id, ...extra },
  });
  const sought = await aReferral(database, users.referrer, person('Imogen', 'Soughtperson', { nhsNumber }));
  const second = await aReferral(database, users.referrer, person('Cyril', 'Bulkperson'));
  await aReferral(database, users.referrer, person('Dora', 'Waitingperson'));
  for (let i = 0; i < 24; i++) await aReferral(database, users.referrer, person('Older', `Referral${String(i).padStart(2, '0')}`));
  // Someone already in contact, with a service's response and an appointment today.
  const episode = await anEpisodeInContact(
    database,
    { lead: users.lead as Actor, worker: users.worker as Actor },
    { givenName: 'Ottilie', familyName: 'Ongoingperson' },
  );
  const service = await aProviderService(database, users.provider, { name: `Leeds Allotments ${run}` });
  const onward = await createOnwardReferral(database.pool, users.worker, episode.referralId, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
  });
  await providerRespond(database.pool, users.provider, onward.id, { to: 'accepted' });
  const second2 = await anEpisodeInContact(
    database,
    { lead: users.lead as Actor, worker: users.worker as Actor },
    { givenName: 'Nell', familyName: 'Newreferralperson' },
  );
  await createOnwardReferral(database.pool, users.worker, second2.referralId, { kind: 'refer', serviceId: service.id, consent: true });
  const inAnHour = new Date(Date.now() + 60 * 60_000);
  const today = localDate(new Date());
  // Late in the evening "in an hour" is tomorrow; book for tomorrow then and look at that week.
  const day = localDate(inAnHour) === today ? today : addDays(today, 1);
  const time =
    localDate(inAnHour) === today
      ? inAnHour.toLocaleTimeString('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit' })
      : '10:00';
  await bookAppointment(database.pool, users.worker, episode.referralId, {
    date: day,
    time,
    mode: 'face_to_face',
    place: 'Hyde Park Surgery',
  });
  const { rows } = await database.pool.query<{ id: string; reference: string }>(
    'SELECT id, reference FROM referral WHERE id = ANY($1::uuid[])',
    [[sought.referralId, second.referralId, episode.referralId]],
  );
  const reference = (id: string) => rows.find((r) => r.id === id)!.reference;
  return {
    users,
    nhsNumber,
    sought,
    second,
    episode,
    day,
    soughtReference: reference(sought.referralId),
    episodeReference: reference(episode.referralId),
  };
}

async function checkPage(page: Page, width: number) {
  await assertAccessible(page);
  if (width <= 375) {
    // Pages of this journey that are new fit a phone screen; the lists' wide tables scroll inside their own box.
    const path = new URL(page.url()).pathname;
    if (path === '/home' || path === '/appointments' || /^\/my-referrals\/[0-9a-f-]{36}$/.test(path)) {
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scroll <= width, `${path} fits ${width} px (scroll width ${scroll})`);
    }
  }
}

async function submit(page: Page, name: string) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
}

/** Starts an app and browser of its own, walks the journey at one width, and closes them. */
export async function findingWorkJourney(viewport: { width: number; height: number }) {
  const rig = await startBrowserRig({ database: await freshDatabase() });
  try {
    await walk(rig, viewport);
  } finally {
    await rig.close();
  }
}

async function walk(rig: BrowserRig, viewport: { width: number; height: number }) {
  const run = viewport.width > 375 ? 'd' : 'm';
  const s = await aService(rig, run);
  const newContext = () => rig.browser.newContext({ baseURL: rig.baseUrl, viewport, acceptDownloads: true });

  // The lead lands on their home page after signing in: triage waiting, safeguarding, caseload sizes.
  const leadContext = await newContext();
  const lead = await leadContext.newPage();
  await signInInBrowser(lead, s.users.lead.email, TEST_PASSWORD);
  assert.equal(new URL(lead.url()).pathname, '/home');
  await checkPage(lead, viewport.width);
  const leadHome = (await lead.locator('main').textContent()) ?? '';
  assert.match(leadHome, /Triage waiting \(27\)/);
  assert.match(leadHome, /Safeguarding tasks \(0\)/);
  assert.match(leadHome, /Wren Worker\s*2/, 'caseload sizes: two people in contact');

  // Triage: find one person by NHS number typed with spaces, then select two and allocate them together.
  await lead.goto('/triage');
  await lead.getByLabel('Search by name, NHS number or reference').fill(formatNhsNumber(s.nhsNumber));
  await submit(lead, 'Search');
  await checkPage(lead, viewport.width);
  assert.match((await lead.locator('#search-summary').textContent()) ?? '', /1 result for/);
  assert.equal(await lead.locator('tbody tr').count(), 1);
  await lead.getByRole('link', { name: 'Clear search' }).click();
  await lead.waitForURL((url) => url.pathname === '/triage' && !url.search);
  await lead.getByLabel('Select Imogen Soughtperson').check();
  await lead.getByLabel('Select Cyril Bulkperson').check();
  await submit(lead, 'Allocate selected');
  await checkPage(lead, viewport.width);
  assert.match((await lead.locator('.nhsuk-error-summary').textContent()) ?? '', /Select a link worker to allocate the referrals to/);
  assert.ok(await lead.getByLabel('Select Imogen Soughtperson').isChecked(), 'the selection is kept');
  await lead.getByLabel('Link worker to allocate the selected referrals to').selectOption({ label: 'Wren Worker (2 open)' });
  await submit(lead, 'Allocate selected');
  await checkPage(lead, viewport.width);
  assert.match((await lead.locator('#notice').textContent()) ?? '', /2 referrals allocated\./);
  assert.doesNotMatch((await lead.locator('main').textContent()) ?? '', /Soughtperson|Bulkperson/);
  await leadContext.close();

  // The link worker: counts in the header, their home page, caseload search, responses naming the person.
  const workerContext = await newContext();
  const worker = await workerContext.newPage();
  // The booking may have been for tomorrow late in the evening; "today" is the day the page was drawn on.
  const dayBeforeHome = localDate(new Date());
  await signInInBrowser(worker, s.users.worker.email, TEST_PASSWORD);
  const dayAfterHome = localDate(new Date());
  assert.equal(new URL(worker.url()).pathname, '/home');
  await checkPage(worker, viewport.width);
  const header = (await worker.locator('header').textContent()) ?? '';
  assert.match(header, /Caseload2, 2 new/);
  assert.match(header, /Responses1, 1 new/);
  assert.match(header, /Follow-ups/);
  const workerHome = (await worker.locator('main').textContent()) ?? '';
  assert.match(workerHome, /New allocations \(2\)/);
  assert.match(workerHome, /Imogen Soughtperson/);
  assert.match(workerHome, /Ottilie Ongoingperson: Leeds Allotments/);
  if (dayBeforeHome === dayAfterHome) {
    assert.match(workerHome, s.day === dayAfterHome ? /Appointments today \(1\)/ : /Appointments today \(0\)/);
  } else {
    assert.match(workerHome, /Appointments today \([01]\)/, 'the page was drawn as midnight passed');
  }
  await worker.goto('/caseload');
  await worker.getByLabel('Search by name, NHS number or reference').fill(s.soughtReference.toLowerCase());
  await submit(worker, 'Search and filter');
  await checkPage(worker, viewport.width);
  assert.equal(await worker.locator('tbody tr').count(), 1);
  assert.match((await worker.locator('tbody').textContent()) ?? '', /Imogen Soughtperson/);
  await worker.goto('/responses');
  await checkPage(worker, viewport.width);
  assert.match((await worker.locator('#responses').textContent()) ?? '', /Ottilie Ongoingperson\s*Leeds Allotments [dm], [^:]+: Accepted/);
  await worker.goto('/home');
  assert.doesNotMatch((await worker.locator('header').textContent()) ?? '', /Responses1/, 'read: the count clears');

  // The week of appointments, and the calendar file.
  await worker.goto(`/appointments?week=${s.day}`);
  await checkPage(worker, viewport.width);
  const week = (await worker.locator('main').textContent()) ?? '';
  assert.match(week, /1 appointment\./);
  assert.match(week, /Ottilie Ongoingperson/);
  const [download] = await Promise.all([
    worker.waitForEvent('download'),
    worker.getByRole('link', { name: 'Download your appointments as a calendar file' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'signpost-appointments.ics');
  const ics = await readFile((await download.path())!, 'utf8');
  assert.match(ics, /^BEGIN:VCALENDAR\r\nVERSION:2\.0\r\n/);
  assert.match(ics, new RegExp(`SUMMARY:${s.episodeReference} \\(O\\.O\\.\\): Face to face`));
  assert.doesNotMatch(ics, /Ottilie|Ongoingperson/);
  await workerContext.close();

  // The referrer: recent referrals at home, My referrals a page at a time with search, a referral's status page.
  const referrerContext = await newContext();
  const referrer = await referrerContext.newPage();
  await signInInBrowser(referrer, s.users.referrer.email, TEST_PASSWORD);
  assert.equal(new URL(referrer.url()).pathname, '/home');
  await checkPage(referrer, viewport.width);
  assert.match((await referrer.locator('main').textContent()) ?? '', /New discharge summaries \(0\)/);
  await referrer.getByRole('link', { name: /^All \d+ referrals$/ }).click();
  await referrer.waitForURL('**/my-referrals');
  await checkPage(referrer, viewport.width);
  assert.match((await referrer.locator('caption').textContent()) ?? '', /27 referrals \(page 1 of 2\)/);
  await Promise.all([referrer.waitForNavigation(), referrer.getByRole('link', { name: /Next/ }).click()]);
  await checkPage(referrer, viewport.width);
  assert.equal(await referrer.locator('tbody tr').count(), 2);
  await referrer.getByLabel('Search by name, NHS number or reference').fill('soughtperson');
  await submit(referrer, 'Search');
  assert.equal(await referrer.locator('tbody tr').count(), 1);
  await Promise.all([referrer.waitForNavigation(), referrer.getByRole('link', { name: 'Imogen Soughtperson' }).click()]);
  await checkPage(referrer, viewport.width);
  const status = (await referrer.locator('main').textContent()) ?? '';
  assert.match(status, /Allocated/);
  assert.match(status, /Wren Worker/);
  await referrerContext.close();

  // The provider: new onward referrals on their home page.
  const providerContext = await newContext();
  const provider = await providerContext.newPage();
  await signInInBrowser(provider, s.users.provider.email, TEST_PASSWORD);
  await checkPage(provider, viewport.width);
  const providerHome = (await provider.locator('main').textContent()) ?? '';
  assert.match(providerHome, /New referrals to your organisation \(1\)/);
  assert.match(providerHome, /Nell Newreferralperson/);
  await providerContext.close();
}
