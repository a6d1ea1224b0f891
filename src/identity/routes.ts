import type { FastifyPluginAsync } from 'fastify';
import { Forbidden, InvalidInput } from '../web/errors.ts';
import { anySignedIn, publicAccess } from './policy.ts';
import * as service from './service.ts';
import { clearSessionCookie, setSessionCookie } from './sessions.ts';
import { field, renderForm, ROLE_NAMES, safeReturnTo } from './web.ts';
import { accountRoutes, adminRoutes } from './admin-routes.ts';

// Per client address, on top of the per-account lockout.
const SIGN_IN_RATE_LIMIT = { max: 20, timeWindow: '1 minute' };

/** Sign-in, choosing a tenant, sign-out. */
export const signInRoutes: FastifyPluginAsync = async (app) => {
  const pool = app.database.pool;

  app.get('/sign-in', { config: { policy: publicAccess } }, async (req, reply) => {
    const query = req.query as Record<string, unknown>;
    const returnTo = safeReturnTo(query.returnTo);
    const notice = query.signedOut !== undefined ? 'You have signed out.'
      : query.passwordSet !== undefined ? 'Your password is set. Sign in with it now.' : undefined;
    return reply.view('identity/views/sign-in.njk', { returnTo, values: {}, fieldErrors: {}, notice, oidcEnabled: !!app.config.oidc });
  });

  app.post('/sign-in', { config: { policy: publicAccess, rateLimit: SIGN_IN_RATE_LIMIT } }, async (req, reply) => {
    const returnTo = safeReturnTo((req.query as Record<string, unknown>).returnTo);
    const email = field(req.body, 'email');
    const outcome = await service.signIn(pool, {
      email, password: field(req.body, 'password'), requestId: req.id, previousSessionHash: req.sessionHash,
    });
    if (!outcome.ok) {
      return renderForm(reply, outcome.status, 'identity/views/sign-in.njk',
        { returnTo, values: { email }, oidcEnabled: !!app.config.oidc }, outcome.errors);
    }
    setSessionCookie(reply, outcome.sessionToken);
    if (outcome.tenants.length > 1) {
      return reply.redirect(`/sign-in/organisation${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`, 303);
    }
    return reply.redirect(returnTo ?? '/', 303);
  });

  app.get('/sign-in/organisation', { config: { policy: publicAccess } }, async (req, reply) => {
    const returnTo = safeReturnTo((req.query as Record<string, unknown>).returnTo);
    const userId = req.pendingSession?.userId ?? req.actor?.userId;
    if (!userId) return reply.redirect('/sign-in', 303);
    const tenants = await service.tenantsFor(pool, userId);
    return reply.view('identity/views/choose-tenant.njk', { returnTo, tenants: withRoleNames(tenants), fieldErrors: {} });
  });

  app.post('/sign-in/organisation', { config: { policy: publicAccess } }, async (req, reply) => {
    const returnTo = safeReturnTo((req.query as Record<string, unknown>).returnTo);
    const userId = req.pendingSession?.userId ?? req.actor?.userId;
    if (!userId || !req.sessionHash) return reply.redirect('/sign-in', 303);
    const tenantId = field(req.body, 'tenant');
    try {
      await service.chooseTenant(pool, { id: req.sessionHash, userId }, tenantId, req.id);
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      const tenants = await service.tenantsFor(pool, userId);
      return renderForm(reply, 400, 'identity/views/choose-tenant.njk', { returnTo, tenants: withRoleNames(tenants) }, error.errors);
    }
    return reply.redirect(returnTo ?? '/', 303);
  });

  app.post('/sign-out', { config: { policy: publicAccess } }, async (req, reply) => {
    if (req.sessionHash) await service.signOut(pool, req.sessionHash, req.actor, req.id);
    clearSessionCookie(reply);
    return reply.redirect('/sign-in?signedOut', 303);
  });

  app.post('/sign-out/everywhere', { config: { policy: anySignedIn } }, async (req, reply) => {
    if (!req.actor) throw new Forbidden();
    await service.signOutEverywhere(pool, req.actor, req.id);
    clearSessionCookie(reply);
    return reply.redirect('/sign-in?signedOut', 303);
  });
};

function withRoleNames(tenants: { id: string; name: string; roles: (keyof typeof ROLE_NAMES)[] }[]) {
  return tenants.map((t) => ({ ...t, roleNames: t.roles.map((r) => ROLE_NAMES[r]) }));
}

/** Every identity route: sign-in now; account, admin and single sign-on join here. */
export const identityRoutes: FastifyPluginAsync = async (app) => {
  await app.register(signInRoutes);
  await app.register(accountRoutes);
  await app.register(adminRoutes);
};
