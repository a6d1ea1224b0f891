import type { DemoSeeder } from '../demo/seed.ts';
import { withTenant, withTransaction } from '../db/transaction.ts';
import { evidenceData, insertEvidenceData } from './evidence-data.ts';
import { refreshReporting } from './service.ts';

/** People per demo practice with simulated support and outcome measures. */
export const DEMO_EVIDENCE_PEOPLE_PER_PRACTICE = 200;

/**
 * The evidence behind the outcome and approach reports: 200 fictional, discharged referrals per
 * practice of the demo service, with contacts, outcome measures and discharges, where Kirkgate's
 * link workers mostly signpost, Aire Valley's coach and go along to first visits, and
 * Woodhouse mixes both. Then refreshes each demo tenant's read model once, after every other
 * seeder, so the reports have figures on first start instead of waiting for the night.
 */
export const reportingSeeder: DemoSeeder = {
  area: 'reporting',
  async seed(context) {
    const ids = context.ids;
    const tenantId = ids.tenant?.[0];
    const practices = ids.practices ?? [];
    if (tenantId && practices.length >= 3) {
      const data = evidenceData(
        context.random,
        {
          tenantId,
          linkWorkers: ids.linkWorkers ?? [],
          leadId: ids['user:lead']?.[0] ?? null,
          referrerId: ids['user:referrer']?.[0] ?? null,
          practices: [
            { id: practices[0]!, style: 'signposting' },
            { id: practices[1]!, style: 'coaching' },
            { id: practices[2]!, style: 'mixed' },
          ],
        },
        DEMO_EVIDENCE_PEOPLE_PER_PRACTICE,
        { nhsOffset: 100_000 },
      );
      await withTransaction(context.database.pool, (tx) => insertEvidenceData(tx, data));
    }
    const tenants = [tenantId, ids.otherTenant?.[0]].filter((id): id is string => !!id);
    for (const id of tenants) {
      await withTenant(context.database.pool, id, (tx) => refreshReporting(tx, id, new Date(), 'demo'));
    }
  },
};
