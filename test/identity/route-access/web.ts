import { everyone, type AreaAccess } from './types.ts';

/** The foundation's pages: home and health. */
export const access: AreaAccess = {
  area: 'web',
  routes: [
    { method: 'GET', url: '/', expect: everyone(200) },
    { method: 'GET', url: '/health/live', expect: everyone(200) },
    { method: 'GET', url: '/health/ready', expect: everyone(200) },
  ],
};
