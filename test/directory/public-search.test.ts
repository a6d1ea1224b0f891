import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { searchDirectory } from '../../src/directory/service.ts';
import { testApp, testConfig } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { anActor } from '../support/factories.ts';
import { signInAs } from '../support/session.ts';

const TILES = 'http://127.0.0.1:3252/tiles/{z}/{x}/{y}.png';

let database: Database;
let app: FastifyInstance;
let mapApp: FastifyInstance;
let serviceId: string;
before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  mapApp = await testApp(database, { MAP_TILE_URL: TILES, MAP_TILE_ATTRIBUTION: 'Map tiles: Test Tiles' });
  serviceId = (await aDirectoryService(database, { name: 'Meanwood Health Walk', needs: ['physical-activity'], postcode: 'LS6 3AB' })).id;
});
after(async () => {
  await mapApp.close();
  await app.close();
  await database.close();
});

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

test('anonymous search and service pages may be cached for a minute, with an ETag that answers 304 until the page changes', async () => {
  for (const url of [
    '/services?q=walk&postcode=LS6+3AB',
    `/services/${serviceId}`,
    '/services/suggestions?q=walk',
    '/services/suggestions.json?q=walk',
  ]) {
    const first = await app.inject({ url });
    assert.equal(first.statusCode, 200, url);
    assert.equal(first.headers['cache-control'], 'public, max-age=60', url);
    assert.match(String(first.headers.vary), /Cookie/, url);
    const etag = String(first.headers.etag);
    assert.match(etag, /^W\/".+"$/, url);
    const again = await app.inject({ url, headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304, url);
    assert.equal(again.body, '', url);
    assert.equal(again.headers.etag, etag, url);
    const other = await app.inject({ url, headers: { 'if-none-match': 'W/"something-else"' } });
    assert.equal(other.statusCode, 200, `${url}: another ETag gets the page`);
  }
  const before = await app.inject('/services?q=walk');
  await aDirectoryService(database, { name: 'Chapel Allerton Walk', needs: ['physical-activity'] });
  const changed = await app.inject({ url: '/services?q=walk', headers: { 'if-none-match': String(before.headers.etag) } });
  assert.equal(changed.statusCode, 200, 'a new service changes the page, so the old ETag no longer matches');
  assert.match(text(changed.body), /Chapel Allerton Walk/);
  assert.notEqual(changed.headers.etag, before.headers.etag);
});

test('cacheable pages carry no per-response nonce; the CSP allows their one inline script by its hash', async () => {
  const res = await app.inject('/services?q=walk');
  assert.doesNotMatch(res.body, /nonce=/);
  const inline = /<script>([^<]+)<\/script>/.exec(res.body)?.[1];
  assert.ok(inline, 'the NHS.UK template boot script is on the page');
  const hash = `'sha256-${createHash('sha256').update(inline).digest('base64')}'`;
  assert.ok(String(res.headers['content-security-policy']).includes(hash));
  const twice = await app.inject('/services?q=walk');
  assert.equal(twice.body, res.body, 'the same page twice is byte for byte the same');
});

test('signed-in pages, refused searches and missing services are never cached publicly', async () => {
  const worker = await anActor(database, { roles: ['link_worker'] });
  const cookies = await signInAs(app, database, worker);
  const signedIn = await app.inject({ url: '/services?q=walk', cookies });
  assert.equal(signedIn.statusCode, 200);
  assert.match(text(signedIn.body), /Meanwood Health Walk/);
  assert.equal(signedIn.headers['cache-control'], 'no-store');
  assert.equal(signedIn.headers.etag, undefined);
  const detail = await app.inject({ url: `/services/${serviceId}`, cookies });
  assert.equal(detail.headers['cache-control'], 'no-store');
  const refused = await app.inject('/services?q=walk&age=old');
  assert.equal(refused.statusCode, 400);
  assert.equal(refused.headers['cache-control'], undefined);
  assert.equal(refused.headers.etag, undefined);
  const missing = await app.inject('/services/no-such-service');
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.headers.etag, undefined);
});

test('without MAP_TILE_URL there is no map, no map library and no tile host in the CSP', async () => {
  const res = await app.inject('/services?q=walk&postcode=LS6+3AB');
  assert.match(text(res.body), /Meanwood Health Walk/);
  assert.doesNotMatch(res.body, /results-map|leaflet/);
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /img-src 'self' data:;/);
  assert.doesNotMatch(csp, /127\.0\.0\.1|https?:/);
});

test('with MAP_TILE_URL the page offers a map of the results and the CSP allows exactly that tile host', async () => {
  const res = await mapApp.inject('/services?q=walk&postcode=LS6+3AB');
  assert.match(res.body, /<div id="results-map"[^>]* hidden/);
  assert.match(res.body, /data-tile-url="http:\/\/127\.0\.0\.1:3252\/tiles\/\{z\}\/\{x\}\/\{y\}\.png"/);
  assert.match(res.body, /data-attribution="Map tiles: Test Tiles"/);
  assert.match(res.body, /<li [^>]*data-latitude="53\.8\d*" data-longitude="-1\.5\d*"/);
  assert.match(res.body, /href="\/vendor\/leaflet\/leaflet\.css"/);
  assert.match(String(res.headers['content-security-policy']), /img-src 'self' data: http:\/\/127\.0\.0\.1:3252;/);
  const none = await mapApp.inject('/services?q=xylophone');
  assert.match(text(none.body), /No services matched/);
  assert.doesNotMatch(none.body, /results-map/, 'no results, no map');
  const library = await mapApp.inject('/vendor/leaflet/leaflet-src.esm.js');
  assert.equal(library.statusCode, 200, 'the map library is served by the app');
});

test('map settings are checked at start-up', () => {
  assert.throws(
    () => testConfig({ MAP_TILE_URL: TILES }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'MAP_TILE_ATTRIBUTION',
  );
  assert.throws(() => testConfig({ MAP_TILE_URL: 'https://tiles.example.org/tile.png', MAP_TILE_ATTRIBUTION: 'x' }), ConfigError);
  assert.throws(
    () => testConfig({ MAP_TILE_URL: 'https://{s}.tiles.example.org/{z}/{x}/{y}.png', MAP_TILE_ATTRIBUTION: 'x' }),
    ConfigError,
  );
  assert.throws(() => testConfig({ MAP_TILE_URL: 'ftp://tiles.example.org/{z}/{x}/{y}.png', MAP_TILE_ATTRIBUTION: 'x' }), ConfigError);
  assert.deepEqual(
    testConfig({ MAP_TILE_URL: 'https://tiles.example.org/{z}/{x}/{y}.png', MAP_TILE_ATTRIBUTION: '© OpenStreetMap contributors' })
      .mapTiles,
    { url: 'https://tiles.example.org/{z}/{x}/{y}.png', attribution: '© OpenStreetMap contributors', origin: 'https://tiles.example.org' },
  );
  assert.equal(testConfig().mapTiles, undefined);
});

test('suggestions offer needs and service names as JSON for the script and as a page of links without it', async () => {
  const json = (await app.inject('/services/suggestions.json?q=walk')).json() as {
    suggestions: Array<{ kind: string; text: string; href: string }>;
  };
  assert.ok(
    json.suggestions.some(
      (s) => s.kind === 'service' && s.text === 'Meanwood Health Walk' && s.href === '/services?q=Meanwood%20Health%20Walk',
    ),
  );
  const needs = (await app.inject('/services/suggestions.json?q=activ')).json() as {
    suggestions: Array<{ kind: string; text: string; href: string }>;
  };
  assert.ok(
    needs.suggestions.some((s) => s.kind === 'need' && s.href === '/services?need=physical-activity'),
    'a need by part of its name',
  );
  const nothing = (await app.inject('/services/suggestions.json?q=zzqx')).json() as { suggestions: unknown[] };
  assert.deepEqual(nothing.suggestions, []);
  const short = (await app.inject('/services/suggestions.json?q=w')).json() as { suggestions: unknown[] };
  assert.deepEqual(short.suggestions, [], 'one letter suggests nothing');
  const wildcard = (await app.inject('/services/suggestions.json?q=%25%25')).json() as { suggestions: unknown[] };
  assert.deepEqual(wildcard.suggestions, [], 'a % typed is a character, not a wildcard');

  const page = await app.inject('/services/suggestions?q=walk');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<a href="\/services\?q=Meanwood%20Health%20Walk">Meanwood Health Walk<\/a>/);
  const empty = await app.inject('/services/suggestions?q=zzqx');
  assert.match(text(empty.body), /No suggestions for "zzqx"/);
  const noResults = await app.inject('/services?q=zzqx');
  assert.match(noResults.body, /href="\/services\/suggestions\?q=zzqx"/, 'a search that finds nothing links to suggestions');
});

test('near a place, only the nearest services up to the cap are considered, and the page says there are more', async () => {
  // Three more at increasing distances from LS6 3AB (Headingley), besides the walk there.
  for (const [name, postcode] of [
    ['Cap Test Near', 'LS6 3AB'],
    ['Cap Test Middle', 'LS1 4AP'],
    ['Cap Test Far', 'LS6'],
  ] as const) {
    await aDirectoryService(database, { name, needs: ['arts'], postcode });
  }
  const all = await searchDirectory(database.pool, { need: 'arts', postcode: 'LS6 3AB', miles: 25 });
  assert.equal(all.total, 3);
  assert.equal(all.capped, false);
  const capped = await searchDirectory(database.pool, { need: 'arts', postcode: 'LS6 3AB', miles: 25, candidateCap: 2 });
  assert.equal(capped.capped, true);
  assert.equal(capped.total, 2);
  const nearest = [...all.results]
    .sort((a, b) => a.distanceMiles! - b.distanceMiles!)
    .slice(0, 2)
    .map((r) => r.name)
    .sort();
  assert.deepEqual(capped.results.map((r) => r.name).sort(), nearest, 'the nearest two are kept');
});
