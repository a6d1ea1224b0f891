import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyView from '@fastify/view';
import nunjucks from 'nunjucks';
import { formatDate, formatDateTimeInWords } from '../calendar/format.ts';

const require = createRequire(import.meta.url);

/** `src/`: views are named from here, e.g. `web/views/home.njk`, `referrals/views/show.njk`. */
export const srcDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** `node_modules/nhsuk-frontend/dist`, home of the `nhsuk/...` macros, CSS, JS and images. */
export const nhsukDist = path.join(path.dirname(require.resolve('nhsuk-frontend/package.json')), 'dist');

/** Filters every page may use; the NHS style for dates is "24 November 2026". */
export function configureNunjucks(env: nunjucks.Environment): void {
  env.addFilter('date', formatDate);
  env.addFilter('dateTime', formatDateTimeInWords);
  env.addGlobal('serviceName', 'Signpost');
  // Nunjucks' own trim runs /^\s*|\s*$/ over the string, which is quadratic in runs of
  // whitespace: the NHS.UK macros trim whole indented blocks of HTML (a details component
  // holding a form), and that one regular expression was the largest cost of rendering a page.
  // String.prototype.trim removes exactly the same characters in linear time.
  env.addFilter('trim', (value: unknown) => {
    if (value === undefined || value === null) return '';
    const trimmed = String(value).trim();
    return value instanceof nunjucks.runtime.SafeString ? new nunjucks.runtime.SafeString(trimmed) : trimmed;
  });
}

/**
 * `{% from "x.njk" import y %}` (without "with context") runs x.njk's top level on every render to
 * collect its macros, and every NHS.UK component template imports four or five macro files, so a
 * form page re-ran hundreds of them per request. Without context those exports depend only on the
 * template itself, so they are kept with the compiled template and reused.
 */
function cacheContextFreeImports(): void {
  type Exported = Record<string, unknown>;
  type Callback = (error: Error | null, exported: Exported | null) => void;
  const prototype = nunjucks.Template.prototype as unknown as {
    getExported(this: { signpostExported?: Exported }, ...args: unknown[]): void;
    signpostCachesImports?: boolean;
  };
  if (prototype.signpostCachesImports) return;
  prototype.signpostCachesImports = true;
  const original = prototype.getExported;
  prototype.getExported = function (this: { signpostExported?: Exported }, ...args: unknown[]) {
    if (args.length !== 1 || typeof args[0] !== 'function') return original.apply(this, args);
    const callback = args[0] as Callback;
    if (this.signpostExported) return callback(null, this.signpostExported);
    return original.call(this, (error: Error | null, exported: Exported | null) => {
      if (!error && exported) this.signpostExported = exported;
      callback(error, exported);
    });
  };
}

/**
 * Nunjucks writes every loop variable (`loop.index`, `loop.first` and five more an iteration),
 * macro argument and `{% set %}` through `Frame.set`, which split the name on "." on every call: on
 * a page of search results that was a tenth of the server's work. Names without a dot now skip the
 * split and dotted names (a template's own, so few) keep theirs; what is set where is unchanged.
 */
export function setFrameVariablesWithoutSplitting(): void {
  type Variables = Record<string, unknown>;
  type Frame = { variables: Variables; resolve(name: string, forWrite: boolean): Frame | undefined; set: SetVariable };
  type SetVariable = (this: Frame, name: string, value: unknown, resolveUp?: boolean) => void;
  const prototype = (nunjucks.runtime as unknown as { Frame: { prototype: Frame & { signpostSets?: boolean } } }).Frame.prototype;
  if (prototype.signpostSets) return;
  prototype.signpostSets = true;
  const dotted = new Map<string, string[]>();
  prototype.set = function (this: Frame, name: string, value: unknown, resolveUp?: boolean) {
    const parts = name.includes('.') ? (dotted.get(name) ?? dotted.set(name, name.split('.')).get(name)!) : undefined;
    if (resolveUp) {
      const frame = this.resolve(parts ? parts[0]! : name, true);
      if (frame) return frame.set(name, value);
    }
    if (!parts) {
      this.variables[name] = value;
      return;
    }
    let variables = this.variables;
    for (let i = 0; i < parts.length - 1; i++) variables = (variables[parts[i]!] ||= {}) as Variables;
    variables[parts[parts.length - 1]!] = value;
  };
}

export async function setUpViews(app: FastifyInstance, production: boolean): Promise<void> {
  cacheContextFreeImports();
  setFrameVariablesWithoutSplitting();
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
