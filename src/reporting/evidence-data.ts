import type { Db } from '../db/database.ts';
import type { DemoRandom } from '../demo/random.ts';
import { INSTRUMENTS, SWEMWBS_METRIC } from '../outcomes/instruments.ts';
import { generateBatch, insertBatch, type BulkBatch } from '../referrals/bulk.ts';
import { bulkInsertDischarges, type BulkDischarge } from '../discharge/service.ts';
import { bulkInsertAdministrations, type BulkAdministration } from '../outcomes/service.ts';
import { bulkInsertOnwardReferrals, type BulkOnward } from '../social-prescriptions/service.ts';
import { normal, simulateCase, type PracticeStyle, type SimulatedCase } from './simulation.ts';

// Fictional referrals with contacts, outcome measures, discharges and onward referrals whose
// approach effects are known (src/reporting/simulation.ts), for the demo, the benchmark and the
// end-to-end known-truth test. The referrals come from the referrals area's bulk generator,
// all discharged; their contacts are rewritten to carry the simulated approaches.

export interface EvidencePractice {
  id: string;
  style: PracticeStyle;
}

export interface EvidenceTenant {
  tenantId: string;
  practices: EvidencePractice[];
  linkWorkers: string[];
  leadId: string | null;
  referrerId: string | null;
}

export interface EvidenceData {
  batch: BulkBatch;
  administrations: BulkAdministration[];
  discharges: BulkDischarge[];
  onward: BulkOnward[];
  /** The simulated truth behind each referral, by referral id. */
  cases: Map<string, SimulatedCase>;
}

const DAY = 86_400_000;
const SWEMWBS_RAW = [...SWEMWBS_METRIC.entries()];
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The raw score whose published metric score is nearest, and that metric score. */
function swemwbsScore(metric: number): { raw: number; metric: number } {
  let best = SWEMWBS_RAW[0]!;
  for (const entry of SWEMWBS_RAW) if (Math.abs(entry[1] - metric) < Math.abs(best[1] - metric)) best = entry;
  return { raw: best[0], metric: best[1] };
}

/** Item answers adding up to a raw total, each within the scale. */
function spread(total: number, items: string[], min: number, max: number): Record<string, number> {
  const answers: Record<string, number> = {};
  let left = total;
  items.forEach((item, i) => {
    const remaining = items.length - i - 1;
    const value = clamp(
      Math.round(left / (items.length - i)),
      Math.max(min, left - remaining * max),
      Math.min(max, left - remaining * min),
    );
    answers[item] = value;
    left -= value;
  });
  return answers;
}

const SWEMWBS_ITEMS = INSTRUMENTS.swemwbs.items.map((i) => i.id);
const UCLA_ITEMS = INSTRUMENTS.ucla3.items.map((i) => i.id);

function ageBand(dateOfBirth: string, at: Date): string {
  const years = Math.floor((at.getTime() - new Date(`${dateOfBirth}T00:00:00Z`).getTime()) / (365.25 * DAY));
  const bands: [number, string][] = [
    [18, '0-17'],
    [25, '18-24'],
    [35, '25-34'],
    [45, '35-44'],
    [55, '45-54'],
    [65, '55-64'],
    [75, '65-74'],
    [85, '75-84'],
  ];
  return bands.find(([limit]) => years < limit)?.[1] ?? '85+';
}

const MODES: Record<PracticeStyle, string[]> = {
  signposting: ['phone', 'phone', 'phone', 'text_email'],
  coaching: ['face_to_face', 'home_visit', 'phone', 'face_to_face', 'video'],
  mixed: ['phone', 'face_to_face', 'phone', 'group'],
};

/** Builds `peoplePerPractice` discharged referrals per practice, with their simulated support and measures. */
export function evidenceData(
  random: DemoRandom,
  tenant: EvidenceTenant,
  peoplePerPractice: number,
  options: { nhsOffset: number; now?: Date },
): EvidenceData {
  const now = options.now ?? new Date();
  const data: EvidenceData = {
    batch: { people: [], referrals: [], transitions: [], allocations: [], contacts: [], consents: [] },
    administrations: [],
    discharges: [],
    onward: [],
    cases: new Map(),
  };
  tenant.practices.forEach((practice, p) => {
    const batch = generateBatch(
      random,
      { ...tenant, practices: [practice.id] },
      {
        people: peoplePerPractice,
        referralsPerPerson: 1,
        nhsOffset: options.nhsOffset + p * peoplePerPractice,
        statuses: ['discharged'],
        now,
      },
    );
    const people = new Map(batch.people.map((person) => [person.id, person]));
    const steps = new Map<string, typeof batch.transitions>();
    for (const t of batch.transitions) steps.set(t.referralId, [...(steps.get(t.referralId) ?? []), t]);
    const madeContacts = new Map<string, typeof batch.contacts>();
    for (const c of batch.contacts)
      if (c.outcome === 'made') madeContacts.set(c.referralId, [...(madeContacts.get(c.referralId) ?? []), c]);
    data.batch.people.push(...batch.people);
    data.batch.referrals.push(...batch.referrals);
    data.batch.transitions.push(...batch.transitions);
    data.batch.allocations.push(...batch.allocations);
    data.batch.consents.push(...batch.consents);
    data.batch.contacts.push(...batch.contacts.filter((c) => c.outcome !== 'made'));
    for (const referral of batch.referrals) {
      const person = people.get(referral.personId)!;
      const worker = referral.assignedTo ?? tenant.linkWorkers[0]!;
      const simulated = simulateCase(
        random,
        {
          needs: referral.reasons.split(','),
          imdQuintile: Math.ceil((person.deprivationDecile ?? 5) / 2),
          ageBand: ageBand(person.dateOfBirth, referral.receivedAt),
          sex: person.sex ?? 'not_recorded',
        },
        practice.style,
      );
      data.cases.set(referral.id, simulated);
      const at = (status: string) =>
        steps
          .get(referral.id)!
          .find((t) => t.to === status)!
          .at.getTime();
      const first = at('in_contact');
      const last = at('discharged');
      const template = madeContacts.get(referral.id)?.[0];
      for (let i = 0; i < simulated.contacts; i++) {
        data.batch.contacts.push({
          tenantId: tenant.tenantId,
          referralId: referral.id,
          outcome: 'made',
          mode: random.pick(MODES[practice.style]),
          minutes: Math.round(simulated.minutes / simulated.contacts),
          approach: simulated.approaches[i % simulated.approaches.length]!,
          at: new Date(first + ((last - first) * i) / Math.max(1, simulated.contacts)),
          recordedBy: template?.recordedBy ?? worker,
        });
      }
      // Measures: SWEMWBS, ONS4 and UCLA from the same simulated wellbeing, at assessment and discharge.
      const measure = (timepoint: 'baseline' | 'discharge', metric: number, when: number) => {
        const swemwbs = swemwbsScore(clamp(metric, 7, 35));
        const level = (swemwbs.metric - 7) / 28;
        const ons = (shift: number) => clamp(Math.round(level * 10 + shift + normal(random)), 0, 10);
        const ucla = clamp(Math.round(9 - level * 6 + normal(random) * 0.8), 3, 9);
        const common = {
          tenantId: tenant.tenantId,
          referralId: referral.id,
          personId: person.id,
          timepoint,
          completedAt: new Date(when),
          completedBy: worker,
        };
        data.administrations.push({
          ...common,
          instrument: 'swemwbs',
          rawScore: swemwbs.raw,
          metricScore: swemwbs.metric,
          answers: JSON.stringify(spread(swemwbs.raw, SWEMWBS_ITEMS, 1, 5)),
        });
        data.administrations.push({
          ...common,
          instrument: 'ons4',
          rawScore: null,
          metricScore: null,
          answers: JSON.stringify({
            life_satisfaction: ons(0),
            worthwhile: ons(1),
            happiness: ons(0),
            anxiety: clamp(Math.round(8 - level * 8 + normal(random)), 0, 10),
          }),
        });
        data.administrations.push({
          ...common,
          instrument: 'ucla3',
          rawScore: ucla,
          metricScore: null,
          answers: JSON.stringify(spread(ucla, UCLA_ITEMS, 1, 3)),
        });
      };
      measure('baseline', simulated.baseline, at('assessed'));
      if (simulated.followedUp) measure('discharge', simulated.followUp, last);
      data.discharges.push({
        tenantId: tenant.tenantId,
        referralId: referral.id,
        at: new Date(last),
        by: worker,
        reason: simulated.followedUp
          ? random.pick(['goals_met', 'goals_met', 'goals_met', 'person_chose_to_end', 'referred_elsewhere'])
          : random.pick(['unable_to_engage', 'person_chose_to_end', 'moved_away']),
      });
      if (simulated.approaches.includes('warm_handover') || random.chance(0.4)) {
        const attended = random.chance(simulated.approaches.includes('warm_handover') ? 0.8 : 0.45);
        data.onward.push({
          tenantId: tenant.tenantId,
          referralId: referral.id,
          personId: person.id,
          at: new Date(at('active_plan')),
          serviceName: random.pick([
            'Community gardening group (demo)',
            'Walking for health (demo)',
            'Debt advice drop-in (demo)',
            'Men’s shed (demo)',
            'Art for wellbeing (demo)',
          ]),
          status: attended ? 'completed' : random.pick(['did_not_attend', 'declined', 'stopped']),
        });
      }
    }
  });
  return data;
}

/** Writes the data in bulk, in chunks, as the database owner. */
export async function insertEvidenceData(db: Db, data: EvidenceData, chunkSize = 1000): Promise<void> {
  await insertBatch(db, data.batch, chunkSize);
  for (let i = 0; i < data.administrations.length; i += chunkSize)
    await bulkInsertAdministrations(db, data.administrations.slice(i, i + chunkSize));
  for (let i = 0; i < data.discharges.length; i += chunkSize) await bulkInsertDischarges(db, data.discharges.slice(i, i + chunkSize));
  for (let i = 0; i < data.onward.length; i += chunkSize) await bulkInsertOnwardReferrals(db, data.onward.slice(i, i + chunkSize));
}
