import { demoLinkWorker } from '../demo/actors.ts';
import type { DemoSeeder } from '../demo/seed.ts';
import { INSTRUMENTS, type InstrumentCode } from './instruments.ts';
import { recordAdministration } from './service.ts';
// The reminder scan the demo runs next must know the outcome conditions, whatever loaded this file.

const WEEK = 7 * 86_400_000;

/** Plausible answers, in question order, and weeks ago; every review a little better than the baseline. */
const PLAN: { instrument: InstrumentCode; timepoint: 'baseline' | 'review'; weeksAgo: number; answers: number[] }[][] = [
  // Maureen: lonely at the start, better after the gardening group.
  [
    { instrument: 'swemwbs', timepoint: 'baseline', weeksAgo: 10, answers: [2, 3, 2, 3, 3, 2, 3] },
    { instrument: 'ucla3', timepoint: 'baseline', weeksAgo: 10, answers: [3, 2, 3] },
    { instrument: 'swemwbs', timepoint: 'review', weeksAgo: 2, answers: [3, 3, 3, 3, 4, 3, 4] },
    { instrument: 'ucla3', timepoint: 'review', weeksAgo: 2, answers: [2, 2, 2] },
  ],
  // Dev: ONS4 at the start and at a review.
  [
    { instrument: 'ons4', timepoint: 'baseline', weeksAgo: 8, answers: [4, 5, 3, 8] },
    { instrument: 'ons4', timepoint: 'review', weeksAgo: 1, answers: [6, 6, 6, 5] },
  ],
  // Irene was discharged before any measure (kept as it is). Kwame: a baseline long ago, review now due.
  [],
  [{ instrument: 'swemwbs', timepoint: 'baseline', weeksAgo: 13, answers: [3, 2, 3, 3, 2, 3, 3] }],
];

/**
 * Outcome measures for the social prescribing demo people, recorded by the demo link worker
 * through the area's service, so the outcomes pages, the person timeline and the reminders (a
 * review due, baselines missing on the bulk referrals) have something to show.
 */
export const outcomesSeeder: DemoSeeder = {
  area: 'outcomes',
  async seed(context) {
    const worker = demoLinkWorker(context.ids);
    const referrals = context.ids.socialPrescribingReferrals ?? [];
    if (!worker) return;
    const now = Date.now();
    for (const [i, referralId] of referrals.entries()) {
      for (const step of PLAN[i] ?? []) {
        const answers = Object.fromEntries(
          INSTRUMENTS[step.instrument].items.map((item, n) => [`item-${item.id}`, String(step.answers[n])]),
        );
        await recordAdministration(
          context.database.pool,
          worker,
          referralId,
          { instrument: step.instrument, timepoint: step.timepoint, answers },
          {},
          new Date(now - step.weeksAgo * WEEK),
        );
      }
    }
  },
};
