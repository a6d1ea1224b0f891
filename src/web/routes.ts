import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { publicAccess } from '../identity/policy.ts';
import type { Database } from '../db/database.ts';
import { ping } from './queries.ts';

/** Pages and endpoints that belong to no domain area: home, health. */
export function webRoutes(database: Database): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Staff start from their work; the public search page stays at /services for them.
    app.get('/', { config: { policy: publicAccess } }, async (req, reply) =>
      req.actor ? reply.redirect('/home', 303) : reply.view('web/views/home.njk'),
    );

    app.get('/health/live', { config: { policy: publicAccess } }, async () => ({ status: 'ok' }));

    app.get('/health/ready', { config: { policy: publicAccess } }, async (req, reply) => {
      try {
        await ping(database.pool);
        // A replica that is down or behind is reported but does not make the app unready: reads
        // have already gone back to the primary.
        if (database.replica) {
          const replica = database.replica.status();
          return { database: 'ok', replica: { state: replica.state, lagSeconds: replica.lagSeconds, usedForReads: replica.inUse } };
        }
        return { database: 'ok' };
      } catch (err) {
        req.log.warn({ err: (err as Error).message }, 'readiness check failed');
        return reply.code(503).send({ database: 'unavailable', reason: 'The database did not answer.' });
      }
    });
  };
}
