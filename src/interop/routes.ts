import type { FastifyPluginAsync } from 'fastify';
import { apiClientRoutes } from './clients/routes.ts';
import { fhirRoutes } from './fhir/routes.ts';

/** Interoperability: the FHIR R4 server, the SMART token endpoint and the admin pages for systems. */
export const interopRoutes: FastifyPluginAsync = async (app) => {
  await app.register(apiClientRoutes);
  await app.register(fhirRoutes, { prefix: '/fhir' });
};
