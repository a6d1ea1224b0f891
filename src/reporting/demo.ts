import type { DemoSeeder } from '../demo/seed.ts';
import { withTenant } from '../db/transaction.ts';
import { refreshReporting } from './service.ts';

/**
 * Refreshes the reporting read model of each demo tenant once, after every other seeder, so
 * the reports have figures on first start instead of waiting for the night.
 */
export const reportingSeeder: DemoSeeder = {
  area: 'reporting',
  async seed(context) {
    const tenants = [context.ids.tenant?.[0], context.ids.otherTenant?.[0]].filter((id): id is string => !!id);
    for (const tenantId of tenants) {
      await withTenant(context.database.pool, tenantId, (tx) => refreshReporting(tx, tenantId, new Date(), 'demo'));
    }
  },
};
