import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { registeredHandlers, registeredRecurringJobs } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { FEED_IMPORT_KIND, feedScheduleName, freshnessScan, FRESHNESS_SCAN, registerDirectoryJobs } from '../../src/reminders/directory.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aProviderService, aSocialPrescribingTeam } from '../support/plans-factories.ts';
import { TestClock } from '../jobs/support.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const silent = { info() {}, warn() {}, error() {} };

async function freshnessEmails(tenantId: string) {
  const { rows } = await database.pool.query<{ recipient: string; personalisation: Record<string, string> }>(
    `SELECT recipient, personalisation FROM notification WHERE tenant_id = $1 AND template = 'directory_freshness_reminder' ORDER BY created_at`,
    [tenantId],
  );
  return rows;
}

test('a provider organisation whose services went unverified past the freshness period is asked to check them, at most once a month', async () => {
  registerDirectoryJobs({ freshnessMonths: 6 });
  const team = await aSocialPrescribingTeam(database);
  const old = await aProviderService(database, team.provider, { name: 'Old Allotment', lastVerifiedAt: new Date('2030-06-01T10:00:00Z') });
  await aDirectoryService(database, {
    name: 'Fresh Walks',
    organizationId: old.organization_id!,
    lastVerifiedAt: new Date('2031-02-20T10:00:00Z'),
  });
  const { rows } = await database.pool.query<{ email: string }>('SELECT email FROM provider_organisation WHERE id = $1', [
    team.provider.providerOrganisationId,
  ]);
  const providerEmail = rows[0]!.email;
  // A second tenant whose provider is not linked to the directory hears nothing.
  const other = await aSocialPrescribingTeam(database);

  const clock = new TestClock(new Date('2031-03-03T09:00:00Z'));
  const run = (tenantId: string) =>
    freshnessScan({
      id: 1,
      kind: 'directory.freshness-scan',
      tenantId,
      payload: {},
      attempt: 1,
      maxAttempts: 5,
      pool: database.pool,
      clock,
      log: silent,
    });
  await run(team.tenantId);
  await run(other.tenantId);
  let emails = await freshnessEmails(team.tenantId);
  assert.equal(emails.length, 1);
  assert.equal(emails[0]!.recipient, providerEmail);
  assert.equal(emails[0]!.personalisation.services, 'Old Allotment', 'only the stale service');
  assert.equal(emails[0]!.personalisation.count, '1');
  assert.equal((await freshnessEmails(other.tenantId)).length, 0);

  clock.advance(7 * 86_400);
  await run(team.tenantId);
  assert.equal((await freshnessEmails(team.tenantId)).length, 1, 'not again the same month');
  clock.advance(28 * 86_400);
  await run(team.tenantId);
  emails = await freshnessEmails(team.tenantId);
  assert.equal(emails.length, 2, 'again the next month while still stale');
  assert.ok(registeredRecurringJobs().some((s) => s.name === FRESHNESS_SCAN && s.cron === '0 9 * * 1'));
});

test('each configured ORUK feed is re-imported on its own schedule, one job per due run, and a re-import changes nothing', async () => {
  const source = await freshDatabase();
  const app = await testApp(source);
  try {
    await aDirectoryService(source, { name: 'Feed Choir' });
    await aDirectoryService(source, { name: 'Feed Walk' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const nightly = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/oruk`;
    // The same feed under a second address, so two schedules can be told apart: Mondays and Thursdays at 6am.
    const twiceWeekly = `http://localhost:${(app.server.address() as { port: number }).port}/api/oruk`;
    registerDirectoryJobs({
      feeds: [
        { url: nightly, cron: '30 2 * * *' },
        { url: twiceWeekly, cron: '0 6 * * 1,4' },
      ],
    });
    const handlers = new Map([[FEED_IMPORT_KIND, registeredHandlers().get(FEED_IMPORT_KIND)!]]);
    const schedules = registeredRecurringJobs().filter((s) => s.name.startsWith('directory-feed:'));
    assert.deepEqual(schedules.map((s) => s.name).sort(), [feedScheduleName(nightly), feedScheduleName(twiceWeekly)].sort());
    // Tuesday 4 March 2031, 02:29 in London (GMT).
    const clock = new TestClock(new Date('2031-03-04T02:29:00Z'));
    const worker = new JobWorker({ pool: database.pool, clock, handlers, schedules });
    const imported = async (feed: string) =>
      (await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM directory_service WHERE source_feed = $1', [feed])).rows[0]!
        .n;
    const importJobs = async (feed: string) =>
      (
        await database.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM job WHERE kind = $1 AND state = 'succeeded' AND payload->>'feed' = $2`,
          [FEED_IMPORT_KIND, feed],
        )
      ).rows[0]!.n;

    await worker.drain();
    assert.equal(await imported(nightly), 0, 'not before 2:30');
    clock.advance(120);
    await worker.drain();
    await worker.drain();
    assert.equal(await imported(nightly), 2);
    assert.equal(await importJobs(nightly), 1, 'one import for the nightly feed');
    assert.equal(await importJobs(twiceWeekly), 0, 'the twice-weekly feed waits for Thursday');
    const before = await database.pool.query('SELECT id, last_modified FROM directory_service WHERE source_feed = $1 ORDER BY id', [
      nightly,
    ]);
    clock.advance(86_400); // Wednesday
    await worker.drain();
    assert.equal(await importJobs(nightly), 2, 'again the next night');
    assert.equal(await importJobs(twiceWeekly), 0);
    const after = await database.pool.query('SELECT id, last_modified FROM directory_service WHERE source_feed = $1 ORDER BY id', [
      nightly,
    ]);
    assert.deepEqual(after.rows, before.rows, 'the re-import changed nothing');
    clock.advance(86_400 + 4 * 3600); // Thursday 06:32
    await worker.drain();
    assert.equal(await importJobs(twiceWeekly), 1, 'Thursday at 6am');
    assert.equal(await imported(twiceWeekly), 2);

    // Taken out of the configuration, a feed's schedule goes with it.
    registerDirectoryJobs({ feeds: [{ url: nightly, cron: '30 2 * * *' }] });
    assert.deepEqual(
      registeredRecurringJobs()
        .filter((s) => s.name.startsWith('directory-feed:'))
        .map((s) => s.name),
      [feedScheduleName(nightly)],
    );
  } finally {
    registerDirectoryJobs({});
    await app.close();
    await source.close();
  }
});
