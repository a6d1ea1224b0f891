import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { buildApp } from '../../src/server.ts';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    SIGNPOST_DEMO: 'false',
    SESSION_SECRET: 'test-secret-that-is-long-enough-for-cookies-1234',
    LOG_LEVEL: 'silent',
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
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? /_csrf=([^"&]+)/.exec(page.body)?.[1];
  const jar = { ...cookies };
  for (const cookie of page.cookies) jar[cookie.name] = cookie.value;
  return { token: token ? decodeURIComponent(token) : undefined, cookies: jar, page };
}

/**
 * Posts a urlencoded form as a signed-in browser would: with a CSRF token and cookie from a page
 * (the sign-in page unless `tokenPage` says otherwise). A value may repeat (checkboxes).
 */
export async function postForm(app: FastifyInstance, cookies: Record<string, string>, url: string, form: Record<string, string | string[]>, tokenPage = '/sign-in') {
  const session = await formSession(app, tokenPage, cookies);
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) for (const one of [value].flat()) body.append(key, one);
  body.append('_csrf', session.token ?? '');
  return app.inject({ method: 'POST', url, cookies: session.cookies, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
}
