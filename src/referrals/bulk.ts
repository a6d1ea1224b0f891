import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { DemoRandom } from '../demo/random.ts';
import { NEEDS } from '../vocabulary/needs.ts';
import { ETHNIC_CATEGORIES } from '../people/ethnicity.ts';
import type { ReferralStatus } from './lifecycle.ts';
import { testRangeNhsNumbers } from '../people/nhs-number.ts';
import * as people from '../people/service.ts';
import * as q from './queries.ts';
import { newReference } from './service.ts';

// Fictional people and referrals in every state, with backdated transitions and contacts, for
// the demo and the benchmark. Names are common first and last names put together at random;
// NHS numbers come from the 999 test range, which no real person holds.

const GIVEN = [
  'Amelia',
  'Oliver',
  'Isla',
  'George',
  'Ava',
  'Arthur',
  'Mia',
  'Noah',
  'Ivy',
  'Leo',
  'Grace',
  'Harry',
  'Freya',
  'Oscar',
  'Lily',
  'Muhammad',
  'Aisha',
  'Jack',
  'Sofia',
  'Charlie',
  'Zara',
  'Thomas',
  'Priya',
  'James',
  'Chloe',
  'Daniel',
  'Fatima',
  'Samuel',
  'Ruby',
  'Joseph',
  'Margaret',
  'Brian',
  'Doreen',
  'Kenneth',
  'Patricia',
  'Roy',
  'Jean',
  'Derek',
  'Sandra',
  'Keith',
];
const FAMILY = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Patel',
  'Robinson',
  'Wright',
  'Thompson',
  'Evans',
  'Walker',
  'White',
  'Roberts',
  'Green',
  'Hall',
  'Khan',
  'Wood',
  'Jackson',
  'Clarke',
  'Hughes',
  'Ahmed',
  'Turner',
  'Hill',
  'Moore',
  'Begum',
  'Cooper',
  'Ward',
  'Okafor',
  'Nowak',
  'Murphy',
  'Kaur',
  'Singh',
  'Ali',
  'Hussain',
  'Lewis',
  'Harris',
  'Martin',
];
const POSTCODES = ['LS6 3AB', 'LS6 1AA', 'LS1 4AP', 'LS6 2DP', 'LS1 5HD', 'LS6 4JN', 'LS1 2HT', 'LS6 3HF'];
const SOURCES = ['gp', 'gp', 'gp', 'practice_nurse', 'practice_staff', 'hospital', 'social_care', 'community', 'self', 'other'];
const MODES = ['phone', 'phone', 'phone', 'face_to_face', 'home_visit', 'video', 'group', 'text_email'];
const APPROACHES = [
  'signposting',
  'guided_conversation',
  'motivational_interviewing',
  'health_coaching',
  'counselling_informed',
  'warm_handover',
  'group_session',
  'practical_help',
];

/** The path a referral took to reach each status. */
const PATHS: Record<ReferralStatus, ReferralStatus[]> = {
  received: ['received'],
  triaged: ['received', 'triaged'],
  allocated: ['received', 'triaged', 'allocated'],
  in_contact: ['received', 'triaged', 'allocated', 'in_contact'],
  assessed: ['received', 'triaged', 'allocated', 'in_contact', 'assessed'],
  active_plan: ['received', 'triaged', 'allocated', 'in_contact', 'assessed', 'active_plan'],
  discharged: ['received', 'triaged', 'allocated', 'in_contact', 'assessed', 'active_plan', 'discharged'],
  declined: ['received', 'triaged', 'allocated', 'in_contact', 'declined'],
  unable_to_contact: ['received', 'triaged', 'allocated', 'unable_to_contact'],
  not_suitable: ['received', 'not_suitable'],
  withdrawn: ['received', 'triaged', 'withdrawn'],
};

const DAY = 24 * 60 * 60 * 1000;

export interface BulkTenant {
  tenantId: string;
  practices: string[];
  linkWorkers: string[];
  leadId: string | null;
  referrerId: string | null;
}

export interface BulkOptions {
  people: number;
  /** Referrals per person on average (1 to 2). */
  referralsPerPerson: number;
  /** Where in the 999 range this batch's NHS numbers start. */
  nhsOffset: number;
  /** Status mix: every status appears, with open ones weighted so caseloads fill. */
  statuses?: readonly ReferralStatus[];
  /** The moment the data is generated as of (default: now). */
  now?: Date;
}

const DEFAULT_STATUSES: ReferralStatus[] = [
  'received',
  'triaged',
  'allocated',
  'allocated',
  'in_contact',
  'in_contact',
  'assessed',
  'active_plan',
  'active_plan',
  'discharged',
  'discharged',
  'declined',
  'unable_to_contact',
  'not_suitable',
  'withdrawn',
];

export interface BulkBatch {
  people: people.BulkPerson[];
  referrals: q.BulkReferral[];
  transitions: q.BulkTransition[];
  allocations: q.BulkAllocation[];
  contacts: q.BulkContact[];
  consents: people.BulkConsent[];
}

/** Builds rows in memory; `insertBatch` writes them. */
export function generateBatch(random: DemoRandom, tenant: BulkTenant, options: BulkOptions): BulkBatch {
  const now = (options.now ?? new Date()).getTime();
  const statuses = options.statuses ?? DEFAULT_STATUSES;
  const numbers = testRangeNhsNumbers(options.nhsOffset);
  const batch: BulkBatch = { people: [], referrals: [], transitions: [], allocations: [], contacts: [], consents: [] };
  for (let i = 0; i < options.people; i++) {
    const personId = randomUUID();
    const givenName = random.pick(GIVEN);
    const familyName = random.pick(FAMILY);
    const age = random.int(18, 92);
    const born = new Date(now - age * 365.25 * DAY - random.int(0, 364) * DAY);
    const practiceId = tenant.practices.length ? random.pick(tenant.practices) : null;
    const postcode = random.pick(POSTCODES);
    const createdAt = new Date(now - random.int(5, 180) * DAY);
    batch.people.push({
      tenantId: tenant.tenantId,
      id: personId,
      nhsNumber: random.chance(0.85) ? (numbers.next().value as string) : null,
      givenName,
      familyName,
      dateOfBirth: born.toISOString().slice(0, 10),
      sex: random.pick(['female', 'male', 'female', 'male', 'not_stated', null]),
      ethnicity: random.chance(0.8) ? random.pick(ETHNIC_CATEGORIES).code : null,
      postcode,
      deprivationDecile: random.int(1, 10),
      phone: `07700 900${String(random.int(0, 999)).padStart(3, '0')}`,
      email: random.chance(0.5) ? `${givenName}.${familyName}${i}@example.com`.toLowerCase() : null,
      contactChannels: random.chance(0.5) ? 'phone,sms' : 'phone',
      practiceId,
      createdAt,
    });
    const count = random.chance(options.referralsPerPerson - 1) ? 2 : 1;
    for (let k = 0; k < count; k++) {
      // A second referral is an older, closed one.
      const status: ReferralStatus =
        k === 0
          ? random.pick(statuses)
          : random.pick(['discharged', 'declined', 'unable_to_contact', 'not_suitable', 'withdrawn'] as const);
      const referralId = randomUUID();
      const path = PATHS[status];
      const receivedAt = new Date(createdAt.getTime() + (k === 0 ? 0 : -random.int(60, 300) * DAY));
      const steps = path.length - 1;
      // Fit the path between receipt and now, a few days per step.
      const span = Math.max(1, Math.min((now - receivedAt.getTime()) / DAY, steps * 8));
      let at = receivedAt.getTime();
      const worker = tenant.linkWorkers.length ? random.pick(tenant.linkWorkers) : null;
      const source = random.pick(SOURCES);
      let allocatedAt: number | undefined;
      // Every contact is the worker's, on this referral.
      const contact = (c: Omit<q.BulkContact, 'tenantId' | 'referralId' | 'recordedBy'>) =>
        batch.contacts.push({ tenantId: tenant.tenantId, referralId, ...c, recordedBy: worker });
      for (let s = 0; s < path.length; s++) {
        if (s > 0) at = Math.min(now - 60_000, at + (span / steps) * DAY * (0.5 + random.next()));
        const to = path[s]!;
        batch.transitions.push({
          tenantId: tenant.tenantId,
          referralId,
          from: s === 0 ? null : path[s - 1]!,
          to,
          at: new Date(at),
          byUserId:
            s === 0
              ? source === 'self'
                ? null
                : tenant.referrerId
              : ['triaged', 'allocated', 'not_suitable'].includes(to)
                ? tenant.leadId
                : worker,
          reason:
            s === 0
              ? 'Referral received'
              : to === 'not_suitable'
                ? 'Needs specialist mental health support'
                : to === 'declined'
                  ? 'Did not want support at the moment'
                  : to === 'withdrawn'
                    ? 'Referred twice by mistake'
                    : to === 'unable_to_contact'
                      ? '3 attempts to make contact failed'
                      : null,
        });
        if (to === 'allocated' && worker) {
          allocatedAt = at;
          batch.allocations.push({
            tenantId: tenant.tenantId,
            referralId,
            linkWorkerId: worker,
            allocatedBy: tenant.leadId,
            at: new Date(at),
          });
        }
        if (to === 'unable_to_contact' && allocatedAt !== undefined) {
          for (let a = 1; a <= 3; a++) {
            contact({
              outcome: 'attempted',
              mode: 'phone',
              minutes: 2,
              approach: null,
              at: new Date(allocatedAt + ((at - allocatedAt) * a) / 4),
            });
          }
        }
        if (to === 'in_contact' && allocatedAt !== undefined) {
          if (random.chance(0.5))
            contact({
              outcome: 'attempted',
              mode: 'phone',
              minutes: 1,
              approach: null,
              at: new Date((allocatedAt + at) / 2),
            });
          contact({
            outcome: 'made',
            mode: random.pick(MODES),
            minutes: random.int(10, 60),
            approach: random.pick(APPROACHES),
            at: new Date(at),
          });
        }
        if ((to === 'assessed' || to === 'active_plan') && worker) {
          contact({
            outcome: 'made',
            mode: random.pick(MODES),
            minutes: random.int(20, 90),
            approach: random.pick(APPROACHES),
            at: new Date(at),
          });
        }
      }
      if (status === 'allocated' && allocatedAt !== undefined && random.chance(0.5)) {
        contact({
          outcome: 'attempted',
          mode: 'phone',
          minutes: 2,
          approach: null,
          at: new Date(Math.min(now - 60_000, allocatedAt + DAY)),
        });
      }
      const open = ['allocated', 'in_contact', 'assessed', 'active_plan'].includes(status);
      const nextActionDue = open ? new Date(now + random.int(-10, 21) * DAY).toISOString().slice(0, 10) : null;
      const reasons = [random.pick(NEEDS).code];
      if (random.chance(0.4)) reasons.push(random.pick(NEEDS).code);
      batch.referrals.push({
        tenantId: tenant.tenantId,
        id: referralId,
        reference: newReference(),
        personId,
        source,
        channel: source === 'self' ? 'self' : random.pick(['web', 'web', 'letter', 'phone']),
        referrerUserId: source === 'self' ? null : tenant.referrerId,
        practiceId: source === 'self' ? null : practiceId,
        reasons: [...new Set(reasons)].join(','),
        context: random.chance(0.5) ? 'Lives alone since a bereavement last year and would like to get out more.' : null,
        urgency: random.pick(['routine', 'routine', 'routine', 'soon', 'urgent']),
        status,
        assignedTo: path.includes('allocated') ? worker : null,
        nextAction: open ? random.pick(['Follow-up call', 'Check they went to the group', 'Review plan', 'Send leaflet']) : null,
        nextActionDue,
        notSuitableReason: status === 'not_suitable' ? 'Needs specialist mental health support' : null,
        redirectedTo: status === 'not_suitable' ? 'Community mental health team' : null,
        receivedAt,
        statusChangedAt: new Date(at),
      });
      const consentBy = source === 'self' ? null : tenant.referrerId;
      const description = source === 'self' ? 'The person, online' : null;
      batch.consents.push({
        tenantId: tenant.tenantId,
        personId,
        referralId,
        kind: 'refer',
        at: receivedAt,
        recordedBy: consentBy,
        description,
      });
      batch.consents.push({
        tenantId: tenant.tenantId,
        personId,
        referralId,
        kind: 'share',
        at: receivedAt,
        recordedBy: consentBy,
        description,
      });
    }
  }
  return batch;
}

function* chunks<T>(rows: T[], size: number): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** Writes a batch as the database owner (bypassing row-level security), in chunks. */
export async function insertBatch(db: Db, batch: BulkBatch, chunkSize = 2000): Promise<void> {
  for (const rows of chunks(batch.people, chunkSize)) await people.bulkInsertPeople(db, rows);
  for (const rows of chunks(batch.referrals, chunkSize)) await q.bulkInsertReferrals(db, rows);
  for (const rows of chunks(batch.transitions, chunkSize)) await q.bulkInsertTransitions(db, rows);
  for (const rows of chunks(batch.allocations, chunkSize)) await q.bulkInsertAllocations(db, rows);
  for (const rows of chunks(batch.contacts, chunkSize)) await q.bulkInsertContacts(db, rows);
  for (const rows of chunks(batch.consents, chunkSize)) await people.bulkInsertConsents(db, rows);
}
