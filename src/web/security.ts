import type { FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { Config } from '../config.ts';
import { databaseRateLimitStore } from '../identity/rate-limit-store.ts';
import { postedValue, setUpFormInput } from './forms.ts';
import { setUpPublicCaching, templateBootScriptHash } from './http-cache.ts';
import { nhsukDist } from './views.ts';
import path from 'node:path';

/**
 * Headers, cookies, form parsing, CSRF and rate limits. The content security policy allows
 * only this origin plus a per-response nonce (or, on cacheable public pages, the hash) for the
 * NHS.UK frontend's inline boot script, and images from the configured map tile host, if any;
 * the NHS web font lives on a third-party host, so it is left out and pages fall back to Arial.
 */
export async function setUpSecurity(app: FastifyInstance, config: Config): Promise<void> {
  const secure = config.baseUrl.startsWith('https:');
  const bootScript = templateBootScriptHash(path.join(nhsukDist, 'nhsuk', 'template.njk'));
  await app.register(fastifyHelmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", ...(bootScript ? [bootScript] : [])],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...(config.mapTiles ? [config.mapTiles.origin] : [])],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        upgradeInsecureRequests: secure ? [] : null,
      },
    },
    hsts: secure,
  });
  await app.register(fastifyFormbody);
  setUpFormInput(app);
  await app.register(fastifyCookie, { secret: config.sessionSecret });
  await app.register(fastifyCsrf, {
    cookieKey: 'signpost_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', path: '/', secure },
    getToken: (req) => {
      const fromBody = postedValue(req.body, '_csrf');
      // Never from the query string: a token in a URL ends up in logs, history and Referer headers.
      return String(fromBody ?? req.headers['x-csrf-token'] ?? '');
    },
  });
  preventCaching(app);
  setUpPublicCaching(app);
  // Opt-in per route (`config.rateLimit`), e.g. sign-in and self-referral. Counted in the
  // database so a restart or a second process does not hand out a fresh allowance.
  await app.register(fastifyRateLimit, { global: false, store: databaseRateLimitStore(app.database.pool, config.sessionSecret) });
}

/**
 * Nothing shown to a signed-in person, and no page that needs signing in, may be kept by the
 * browser or a proxy: on a shared NHS computer the back button after sign-out would show it.
 * Anonymous public pages (the directory) are left to choose their own caching.
 */
function preventCaching(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply) => {
    const policy = req.routeOptions.config?.policy;
    if (req.actor || req.pendingSession || (policy && policy.kind !== 'public')) reply.header('cache-control', 'no-store');
  });
}
