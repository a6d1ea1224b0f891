import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { testRangeNhsNumbers } from '../../src/people/nhs-number.ts';
import { intakeReferral, type IntakeResult } from '../../src/referrals/service.ts';
import type { ContactInput, ReferralInput } from '../../src/referrals/schema.ts';
import type { PersonInput } from '../../src/people/schema.ts';

// Each call takes a fresh number from a block of the 999 test range chosen per process, so test
// files running side by side on one server never collide.
const numbers = testRangeNhsNumbers((process.pid % 900) * 1000);

export function aTestNhsNumber(): string {
  return numbers.next().value as string;
}

export function aPersonInput(overrides: Partial<PersonInput> = {}): PersonInput {
  return {
    nhsNumber: aTestNhsNumber(),
    givenName: 'Alex',
    familyName: 'Example',
    preferredName: null,
    dateOfBirth: '1970-05-04',
    sex: null,
    genderIdentity: null,
    ethnicity: null,
    postcode: null,
    address: null,
    phone: '07700 900123',
    email: null,
    contactChannels: ['phone'],
    safeToLeaveMessage: true,
    interpreterLanguage: null,
    largePrint: false,
    easyRead: false,
    bsl: false,
    otherCommunicationNeeds: null,
    practiceId: null,
    ...overrides,
  };
}

export function aReferralInput(overrides: Partial<ReferralInput> = {}): ReferralInput {
  return {
    source: 'gp',
    channel: 'web',
    referrerName: null,
    referrerOrganisation: null,
    referrerEmail: null,
    reasons: ['loneliness'],
    context: 'Lives alone.',
    urgency: 'routine',
    consentToRefer: true,
    consentToShare: true,
    risk: null,
    ...overrides,
  };
}

export function aContact(overrides: Partial<ContactInput> = {}): ContactInput {
  return { outcome: 'attempted', mode: 'phone', minutes: 2, approach: null, notes: null, ...overrides };
}

/** A referral as staff would make it, through the one intake function. */
export async function aReferral(
  database: Database,
  actor: Actor,
  options: { person?: Partial<PersonInput>; referral?: Partial<ReferralInput>; personChoice?: string } = {},
): Promise<IntakeResult> {
  return withTenant(database.pool, actor.tenantId, (tx) =>
    intakeReferral(tx, actor.tenantId, actor, {
      person: aPersonInput(options.person),
      referral: aReferralInput(options.referral),
      personChoice: options.personChoice ?? 'new',
    }),
  );
}

export async function countRows(database: Database, table: string, tenantId: string): Promise<number> {
  const { rows } = await database.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]);
  return rows[0]!.n;
}

export async function transitionRows(database: Database, referralId: string) {
  const { rows } = await database.pool.query<{
    fromStatus: string | null;
    toStatus: string;
    byUserId: string | null;
    reason: string | null;
  }>(
    `SELECT from_status AS "fromStatus", to_status AS "toStatus", by_user_id AS "byUserId", reason FROM referral_transition
      WHERE referral_id = $1 ORDER BY occurred_at, id`,
    [referralId],
  );
  return rows;
}
