import { everyone, signedIn, type AreaAccess } from './types.ts';

/** The foundation's pages: the public front page, the staff home page and health. */
export const access: AreaAccess = {
  area: 'web',
  routes: [
    // The public page for the public; signed-in staff are sent to their home page.
    { method: 'GET', url: '/', expect: signedIn({ ok: 303, anonymous: 200 }) },
    { method: 'GET', url: '/home', expect: signedIn() },
    { method: 'GET', url: '/health/live', expect: everyone(200) },
    { method: 'GET', url: '/health/ready', expect: everyone(200) },
  ],
};
