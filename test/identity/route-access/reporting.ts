import { withTenant } from '../../../src/db/transaction.ts';
import { refreshReporting } from '../../../src/reporting/service.ts';
import { aReportedReferral } from '../../support/reporting-factories.ts';
import { onlyRoles, type AreaAccess } from './types.ts';

const readers = ['lead', 'commissioner', 'researcher'] as const;

/**
 * Reports: aggregates of the caller's own tenant for leads, commissioners and researchers; only
 * leads ask for a refresh. Both tenants have referrals of people whose names must never show.
 */
export const access: AreaAccess = {
  area: 'reporting',
  async setUp(world) {
    for (const [tenant, name] of [
      [world.home, 'Hometown'],
      [world.other, 'Otherbury'],
    ] as const) {
      const person = await aReportedReferral(world.database, tenant.tenantId, {
        givenName: `${name}reportee`,
        familyName: `${name}-Reported`,
        practiceId: tenant.practiceId,
        receivedAt: new Date().toISOString(),
      });
      await withTenant(world.database.pool, tenant.tenantId, (tx) => refreshReporting(tx, tenant.tenantId, new Date(), 'manual'));
      (tenant === world.home ? world.markers.home : world.markers.other).push(`${name}reportee`, person.nhsNumber);
    }
  },
  routes: [
    { method: 'GET', url: '/reports', expect: onlyRoles(readers) },
    // The home tenant's practice is not one of the other tenant's: refused as bad input there.
    {
      method: 'GET',
      url: '/reports/summary.csv',
      path: (w) => `/reports/summary.csv?practice=${w.home.practiceId}`,
      expect: onlyRoles(readers, { otherTenant: 400 }),
    },
    { method: 'POST', url: '/reports/refresh', expect: onlyRoles(['lead'], { ok: 303 }) },
    // Outcomes, approaches, practice profiles and inequalities: leads and commissioners.
    ...['/reports/outcomes', '/reports/approaches', '/reports/practices', '/reports/inequalities'].map((url) => ({
      method: 'GET' as const,
      url,
      expect: onlyRoles(['lead', 'commissioner']),
    })),
  ],
};
