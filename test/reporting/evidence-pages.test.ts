import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { demoActor } from '../../src/demo/actors.ts';
import { demoSeeders, seedDemo, type DemoContext } from '../../src/demo/seed.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { identitySeeder } from '../../src/identity/demo.ts';
import { referralsSeeder } from '../../src/referrals/demo.ts';
import { reportingSeeder } from '../../src/reporting/demo.ts';
import { approachesReport, inequalitiesReport, outcomesReport, practicesReport } from '../../src/reporting/evidence.ts';
import { postForm, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
let ids: DemoContext['ids'] = {};
let lead: Actor;
let commissioner: Actor;
let seedMs = 0;

before(async () => {
  database = await freshDatabase();
  const started = performance.now();
  await seedDemo(database, [
    identitySeeder,
    referralsSeeder,
    reportingSeeder,
    {
      area: 'capture',
      async seed(context) {
        ids = context.ids;
      },
    },
  ]);
  seedMs = performance.now() - started;
  const tenantId = ids.tenant![0]!;
  lead = demoActor(tenantId, ids['user:lead']![0]!, 'lead', 'Priya Desai');
  commissioner = demoActor(tenantId, ids['user:commissioner']![0]!, 'commissioner', 'Helen Brooks');
  app = await testApp(database);
});
after(async () => {
  await app.close();
  await database.close();
});

const now = new Date();

// Seeding the demo is the slowest part of these tests, so the demo's own check shares this file's seed.
test('the demo’s reports have figures from the start: one refresh per demo tenant, after every other seeder', async () => {
  assert.equal(demoSeeders.at(-1), reportingSeeder, 'the reporting seeder runs last');
  for (const tenantId of [ids.tenant![0]!, ids.otherTenant![0]!]) {
    const { rows } = await database.pool.query<{ trigger: string; row_count: number; referrals: number }>(
      `SELECT trigger, row_count, (SELECT count(*)::int FROM referral WHERE tenant_id = $1) AS referrals FROM reporting_refresh WHERE tenant_id = $1`,
      [tenantId],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.trigger, 'demo');
    assert.ok(rows[0]!.row_count > 0);
    assert.equal(rows[0]!.row_count, rows[0]!.referrals);
  }
});

test('the demo gives every approach, practice and deprivation quintile an estimate from at least 30 paired measures, with the built-in effect visible', async () => {
  console.log(`demo seeding (identity, referrals, evidence, refresh): ${Math.round(seedMs)} ms`);
  const report = await approachesReport(database.pool, lead, {}, now);
  const figures = report.figures!;
  assert.equal(figures.analysis.refusal, null);
  for (const row of figures.analysis.effects) {
    assert.ok(row.people >= 30, `${row.approach}: ${row.people} people`);
    assert.ok(row.adjusted, `${row.approach} estimated`);
  }
  const visit = figures.analysis.effects.find((e) => e.approach === 'warm_handover')!.adjusted!;
  const signposting = figures.analysis.effects.find((e) => e.approach === 'signposting')!.adjusted!;
  assert.ok(visit.lower > 0, `accompanied visits: ${visit.estimate.toFixed(2)} (${visit.lower.toFixed(2)} to ${visit.upper.toFixed(2)})`);
  assert.ok(visit.estimate > signposting.estimate);
  assert.match(figures.rows.find((r) => r.code === 'warm_handover')!.sentence, /points higher \(better\) on SWEMWBS/);

  const practices = (await practicesReport(database.pool, lead, {}, now)).figures!;
  const coaching = practices.practices.find((p) => p.label.startsWith('Aire Valley'))!;
  const signpostingPractice = practices.practices.find((p) => p.label.startsWith('Kirkgate'))!;
  assert.ok(coaching.adjusted && signpostingPractice.adjusted);
  assert.ok(Number(coaching.adjusted.split(' ')[0]) > Number(signpostingPractice.adjusted.split(' ')[0]));
  assert.ok(practices.linkWorkers!.length >= 2, 'leads see link workers');
  assert.equal((await practicesReport(database.pool, commissioner, {}, now)).figures!.linkWorkers, null, 'commissioners do not');

  const inequalities = (await inequalitiesReport(database.pool, commissioner, {}, now)).figures!;
  assert.ok(inequalities.byImd.filter((l) => l.adjusted).length >= 3);
  const outcomes = (await outcomesReport(database.pool, commissioner, {}, now)).figures!;
  for (const s of outcomes.summaries) assert.ok(s.change, `${s.measure.code} has a change`);
});

test('each page renders for a lead and a commissioner with charts, their tables and text alternatives, and no inline styles', async () => {
  for (const actor of [lead, commissioner]) {
    const cookies = await signInAs(app, database, actor);
    for (const url of [
      '/reports',
      '/reports/outcomes',
      '/reports/approaches?measure=ons4_anxiety',
      '/reports/practices',
      '/reports/inequalities',
    ]) {
      const response = await app.inject({ method: 'GET', url, cookies });
      assert.equal(response.statusCode, 200, url);
      const svgs = response.body.match(/<svg[^>]*>/g) ?? [];
      assert.ok(svgs.length >= 1, `${url} has a chart`);
      for (const svg of svgs.filter((s) => s.includes('signpost-chart'))) {
        assert.match(svg, /role="img"/);
        assert.match(svg, /aria-label="[^"]{20,}"/);
      }
      assert.ok(!/<style|style="/.test(response.body), `${url} has no inline style`);
      assert.match(response.body, /<figcaption>/);
    }
  }
});

test('a referral’s outcomes page draws each score over time with the meaningful-change band, as a text alternative too', async () => {
  const { rows } = await database.pool.query<{ referral_id: string }>(
    `SELECT referral_id FROM outcome_administration WHERE tenant_id = $1 AND instrument = 'swemwbs' AND timepoint = 'discharge' LIMIT 1`,
    [lead.tenantId],
  );
  const response = await app.inject({
    method: 'GET',
    url: `/referrals/${rows[0]!.referral_id}/outcomes`,
    cookies: await signInAs(app, database, lead),
  });
  assert.equal(response.statusCode, 200);
  assert.match(
    response.body,
    /<figcaption>SWEMWBS mental wellbeing over time .*shaded band runs from the baseline to a meaningful improvement/,
  );
  assert.match(response.body, /aria-label="SWEMWBS mental wellbeing: Baseline [^"]*Discharge [^"]*A meaningful improvement would reach/);
  assert.match(response.body, /<figcaption>ONS4: anxiety yesterday over time/);
  assert.match(response.body, /UCLA 3-item loneliness over time .*no validated threshold/);
  assert.ok(!/<style|style="/.test(response.body));
});

test('an admin enters a practice’s registered patients; the inequalities page then gives referrals per 1,000 and rates by quintile; bad numbers are refused beside the field', async () => {
  const admin = demoActor(lead.tenantId, ids['user:admin']![0]!, 'admin', 'Martin Hale');
  const cookies = await signInAs(app, database, admin);
  const practiceId = ids.practices![1]!;
  const bad = await postForm(
    app,
    cookies,
    '/admin/practices/population',
    { practiceId, listSize: 'lots', 'quintile-1': '5' },
    '/admin/practices',
  );
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /as a whole number, like 9500/);
  assert.match(bad.body, /for all five IMD quintiles, or for none/);
  const saved = await postForm(
    app,
    cookies,
    '/admin/practices/population',
    {
      practiceId,
      listSize: '9,500',
      'quintile-1': '3000',
      'quintile-2': '2500',
      'quintile-3': '2000',
      'quintile-4': '1200',
      'quintile-5': '800',
    },
    '/admin/practices',
  );
  assert.equal(saved.statusCode, 303);
  const figures = (await inequalitiesReport(database.pool, commissioner, {}, now)).figures!;
  const line = figures.practiceRates.find((l) => l.label.startsWith('Aire Valley'))!;
  assert.equal(line.population, 9500);
  assert.equal(line.perThousand, ((1000 * line.referrals.value!) / 9500).toFixed(1));
  const quintile1 = figures.groupRates[0]!.rows[0]!;
  assert.equal(quintile1.population, 3000);
  assert.ok(quintile1.perThousand !== null);
});

test('a bad measure or month is a 400 with the message beside the field; a researcher cannot see the evidence pages', async () => {
  const cookies = await signInAs(app, database, lead);
  const bad = await app.inject({ method: 'GET', url: '/reports/approaches?measure=wellbeing&from=2026-13', cookies });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /Enter the start month|Select an outcome measure/);
  const researcher = demoActor(lead.tenantId, ids['user:researcher']![0]!, 'researcher', 'Dr Li Wei');
  const refused = await app.inject({ method: 'GET', url: '/reports/approaches', cookies: await signInAs(app, database, researcher) });
  assert.equal(refused.statusCode, 403);
});
