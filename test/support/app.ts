import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { buildApp } from '../../src/server.ts';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    SIGNPOST_DEMO: 'false',
    SESSION_SECRET: 'test-secret-that-is-long-enough-for-cookies-1234',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SIGNPOST_WORKER: 'false',
    ...env,
  });
}

/** The whole app over a test database, for `app.inject` route tests. */
export async function testApp(
  database: Database,
  env: Record<string, string> = {},
  options: { logStream?: NodeJS.WritableStream; ready?: boolean } = {},
): Promise<FastifyInstance> {
  const app = await buildApp({ config: testConfig(env), database, logStream: options.logStream });
  if (options.ready !== false) await app.ready();
  return app;
}

/** Fetches a page and returns the CSRF token and cookie a form on it would send back. */
export async function formSession(app: FastifyInstance, url: string, cookies: Record<string, string> = {}) {
  const page = await app.inject({ method: 'GET', url, cookies });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  const jar = { ...cookies };
  for (const cookie of page.cookies) jar[cookie.name] = cookie.value;
  // The one-time token of the page's forms (forms that create a record need it).
  const formToken = /name="formToken" value="([^"]+)"/.exec(page.body)?.[1];
  return { token: token ? decodeURIComponent(token) : undefined, formToken, cookies: jar, page };
}

/**
 * Posts a urlencoded form as a signed-in browser would: with a CSRF token and cookie from a page
 * (the sign-in page unless `tokenPage` says otherwise). A value may repeat (checkboxes).
 */
export async function postForm(
  app: FastifyInstance,
  cookies: Record<string, string>,
  url: string,
  form: Record<string, string | string[]>,
  tokenPage = '/sign-in',
) {
  const session = await formSession(app, tokenPage, cookies);
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) for (const one of [value].flat()) body.append(key, one);
  body.append('_csrf', session.token ?? '');
  // A fresh form each time, as if the page had been opened again; pass `formToken` to repeat one.
  if (!('formToken' in form)) body.append('formToken', newFormToken());
  return app.inject({
    method: 'POST',
    url,
    cookies: session.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body.toString(),
  });
}

/** A token like the one a form page mints, for posts made without opening the page. */
export function newFormToken(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * `app.inject` options for a urlencoded form body, as a browser posts it (an object `payload`
 * would go as JSON, which form routes refuse). A fresh form token is added unless given.
 */
export function asForm(fields: Record<string, string | string[]>): { payload: string; headers: Record<string, string> } {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const one of [value].flat()) body.append(key, one);
  if (!('formToken' in fields)) body.append('formToken', newFormToken());
  return { payload: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}
