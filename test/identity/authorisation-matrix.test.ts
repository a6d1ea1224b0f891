/**
 * The authorisation matrix: every route in Fastify's route table, called as every role of the
 * home tenant, as a user of another tenant who holds every role there, and anonymously. Each
 * call must get the expected status, no body may show the other tenant's data, and every GET
 * answered to a signed-in caller (or for a page that needs signing in) must say Cache-Control: no-store.
 *
 * HOW TO ADD YOUR ROUTES
 * Each area keeps its expectations in its own file: test/identity/route-access/<area>.ts,
 * exporting `access: AreaAccess` (see route-access/types.ts). For each route add
 * `{ method, url, expect }` with `url` exactly as registered (e.g. `/referrals/:referralId`),
 * a `path(world)` that fills in the parameters with records made in your `setUp(world)`, and
 * optionally `form(world)` or `json(world)` for a body (a valid CSRF token is always added).
 * Build `expect` with `everyone(200)`, `signedIn()`, or `onlyRoles(['link_worker', 'lead'],
 * { otherTenant: 404 })` (a record of the home tenant must be a 404 for the other tenant's
 * caller). In setUp, create one record in `world.home` and one in `world.other`, and push
 * distinctive text of each (a name, a reference) onto `world.markers.home` / `.other`.
 * This test fails when a registered route has no entry, and when an entry names no route.
 * Each call gets a fresh session, so state-changing routes can be exercised in turn.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { formSession, newFormToken, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { signInAs } from '../support/session.ts';
import { CALLERS, type AreaAccess, type Caller, type MatrixWorld, type RouteAccess } from './route-access/types.ts';
import { buildMatrixWorld } from './route-access/world.ts';

let database: Database;
let app: FastifyInstance;
let world: MatrixWorld;
let areas: AreaAccess[];

before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  ({ world, areas } = await buildMatrixWorld(app, database));
});
after(async () => {
  await app.close();
  await database.close();
});

const key = (method: string, url: string) => `${method} ${url}`;

test('every registered route has exactly one entry in the matrix, and every entry a route', () => {
  const registered = new Set(app.routeTable.map((r) => key(r.method, r.url)));
  const entries = areas.flatMap((a) => a.routes.map((r) => ({ area: a.area, key: key(r.method, r.url) })));
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
  const missing = [...registered].filter((k) => !counts.has(k));
  assert.deepEqual(missing, [], 'routes without an entry in test/identity/route-access/<area>.ts');
  const stale = entries.filter((e) => !registered.has(e.key)).map((e) => `${e.area}: ${e.key}`);
  assert.deepEqual(stale, [], 'entries for routes that are not registered');
  const doubled = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
  assert.deepEqual(doubled, [], 'routes with more than one entry');
  assert.ok(registered.size >= 20, `expected the identity and web routes at least, found ${registered.size}`);
});

test('every entry states a status for every caller and a path for every parameter', () => {
  for (const area of areas) {
    for (const route of area.routes) {
      for (const caller of CALLERS)
        assert.ok(route.expect[caller] !== undefined, `${area.area}: ${route.method} ${route.url} has no expectation for ${caller}`);
      if (route.url.includes(':') || route.url.includes('*'))
        assert.ok(route.path, `${area.area}: ${route.method} ${route.url} needs path(world)`);
    }
  }
});

let addressCounter = 0;
let csrf: Awaited<ReturnType<typeof formSession>> | undefined;

async function call(route: RouteAccess, caller: Caller) {
  const actor = caller === 'anonymous' ? undefined : caller === 'otherTenant' ? world.other.everyRole : world.home.users[caller];
  const cookies = actor ? await signInAs(app, database, actor) : {};
  // Each call from its own address, so per-address rate limits never colour the result.
  const n = ++addressCounter;
  const remoteAddress = `10.${77 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  const url = route.path ? route.path(world) : route.url;
  if (route.method === 'GET' || route.method === 'OPTIONS') return app.inject({ method: route.method, url, cookies, remoteAddress });
  // The CSRF secret cookie is independent of the session, so one token serves every call.
  csrf ??= await formSession(app, '/sign-in');
  const withCsrf = { ...csrf.cookies, ...cookies };
  const headers: Record<string, string> = { 'x-csrf-token': csrf.token ?? '' };
  if (route.json) {
    return app.inject({
      method: route.method,
      url,
      cookies: withCsrf,
      remoteAddress,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify(route.json(world)),
    });
  }
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(route.form?.(world) ?? {})) for (const v of [value].flat()) form.append(name, v);
  form.append('_csrf', csrf.token ?? '');
  form.append('formToken', newFormToken());
  return app.inject({
    method: route.method,
    url,
    cookies: withCsrf,
    remoteAddress,
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form.toString(),
  });
}

test("every route answers every caller as expected, never shows another tenant's data, and no signed-in page may be cached", async () => {
  const failures: string[] = [];
  let calls = 0;
  const policies = new Map(app.routeTable.map((r) => [key(r.method, r.url), r.policy?.kind]));
  for (const area of areas) {
    for (const route of area.routes) {
      for (const caller of CALLERS) {
        const res = await call(route, caller);
        calls++;
        const expected = [route.expect[caller]].flat();
        const label = `${area.area}: ${route.method} ${route.url} as ${caller}`;
        if (!expected.includes(res.statusCode)) failures.push(`${label}: got ${res.statusCode}, expected ${expected.join(' or ')}`);
        // A shared computer's back button or cache must show nothing after sign-out.
        const personal = caller !== 'anonymous' || policies.get(key(route.method, route.url)) !== 'public';
        if (route.method === 'GET' && personal && !/\bno-store\b/.test(String(res.headers['cache-control'] ?? ''))) {
          failures.push(`${label}: Cache-Control is "${res.headers['cache-control'] ?? ''}", not no-store`);
        }
        const forbidden = caller === 'otherTenant' ? world.markers.home : world.markers.other;
        const leaked = forbidden.filter((marker) => res.body.includes(marker));
        if (leaked.length) failures.push(`${label}: body shows the other tenant's ${leaked.join(', ')}`);
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(calls >= 20 * CALLERS.length);
});

test('a route added without an entry makes the matrix fail', async () => {
  const extra = await testApp(database, {}, { ready: false });
  const { publicAccess } = await import('../../src/identity/policy.ts');
  extra.get('/an/unlisted/page', { config: { policy: publicAccess } }, async () => 'hello');
  await extra.ready();
  const known = new Set(areas.flatMap((a) => a.routes.map((r) => key(r.method, r.url))));
  const missing = extra.routeTable.filter((r) => !known.has(key(r.method, r.url))).map((r) => key(r.method, r.url));
  assert.ok(missing.includes('GET /an/unlisted/page'), 'the new route is reported as missing');
  await extra.close();
});
