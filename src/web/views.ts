import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyView from '@fastify/view';
import nunjucks from 'nunjucks';

const require = createRequire(import.meta.url);

/** `src/`: views are named from here, e.g. `web/views/home.njk`, `referrals/views/show.njk`. */
export const srcDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** `node_modules/nhsuk-frontend/dist`, home of the `nhsuk/...` macros, CSS, JS and images. */
export const nhsukDist = path.join(path.dirname(require.resolve('nhsuk-frontend/package.json')), 'dist');

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit', hour12: true, timeZone: 'Europe/London',
});

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && value) {
    const date = new Date(value.length === 10 ? `${value}T12:00:00Z` : value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

/** Filters every page may use; the NHS style for dates is "24 November 2026". */
export function configureNunjucks(env: nunjucks.Environment): void {
  env.addFilter('date', (value: unknown) => {
    const date = toDate(value);
    return date ? dateFormat.format(date) : '';
  });
  env.addFilter('dateTime', (value: unknown) => {
    const date = toDate(value);
    return date ? dateTimeFormat.format(date).replace(' at ', ', ') : '';
  });
  env.addGlobal('serviceName', 'Signpost');
}

export async function setUpViews(app: FastifyInstance, production: boolean): Promise<void> {
  await app.register(fastifyView, {
    engine: { nunjucks },
    templates: [srcDir, nhsukDist],
    production,
    options: { onConfigure: configureNunjucks, autoescape: true, throwOnUndefined: false },
  });
}

declare module 'fastify' {
  interface FastifyReply {
    /** Variables every page may use (merged by @fastify/view into each render). */
    locals?: Record<string, unknown>;
  }
}
