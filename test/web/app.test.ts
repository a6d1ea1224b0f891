import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { openPostgres } from '../../src/db/database.ts';
import { publicAccess } from '../../src/identity/policy.ts';
import { buildApp } from '../../src/server.ts';
import { formSession, testApp, testConfig } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
let app: FastifyInstance;
const logLines: string[] = [];

before(async () => {
  database = await freshDatabase();
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().split('\n').filter(Boolean)));
  app = await testApp(database, { LOG_LEVEL: 'info' }, { logStream, ready: false });
  // Routes that exist only in this test, to exercise forms, JSON bodies and failures.
  app.get('/test/form', { config: { policy: publicAccess } }, async (_req, reply) => ({ token: reply.generateCsrf() }));
  app.post('/test/form', { config: { policy: publicAccess } }, async () => ({ saved: true }));
  app.post('/api/test/json', { config: { policy: publicAccess, csrf: false, accepts: ['application/json'] } }, async (req) => ({
    got: req.body,
  }));
  app.get('/test/boom', { config: { policy: publicAccess } }, async () => {
    throw new Error('secret internals: SELECT * FROM person');
  });
  await app.ready();
});
after(async () => {
  await app.close();
  await database.close();
});

test('the home page offers directory search, self-referral and sign-in inside the NHS layout', async () => {
  const res = await app.inject('/');
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /text\/html/);
  assert.match(res.body, /class="nhsuk-header/);
  assert.match(res.body, /Skip to main content/);
  assert.match(res.body, /action="\/services"/);
  assert.match(res.body, /href="\/refer-yourself"/);
  assert.match(res.body, /href="\/sign-in"/);
  assert.match(res.body, /Beta/);
});

test('pages carry a strict content security policy with a nonce on the frontend scripts', async () => {
  const res = await app.inject('/');
  const csp = res.headers['content-security-policy'] as string;
  assert.match(csp, /default-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|https:/);
  const nonce = /script-src 'self' [^;]*'nonce-([^']+)'/.exec(csp)?.[1];
  assert.ok(nonce);
  assert.match(res.body, new RegExp(`<script nonce="${nonce}">`));
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
});

test('the NHS.UK frontend CSS and images are served locally', async () => {
  const css = await app.inject('/assets/nhsuk-frontend.min.css');
  assert.equal(css.statusCode, 200);
  assert.match(css.headers['content-type'] as string, /text\/css/);
  const icon = await app.inject('/assets/images/favicon.svg');
  assert.equal(icon.statusCode, 200);
});

test('an unknown page is a styled 404; an unknown API path is a JSON 404', async () => {
  const page = await app.inject('/no/such/page');
  assert.equal(page.statusCode, 404);
  assert.match(page.body, /<h1>Page not found<\/h1>/);
  const api = await app.inject('/api/no-such-thing');
  assert.equal(api.statusCode, 404);
  assert.equal(api.json().statusCode, 404);
});

test('health: live is 200 and ready reports the database', async () => {
  assert.equal((await app.inject('/health/live')).statusCode, 200);
  const ready = await app.inject('/health/ready');
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json(), { database: 'ok' });
});

test('ready is 503 with a reason when the database cannot be reached', async () => {
  // A real pool pointed at a port where no server listens.
  const unreachable = openPostgres('postgres://postgres@127.0.0.1:9/none');
  const down = await buildApp({ config: testConfig(), database: unreachable });
  const res = await down.inject('/health/ready');
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().database, 'unavailable');
  await down.close();
  await unreachable.close();
});

test('a form post without its CSRF token is refused with a clear page and the handler never runs', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/test/form',
    payload: 'a=1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(res.statusCode, 403);
  assert.match(res.body, /This form has expired/);
  assert.doesNotMatch(res.body, /"saved"/);
});

test('a form post with the token from a rendered page is accepted', async () => {
  const session = await formSession(app, '/test/form');
  session.token = session.page.json().token;
  assert.ok(session.token);
  const res = await app.inject({
    method: 'POST',
    url: '/test/form',
    cookies: session.cookies,
    payload: `a=1&_csrf=${encodeURIComponent(session.token!)}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { saved: true });
});

test('malformed JSON gets a 400 JSON problem, not a 500', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/test/json',
    payload: '{"broken": ',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.statusCode, 400);
  assert.match(res.json().message, /could not read/i);
});

test('an oversized body is refused with 413', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/test/json',
    payload: JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.statusCode, 413);
});

test('an unexpected error shows a reference id and never the internals', async () => {
  const res = await app.inject('/test/boom');
  assert.equal(res.statusCode, 500);
  const reference = /id="error-reference">([^<]+)</.exec(res.body)?.[1];
  assert.match(reference ?? '', /^[0-9a-f-]{36}$/);
  assert.doesNotMatch(res.body, /secret internals|SELECT|at .*\.ts/);
  assert.ok(
    logLines.some((line) => line.includes(reference!) && line.includes('unexpected error')),
    'the log keeps the detail under the same reference',
  );
});

test('logs carry request ids but not query strings that may hold personal data', async () => {
  await app.inject('/services?postcode=LS1%204AP&q=debt');
  const lines = logLines.filter((line) => line.includes('/services'));
  assert.ok(lines.length > 0);
  for (const line of lines) {
    assert.doesNotMatch(line, /LS1|postcode=/);
    assert.match(JSON.parse(line).reqId, /^[0-9a-f-]{36}$/);
  }
});

test('a route without an access policy cannot be registered', async () => {
  const other = await buildApp({ config: testConfig(), database });
  assert.throws(() => other.get('/unguarded', async () => 'open'), /has no access policy/);
  await other.close();
});
