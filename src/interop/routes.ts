import type { FastifyPluginAsync } from 'fastify';
import { apiClientRoutes } from './clients/routes.ts';
import { fhirRoutes } from './fhir/routes.ts';
import { gpRecordRoutes } from './mesh/routes.ts';
import { openApiRoutes } from './openapi.ts';

/** Interoperability: the FHIR R4 server, the SMART token endpoint, the admin pages for systems, the API document, the GP record over MESH. */
export const interopRoutes: FastifyPluginAsync = async (app) => {
  await app.register(apiClientRoutes);
  await app.register(fhirRoutes, { prefix: '/fhir' });
  await app.register(openApiRoutes);
  await app.register(gpRecordRoutes);
};
