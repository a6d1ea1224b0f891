import { DELIVERY_TAXONOMY_ID, needTermId } from '../../../src/directory/taxonomy.ts';
import { checkChangeSuggestion, suggestChange } from '../../../src/directory/service.ts';
import { aDirectoryService } from '../../support/directory-factories.ts';
import { everyone, onlyRoles, type AreaAccess } from './types.ts';

// Curation: the directory is shared, so a curator of any tenant may curate any service; a
// provider may edit only services of the directory organisation its provider organisation is
// linked to (the matrix's provider organisation is linked to none, so it is refused).
const curators = ['curator'] as const;
const editors = ['curator', 'provider'] as const;

/**
 * The public directory pages and the Open Referral UK API. The directory is shared and public
 * (no tenant data), so every caller gets the same answer.
 */
export const access: AreaAccess = {
  area: 'directory',
  async setUp(world) {
    const service = await aDirectoryService(world.database, { name: 'Matrix Walking Group', needs: ['loneliness'] });
    world.ids.directoryService = service.id;
    world.ids.directoryOrganization = service.organization_id!;
    world.ids.directoryServiceAtLocation = service.service_at_locations![0]!.id;
    world.ids.directoryLocation = service.service_at_locations![0]!.location!.id;
    const suggestion = checkChangeSuggestion({ kind: 'problem', details: 'The phone number is out of date.' });
    if (!suggestion.ok) throw new Error('the matrix change request is not valid');
    world.ids.directoryChangeRequest = (await suggestChange(world.database.pool, service.id, suggestion.value)).id;
  },
  routes: [
    { method: 'GET', url: '/services', expect: everyone(200) },
    { method: 'GET', url: '/services/print', expect: everyone(200) },
    { method: 'GET', url: '/services/suggestions', path: () => '/services/suggestions?q=walk', expect: everyone(200) },
    { method: 'GET', url: '/services/suggestions.json', path: () => '/services/suggestions.json?q=walk', expect: everyone(200) },
    { method: 'GET', url: '/services/:id', path: (w) => `/services/${w.ids.directoryService}`, expect: everyone(200) },
    { method: 'GET', url: '/services/:id/print', path: (w) => `/services/${w.ids.directoryService}/print`, expect: everyone(200) },
    {
      method: 'GET',
      url: '/services/:id/suggest-change',
      path: (w) => `/services/${w.ids.directoryService}/suggest-change`,
      expect: everyone(200),
    },
    // An empty suggestion: every caller is told what is missing.
    {
      method: 'POST',
      url: '/services/:id/suggest-change',
      path: (w) => `/services/${w.ids.directoryService}/suggest-change`,
      expect: everyone(400),
    },
    {
      method: 'GET',
      url: '/services/:id/suggest-change/sent',
      path: (w) => `/services/${w.ids.directoryService}/suggest-change/sent`,
      expect: everyone(200),
    },
    { method: 'OPTIONS', url: '/api/oruk/*', path: () => '/api/oruk/services', expect: everyone(204) },
    { method: 'GET', url: '/api/oruk', expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/services', expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/services/:id', path: (w) => `/api/oruk/services/${w.ids.directoryService}`, expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/taxonomies', expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/taxonomies/:id', path: () => `/api/oruk/taxonomies/${DELIVERY_TAXONOMY_ID}`, expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/taxonomy_terms', expect: everyone(200) },
    {
      method: 'GET',
      url: '/api/oruk/taxonomy_terms/:id',
      path: () => `/api/oruk/taxonomy_terms/${needTermId('loneliness')}`,
      expect: everyone(200),
    },
    { method: 'GET', url: '/api/oruk/service_at_locations', expect: everyone(200) },
    {
      method: 'GET',
      url: '/api/oruk/service_at_locations/:id',
      path: (w) => `/api/oruk/service_at_locations/${w.ids.directoryServiceAtLocation}`,
      expect: everyone(200),
    },
    { method: 'GET', url: '/api/oruk/organizations', expect: everyone(200) },
    {
      method: 'GET',
      url: '/api/oruk/organizations/:id',
      path: (w) => `/api/oruk/organizations/${w.ids.directoryOrganization}`,
      expect: everyone(200),
    },
    { method: 'GET', url: '/curation', expect: onlyRoles(editors) },
    { method: 'GET', url: '/curation/freshness', expect: onlyRoles(curators) },
    {
      method: 'GET',
      url: '/curation/services/:id/edit',
      path: (w) => `/curation/services/${w.ids.directoryService}/edit`,
      expect: onlyRoles(curators),
    },
    // An empty edit: curators are told what is missing; a provider of another organisation is refused.
    {
      method: 'POST',
      url: '/curation/services/:id/edit',
      path: (w) => `/curation/services/${w.ids.directoryService}/edit`,
      expect: onlyRoles(curators, { ok: 400 }),
    },
    // A provider may propose a new service; each part of a service is the matrix provider's to change
    // only if its organisation runs it (it does not). An empty form clears a list part (303).
    { method: 'GET', url: '/curation/services/new', expect: onlyRoles(editors) },
    { method: 'POST', url: '/curation/services/new', expect: onlyRoles(editors, { ok: 400 }) },
    {
      method: 'GET',
      url: '/curation/services/:id/opening-times',
      path: (w) => `/curation/services/${w.ids.directoryService}/opening-times`,
      expect: onlyRoles(curators),
    },
    {
      method: 'POST',
      url: '/curation/services/:id/opening-times',
      path: (w) => `/curation/services/${w.ids.directoryService}/opening-times`,
      expect: onlyRoles(curators, { ok: 303 }),
    },
    {
      method: 'GET',
      url: '/curation/services/:id/eligibility',
      path: (w) => `/curation/services/${w.ids.directoryService}/eligibility`,
      expect: onlyRoles(curators),
    },
    {
      method: 'POST',
      url: '/curation/services/:id/eligibility',
      path: (w) => `/curation/services/${w.ids.directoryService}/eligibility`,
      expect: onlyRoles(curators, { ok: 303 }),
    },
    {
      method: 'GET',
      url: '/curation/services/:id/phones',
      path: (w) => `/curation/services/${w.ids.directoryService}/phones`,
      expect: onlyRoles(curators),
    },
    {
      method: 'POST',
      url: '/curation/services/:id/phones',
      path: (w) => `/curation/services/${w.ids.directoryService}/phones`,
      expect: onlyRoles(curators, { ok: 303 }),
    },
    {
      method: 'GET',
      url: '/curation/services/:id/languages',
      path: (w) => `/curation/services/${w.ids.directoryService}/languages`,
      expect: onlyRoles(curators),
    },
    {
      method: 'POST',
      url: '/curation/services/:id/languages',
      path: (w) => `/curation/services/${w.ids.directoryService}/languages`,
      expect: onlyRoles(curators, { ok: 303 }),
    },
    {
      method: 'GET',
      url: '/curation/services/:id/areas',
      path: (w) => `/curation/services/${w.ids.directoryService}/areas`,
      expect: onlyRoles(curators),
    },
    {
      method: 'POST',
      url: '/curation/services/:id/areas',
      path: (w) => `/curation/services/${w.ids.directoryService}/areas`,
      expect: onlyRoles(curators, { ok: 303 }),
    },
    {
      method: 'GET',
      url: '/curation/services/:id/needs-and-terms',
      path: (w) => `/curation/services/${w.ids.directoryService}/needs-and-terms`,
      expect: onlyRoles(curators),
    },
    {
      method: 'POST',
      url: '/curation/services/:id/needs-and-terms',
      path: (w) => `/curation/services/${w.ids.directoryService}/needs-and-terms`,
      expect: onlyRoles(curators, { ok: 303 }),
    },
    {
      method: 'GET',
      url: '/curation/services/:id/locations/new',
      path: (w) => `/curation/services/${w.ids.directoryService}/locations/new`,
      expect: onlyRoles(curators),
    },
    {
      method: 'POST',
      url: '/curation/services/:id/locations/new',
      path: (w) => `/curation/services/${w.ids.directoryService}/locations/new`,
      expect: onlyRoles(curators, { ok: 400 }),
    },
    {
      method: 'GET',
      url: '/curation/services/:id/locations/:locationId',
      path: (w) => `/curation/services/${w.ids.directoryService}/locations/${w.ids.directoryLocation}`,
      expect: onlyRoles(curators),
    },
    {
      method: 'POST',
      url: '/curation/services/:id/locations/:locationId',
      path: (w) => `/curation/services/${w.ids.directoryService}/locations/${w.ids.directoryLocation}`,
      expect: onlyRoles(curators, { ok: 400 }),
    },
    {
      method: 'POST',
      url: '/curation/services/:id/verify',
      path: (w) => `/curation/services/${w.ids.directoryService}/verify`,
      expect: onlyRoles(curators, { ok: 303 }),
    },
    {
      method: 'GET',
      url: '/curation/change-requests/:id',
      path: (w) => `/curation/change-requests/${w.ids.directoryChangeRequest}`,
      expect: onlyRoles(curators),
    },
    // No outcome chosen: curators are asked to choose.
    {
      method: 'POST',
      url: '/curation/change-requests/:id',
      path: (w) => `/curation/change-requests/${w.ids.directoryChangeRequest}`,
      expect: onlyRoles(curators, { ok: 400 }),
    },
  ],
};
