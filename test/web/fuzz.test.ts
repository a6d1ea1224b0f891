/**
 * Fuzzing every route. Walks Fastify's route table and, for each route, calls it as each role
 * that may use it and anonymously, with generated bad input: missing, extra and repeated fields,
 * wrong types, 100 kB strings, NUL, right-to-left and zero-width text, emoji, SQL and HTML,
 * impossible dates and ids, negative and huge numbers, wrong content types, truncated and nested
 * JSON, and keys such as `__proto__` and `constructor`. No answer may be a 5xx, and a refused
 * request (4xx) may change nothing: every table is checksummed before and after each batch of
 * refused requests, and a batch that changed something is replayed one request at a time to name
 * the request.
 *
 * Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> node scripts/test.mjs --only pglite fuzz
 * FUZZ_REQUESTS sets how many requests are sent (default 5,000 per backend: 10,000 a run).
 */
import { toUSVString } from 'node:util';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { ROLES, type Role } from '../../src/identity/actor.ts';
import { formSession, newFormToken, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { signInAs } from '../support/session.ts';
import type { AreaAccess, MatrixWorld, RouteAccess } from '../identity/route-access/types.ts';
import { buildMatrixWorld } from '../identity/route-access/world.ts';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
// 5,000 per backend, so every run of the suite (PGlite and PostgreSQL) sends at least 10,000;
// raise FUZZ_REQUESTS for a longer hunt.
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5000);
const BATCH = 80;

/**
 * Tables and columns a refused request may legitimately change, left out of the checksums:
 * - user_session.last_seen_at: every signed-in request moves the idle timer on;
 * - sign_in_throttle: refused sign-ins are counted, which is how lockout works;
 * - rate_limit_counter: every request to a rate-limited route counts, refused or not;
 * - audit_event, audit_chain_head: reads of a person's record and refused attempts are audited;
 * - work_list_seen: opening a work list (responses, new allocations) marks it seen, a GET that writes.
 */
const IGNORED_TABLES = new Set([
  'sign_in_throttle',
  'rate_limit_counter',
  'audit_event',
  'audit_chain_head',
  'schema_migration',
  'work_list_seen',
]);
const IGNORED_COLUMNS: Record<string, string[]> = { user_session: ['last_seen_at'] };

/** Field names the forms read, plus names no form uses. */
const FIELD_NAMES = [
  'action',
  'address',
  'answer',
  'answers',
  'approach',
  'attended',
  'barrierNotes',
  'barriers',
  'capacity',
  'change',
  'channel',
  'communication',
  'concern',
  'confirm',
  'consent',
  'consentToRefer',
  'consentToShare',
  'contactChannels',
  'context',
  'current',
  'date',
  'dateOfBirth',
  'dateOfBirth[day]',
  'dateOfBirth[month]',
  'dateOfBirth[year]',
  'delivery',
  'description',
  'detail',
  'details',
  'due',
  'duplicateId',
  'email',
  'ethnicity',
  'expectedWaitWeeks',
  'familyName',
  'fees',
  'firstSessionDate',
  'from',
  'genderIdentity',
  'givenName',
  'goal',
  'instrument',
  'interpreterLanguage',
  'kind',
  'linkWorkerId',
  'minutes',
  'mode',
  'name',
  'need',
  'nextAction',
  'nhsNumber',
  'notSuitableReason',
  'note',
  'notes',
  'odsCode',
  'otherCommunicationNeeds',
  'outcome',
  'page',
  'password',
  'person',
  'personChoice',
  'phone',
  'place',
  'postcode',
  'practiceId',
  'preferredName',
  'progress',
  'providerOrganisationId',
  'q',
  'reason',
  'reasons',
  'redirectedTo',
  'reference',
  'referrerEmail',
  'referrerName',
  'referrerOrganisation',
  'replyEmail',
  'reviewDate',
  'risk',
  'risks',
  'roles',
  'safeToLeaveMessage',
  'serviceId',
  'sessionDate',
  'sessionsAttended',
  'sessionsOffered',
  'sex',
  'share',
  'sort',
  'source',
  'status',
  'steps',
  'strengths',
  'summary',
  'tenant',
  'time',
  'timepoint',
  'to',
  'token',
  'url',
  'urgency',
  'user',
  'version',
  'website',
  'whatMatters',
  'whoDoesWhat',
  'worker',
  'returnTo',
  'miles',
  'openNow',
  'age',
  'language',
  'day',
  'cost',
  'wheelchair',
  'hearingLoop',
  '__proto__',
  'constructor',
  'prototype',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'a[b][c][d]',
  '',
  ' ',
  'x'.repeat(300),
];

const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202Eevil\u202C',
  'zero\u200Bwidth\uFEFF',
  '😀👍🏽🏳️‍🌈',
  '𝕳𝖊𝖑𝖑𝖔',
  'Ω≈ç√∫',
  '\uD800',
  'ﷺ',
  'a\r\nSet-Cookie: x=1',
  "' OR '1'='1",
  "'; DROP TABLE referral; --",
  '" OR ""="',
  '1; SELECT pg_sleep(10)',
  '$1',
  '%s%n',
  '\\',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '{{7*7}}',
  '{% raw %}',
  '${7*7}',
  '2024-02-30',
  '0000-00-00',
  '99999-12-31',
  '1900-01-01',
  '2026-13-40',
  'yesterday',
  '31/12/2026',
  '25:61',
  '-1',
  '0',
  '-0',
  '1e309',
  '9'.repeat(40),
  'NaN',
  'Infinity',
  '0x10',
  '1.5',
  '2147483648',
  '-2147483649',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'not-a-uuid',
  '123',
  'SP-AAAAAAAA',
  'yes',
  'no',
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
  'made',
  'attempted',
  'phone',
  'refer',
  'signpost',
  'admin',
  'lead',
  'link_worker',
];

type Caller = Role | 'otherTenant' | 'anonymous';

interface Plan {
  route: number;
  caller: number;
  pathMode: number;
  pathValue: string;
  fields: [string, string[]][];
  bodyKind: 'form' | 'json' | 'truncated-json' | 'nested-json' | 'proto-json' | 'text' | 'multipart' | 'none';
  csrf: boolean;
  formToken: boolean;
  query: [string, string][];
  address: number;
}

let database: Database;
let app: FastifyInstance;
let world: MatrixWorld;
let areas: AreaAccess[];
const cookiesFor = new Map<Caller, Record<string, string>>();
let csrf: Awaited<ReturnType<typeof formSession>>;

before(async () => {
  const t0 = Date.now();
  database = await freshDatabase();
  app = await testApp(database);
  ({ world, areas } = await buildMatrixWorld(app, database));
  csrf = await formSession(app, '/sign-in');
  for (const role of ROLES) cookiesFor.set(role, { ...csrf.cookies, ...(await signInAs(app, database, world.home.users[role]!)) });
  cookiesFor.set('otherTenant', { ...csrf.cookies, ...(await signInAs(app, database, world.other.everyRole)) });
  cookiesFor.set('anonymous', { ...csrf.cookies });
  if (process.env.FUZZ_PROGRESS) console.error(`fuzz: world built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
after(async () => {
  await app.close();
  await database.close();
});

/** One checksum per table (as the owner, so row-level security hides nothing). */
async function checksums(): Promise<Map<string, string>> {
  const { rows: tables } = await database.pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const parts = tables
    .filter((t) => !IGNORED_TABLES.has(t.name))
    .map((t) => {
      const drop = (IGNORED_COLUMNS[t.name] ?? []).map((c) => ` - '${c}'`).join('');
      return `SELECT '${t.name}' AS name, coalesce(md5(string_agg(md5((to_jsonb(x)${drop})::text), '' ORDER BY md5((to_jsonb(x)${drop})::text))), '') AS sum FROM "${t.name}" x`;
    });
  const { rows } = await database.pool.query<{ name: string; sum: string }>(parts.join(' UNION ALL '));
  return new Map(rows.map((r) => [r.name, r.sum]));
}

function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([name, sum]) => before.get(name) !== sum).map(([name]) => name);
}

const nastyValue = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(100_000), 'é'.repeat(50_000), '<b>'.repeat(20_000)) },
);

const planArbitrary: fc.Arbitrary<Plan> = fc.record({
  route: fc.nat(),
  caller: fc.nat(),
  pathMode: fc.nat(9),
  pathValue: nastyValue,
  fields: fc.array(fc.tuple(fc.constantFrom(...FIELD_NAMES), fc.array(nastyValue, { minLength: 1, maxLength: 3 })), { maxLength: 8 }),
  bodyKind: fc.constantFrom<Plan['bodyKind']>(
    'form',
    'form',
    'form',
    'form',
    'form',
    'form',
    'json',
    'truncated-json',
    'nested-json',
    'proto-json',
    'text',
    'multipart',
    'none',
  ),
  csrf: fc.boolean(),
  formToken: fc.boolean(),
  query: fc.array(fc.tuple(fc.constantFrom(...FIELD_NAMES), nastyValue), { maxLength: 4 }),
  address: fc.nat(65_000),
});

interface Target {
  method: string;
  url: string;
  callers: Caller[];
  entry?: RouteAccess;
}

function targets(): Target[] {
  const entries = new Map(areas.flatMap((a) => a.routes).map((r) => [`${r.method} ${r.url}`, r]));
  return app.routeTable.map((route) => {
    const policy = route.policy;
    let callers: Caller[] = ['anonymous'];
    if (policy?.kind === 'public') callers = ['anonymous', 'link_worker', 'otherTenant'];
    else if (policy?.kind === 'signed-in') callers = ['anonymous', 'otherTenant', ...(policy.roles === 'any' ? ROLES : policy.roles)];
    // Signing out would end the sessions the rest of the run uses.
    if (route.url.startsWith('/sign-out')) callers = ['anonymous'];
    return { method: route.method, url: route.url, callers, entry: entries.get(`${route.method} ${route.url}`) };
  });
}

function pathFor(target: Target, plan: Plan): string {
  const real = target.entry?.path?.(world) ?? target.url;
  if (!target.url.includes(':') || plan.pathMode < 6) return real.split('?')[0]!;
  // A bad value in place of one parameter, or every one.
  // A lone surrogate cannot be written in a URL at all (a browser sends U+FFFD): make it well formed first.
  const bad = plan.pathMode === 9 ? '%00' : encodeURIComponent(toUSVString(plan.pathValue.slice(0, 2000))) || '%20';
  return target.url.replace(/:[A-Za-z]+/g, bad);
}

function formBody(plan: Plan, token: boolean): string {
  const form = new URLSearchParams();
  for (const [name, values] of plan.fields) for (const value of values) form.append(name, value);
  if (plan.csrf) form.append('_csrf', csrf.token ?? '');
  if (token) form.append('formToken', newFormToken());
  return form.toString();
}

function jsonBody(plan: Plan): string {
  const body: Record<string, unknown> = Object.fromEntries(
    plan.fields.map(([name, values]) => [name, values.length === 1 ? values[0] : values]),
  );
  if (plan.csrf) body._csrf = csrf.token;
  return JSON.stringify(body);
}

async function send(target: Target, plan: Plan): Promise<{ res: LightMyRequestResponse; label: string }> {
  const caller = target.callers[plan.caller % target.callers.length]!;
  const cookies = cookiesFor.get(caller)!;
  let url = pathFor(target, plan);
  if (plan.query.length) url += `?${new URLSearchParams(plan.query).toString()}`;
  const remoteAddress = `10.${100 + (plan.address >> 16)}.${(plan.address >> 8) & 255}.${plan.address & 255}`;
  const headers: Record<string, string> = { accept: plan.address % 3 === 0 ? 'application/json' : 'text/html' };
  let payload: string | undefined;
  if (target.method !== 'GET') {
    // Most requests carry a valid CSRF token, so they reach the route rather than stopping at the check.
    plan.csrf = plan.csrf || plan.address % 5 !== 0;
    switch (plan.bodyKind) {
      case 'form':
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = formBody(plan, plan.formToken);
        break;
      case 'json':
        headers['content-type'] = 'application/json';
        payload = jsonBody(plan);
        break;
      case 'truncated-json':
        headers['content-type'] = 'application/json';
        payload = jsonBody(plan).slice(0, -3);
        break;
      case 'nested-json':
        headers['content-type'] = 'application/json';
        payload = `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`;
        break;
      case 'proto-json':
        headers['content-type'] = 'application/json';
        payload = `{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"_csrf":${JSON.stringify(csrf.token)}}`;
        break;
      case 'text':
        headers['content-type'] = 'text/plain';
        payload = formBody(plan, true);
        break;
      case 'multipart':
        headers['content-type'] = 'multipart/form-data; boundary=x';
        payload = `--x\r\ncontent-disposition: form-data; name="a"\r\n\r\n${plan.pathValue}\r\n--x--`;
        break;
      case 'none':
        payload = undefined;
        break;
    }
    if (plan.csrf) headers['x-csrf-token'] = plan.address % 2 === 0 ? (csrf.token ?? '') : 'not-the-token';
  }
  const res = await app.inject({
    method: target.method as 'GET',
    url,
    cookies,
    remoteAddress,
    headers,
    ...(payload !== undefined ? { payload } : {}),
  });
  const label = `${target.method} ${url.slice(0, 300)} as ${caller} (${headers['content-type'] ?? 'no body'}) body ${JSON.stringify((payload ?? '').slice(0, 300))}`;
  return { res, label };
}

test('no generated request gets a 5xx, and no refused request changes any table', { timeout: 600_000 }, async () => {
  const started = Date.now();
  const cpuAtStart = process.cpuUsage();
  const routes = targets();
  assert.ok(routes.length >= 80, `the route table has ${routes.length} routes`);
  const plans = fc.sample(planArbitrary, { seed: SEED, numRuns: REQUESTS });
  const where = (i: number, label: string) => `FUZZ_SEED=${SEED} request #${i}: ${label}`;
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let checked = 0;

  for (let start = 0; start < plans.length && failures.length < 5; start += BATCH) {
    const batch = plans
      .slice(start, start + BATCH)
      .map((plan, n) => ({ plan: { ...plan }, original: plan, target: routes[plan.route % routes.length]!, index: start + n }));
    const before = await checksums();
    let allRefused = true;
    for (const item of batch) {
      const { res, label } = await send(item.target, item.plan);
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 500) failures.push(`${where(item.index, label)} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
      // Refused: a 4xx, or a signed-out caller sent to the sign-in page.
      const toSignIn = res.statusCode === 303 && String(res.headers.location ?? '').startsWith('/sign-in');
      if (res.statusCode < 400 && !toSignIn && item.target.method !== 'GET') allRefused = false;
    }
    if (process.env.FUZZ_PROGRESS) console.error(`fuzz: ${start + batch.length} sent, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (!allRefused) continue;
    const changed = changedTables(before, await checksums());
    checked += batch.length;
    if (changed.length === 0) continue;
    // Name the request: replay the batch one at a time (the state has moved on, but a request
    // that writes on refusal writes again).
    let named = false;
    for (const item of batch) {
      const one = await checksums();
      const { res, label } = await send(item.target, { ...item.original });
      const again = changedTables(one, await checksums());
      if (again.length && res.statusCode >= 400) {
        failures.push(`${where(item.index, label)} answered ${res.statusCode} but changed ${again.join(', ')}`);
        named = true;
        break;
      }
    }
    if (!named)
      failures.push(`FUZZ_SEED=${SEED} requests #${start}-#${start + batch.length - 1} were all refused but changed ${changed.join(', ')}`);
  }

  const polluted = ({} as Record<string, unknown>).polluted;
  assert.equal(polluted, undefined, `FUZZ_SEED=${SEED}: Object.prototype was polluted`);
  assert.deepEqual(failures, []);
  const seconds = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const summary = [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  // Shown in the test output so the budget can be watched.
  console.log(
    `fuzz: ${plans.length} requests over ${routes.length} routes in ${seconds.toFixed(1)} s (${cpuSeconds.toFixed(1)} s of this process's CPU; seed ${SEED}); ${checked} checked unchanged; ${summary}`,
  );
  // The generated input reached the routes, not just the CSRF check or the content-type gate.
  assert.ok((statuses.get(400) ?? 0) > plans.length / 20, summary);
  assert.ok((statuses.get(415) ?? 0) > 0, summary);
});
