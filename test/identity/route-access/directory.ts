import { DELIVERY_TAXONOMY_ID, needTermId } from '../../../src/directory/taxonomy.ts';
import { aDirectoryService } from '../../support/directory-factories.ts';
import { everyone, type AreaAccess } from './types.ts';

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
  },
  routes: [
    { method: 'GET', url: '/services', expect: everyone(200) },
    { method: 'GET', url: '/services/print', expect: everyone(200) },
    { method: 'GET', url: '/services/:id', path: (w) => `/services/${w.ids.directoryService}`, expect: everyone(200) },
    { method: 'GET', url: '/services/:id/print', path: (w) => `/services/${w.ids.directoryService}/print`, expect: everyone(200) },
    { method: 'GET', url: '/services/:id/suggest-change', path: (w) => `/services/${w.ids.directoryService}/suggest-change`, expect: everyone(200) },
    // An empty suggestion: every caller is told what is missing.
    { method: 'POST', url: '/services/:id/suggest-change', path: (w) => `/services/${w.ids.directoryService}/suggest-change`, expect: everyone(400) },
    { method: 'GET', url: '/services/:id/suggest-change/sent', path: (w) => `/services/${w.ids.directoryService}/suggest-change/sent`, expect: everyone(200) },
    { method: 'OPTIONS', url: '/api/oruk/*', path: () => '/api/oruk/services', expect: everyone(204) },
    { method: 'GET', url: '/api/oruk', expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/services', expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/services/:id', path: (w) => `/api/oruk/services/${w.ids.directoryService}`, expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/taxonomies', expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/taxonomies/:id', path: () => `/api/oruk/taxonomies/${DELIVERY_TAXONOMY_ID}`, expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/taxonomy_terms', expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/taxonomy_terms/:id', path: () => `/api/oruk/taxonomy_terms/${needTermId('loneliness')}`, expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/service_at_locations', expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/service_at_locations/:id', path: (w) => `/api/oruk/service_at_locations/${w.ids.directoryServiceAtLocation}`, expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/organizations', expect: everyone(200) },
    { method: 'GET', url: '/api/oruk/organizations/:id', path: (w) => `/api/oruk/organizations/${w.ids.directoryOrganization}`, expect: everyone(200) },
  ],
};
