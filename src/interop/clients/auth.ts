import type { FastifyInstance } from 'fastify';
import { auditCall, authenticateBearer } from './service.ts';

/**
 * Loads `req.apiClient` from an `Authorization: Bearer` header on every request (called on the
 * root app, like the session hook), and audits every call a system makes once it is answered. A token that
 * is unknown, expired or revoked leaves the request unauthenticated: the route's policy answers 401.
 */
export function setUpApiClientAuth(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    const header = req.headers.authorization;
    if (!header || !/^bearer /i.test(header)) return;
    req.apiClient = await authenticateBearer(app.database.pool, header.slice(7).trim());
  });
  app.addHook('onResponse', async (req, reply) => {
    if (!req.apiClient) return;
    try {
      await auditCall(app.database.pool, req.apiClient, {
        method: req.method,
        route: req.routeOptions.url ?? req.url.split('?')[0]!,
        status: reply.statusCode,
        requestId: req.id,
      });
    } catch (err) {
      req.log.error({ err }, 'could not audit an API call');
    }
  });
}
