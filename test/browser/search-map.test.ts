import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { assertAccessible, startBrowserRig, type BrowserRig } from '../support/browser.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { freshDatabase } from '../support/database.ts';

// A local tile server standing in for a real one: a grey 1x1 PNG for every tile, and a record
// of what was asked, so the tests can tell whether the browser reached out to it.
const TILE_PORT = 3254;
const TILE_ORIGIN = `http://127.0.0.1:${TILE_PORT}`;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGO4BwAA2ADXkx4aMQAAAABJRU5ErkJggg==', 'base64');
const tileRequests: string[] = [];
let tiles: Server;

let withMap: BrowserRig;
let withoutMap: BrowserRig;
before(async () => {
  tiles = createServer((req, res) => {
    tileRequests.push(req.url ?? '');
    res.writeHead(/^\/tiles\/\d+\/\d+\/\d+\.png$/.test(req.url ?? '') ? 200 : 404, { 'content-type': 'image/png' });
    res.end(PNG);
  });
  await new Promise<void>((resolve) => tiles.listen(TILE_PORT, '127.0.0.1', resolve));
  const database = await freshDatabase();
  await aDirectoryService(database, {
    name: 'Hyde Park Mindfulness',
    organizationName: 'Calm Leeds',
    needs: ['mental-wellbeing'],
    postcode: 'LS6 1AA',
  });
  await aDirectoryService(database, { name: 'City Mindfulness Course', needs: ['mental-wellbeing'], postcode: 'LS1 1AA' });
  await aDirectoryService(database, { name: 'Woodhouse Art Group', needs: ['arts'], postcode: 'LS6 2AA' });
  withMap = await startBrowserRig({
    database,
    env: { MAP_TILE_URL: `${TILE_ORIGIN}/tiles/{z}/{x}/{y}.png`, MAP_TILE_ATTRIBUTION: 'Test tiles for Signpost' },
  });
  // The same data without a tile server configured.
  withoutMap = await startBrowserRig({ database: await freshDatabase() });
  await aDirectoryService(withoutMap.database, { name: 'Hyde Park Mindfulness', needs: ['mental-wellbeing'], postcode: 'LS6 1AA' });
});
after(async () => {
  await withoutMap.close();
  // withMap owns the shared database and closes it.
  await withMap.close();
  await new Promise((resolve) => tiles.close(resolve));
});

const SEARCH = '/services?q=mindfulness&postcode=LS6+1AA';

async function checkMap(page: Page) {
  await page.locator('#results-map .leaflet-tile-loaded').first().waitFor();
  assert.equal(await page.locator('#results-map').isVisible(), true);
  const names = (await page.locator('.signpost-results h3').allTextContents()).map((n) => n.trim());
  assert.deepEqual(names, ['Hyde Park Mindfulness', 'City Mindfulness Course']);
  // One numbered pin per result, named as in the list.
  const pins = page.locator('#results-map .signpost-map-pin');
  assert.equal(await pins.count(), 2);
  assert.equal(await pins.first().getAttribute('title'), '1. Hyde Park Mindfulness');
  assert.match((await page.locator('.leaflet-control-attribution').textContent()) ?? '', /Test tiles for Signpost/);
  await assertAccessible(page);
}

test('the results map draws pins from the list on tiles from the configured server, at desktop width', async () => {
  const { page, context } = await withMap.newPage();
  // What actually loaded: the NHS.UK stylesheet asks for its web font from the NHS's host, which
  // the CSP refuses, so requests are not the measure; responses are.
  const outside: string[] = [];
  page.on('response', (r) => {
    if (!r.url().startsWith(withMap.baseUrl) && !r.url().startsWith(TILE_ORIGIN)) outside.push(r.url());
  });
  const before = tileRequests.length;
  await page.goto(SEARCH);
  await checkMap(page);
  assert.ok(tileRequests.length > before, 'tiles came from the tile server');
  assert.deepEqual(outside, [], 'nothing but the app and the tile server');
  // A pin leads to its service, by mouse or keyboard.
  await page.locator('#results-map .signpost-map-pin').nth(1).focus();
  await Promise.all([page.waitForURL(/\/services\/[^?]+$/), page.keyboard.press('Enter')]);
  assert.equal((await page.locator('h1').textContent())?.trim(), 'City Mindfulness Course');
  await context.close();
});

test('on a 375 px screen the map sits with the list and the page does not scroll sideways', async () => {
  const context = await withMap.browser.newContext({ baseURL: withMap.baseUrl, viewport: { width: 375, height: 812 } });
  const page = await context.newPage();
  await page.goto(SEARCH);
  await checkMap(page);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `the page fits a 375 px screen (scroll width ${width})`);
  await context.close();
});

test('without JavaScript the list works, no map appears and no tile is fetched', async () => {
  // (axe runs in the page, so it is not run here: the same page is checked with JavaScript above.)
  const context = await withMap.browser.newContext({ baseURL: withMap.baseUrl, javaScriptEnabled: false });
  const page = await context.newPage();
  const before = tileRequests.length;
  assert.equal((await page.goto(SEARCH))?.status(), 200);
  const names = (await page.locator('.signpost-results h3').allTextContents()).map((n) => n.trim());
  assert.deepEqual(names, ['Hyde Park Mindfulness', 'City Mindfulness Course']);
  assert.equal(await page.locator('#results-map').isVisible(), false);
  assert.equal(tileRequests.length, before);
  await context.close();
});

test('without MAP_TILE_URL nothing external is loaded and the CSP names no tile host', async () => {
  const { page, context } = await withoutMap.newPage();
  const requests: string[] = [];
  page.on('response', (r) => requests.push(r.url()));
  const response = await page.goto(SEARCH);
  await assertAccessible(page);
  assert.match((await page.locator('.signpost-results').textContent()) ?? '', /Hyde Park Mindfulness/);
  assert.equal(await page.locator('#results-map').count(), 0);
  assert.ok(requests.length > 0);
  assert.deepEqual(
    requests.filter((url) => !url.startsWith(withoutMap.baseUrl)),
    [],
  );
  assert.equal(
    requests.some((url) => url.includes('leaflet')),
    false,
    'no map library either',
  );
  const csp = (await response!.allHeaders())['content-security-policy'] ?? '';
  assert.match(csp, /img-src 'self' data:;/);
  assert.doesNotMatch(csp, new RegExp(String(TILE_PORT)));
  await context.close();
});
