import type { FastifyInstance } from 'fastify';
import type { Policy } from './policy.ts';

export interface RegisteredRoute {
  method: string;
  url: string;
  policy: Policy | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered after start-up began, with its policy: what the authorisation matrix test walks. */
    routeTable: RegisteredRoute[];
  }
}

/** Records each route as it registers (HEAD twins of GET routes left out). */
export function recordRouteTable(app: FastifyInstance): void {
  const table: RegisteredRoute[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      table.push({ method, url: route.url, policy: route.config?.policy });
    }
  });
}
