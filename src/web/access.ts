import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../identity/actor.ts';
import { decide, type Policy } from '../identity/policy.ts';
import type { ApiClientActor } from '../interop/clients/service.ts';
import { Forbidden } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route; required on every route. */
    policy?: Policy;
    /** Set false on machine endpoints that never use cookies (FHIR, JSON APIs with tokens). */
    csrf?: boolean;
  }
  interface FastifyRequest {
    actor?: Actor;
    /** A system calling with a bearer token (src/interop/clients/auth.ts). */
    apiClient?: ApiClientActor;
  }
}

/** A machine route called without a live bearer token; answered 401 with WWW-Authenticate. */
export class BearerTokenRequired extends Error {
  readonly statusCode = 401;
  constructor() {
    super('Send a bearer token from POST /oauth/token in the Authorization header. The token may have expired or the system been revoked.');
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** JSON callers get JSON problems; people get pages. */
export function wantsJson(req: FastifyRequest): boolean {
  const url = req.url;
  if (url.startsWith('/api/') || url.startsWith('/fhir/') || url.startsWith('/health/')) return true;
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/**
 * Makes authorisation structural: a route registered without a policy is a start-up error,
 * every state-changing form route gets CSRF protection, and the policy runs before the handler.
 */
export function guardRoutes(app: FastifyInstance): void {
  app.decorateRequest('actor', undefined);
  app.addHook('onRoute', (route) => {
    const policy = route.config?.policy;
    if (!policy) {
      throw new Error(`Route ${String(route.method)} ${route.url} has no access policy (config.policy).`);
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const changesState = methods.some((method) => !SAFE_METHODS.has(method));
    if (changesState && route.config?.csrf !== false) {
      const existing = route.preValidation ? [route.preValidation].flat() : [];
      route.preValidation = [app.csrfProtection, ...existing];
    }
  });
  // Before validation: a visitor who may not use a route hears that, not what its form expects.
  app.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
    const policy = req.routeOptions.config.policy;
    if (!policy) return; // the 404 handler
    const decision = decide(policy, req.actor, req);
    if (decision === 'allow') return;
    if (decision === 'forbidden') throw new Forbidden();
    if (policy.kind === 'api-client') {
      reply.header('www-authenticate', 'Bearer realm="signpost", error="invalid_token"');
      throw new BearerTokenRequired();
    }
    if (wantsJson(req)) {
      return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'Sign in to use this.' });
    }
    const back = SAFE_METHODS.has(req.method) ? `?returnTo=${encodeURIComponent(req.url)}` : '';
    return reply.redirect(`/sign-in${back}`, 303);
  });
}
