import { DomainError } from '../../web/errors.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply } from 'fastify';
import { FormBody, IdParams, Text, TextQuery } from '../../web/schemas.ts';
import { Type } from 'typebox';
import type { Actor } from '../../identity/actor.ts';
import { publicAccess, rolePolicy } from '../../identity/policy.ts';
import { practicesAndOrganisations } from '../../identity/users.ts';
import { field, practiceChoices } from '../../identity/web.ts';
import { selectItems, view } from '../../web/pages.ts';
import { Forbidden, InvalidInput } from '../../web/errors.ts';
import * as clients from './service.ts';
import { SCOPE_RESOURCES } from './scopes.ts';

const adminOnly = rolePolicy('admin', 'admin');

// Limits far above any good request: the service's checks give the OAuth error that says what is wrong.
const TokenForm = Type.Object({
  grant_type: Type.Optional(Type.String({ maxLength: 100, description: 'client_credentials' })),
  client_assertion_type: Type.Optional(Type.String({ maxLength: 200, description: clients.ASSERTION_TYPE })),
  client_assertion: Type.Optional(
    Type.String({
      maxLength: 8000,
      description:
        'A JWT signed with the system’s private key (RS384 or ES384): iss and sub the client id, aud the token URL, exp at most 5 minutes ahead, a new jti',
    }),
  ),
  scope: Type.Optional(
    Type.String({ maxLength: 2000, description: 'Space-separated SMART system scopes, e.g. system/ServiceRequest.write system/Task.read' }),
  ),
});
const TokenAnswer = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
  scope: Type.String(),
});
const OAuthProblem = Type.Object({ error: Type.String(), error_description: Type.String() });
const ClientForm = FormBody({ name: Text(), scopes: Text(), jwks: Text(), practiceId: Text() });

function signedIn(actor: Actor | undefined): Actor {
  if (!actor) throw new Forbidden();
  return actor;
}

export function tokenUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/$/, '')}/oauth/token`;
}

/** The SMART backend-services token endpoint and the admin pages that register systems. */
export const apiClientRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  // The token endpoint answers every refusal, including a malformed form or too many requests,
  // as OAuth JSON: its callers are systems, never a browser.
  const tokenEndpoint: FastifyPluginAsyncTypebox = async (oauth) => {
    oauth.setErrorHandler((err: FastifyError, req, reply) => {
      // Refusals raised before the handler (a NUL in the form, say) are DomainErrors with a 4xx status.
      const status = err instanceof DomainError ? err.status : (err.statusCode ?? 500);
      if (status >= 500) {
        req.log.error({ err }, 'unexpected error');
        return reply.code(500).send({ error: 'server_error', error_description: `Something went wrong. Reference: ${req.id}` });
      }
      return reply.code(status).send(
        status === 429
          ? {
              error: 'temporarily_unavailable',
              error_description: 'Too many token requests from this system. Wait a minute and try again.',
            }
          : {
              error: 'invalid_request',
              error_description:
                'The request could not be read: send a form (application/x-www-form-urlencoded) with grant_type, client_assertion_type, client_assertion and scope.',
            },
      );
    });
    oauth.post(
      '/oauth/token',
      {
        schema: {
          summary: 'Exchange a signed JWT assertion for a bearer token (SMART backend services)',
          tags: ['Authentication'],
          consumes: ['application/x-www-form-urlencoded'],
          body: TokenForm,
          response: { 200: TokenAnswer, 400: OAuthProblem, 401: OAuthProblem, 429: OAuthProblem },
        },
        config: {
          policy: publicAccess,
          csrf: false,
          // Per system (the client id the assertion claims), once the form is parsed.
          rateLimit: {
            max: 30,
            timeWindow: '1 minute',
            hook: 'preHandler',
            keyGenerator: (req) => clients.claimedClientId(field(req.body, 'client_assertion')) ?? req.ip,
          },
        },
      },
      async (req, reply) => {
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        try {
          return await clients.issueToken(pool, req.body, tokenUrl(app.config.baseUrl), { requestId: req.id });
        } catch (error) {
          if (!(error instanceof clients.OAuthError)) throw error;
          return reply.code(error.status).send({ error: error.error, error_description: error.description });
        }
      },
    );
  };
  await app.register(tokenEndpoint);

  async function showClients(
    reply: FastifyReply,
    actor: Actor,
    status = 200,
    values: Record<string, string> = {},
    errors: { field: string; message: string }[] = [],
    created?: string,
  ) {
    const [list, { practices }] = await Promise.all([clients.listClients(pool, actor), practicesAndOrganisations(pool, actor)]);
    return view(
      reply,
      status,
      'interop/clients/views/api-clients.njk',
      {
        clients: list,
        values,
        created,
        tokenUrl: tokenUrl(app.config.baseUrl),
        resources: SCOPE_RESOURCES,
        practiceItems: selectItems('None (a system used by several practices)', practiceChoices(practices), values.practiceId),
      },
      errors,
    );
  }

  app.get('/admin/api-clients', { schema: { querystring: TextQuery('created') }, config: { policy: adminOnly } }, async (req, reply) => {
    return showClients(reply, signedIn(req.actor), 200, {}, [], req.query.created);
  });

  app.post('/admin/api-clients', { schema: { body: ClientForm }, config: { policy: adminOnly, oncePerForm: true } }, async (req, reply) => {
    const actor = signedIn(req.actor);
    const values = {
      name: field(req.body, 'name'),
      scopes: field(req.body, 'scopes'),
      jwks: field(req.body, 'jwks'),
      practiceId: field(req.body, 'practiceId'),
    };
    try {
      const id = await clients.registerClient(pool, actor, values, { requestId: req.id });
      return reply.redirect(`/admin/api-clients?created=${id}`, 303);
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      return showClients(reply, actor, 400, values, error.errors);
    }
  });

  app.post(
    '/admin/api-clients/:clientId/revoke',
    { schema: { params: IdParams('clientId'), body: FormBody({}) }, config: { policy: adminOnly } },
    async (req, reply) => {
      await clients.revokeClient(pool, signedIn(req.actor), req.params.clientId, { requestId: req.id });
      return reply.redirect('/admin/api-clients', 303);
    },
  );
};
