import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { seedDemo } from '../../src/demo/seed.ts';
import { DEMO_PASSWORD, identitySeeder } from '../../src/identity/demo.ts';
import { reportingSeeder } from '../../src/reporting/demo.ts';
import { startBrowserRig, visit, type BrowserRig } from '../support/browser.ts';
import { freshDatabase } from '../support/database.ts';
import { signInInBrowser } from '../support/session.ts';

let rig: BrowserRig;

before(async () => {
  const database = await freshDatabase();
  // The service and its evidence are enough: the report pages read nothing else.
  await seedDemo(database, [identitySeeder, reportingSeeder]);
  rig = await startBrowserRig({ database, env: { SIGNPOST_DEMO: 'true' } });
});
after(() => rig?.close());

const PAGES: [string, RegExp][] = [
  ['/reports', /Referrals received by month/],
  ['/reports/outcomes', /Mean change \(95% CI\)/],
  ['/reports/approaches', /Adjusted difference \(95% CI\)/],
  ['/reports/practices', /Aire Valley Surgery/],
  ['/reports/inequalities', /By IMD quintile/],
];

for (const [role, email] of [
  ['lead', 'lead@demo.signpost.example'],
  ['commissioner', 'commissioner@demo.signpost.example'],
] as const) {
  test(`a ${role} reads every report page on the demo data: charts with captions and tables, no accessibility problems, nothing blocked by the content policy`, async () => {
    const { page, context } = await rig.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/style-src|inline style/.test(message.text())) blocked.push(message.text());
    });
    await signInInBrowser(page, email, DEMO_PASSWORD, '/reports');
    for (const [path, shows] of PAGES) {
      assert.equal(await visit(page, path), 200, path);
      const main = await page.locator('main').innerText();
      assert.match(main, shows, path);
      assert.ok((await page.locator('figure svg[role="img"]').count()) >= 1, `${path} has a chart`);
      assert.ok((await page.locator('table').count()) >= 1, `${path} has a table`);
      if (path !== '/reports') assert.match(main, /figure on this page are fictional/);
      if (path === '/reports/practices') {
        assert.equal(
          await page.locator('#link-worker-profiles').count(),
          role === 'lead' ? 1 : 0,
          'link worker profiles are for leads only',
        );
      }
    }
    assert.deepEqual(blocked, []);
    await context.close();
  });
}
