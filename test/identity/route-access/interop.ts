import { aSystem } from '../../interop/support.ts';
import { everyone, onlyRoles, type AreaAccess } from './types.ts';

// FHIR routes need a system's bearer token: every person, signed in or not, gets 401 there.
const systemsOnly = everyone(401);

/** Systems (API clients), the SMART token endpoint and the FHIR server. */
export const access: AreaAccess = {
  area: 'interop',
  async setUp(world) {
    world.ids.apiClient = (await aSystem(world.database, { admin: world.home.users.admin!, name: 'Homeside GP system' })).clientId;
    await aSystem(world.database, { admin: world.other.everyRole, name: 'Otherside GP system' });
    world.markers.home.push('Homeside GP system');
    world.markers.other.push('Otherside GP system');
  },
  routes: [
    { method: 'POST', url: '/oauth/token', expect: everyone(400) },
    { method: 'GET', url: '/admin/api-clients', expect: onlyRoles(['admin']) },
    // An empty form: the name, scopes and key are missing.
    { method: 'POST', url: '/admin/api-clients', expect: onlyRoles(['admin'], { ok: 400 }) },
    {
      method: 'POST',
      url: '/admin/api-clients/:clientId/revoke',
      path: (w) => `/admin/api-clients/${w.ids.apiClient}/revoke`,
      expect: onlyRoles(['admin'], { ok: 303, otherTenant: 404 }),
    },
    { method: 'GET', url: '/api/openapi.json', expect: everyone(200) },
    { method: 'GET', url: '/docs', expect: everyone(200) },
    { method: 'GET', url: '/fhir/metadata', expect: everyone(200) },
    { method: 'POST', url: '/fhir', expect: systemsOnly },
    { method: 'POST', url: '/fhir/ServiceRequest', expect: systemsOnly },
    { method: 'GET', url: '/fhir/ServiceRequest', expect: systemsOnly },
    { method: 'GET', url: '/fhir/ServiceRequest/:id', path: (w) => `/fhir/ServiceRequest/${w.ids.apiClient}`, expect: systemsOnly },
    { method: 'GET', url: '/fhir/Task', expect: systemsOnly },
    { method: 'GET', url: '/fhir/Task/:id', path: (w) => `/fhir/Task/${w.ids.apiClient}`, expect: systemsOnly },
    { method: 'PUT', url: '/fhir/Task/:id', path: (w) => `/fhir/Task/${w.ids.apiClient}`, expect: systemsOnly },
    { method: 'PATCH', url: '/fhir/Task/:id', path: (w) => `/fhir/Task/${w.ids.apiClient}`, expect: systemsOnly },
    { method: 'GET', url: '/fhir/Patient', expect: systemsOnly },
    { method: 'GET', url: '/fhir/Patient/:id', path: (w) => `/fhir/Patient/${w.ids.apiClient}`, expect: systemsOnly },
    { method: 'GET', url: '/fhir/DocumentReference', expect: systemsOnly },
    { method: 'GET', url: '/fhir/DocumentReference/:id', path: (w) => `/fhir/DocumentReference/${w.ids.apiClient}`, expect: systemsOnly },
    { method: 'GET', url: '/fhir/HealthcareService', expect: systemsOnly },
    { method: 'GET', url: '/fhir/HealthcareService/:id', path: (w) => `/fhir/HealthcareService/${w.ids.apiClient}`, expect: systemsOnly },
    { method: 'GET', url: '/fhir/Location', expect: systemsOnly },
    { method: 'GET', url: '/fhir/Location/:id', path: (w) => `/fhir/Location/${w.ids.apiClient}`, expect: systemsOnly },
    { method: 'GET', url: '/fhir/QuestionnaireResponse', expect: systemsOnly },
    {
      method: 'GET',
      url: '/fhir/QuestionnaireResponse/:id',
      path: (w) => `/fhir/QuestionnaireResponse/${w.ids.apiClient}`,
      expect: systemsOnly,
    },
    { method: 'GET', url: '/fhir/Questionnaire', expect: systemsOnly },
    { method: 'GET', url: '/fhir/Questionnaire/:id', path: () => '/fhir/Questionnaire/swemwbs', expect: systemsOnly },
  ],
};
