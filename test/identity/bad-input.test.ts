import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { formSession, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aUserWithPassword } from '../support/identity-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
let admin: Record<string, string>;

before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
  const user = await aUserWithPassword(database, { roles: ['admin'] });
  admin = await signInAs(app, database, user);
});
after(async () => {
  await app.close();
  await database.close();
});

test('odd shapes of input to identity forms get a 4xx with a message, never a 500', async () => {
  const session = await formSession(app, '/sign-in', admin);
  const token = session.token!;
  const cases: { url: string; payload: string; type?: string }[] = [
    { url: '/sign-in', payload: JSON.stringify({ email: 5, password: ['a', 'b'], _csrf: token }), type: 'application/json' },
    { url: '/sign-in', payload: `email=${'a'.repeat(5000)}%40x.nhs.uk&password=${'p'.repeat(20000)}&_csrf=${encodeURIComponent(token)}` },
    { url: '/sign-in?returnTo=%00%0d%0aSet-Cookie:x', payload: `email=a&email=b&password=c&_csrf=${encodeURIComponent(token)}` },
    { url: '/sign-in/organisation', payload: `tenant=not-a-uuid&tenant=x&_csrf=${encodeURIComponent(token)}` },
    {
      url: '/admin/users/invite',
      payload: `email=a%40b.nhs.uk&name=N&roles=wizard&roles=admin&practiceId=%27%3B+DROP+TABLE+practice&_csrf=${encodeURIComponent(token)}`,
    },
    {
      url: '/admin/users/invite',
      payload: JSON.stringify({ email: { $gt: '' }, name: null, roles: 'admin', _csrf: token }),
      type: 'application/json',
    },
    { url: '/admin/practices', payload: `odsCode=${'Z'.repeat(300)}&name=${'n'.repeat(300)}&_csrf=${encodeURIComponent(token)}` },
    { url: '/admin/users/00000000-0000-0000-0000-000000000000/roles', payload: `roles=admin&_csrf=${encodeURIComponent(token)}` },
    { url: '/reset-password', payload: `token=${'x'.repeat(500)}&password=a&confirm=b&_csrf=${encodeURIComponent(token)}` },
    { url: '/forgotten-password', payload: `email[]=x&_csrf=${encodeURIComponent(token)}` },
    { url: '/account/password', payload: `current=&password=&confirm=&_csrf=${encodeURIComponent(token)}` },
  ];
  for (const c of cases) {
    const res = await app.inject({
      method: 'POST',
      url: c.url,
      cookies: session.cookies,
      headers: { 'content-type': c.type ?? 'application/x-www-form-urlencoded' },
      payload: c.payload,
    });
    assert.ok(res.statusCode >= 300 && res.statusCode < 500, `${c.url} with ${c.payload.slice(0, 60)} gave ${res.statusCode}`);
    if (res.statusCode >= 400) assert.match(res.body, /nhsuk-error-summary|There is a problem|not find|expired|too many/i, c.url);
  }
  for (const url of [
    '/admin/audit?user[]=x&from=99999-01-01&to=2026-13-40',
    '/admin/audit?person=' + 'p'.repeat(500),
    '/admin/users/%E0%A4%A',
    '/invitation?token[]=x',
    '/sign-in?returnTo[]=x',
  ]) {
    const res = await app.inject({ url, cookies: admin });
    assert.ok(res.statusCode < 500, `${url} gave ${res.statusCode}`);
  }
  const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM practice');
  assert.equal(rows[0].n >= 0, true, 'the practice table is still there');
});
