import { localDate } from '../calendar/london.ts';
import type { ReminderSource } from '../reminders/service.ts';
import * as q from './queries.ts';
import { reviewWeeks } from './service.ts';

// The reminders scan asks this area which outcome reviews are due: a baseline missing once the
// person is assessed, and a review `outcomeReviewWeeks` (tenant setting, default 12) after the
// baseline or the last review. The reminders area never reads outcome tables itself.
export const outcomeReminderSource: ReminderSource = async (tx, tenantId, now, settings) => [
  ...(await q.baselinesMissing(tx, tenantId)),
  ...(await q.reviewsDue(tx, tenantId, reviewWeeks(settings), localDate(now))),
];
