import type { FastifyPluginAsync } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { FormBody, Text } from '../web/schemas.ts';
import { Forbidden, InvalidInput, NotFound } from '../web/errors.ts';
import { anySignedIn, publicAccess } from './policy.ts';
import * as service from './service.ts';
import { knownDevices, rememberDevice } from './devices.ts';
import { clearSessionCookie, setSessionCookie } from './sessions.ts';
import { field, ROLE_NAMES, safeReturnTo } from './web.ts';
import { view } from '../web/pages.ts';
import { accountRoutes, adminRoutes } from './admin-routes.ts';
// Registers the nightly clean-up of old sessions and links with the job worker.
import { finishOidc, loadClientSigningKey, OIDC_COOKIE, OIDC_COOKIE_SECONDS, oidcClient, startOidc, type OidcPending } from './oidc.ts';

// Per client address, on top of the per-account lockout.
const SIGN_IN_RATE_LIMIT = { max: 20, timeWindow: '1 minute' };

// safeReturnTo drops anything longer or stranger; the schema only stops a repeated or huge one.
const ReturnTo = Type.Object({ returnTo: Text(2000) });
const SignInQuery = Type.Object({ returnTo: Text(2000), signedOut: Text(100), passwordSet: Text(100) });
const SignInForm = FormBody({ email: Text(), password: Text() });
const TenantForm = FormBody({ tenant: Text() });
const NoFields = FormBody({});
// What the provider sends back (RFC 6749 4.1.2, OpenID Connect 3.1.2.5); some providers' codes run long.
const OidcCallbackQuery = Type.Object({
  code: Text(8000),
  state: Text(2000),
  iss: Text(2000),
  error: Text(500),
  error_description: Text(4000),
});

/** Sign-in, choosing a tenant, sign-out. */
export const signInRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get('/sign-in', { schema: { querystring: SignInQuery }, config: { policy: publicAccess } }, async (req, reply) => {
    const query = req.query;
    const returnTo = safeReturnTo(query.returnTo);
    const notice =
      query.signedOut !== undefined
        ? 'You have signed out.'
        : query.passwordSet !== undefined
          ? 'Your password is set. Sign in with it now.'
          : undefined;
    return reply.view('identity/views/sign-in.njk', { returnTo, values: {}, fieldErrors: {}, notice, oidcEnabled: !!app.config.oidc });
  });

  app.post(
    '/sign-in',
    { schema: { querystring: ReturnTo, body: SignInForm }, config: { policy: publicAccess, rateLimit: SIGN_IN_RATE_LIMIT } },
    async (req, reply) => {
      const returnTo = safeReturnTo(req.query.returnTo);
      const email = field(req.body, 'email');
      const outcome = await service.signIn(pool, {
        email,
        password: field(req.body, 'password'),
        requestId: req.id,
        previousSessionHash: req.sessionHash,
        knownDevices: knownDevices(req),
      });
      if (!outcome.ok) {
        return view(
          reply,
          outcome.status,
          'identity/views/sign-in.njk',
          { returnTo, values: { email }, oidcEnabled: !!app.config.oidc },
          outcome.errors,
        );
      }
      setSessionCookie(reply, outcome.sessionToken);
      rememberDevice(req, reply, { userId: outcome.userId, deviceId: outcome.deviceId });
      if (outcome.tenants.length > 1) {
        return reply.redirect(`/sign-in/organisation${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`, 303);
      }
      return reply.redirect(returnTo ?? '/home', 303);
    },
  );

  app.get('/sign-in/organisation', { schema: { querystring: ReturnTo }, config: { policy: publicAccess } }, async (req, reply) => {
    const returnTo = safeReturnTo(req.query.returnTo);
    const userId = req.pendingSession?.userId ?? req.actor?.userId;
    if (!userId) return reply.redirect('/sign-in', 303);
    const tenants = await service.tenantsFor(pool, userId);
    return reply.view('identity/views/choose-tenant.njk', { returnTo, tenants: withRoleNames(tenants), fieldErrors: {} });
  });

  app.post(
    '/sign-in/organisation',
    { schema: { querystring: ReturnTo, body: TenantForm }, config: { policy: publicAccess } },
    async (req, reply) => {
      const returnTo = safeReturnTo(req.query.returnTo);
      const userId = req.pendingSession?.userId ?? req.actor?.userId;
      if (!userId || !req.sessionHash) return reply.redirect('/sign-in', 303);
      const tenantId = field(req.body, 'tenant');
      try {
        await service.chooseTenant(pool, { id: req.sessionHash, userId }, tenantId, req.id);
      } catch (error) {
        if (!(error instanceof InvalidInput)) throw error;
        const tenants = await service.tenantsFor(pool, userId);
        return view(reply, 400, 'identity/views/choose-tenant.njk', { returnTo, tenants: withRoleNames(tenants) }, error.errors);
      }
      return reply.redirect(returnTo ?? '/home', 303);
    },
  );

  app.post('/sign-out', { schema: { body: NoFields }, config: { policy: publicAccess } }, async (req, reply) => {
    if (req.sessionHash) await service.signOut(pool, req.sessionHash, req.actor, req.id);
    clearSessionCookie(reply);
    return reply.redirect('/sign-in?signedOut', 303);
  });

  app.post('/sign-out/everywhere', { schema: { body: NoFields }, config: { policy: anySignedIn } }, async (req, reply) => {
    if (!req.actor) throw new Forbidden();
    await service.signOutEverywhere(pool, req.actor, req.id);
    clearSessionCookie(reply);
    return reply.redirect('/sign-in?signedOut', 303);
  });
};

/** Single sign-on through the configured OpenID Connect provider (404 when none is configured). */
export const oidcRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;
  const clientKey = app.config.oidc?.clientAuthentication;
  // Loaded at start-up, so a key jose cannot use stops the server rather than a sign-in.
  const signingKey = clientKey?.method === 'private_key_jwt' ? await loadClientSigningKey(clientKey) : undefined;
  const discover = oidcClient(app.config, signingKey);
  const secure = app.config.baseUrl.startsWith('https:');

  // The provider fetches Signpost's public key here to check its client assertions (private_key_jwt).
  app.get('/.well-known/jwks.json', { config: { policy: publicAccess } }, async (_req, reply) => {
    if (!signingKey) throw new NotFound('page');
    return reply.type('application/jwk-set+json').send({ keys: [signingKey.publicJwk] });
  });

  // Started by a link (GET): a form post would be stopped by the form-action CSP on the redirect.
  app.get('/sign-in/oidc', { schema: { querystring: ReturnTo }, config: { policy: publicAccess } }, async (req, reply) => {
    if (!app.config.oidc) throw new NotFound('page');
    const returnTo = safeReturnTo(req.query.returnTo);
    let configuration;
    try {
      configuration = await discover();
    } catch (err) {
      req.log.warn({ err: (err as Error).message }, 'OIDC discovery failed');
      return reply.code(503).view('identity/views/message.njk', {
        title: 'Single sign-on is not available',
        paragraphs: [
          "We could not reach your organisation's sign-in service. Try again in a few minutes, or sign in with your email and password.",
        ],
        link: { href: '/sign-in', text: 'Sign in with email and password' },
      });
    }
    const { url, pending } = await startOidc(configuration, app.config, returnTo);
    reply.setCookie(OIDC_COOKIE, JSON.stringify(pending), {
      path: '/sign-in/oidc',
      httpOnly: true,
      sameSite: 'lax',
      secure,
      signed: true,
      maxAge: OIDC_COOKIE_SECONDS,
    });
    return reply.redirect(url, 303);
  });

  app.get(
    '/sign-in/oidc/callback',
    { schema: { querystring: OidcCallbackQuery }, config: { policy: publicAccess } },
    async (req, reply) => {
      if (!app.config.oidc) throw new NotFound('page');
      const raw = req.cookies[OIDC_COOKIE];
      const unsigned = raw ? req.unsignCookie(raw) : undefined;
      let pending: OidcPending | undefined;
      try {
        pending = unsigned?.valid && unsigned.value ? (JSON.parse(unsigned.value) as OidcPending) : undefined;
      } catch {
        pending = undefined;
      }
      reply.clearCookie(OIDC_COOKIE, { path: '/sign-in/oidc' });
      const failed = (status: number, title: string, message: string) =>
        reply.code(status).view('identity/views/message.njk', {
          title,
          paragraphs: [message],
          link: { href: '/sign-in', text: 'Back to sign in' },
        });
      if (!pending)
        return failed(
          400,
          'Single sign-on did not finish',
          'Your sign-in took too long or was started in another browser. Go back to the sign-in page and try again.',
        );
      const configuration = await discover();
      const outcome = await finishOidc(pool, configuration, new URL(req.url, app.config.baseUrl), pending, {
        requestId: req.id,
        previousSessionHash: req.sessionHash,
      });
      if (!outcome.ok) {
        if (outcome.detail) req.log.warn({ err: outcome.detail }, 'OIDC sign-in did not finish');
        return failed(outcome.status, outcome.title, outcome.message);
      }
      setSessionCookie(reply, outcome.sessionToken);
      const returnTo = safeReturnTo(outcome.returnTo);
      if (outcome.tenants.length > 1)
        return reply.redirect(`/sign-in/organisation${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`, 303);
      return reply.redirect(returnTo ?? '/home', 303);
    },
  );
};

function withRoleNames(tenants: { id: string; name: string; roles: (keyof typeof ROLE_NAMES)[] }[]) {
  return tenants.map((t) => ({ ...t, roleNames: t.roles.map((r) => ROLE_NAMES[r]) }));
}

/** Every identity route: sign-in now; account, admin and single sign-on join here. */
export const identityRoutes: FastifyPluginAsync = async (app) => {
  await app.register(signInRoutes);
  await app.register(oidcRoutes);
  await app.register(accountRoutes);
  await app.register(adminRoutes);
};
