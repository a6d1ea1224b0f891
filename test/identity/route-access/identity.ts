import { anActor } from '../../support/factories.ts';
import { everyone, onlyRoles, signedIn, type AreaAccess } from './types.ts';

const admin = ['admin'] as const;

/** Sign-in, account, email links and the admin pages. */
export const access: AreaAccess = {
  area: 'identity',
  async setUp(world) {
    // Deactivated by the admin caller; the other tenant's admin must not reach it.
    const disposable = await anActor(world.database, { tenantId: world.home.tenantId, roles: ['curator'], name: 'Dispo Sable Homeuser' });
    world.ids.disposableUser = disposable.userId;
    world.markers.home.push('Dispo Sable Homeuser');
  },
  routes: [
    { method: 'GET', url: '/sign-in', expect: everyone(200) },
    // An empty form: every caller is told what is missing.
    { method: 'POST', url: '/sign-in', expect: everyone(400) },
    { method: 'GET', url: '/sign-in/organisation', expect: signedIn() },
    { method: 'POST', url: '/sign-in/organisation', expect: signedIn({ ok: 400 }) },
    // Single sign-on is not configured in the matrix app.
    { method: 'GET', url: '/sign-in/oidc', expect: everyone(404) },
    { method: 'GET', url: '/sign-in/oidc/callback', expect: everyone(404) },
    // Published only with a private_key_jwt key, which the matrix app does not have.
    { method: 'GET', url: '/.well-known/jwks.json', expect: everyone(404) },
    { method: 'POST', url: '/sign-out', expect: everyone(303) },
    { method: 'POST', url: '/sign-out/everywhere', expect: everyone(303) },
    { method: 'GET', url: '/account', expect: signedIn() },
    { method: 'POST', url: '/account/password', expect: signedIn({ ok: 400 }) },
    { method: 'GET', url: '/invitation', expect: everyone(404) },
    { method: 'POST', url: '/invitation', expect: everyone(404) },
    { method: 'GET', url: '/reset-password', expect: everyone(404) },
    { method: 'POST', url: '/reset-password', expect: everyone(404) },
    { method: 'GET', url: '/forgotten-password', expect: everyone(200) },
    { method: 'POST', url: '/forgotten-password', expect: everyone(400) },
    { method: 'GET', url: '/admin/users', expect: onlyRoles(admin) },
    { method: 'GET', url: '/admin/users/invite', expect: onlyRoles(admin) },
    { method: 'POST', url: '/admin/users/invite', expect: onlyRoles(admin, { ok: 400 }) },
    {
      method: 'GET',
      url: '/admin/users/:userId',
      path: (w) => `/admin/users/${w.home.users.link_worker!.userId}`,
      expect: onlyRoles(admin, { otherTenant: 404 }),
    },
    {
      method: 'POST',
      url: '/admin/users/:userId/roles',
      path: (w) => `/admin/users/${w.home.users.link_worker!.userId}/roles`,
      expect: onlyRoles(admin, { ok: 400, otherTenant: 404 }),
    },
    {
      method: 'POST',
      url: '/admin/users/:userId/deactivate',
      path: (w) => `/admin/users/${w.ids.disposableUser}/deactivate`,
      expect: onlyRoles(admin, { ok: 303, otherTenant: 404 }),
    },
    { method: 'GET', url: '/admin/practices', expect: onlyRoles(admin) },
    { method: 'POST', url: '/admin/practices', expect: onlyRoles(admin, { ok: 400 }) },
    // Registered patients for the inequalities report; an empty form is refused as bad input.
    // An empty form: no practice chosen.
    { method: 'POST', url: '/admin/practices/mesh-mailbox', expect: onlyRoles(admin, { ok: 400 }) },
    { method: 'POST', url: '/admin/practices/population', expect: onlyRoles(admin, { ok: 400 }) },
    {
      method: 'GET',
      url: '/admin/practices/:practiceId/population',
      path: (w) => `/admin/practices/${w.home.practiceId}/population`,
      expect: onlyRoles(admin, { otherTenant: 404 }),
    },
    {
      method: 'POST',
      url: '/admin/practices/:practiceId/population',
      path: (w) => `/admin/practices/${w.home.practiceId}/population`,
      expect: onlyRoles(admin, { ok: 400, otherTenant: 404 }),
    },
    { method: 'GET', url: '/admin/audit', expect: onlyRoles(admin) },
    // Demo mode only; the matrix runs with demo off.
    { method: 'GET', url: '/admin/outbox', expect: onlyRoles(admin, { ok: 404, otherTenant: 404 }) },
  ],
};
