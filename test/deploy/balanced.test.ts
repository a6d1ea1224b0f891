// Run by `npm run test:balanced` (scripts/balanced-test.sh): two app processes behind HAProxy,
// sharing only the database. Skipped elsewhere.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';

const balancer = process.env.TEST_BALANCED_URL;
const app1 = process.env.TEST_BALANCED_APP1_URL;
const databaseUrl = process.env.TEST_BALANCED_DATABASE_URL;
const skip = balancer && app1 && databaseUrl ? false : 'needs two app processes behind a balancer: npm run test:balanced';

let db: pg.Pool;
before(() => {
  if (!skip) db = new pg.Pool({ connectionString: databaseUrl });
});
after(async () => {
  await db?.end();
});

/** A browser's cookies, kept across requests. */
class Browser {
  cookies = new Map<string, string>();
  served: string[] = [];
  constructor(
    readonly base: string,
    readonly address = '',
  ) {}
  async request(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(`${this.base}${path}`, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    this.served.push(res.headers.get('x-signpost-server') ?? 'direct');
    return { status: res.status, body: await res.text(), location: res.headers.get('location'), server: this.served.at(-1)! };
  }
  async post(formPath: string, path: string, form: Record<string, string>) {
    const page = await this.request(formPath);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const formToken = /name="formToken" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const body = new URLSearchParams({ ...form, _csrf: token, formToken }).toString();
    const res = await this.request(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    return { ...res, formServer: page.server };
  }
}

const selfReferral = (familyName: string) => ({
  answers: JSON.stringify({
    givenName: 'Robin',
    familyName,
    'dateOfBirth[day]': '3',
    'dateOfBirth[month]': '9',
    'dateOfBirth[year]': '1958',
    postcode: 'LS6 3AB',
    phone: '07700 900456',
    email: 'robin@example.com',
    contactChannels: ['email'],
    safeToLeaveMessage: 'yes',
    reasons: ['loneliness'],
    context: 'Two processes.',
    consentToRefer: 'yes',
    consentToShare: 'yes',
    website: '',
  }),
});

test('a session made through one process is honoured by the other', { skip }, async () => {
  const browser = new Browser(balancer!);
  const signIn = await browser.post('/sign-in', '/sign-in', {
    email: 'linkworker@demo.signpost.example',
    password: 'bluebell-harbour-lantern',
  });
  assert.equal(signIn.status, 303, signIn.body.slice(0, 300));
  const pages = [];
  for (let i = 0; i < 4; i++) pages.push(await browser.request('/caseload'));
  assert.deepEqual(
    pages.map((p) => p.status),
    [200, 200, 200, 200],
  );
  assert.ok(pages.every((p) => /Caseload|caseload/.test(p.body)));
  assert.deepEqual(new Set(pages.map((p) => p.server)), new Set(['app1', 'app2']));
});

test('a form fetched from one process is accepted when posted to the other', { skip }, async () => {
  const browser = new Browser(balancer!);
  const sent = await browser.post('/refer-yourself', '/refer-yourself/send', selfReferral('Balanced'));
  // Saved: the answer sends the person to the confirmation with their reference.
  assert.equal(sent.status, 303, sent.body.slice(0, 300));
  assert.notEqual(sent.formServer, sent.server, 'the form and the post went to different processes');
  const reference = /(SP-[0-9A-Z]{8})/.exec(sent.location ?? '')?.[1];
  assert.ok(reference);
  const { rowCount } = await db.query('SELECT 1 FROM referral WHERE reference = $1', [reference]);
  assert.equal(rowCount, 1);
});

test('a job queued by a request to the process without a worker is done by the other process', { skip }, async () => {
  const direct = new Browser(app1!);
  const sent = await direct.post('/refer-yourself', '/refer-yourself/send', selfReferral('Queued'));
  assert.equal(sent.status, 303);
  const reference = /(SP-[0-9A-Z]{8})/.exec(sent.location ?? '')?.[1];
  let attempts = 0;
  for (let i = 0; i < 100 && attempts === 0; i++) {
    const { rows } = await db.query<{ attempts: number }>(
      `SELECT j.attempts FROM job j JOIN notification n ON n.id::text = j.payload->>'notificationId'
        WHERE j.kind = 'notification.send' AND n.personalisation->>'reference' = $1`,
      [reference],
    );
    attempts = rows[0]?.attempts ?? 0;
    if (attempts === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(attempts >= 1, 'the worker in the second process picked up the job');
});

test('the self-referral limit (10 an hour from one address) counts posts to both processes together', { skip }, async () => {
  const browser = new Browser(balancer!);
  const posts: string[] = [];
  for (let i = 0; i < 12; i++) {
    // A form and its post take two turns of the round robin; one more request every other time
    // makes the posts alternate between the processes.
    if (i % 2) await browser.request('/health/live');
    const sent = await browser.post('/refer-yourself', '/refer-yourself/send', selfReferral(`Limit${i}`));
    posts.push(`${sent.server}:${sent.status}`);
  }
  assert.deepEqual(new Set(posts.map((p) => p.split(':')[0])), new Set(['app1', 'app2']));
  // Two posts were already sent from this address (tests above); the limit allows ten in all.
  assert.equal(posts.filter((p) => p.endsWith(':303')).length, 8, `posts: ${posts.join(' ')}`);
  assert.equal(posts.filter((p) => p.endsWith(':429')).length, 4, `posts: ${posts.join(' ')}`);
});
