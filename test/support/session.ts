import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { createSession, SESSION_COOKIE } from '../../src/identity/sessions.ts';

/**
 * Cookies that make `app.inject` requests arrive as `actor`: a real session row in the actor's
 * tenant, so the same hook that serves browsers loads the actor. Pass them as `cookies`.
 */
export async function signInAs(
  app: FastifyInstance,
  database: Database,
  actor: Pick<Actor, 'userId' | 'tenantId'>,
): Promise<Record<string, string>> {
  const session = await createSession(database.pool, actor.userId, actor.tenantId);
  return { [SESSION_COOKIE]: app.signCookie(session.token) };
}

/** Signs in through the real form in Chromium; resolves once the page after sign-in has loaded. */
export async function signInInBrowser(page: Page, email: string, password: string, returnTo?: string): Promise<void> {
  await page.goto(returnTo ? `/sign-in?returnTo=${encodeURIComponent(returnTo)}` : '/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/sign-in'),
    page.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
}
