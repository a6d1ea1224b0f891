import type { Db } from '../db/database.ts';
import * as q from './queries.ts';

export type { OpenReminder, ReminderKind } from './queries.ts';

export interface CaseloadReminder {
  kind: q.ReminderKind;
  /** What the caseload row says, e.g. "Follow-up overdue". */
  text: string;
  /** red for overdue, orange for due. */
  colour: 'red' | 'orange';
}

/** The words for a reminder on the caseload, given today's date (YYYY-MM-DD). */
export function describeReminder(reminder: Pick<q.OpenReminder, 'kind' | 'dueOn'>, today: string): CaseloadReminder {
  switch (reminder.kind) {
    case 'follow_up':
      return reminder.dueOn! < today
        ? { kind: reminder.kind, text: 'Follow-up overdue', colour: 'red' }
        : { kind: reminder.kind, text: reminder.dueOn === today ? 'Follow-up due today' : 'Follow-up due', colour: 'orange' };
    case 'plan_review':
      return {
        kind: reminder.kind,
        text: reminder.dueOn! < today ? 'Goal review overdue' : 'Goal review due',
        colour: reminder.dueOn! < today ? 'red' : 'orange',
      };
    case 'waiting':
      return { kind: reminder.kind, text: 'Waiting past target for first contact', colour: 'red' };
    case 'unable_to_contact':
      return { kind: reminder.kind, text: 'Consider "unable to contact"', colour: 'orange' };
    case 'outcome_review':
      // No due date: the person is assessed and has no baseline measure yet.
      if (!reminder.dueOn) return { kind: reminder.kind, text: 'Baseline outcome measure missing', colour: 'orange' };
      return reminder.dueOn < today
        ? { kind: reminder.kind, text: 'Outcome review overdue', colour: 'red' }
        : { kind: reminder.kind, text: 'Outcome review due', colour: 'orange' };
  }
}

/**
 * Open reminders for the given referrals, keyed by referral id, for the caseload page. Call inside
 * the caller's tenant transaction. `today` is the local date the reminders are judged against.
 */
export async function remindersFor(
  tx: Db,
  tenantId: string,
  referralIds: string[],
  today: string,
): Promise<Map<string, CaseloadReminder[]>> {
  const byReferral = new Map<string, CaseloadReminder[]>();
  for (const r of await q.openReminders(tx, tenantId, referralIds)) {
    const list = byReferral.get(r.referralId) ?? [];
    // Two goals due on one referral make one marker.
    const described = describeReminder(r, today);
    if (!list.some((x) => x.text === described.text)) list.push(described);
    byReferral.set(r.referralId, list);
  }
  return byReferral;
}
