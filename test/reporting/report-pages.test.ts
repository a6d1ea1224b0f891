import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { registeredHandlers } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { checkReportFilter, REPORTING_REFRESH_KIND } from '../../src/reporting/service.ts';
import { formSession, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aPractice, aTenant } from '../support/factories.ts';
import { auditEvents } from '../support/identity-factories.ts';
import { aReportedReferral } from '../support/reporting-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
let lead: Actor;
let commissioner: Actor;
let researcher: Actor;
let practiceA: string;
let otherPractice: string;
const identities: string[] = [];

const DAY = 86_400_000;
const at = (start: string, days: number) => new Date(new Date(start).getTime() + days * DAY).toISOString();

/**
 * Nine referrals worked out by hand (September and October 2026):
 * - six from practice A's GPs in September, White, IMD decile 1, first contact after 1 to 6 days,
 *   each referred on to a service (five of them completed it);
 * - two self-referrals to practice B in October, discharged with goals met, first contact after 3 and 10 days;
 * - one from a hospital to practice B in October, first contact after 5 days.
 * Waits sorted: 1 2 3 3 4 5 5 6 10, so the median is 4 and the 90th percentile 6.8 (6 + 0.2 x 4).
 */
before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  const tenant = await aTenant(database, { name: 'Reporting PCN' });
  lead = await anActor(database, { tenantId: tenant.id, roles: ['lead'] });
  commissioner = await anActor(database, { tenantId: tenant.id, roles: ['commissioner'] });
  researcher = await anActor(database, { tenantId: tenant.id, roles: ['researcher'] });
  practiceA = (await aPractice(database, tenant.id, { name: 'Ash Tree Surgery' })).id;
  const practiceB = (await aPractice(database, tenant.id, { name: 'Beech Surgery' })).id;
  const remember = (r: { givenName: string; familyName: string; nhsNumber: string }) =>
    identities.push(r.givenName, r.familyName, r.nhsNumber);
  for (let i = 1; i <= 6; i++) {
    const received = `2026-09-0${i}T09:00:00Z`;
    remember(
      await aReportedReferral(database, tenant.id, {
        givenName: `Gwendolyn${i}`,
        familyName: `Gpreferred${i}`,
        practiceId: practiceA,
        source: 'gp',
        ethnicity: 'A',
        deprivationDecile: 1,
        receivedAt: received,
        transitions: [
          { to: 'triaged', at: at(received, 0.1) },
          { to: 'allocated', at: at(received, 0.2) },
          { to: 'in_contact', at: at(received, i) },
        ],
        onward: [{ kind: 'refer', status: i <= 5 ? 'completed' : 'sent' }],
      }),
    );
  }
  for (const [i, days] of [3, 10].entries()) {
    const received = `2026-10-0${i + 1}T09:00:00Z`;
    remember(
      await aReportedReferral(database, tenant.id, {
        givenName: `Selina${i}`,
        familyName: `Selfreferred${i}`,
        practiceId: practiceB,
        source: 'self',
        receivedAt: received,
        transitions: [
          { to: 'triaged', at: at(received, 0.1) },
          { to: 'allocated', at: at(received, 0.2) },
          { to: 'in_contact', at: at(received, days) },
          { to: 'assessed', at: at(received, days + 1) },
          { to: 'discharged', at: at(received, days + 20) },
        ],
        discharge: { reason: 'goals_met', at: at(received, days + 20) },
      }),
    );
  }
  const hospital = '2026-10-05T09:00:00Z';
  remember(
    await aReportedReferral(database, tenant.id, {
      givenName: 'Horatio',
      familyName: 'Hospitalsent',
      practiceId: practiceB,
      source: 'hospital',
      receivedAt: hospital,
      transitions: [
        { to: 'triaged', at: at(hospital, 0.1) },
        { to: 'allocated', at: at(hospital, 0.2) },
        { to: 'in_contact', at: at(hospital, 5) },
      ],
    }),
  );
  const other = await aTenant(database, { name: 'Elsewhere PCN' });
  otherPractice = (await aPractice(database, other.id)).id;
  remember(
    await aReportedReferral(database, other.id, { givenName: 'Otto', familyName: 'Othertenant', receivedAt: '2026-09-10T09:00:00Z' }),
  );
});
after(async () => {
  await app.close();
  await database.close();
});

async function get(actor: Actor, url: string) {
  return app.inject({ url, cookies: await signInAs(app, database, actor) });
}

async function postRefresh(actor: Actor) {
  const session = await formSession(app, '/reports', await signInAs(app, database, actor));
  return app.inject({
    method: 'POST',
    url: '/reports/refresh',
    cookies: session.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(session.token ?? '')}`,
  });
}

function runRefreshJobs() {
  const handlers = new Map([[REPORTING_REFRESH_KIND, registeredHandlers().get(REPORTING_REFRESH_KIND)!]]);
  return new JobWorker({ pool: database.pool, handlers, schedules: [] }).drain();
}

const unescape = (html: string) =>
  html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"');

/** The text of one row's count in one table of the dashboard. */
function cell(html: string, tableId: string, label: string): string | undefined {
  const table = new RegExp(`<table class="nhsuk-table" id="${tableId}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const row = new RegExp(`<th scope="row" class="nhsuk-table__header">${escaped}</th>\\s*<td[^>]*>(?:<strong>)?([^<]*)`).exec(table);
  return row ? unescape(row[1]!.trim()) : undefined;
}

const september = '/reports?from=2026-09&to=2026-10';

test('before the first refresh the page says there are no figures yet; a lead may refresh now, a commissioner may not', async () => {
  const page = await get(commissioner, september);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /No figures yet/);
  assert.match(page.body, /first made overnight/);
  assert.doesNotMatch(page.body, /Refresh now/);
  assert.match((await get(lead, '/reports')).body, /Refresh now/);
  assert.equal((await get(await anActor(database, { tenantId: lead.tenantId, roles: ['link_worker'] }), '/reports')).statusCode, 403);
});

test('“Refresh now” queues one refresh however often it is pressed, and the figures appear once the job has run', async () => {
  const first = await postRefresh(lead);
  assert.equal(first.statusCode, 303);
  assert.equal(first.headers.location, '/reports?requested=1');
  assert.equal((await postRefresh(lead)).statusCode, 303);
  const queued = await database.pool.query(`SELECT count(*)::int AS n FROM job WHERE kind = $1 AND tenant_id = $2 AND state = 'queued'`, [
    REPORTING_REFRESH_KIND,
    lead.tenantId,
  ]);
  assert.equal(queued.rows[0].n, 1);
  assert.match((await get(lead, '/reports?requested=1')).body, /A refresh has been asked for/);
  assert.equal(await runRefreshJobs(), 1);
  const { rows } = await database.pool.query('SELECT trigger, row_count FROM reporting_refresh WHERE tenant_id = $1', [lead.tenantId]);
  assert.deepEqual(rows, [{ trigger: 'manual', row_count: 9 }]);
  const page = await get(commissioner, september);
  assert.match(page.body, /Figures as of/);
  assert.match(page.body, /Each is a referral to social prescribing: SNOMED CT 871731000000106 Referral to social prescribing service\./);
  assert.equal(cell(page.body, 'by-source', 'GP'), '6');
});

test('the dashboard shows the hand-worked figures with counts under 5 suppressed, and the next smallest where a total would give one away', async () => {
  const page = await get(researcher, september);
  assert.equal(page.statusCode, 200);
  const html = page.body;
  assert.equal(unescape(/id="total-referrals">([^<]*)/.exec(html)![1]!), '9', 'the other tenant’s referral is not counted');
  assert.equal(/id="contacted">([^<]*)/.exec(html)![1], '9');
  assert.equal(/id="median-days">([^<]*)/.exec(html)![1], '4');
  assert.equal(/id="p90-days">([^<]*)/.exec(html)![1], '6.8');
  assert.equal(/id="onward-referrals">([^<]*)/.exec(html)![1], '6');
  assert.equal(/id="onward-attended">([^<]*)/.exec(html)![1], '5');
  assert.equal(unescape(/id="signposted">([^<]*)/.exec(html)![1]!), '<5');
  // September 6 and October 3: October is under 5, and the total would give it away, so September is hidden too.
  assert.equal(cell(html, 'by-month', 'September 2026'), '[c]');
  assert.equal(cell(html, 'by-month', 'October 2026'), '<5');
  assert.equal(cell(html, 'by-month', 'Total'), '9');
  assert.equal(cell(html, 'by-source', 'GP'), '6');
  assert.equal(cell(html, 'by-source', 'The person themself'), '<5');
  assert.equal(cell(html, 'by-source', 'Hospital'), '<5');
  assert.equal(cell(html, 'by-source', 'Social care'), '<5', 'zero is under 5 too');
  assert.equal(cell(html, 'by-status', 'In contact'), '7');
  assert.equal(cell(html, 'by-status', 'Discharged'), '<5');
  assert.equal(cell(html, 'by-discharge-reason', 'Goals met'), '<5');
  assert.equal(cell(html, 'by-discharge-reason', 'Total'), '<5', 'the discharges total is the status table’s Discharged row');
  assert.equal(cell(html, 'by-imd', '1: most deprived 20% (deciles 1 and 2)'), '6');
  assert.equal(cell(html, 'by-imd', 'Not known'), '<5');
  assert.equal(cell(html, 'by-ethnic-group', 'White'), '6');
  assert.equal(cell(html, 'by-ethnic-group', 'Not known'), '<5');
  assert.equal(cell(html, 'by-need', 'Loneliness and isolation'), '9');
  assert.doesNotMatch(html, /<td class="nhsuk-table__cell nhsuk-table__cell--numeric">[1-4]<\/td>/, 'no count from 1 to 4 is ever printed');
});

test('filtering by practice counts only that practice’s referrals', async () => {
  const page = await get(commissioner, `${september}&practice=${practiceA}`);
  assert.equal(page.statusCode, 200);
  assert.equal(/id="total-referrals">([^<]*)/.exec(page.body)![1], '6');
  assert.equal(/id="median-days">([^<]*)/.exec(page.body)![1], '3.5');
  assert.equal(/id="p90-days">([^<]*)/.exec(page.body)![1], '5.5');
  assert.equal(cell(page.body, 'by-source', 'Hospital'), '<5');
  assert.match(page.body, new RegExp(`<option value="${practiceA}" selected>Ash Tree Surgery</option>`));
});

test('the CSV download holds the same suppressed figures, and viewing and downloading are audited without naming anyone', async () => {
  const csv = await get(commissioner, '/reports/summary.csv?from=2026-09&to=2026-10');
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.match(String(csv.headers['content-disposition']), /attachment; filename="signpost-referrals-2026-09-to-2026-10.csv"/);
  const lines = csv.body.split('\r\n');
  assert.equal(lines[0], 'table,category,value');
  for (const expected of [
    'Referrals,Total,9',
    'Referrals received by month,September 2026,[c]',
    'Referrals received by month,October 2026,<5',
    'Referrals by source,GP,6',
    'Days to first contact,Median,4',
    'Social prescriptions,Onward referrals attended,5',
    'Days to first contact,90th percentile,6.8',
    'Referrals by current status,Discharged,<5',
    'Referrals by deprivation (IMD quintile of the person’s area),1: most deprived 20% (deciles 1 and 2),6',
    'Filter,Practice,All practices',
    'Referrals,SNOMED CT code,871731000000106 Referral to social prescribing service',
  ]) {
    assert.ok(lines.includes(expected), `the CSV has "${expected}"`);
  }
  assert.ok(!lines.some((l) => !l.startsWith('Days to first contact,Median') && /,[1-4]$/.test(l)), 'no count from 1 to 4');
  const events = (await auditEvents(database, commissioner.tenantId)).filter((e) => e.action.startsWith('report.'));
  assert.ok(events.some((e) => e.action === 'report.view' && e.userId === commissioner.userId && e.entityId === 'referrals'));
  assert.ok(events.some((e) => e.action === 'report.download' && e.reason === 'practice=all from=2026-09 to=2026-10'));
  assert.ok(events.some((e) => e.action === 'report.refresh-request' && e.userId === lead.userId));
  const { rows } = await database.pool.query(
    `SELECT count(*)::int AS n FROM audit_event WHERE action LIKE 'report.%' AND person_id IS NOT NULL`,
  );
  assert.equal(rows[0].n, 0, 'no report event names a person');
});

test('no name or NHS number of anyone counted ever appears in a reporting response', async () => {
  const responses = [
    await get(lead, '/reports'),
    await get(lead, september),
    await get(commissioner, `${september}&practice=${practiceA}`),
    await get(researcher, '/reports/summary.csv?from=2026-09&to=2026-10'),
    await get(lead, '/reports?from=2026-13'),
  ];
  // The pages must really show figures (the last is a refused filter), or the check proves nothing.
  assert.deepEqual(
    responses.map((res) => res.statusCode),
    [200, 200, 200, 200, 400],
  );
  for (const page of responses.slice(0, 3)) assert.match(page.body, /Referrals received/);
  assert.match(responses[3]!.body, /^Referrals,Total,9\r$/m);
  assert.match(responses[4]!.body, /There is a problem/);
  for (const res of responses) {
    for (const text of identities)
      assert.ok(!res.body.includes(text), `"${text}" is not in ${res.statusCode} ${res.headers['content-type']}`);
  }
});

test('bad filters are refused with a message and a 400, never a 500, on the page and the CSV', async () => {
  const cases: [string, RegExp][] = [
    ['from=2026-13', /Enter the start month as a year and month, for example 2026-04/],
    ['to=October', /Enter the end month as a year and month/],
    ['from=1999-12&to=2000-02', /Enter the start month/],
    ['from=2026-10&to=2026-09', /The start month must be the same as or before the end month/],
    ['from=2020-01&to=2026-10', /60 months or fewer/],
    ['practice=not-a-practice', /Select a practice from the list/],
    [`practice=${otherPractice}`, /Select a practice from the list/],
    [`from=${'9'.repeat(300)}`, /There is a problem/],
    ['from=2026-01&from=2026-02', /There is a problem/],
  ];
  for (const [query, message] of cases) {
    for (const path of ['/reports', '/reports/summary.csv']) {
      const res = await get(commissioner, `${path}?${query}`);
      assert.equal(res.statusCode, 400, `${path}?${query}`);
      assert.match(res.body, message, `${path}?${query}`);
    }
  }
  const page = await get(commissioner, '/reports?from=2026-13&to=2026-09');
  assert.match(page.body, /nhsuk-error-summary/);
  assert.match(page.body, /href="#from"/);
  assert.match(page.body, /id="from-error"/);
  assert.match(page.body, /value="2026-13"/, 'what was typed is shown again');
  assert.doesNotMatch(page.body, /id="total-referrals"/, 'no figures beside the errors');
});

test('without months the dashboard covers the 12 months to this month in London', () => {
  const practices = [practiceA];
  // 23:30 UTC on 31 March 2026 is already April in London.
  assert.deepEqual(checkReportFilter({}, practices, new Date('2026-03-31T23:30:00Z')), {
    practiceId: null,
    from: '2025-05',
    to: '2026-04',
  });
  assert.deepEqual(checkReportFilter({ to: '2026-01' }, practices, new Date('2026-11-24T12:00:00Z')), {
    practiceId: null,
    from: '2025-02',
    to: '2026-01',
  });
  assert.deepEqual(checkReportFilter({ from: '2026-06', practice: practiceA.toUpperCase() }, practices, new Date('2026-11-24T12:00:00Z')), {
    practiceId: practiceA,
    from: '2026-06',
    to: '2026-11',
  });
});
