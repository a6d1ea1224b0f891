import assert from 'node:assert/strict';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { testApp } from './app.ts';
import { freshDatabase } from './database.ts';
import { inQueue, whenQueueEnds } from './queue-end.ts';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, with nothing reaching out to the network on its own. */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

let shared: Promise<Browser> | undefined;

/**
 * The browser of this process. Files queued in one worker process share it, each with contexts
 * of its own (fresh cookies and storage), so Chromium starts once a worker rather than once a
 * file. `closeContexts` puts a file's contexts away when it ends.
 */
export function sharedChromium(): Promise<Browser> {
  if (!shared) {
    shared = launchChromium();
    const browser = shared;
    whenQueueEnds(async () => (await browser).close());
  }
  return shared;
}

/** Closes every context a file opened; outside a queue of files, the browser too. */
export async function closeContexts(): Promise<void> {
  if (!shared) return;
  const browser = await shared;
  if (!inQueue()) {
    shared = undefined;
    await browser.close();
    return;
  }
  await Promise.all(browser.contexts().map((context) => context.close()));
}

export interface BrowserRig {
  app: FastifyInstance;
  database: Database;
  browser: Browser;
  baseUrl: string;
  /** A new context (fresh cookies) and page. */
  newPage(): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

/** The app on a free loopback port over its own database, and a browser to drive it. */
export async function startBrowserRig(options: { database?: Database; env?: Record<string, string> } = {}): Promise<BrowserRig> {
  const database = options.database ?? (await freshDatabase());
  const app = await testApp(database, options.env);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await sharedChromium();
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    database,
    browser,
    baseUrl,
    async newPage() {
      const context = await browser.newContext({ baseURL: baseUrl });
      const page = await context.newPage();
      return { context, page };
    },
    async close() {
      await closeContexts();
      await app.close();
      await database.close();
    },
  };
}

const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/** Fails on any WCAG 2.2 A or AA violation on the page as it stands. */
export async function assertAccessible(page: Page): Promise<void> {
  // A click that follows a link returns once the next page has begun to load: judge it once its
  // styles are in (before, a phone-width table overflows and links show the browser's colours).
  await page.waitForLoadState('load');
  // Judge the page as it rests: colours read mid-transition (a header link easing after the
  // phone-width menu is laid out) are neither the before nor the after a person sees.
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  // axe-core runs in the page itself, put there once a page. (@axe-core/playwright put it there
  // twice a check and by default joined each frame's results in a new blank page, a renderer
  // process of its own: 1.25 s a check against about 0.3 s. The app serves no frames.)
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const violations = await page.evaluate(async (tags) => {
    const results = await (window as unknown as { axe: typeof axe }).axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, WCAG_22_AA);
  const problems = violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.targets.join(', ')}`);
  assert.deepEqual(problems, [], `accessibility violations on ${page.url()}`);
}

/** Opens a path and checks it with axe; returns the response status. */
export async function visit(page: Page, path: string): Promise<number> {
  const response = await page.goto(path);
  await assertAccessible(page);
  return response?.status() ?? 0;
}

/** Axe clean, and no wider than `width`: nothing makes the whole page scroll sideways. */
export async function assertFits(page: Page, width: number): Promise<void> {
  await assertAccessible(page);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= width, `${page.url()} fits ${width} px (scroll width ${scrollWidth})`);
}

/** Opens a path that must answer below 400, then checks it as `assertFits` does. */
export async function visitFitting(page: Page, path: string, width: number): Promise<void> {
  const response = await page.goto(path);
  assert.ok(response && response.status() < 400, `${path} answered ${response?.status()}`);
  await assertFits(page, width);
}
