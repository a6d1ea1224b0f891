import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { publicAccess } from '../../identity/policy.ts';
import { TextOrList } from '../../web/schemas.ts';
import * as oruk from './service.ts';

// ORUK ids are the publishers' own strings, not UUIDs.
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
/**
 * The parameters an endpoint takes, each once or repeated: the service's reader gives the API's own
 * messages for a repeat, a bad value or an unknown parameter (which the schema lets through to it).
 */
const Parameters = (names: readonly string[]) => Type.Object(Object.fromEntries(names.map((name) => [name, TextOrList(2000)])));
// An open machine feed: no cookies, no key, any origin.
const open = { policy: publicAccess, csrf: false };

/** The Open Referral UK 3.0 API (plus HSDS 3 /organizations) under /api/oruk. */
export const orukRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // An open read-only feed: served from the read replica when there is one.
  const db = app.database.reads;
  // A listing is a page of JSON, or with format=ndjson every item on its own line.
  const list = async (reply: FastifyReply, result: Promise<unknown>) => {
    const value = await result;
    if (value instanceof oruk.NdjsonResult) return reply.type('application/x-ndjson; charset=utf-8').send(value.toString());
    return value;
  };
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('access-control-allow-origin', '*');
  });

  app.options('/api/oruk/*', { config: open }, async (_req, reply) =>
    reply
      .header('access-control-allow-methods', 'GET, OPTIONS')
      .header('access-control-allow-headers', 'Content-Type, Accept')
      .header('access-control-max-age', '86400')
      .code(204)
      .send(),
  );

  /** A paged list, filtered by its query parameters (unknown ones are refused). */
  const many = (url: string, allowed: readonly string[], read: (query: Record<string, unknown>) => Promise<unknown>) =>
    app.get(url, { schema: { querystring: Parameters(allowed) }, config: open }, async (req, reply) => list(reply, read(req.query)));

  /** A single object by id: these endpoints take no query parameters. */
  const one = (url: string, read: (id: string) => Promise<unknown>) =>
    app.get(url, { schema: { params: IdParams, querystring: Parameters(oruk.ALLOWED.one) }, config: open }, async (req) => {
      oruk.checkNoQuery(req.query);
      return read(req.params.id);
    });

  app.get('/api/oruk', { schema: { querystring: Parameters(oruk.ALLOWED.one) }, config: open }, async (req) => {
    oruk.checkNoQuery(req.query);
    return oruk.ORUK_API_DETAILS;
  });
  many('/api/oruk/services', oruk.ALLOWED.services, (query) => oruk.orukServices(db, query));
  one('/api/oruk/services/:id', (id) => oruk.orukService(db, id));
  many('/api/oruk/taxonomies', oruk.ALLOWED.taxonomies, (query) => oruk.orukTaxonomies(db, query));
  one('/api/oruk/taxonomies/:id', (id) => oruk.orukTaxonomy(db, id));
  many('/api/oruk/taxonomy_terms', oruk.ALLOWED.taxonomyTerms, (query) => oruk.orukTaxonomyTerms(db, query));
  one('/api/oruk/taxonomy_terms/:id', (id) => oruk.orukTaxonomyTerm(db, id));
  many('/api/oruk/service_at_locations', oruk.ALLOWED.serviceAtLocations, (query) => oruk.orukServiceAtLocations(db, query));
  one('/api/oruk/service_at_locations/:id', (id) => oruk.orukServiceAtLocation(db, id));
  many('/api/oruk/organizations', oruk.ALLOWED.organizations, (query) => oruk.orukOrganizations(db, query));
  app.get(
    '/api/oruk/organizations/:id',
    { schema: { params: IdParams, querystring: Parameters(oruk.ALLOWED.organization) }, config: open },
    async (req) => oruk.orukOrganization(db, req.params.id, req.query),
  );
};
