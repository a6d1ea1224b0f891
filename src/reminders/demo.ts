import type { DemoSeeder } from '../demo/seed.ts';
import { withTenant } from '../db/transaction.ts';
import { scanReminders } from './service.ts';

/**
 * Runs the reminder scan once over the demo tenants, so the caseload shows its reminders from the
 * start. The link workers are not emailed for these: the demo outbox stays readable.
 */
export const remindersSeeder: DemoSeeder = {
  area: 'reminders',
  async seed(context) {
    const tenants = [context.ids.tenant?.[0], context.ids.otherTenant?.[0]].filter((id): id is string => !!id);
    for (const tenantId of tenants) {
      await withTenant(context.database.pool, tenantId, (tx) => scanReminders(tx, tenantId, new Date(), { email: false }));
    }
  },
};
