import { withTenant, withTransaction } from '../db/transaction.ts';
import type { DemoSeeder } from '../demo/seed.ts';
import { demoPerson } from '../demo/actors.ts';
import { generateBatch, insertBatch } from './bulk.ts';
import type { BulkPerson } from '../people/service.ts';
import type { PersonInput } from '../people/schema.ts';
import { intakeReferral } from './service.ts';

/** A self-referral as the public form would send it, with these details. */
function selfReferred(person: Pick<BulkPerson, 'nhsNumber' | 'givenName' | 'familyName' | 'dateOfBirth' | 'postcode'>): PersonInput {
  return demoPerson({ ...person, phone: '07700 900999', contactChannels: ['phone'], practiceId: null });
}

/**
 * A few hundred fictional people with referrals in every state of the life cycle, contacts and
 * consents, in the demo tenant (and a few in the second tenant). Runs after the identity
 * seeder, whose ids it reads from the context.
 */
export const referralsSeeder: DemoSeeder = {
  area: 'referrals',
  async seed(context) {
    const ids = context.ids;
    const tenantId = ids.tenant?.[0];
    if (!tenantId) throw new Error('The referrals demo needs the identity demo first (no tenant in the seed context).');
    const home = generateBatch(
      context.random,
      {
        tenantId,
        practices: ids.practices ?? [],
        linkWorkers: ids.linkWorkers ?? [],
        leadId: ids['user:lead']?.[0] ?? null,
        referrerId: ids['user:referrer']?.[0] ?? null,
      },
      { people: 300, referralsPerPerson: 1.2, nhsOffset: 0 },
    );
    const otherTenant = ids.otherTenant?.[0];
    const other = otherTenant
      ? generateBatch(
          context.random,
          {
            tenantId: otherTenant,
            practices: ids['otherTenant:practices'] ?? [],
            linkWorkers: ids['otherTenant:user:link_worker'] ?? [],
            leadId: ids['otherTenant:user:admin']?.[0] ?? null,
            referrerId: null,
          },
          { people: 40, referralsPerPerson: 1.1, nhsOffset: 500_000 },
        )
      : undefined;
    await withTransaction(context.database.pool, async (tx) => {
      await insertBatch(tx, home);
      if (other) await insertBatch(tx, other);
    });
    // Two self-referrals waiting at triage to be matched: one typed with a known person's NHS number
    // but another name and date of birth, one with every detail of a known person.
    const known = home.people.filter((p) => p.nhsNumber).slice(0, 2);
    await withTenant(context.database.pool, tenantId, async (tx) => {
      const held = [
        selfReferred({ ...known[0]!, givenName: 'Dana', familyName: 'Mistyped', dateOfBirth: '1991-08-14' }),
        selfReferred(known[1]!),
      ];
      for (const person of held) {
        await intakeReferral(tx, tenantId, null, {
          person,
          personChoice: 'unmatched',
          referral: {
            source: 'self',
            channel: 'self',
            referrerName: null,
            referrerOrganisation: null,
            referrerEmail: null,
            reasons: ['loneliness'],
            context: 'Sent from the public form.',
            urgency: 'routine',
            consentToRefer: true,
            consentToShare: true,
            risk: null,
          },
        });
      }
    });
    ids.people = home.people.map((p) => p.id);
    ids.referrals = home.referrals.map((r) => r.id);
  },
};
