import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { publicAccess } from '../identity/policy.ts';
import * as oruk from './oruk.ts';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
// An open machine feed: no cookies, no key, any origin.
const open = { policy: publicAccess, csrf: false };

/** The Open Referral UK 3.0 API (plus HSDS 3 /organizations) under /api/oruk. */
export const orukRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.database.pool;
  // A listing is a page of JSON, or with format=ndjson every item on its own line.
  const list = async (reply: FastifyReply, result: Promise<unknown>) => {
    const value = await result;
    if (value instanceof oruk.NdjsonResult) return reply.type('application/x-ndjson; charset=utf-8').send(value.toString());
    return value;
  };
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('access-control-allow-origin', '*');
  });

  app.options('/api/oruk/*', { config: open }, async (_req, reply) => reply
    .header('access-control-allow-methods', 'GET, OPTIONS')
    .header('access-control-allow-headers', 'Content-Type, Accept')
    .header('access-control-max-age', '86400')
    .code(204).send());

  app.get('/api/oruk', { config: open }, async (req) => {
    oruk.checkNoQuery(req.query as Record<string, unknown>);
    return oruk.ORUK_API_DETAILS;
  });
  app.get('/api/oruk/services', { config: open }, async (req, reply) => list(reply, oruk.orukServices(db, req.query as Record<string, unknown>)));
  app.get('/api/oruk/services/:id', { schema: { params: IdParams }, config: open }, async (req) => {
    oruk.checkNoQuery(req.query as Record<string, unknown>);
    return oruk.orukService(db, req.params.id);
  });
  app.get('/api/oruk/taxonomies', { config: open }, async (req, reply) => list(reply, oruk.orukTaxonomies(db, req.query as Record<string, unknown>)));
  app.get('/api/oruk/taxonomies/:id', { schema: { params: IdParams }, config: open }, async (req) => {
    oruk.checkNoQuery(req.query as Record<string, unknown>);
    return oruk.orukTaxonomy(db, req.params.id);
  });
  app.get('/api/oruk/taxonomy_terms', { config: open }, async (req, reply) => list(reply, oruk.orukTaxonomyTerms(db, req.query as Record<string, unknown>)));
  app.get('/api/oruk/taxonomy_terms/:id', { schema: { params: IdParams }, config: open }, async (req) => {
    oruk.checkNoQuery(req.query as Record<string, unknown>);
    return oruk.orukTaxonomyTerm(db, req.params.id);
  });
  app.get('/api/oruk/service_at_locations', { config: open }, async (req, reply) => list(reply, oruk.orukServiceAtLocations(db, req.query as Record<string, unknown>)));
  app.get('/api/oruk/service_at_locations/:id', { schema: { params: IdParams }, config: open }, async (req) => {
    oruk.checkNoQuery(req.query as Record<string, unknown>);
    return oruk.orukServiceAtLocation(db, req.params.id);
  });
  app.get('/api/oruk/organizations', { config: open }, async (req, reply) => list(reply, oruk.orukOrganizations(db, req.query as Record<string, unknown>)));
  app.get('/api/oruk/organizations/:id', { schema: { params: IdParams }, config: open },
    async (req) => oruk.orukOrganization(db, req.params.id, req.query as Record<string, unknown>));
};
