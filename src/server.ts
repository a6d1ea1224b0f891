import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.ts';
import { configureGpRecordTransport } from './interop/mesh/service.ts';
import type { Database } from './db/database.ts';
import { identityRoutes } from './identity/routes.ts';
import { setUpSessions } from './identity/sessions.ts';
import { recordRouteTable } from './identity/route-table.ts';
import { jobRoutes } from './jobs/routes.ts';
import { directoryRoutes } from './directory/search/routes.ts';
import { orukRoutes } from './directory/oruk/routes.ts';
import { curationRoutes } from './directory/curation/routes.ts';
import { peopleRoutes } from './people/routes.ts';
import { referralRoutes } from './referrals/routes.ts';
import { assessmentRoutes } from './assessment/routes.ts';
import { planRoutes } from './plans/routes.ts';
import { providerInboxRoutes } from './social-prescriptions/provider-routes.ts';
import { socialPrescriptionRoutes } from './social-prescriptions/routes.ts';
import { dischargeRoutes } from './discharge/routes.ts';
import { appointmentRoutes } from './appointments/routes.ts';
import { outcomeRoutes } from './outcomes/routes.ts';
import { reportingRoutes } from './reporting/routes.ts';
import { researchRoutes } from './reporting/research/routes.ts';
import { setUpApiClientAuth } from './interop/clients/auth.ts';
import { interopRoutes } from './interop/routes.ts';
import { setUpOpenApi } from './interop/openapi.ts';
import { setUpJobWorker } from './jobs/runner.ts';
import { wireAreas } from './wiring.ts';
import { guardRoutes } from './web/access.ts';
import { setUpErrorPages } from './web/error-pages.ts';
import { formTokenFor, setUpOncePerForm } from './web/form-submissions.ts';
import { navigationFor, type HeaderCounts } from './web/navigation.ts';
import { homeRoutes } from './home/routes.ts';
import { workCounts } from './home/service.ts';
import { webRoutes } from './web/routes.ts';
import { setUpSecurity } from './web/security.ts';
import { nhsukDist, setUpViews, srcDir } from './web/views.ts';
import { isPublicCacheable } from './web/http-cache.ts';
import { createRequire } from 'node:module';

const leafletDist = path.join(path.dirname(createRequire(import.meta.url).resolve('leaflet/package.json')), 'dist');

export interface AppDependencies {
  config: Config;
  database: Database;
  /** Where JSON logs go (standard output when unset); tests read them back. */
  logStream?: NodeJS.WritableStream;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: Database;
  }
}

/** Logs carry request ids and routes, never people: no bodies, query strings or names. */
export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: {
      paths: [
        'req.body',
        'body',
        'name',
        'nhsNumber',
        'postcode',
        'email',
        'phone',
        'dateOfBirth',
        '*.name',
        '*.nhsNumber',
        '*.postcode',
        '*.email',
        'req.headers.cookie',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req) => ({ method: req.method, url: req.url.split('?')[0], id: req.id }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
  };
}

function setUpStatic(app: FastifyInstance) {
  // The NHS.UK template and CSS expect their images and manifest under /assets; the compiled CSS
  // and JS sit one folder up in the package, so both folders serve that prefix.
  app.register(fastifyStatic, {
    root: [path.join(nhsukDist, 'nhsuk', 'assets'), path.join(nhsukDist, 'nhsuk')],
    prefix: '/assets/',
    decorateReply: false,
    index: false,
  });
  app.register(fastifyStatic, { root: path.join(srcDir, 'web', 'static'), prefix: '/static/', decorateReply: false, index: false });
  // The results map's library, served from here: no third-party scripts.
  app.register(fastifyStatic, { root: leafletDist, prefix: '/vendor/leaflet/', decorateReply: false, index: false });
}

function setUpPageLocals(app: FastifyInstance, config: Config) {
  app.addHook('onRequest', async (req, reply) => {
    // Getters: the actor is known only after sign-in hooks run. The view plugin copies these
    // values into each render, so the CSRF token is an object that mints the token (and its
    // cookie) only when a template actually prints it: public pages without forms set no cookie.
    let csrfToken: string | undefined;
    reply.locals = {
      // Cacheable public pages print no nonce: a cached copy would carry a stale one (the CSP allows their inline script by hash).
      get cspNonce() {
        return isPublicCacheable(req) ? undefined : reply.cspNonce?.script;
      },
      get actor() {
        return req.actor;
      },
      get navigation() {
        return navigationFor(req.actor, req.headerCounts);
      },
      // Printed by the csrfField macro beside the CSRF token: the one-time token of a form that creates a record.
      csrfToken: { toString: () => (csrfToken ??= reply.generateCsrf()), formToken: formTokenFor(req) },
      demo: config.demo,
      currentPath: req.url.split('?')[0],
    };
  });
}

// Pages only: machine APIs, files and assets have no header to count for.
const NO_HEADER = /^\/(api|fhir|oauth|health|static|assets|docs)(\/|$)|\.(ics|pdf|csv|json)$/;

/**
 * A signed-in link worker's header counts new allocations and responses on every page. Counted
 * after the access guard, for page requests only; a failure to count leaves the links bare rather
 * than failing the page.
 */
function setUpHeaderCounts(app: FastifyInstance, database: Database) {
  app.addHook('preHandler', async (req) => {
    if (req.method !== 'GET' || !req.actor || !req.routeOptions.config.policy || NO_HEADER.test(req.url.split('?')[0]!)) return;
    try {
      req.headerCounts = await workCounts(database.pool, req.actor, new Date());
    } catch (err) {
      req.log.warn({ err: (err as Error).message }, 'header counts unavailable');
    }
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** New work beside the header's links, for a signed-in link worker's pages. */
    headerCounts?: HeaderCounts;
  }
}

// One schema compiler for the process, remembering each validator by its schema's content: an
// app built again in the same process (the job worker beside the server, each test file)
// reuses what was compiled rather than compiling about 200 route schemas afresh.
const validatorCompilers = AjvCompiler();
// Fastify passes each route part as { schema, method, url, httpPart }; the library's types say a schema.
type CompileRoutePart = (part: { schema: unknown }) => unknown;
const compiled = new Map<CompileRoutePart, Map<string, unknown>>();
const compilersFactory = {
  buildValidator(...args: Parameters<typeof validatorCompilers>) {
    const compile = validatorCompilers(...args) as unknown as CompileRoutePart;
    const known = compiled.get(compile) ?? new Map<string, unknown>();
    compiled.set(compile, known);
    const compileOnce: CompileRoutePart = (part) => {
      const key = JSON.stringify(part.schema);
      if (!known.has(key)) known.set(key, compile(part));
      return known.get(key);
    };
    return compileOnce as unknown as ReturnType<typeof validatorCompilers>;
  },
  buildSerializer: SerializerSelector(),
};

/** Builds the app from small named steps; domain areas plug in as route plugins. */
export async function buildApp({ config, database, logStream }: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config.logLevel, logStream),
    genReqId: () => randomUUID(),
    bodyLimit: 1024 * 1024,
    // Only configured proxies: believing anyone's X-Forwarded-For would let a client pick its address.
    trustProxy: config.trustProxy.length ? config.trustProxy : false,
    routerOptions: { ignoreTrailingSlash: true },
    schemaController: { compilersFactory },
  }).withTypeProvider<TypeBoxTypeProvider>();

  wireAreas();
  app.decorate('config', config);
  app.decorate('database', database);
  // Whether a discharge summary is also sent to the GP record over MESH.
  configureGpRecordTransport(config.mesh);

  await setUpSecurity(app, config);
  await setUpViews(app, config.logLevel !== 'debug');
  setUpStatic(app);
  await app.after();
  setUpPageLocals(app, config);
  setUpErrorPages(app);
  setUpOncePerForm(app);

  await setUpOpenApi(app);
  recordRouteTable(app);
  setUpSessions(app);
  setUpApiClientAuth(app);
  guardRoutes(app);
  setUpHeaderCounts(app, database);
  await app.register(webRoutes(database));
  await app.register(homeRoutes);
  await app.register(identityRoutes);
  await app.register(jobRoutes);
  await app.register(directoryRoutes);
  await app.register(orukRoutes);
  await app.register(curationRoutes);
  await app.register(referralRoutes);
  await app.register(peopleRoutes);
  await app.register(assessmentRoutes);
  await app.register(planRoutes);
  await app.register(socialPrescriptionRoutes);
  await app.register(providerInboxRoutes);
  await app.register(dischargeRoutes);
  await app.register(appointmentRoutes);
  await app.register(outcomeRoutes);
  await app.register(reportingRoutes);
  await app.register(researchRoutes);
  await app.register(interopRoutes);
  setUpJobWorker(app, config, database);

  return app;
}
