/**
 * The social prescription life cycle, in one table. Every change goes through `canMove` and is
 * written as an onward_referral_transition row (who, when, why).
 */
export const ONWARD_STATUSES = [
  'signposted',
  'draft',
  'sent',
  'accepted',
  'declined',
  'attending',
  'completed',
  'did_not_attend',
  'stopped',
] as const;

export type OnwardStatus = (typeof ONWARD_STATUSES)[number];

export const ONWARD_LABELS: Record<OnwardStatus, string> = {
  signposted: 'Signposted',
  draft: 'Draft',
  sent: 'Sent, waiting for a response',
  accepted: 'Accepted',
  declined: 'Declined',
  attending: 'Attending',
  completed: 'Completed',
  did_not_attend: 'Did not attend',
  stopped: 'Stopped',
};

export const ONWARD_TRANSITIONS: Record<OnwardStatus, readonly OnwardStatus[]> = {
  // Signposting gives the person the details; there is nothing to follow through Signpost.
  signposted: [],
  draft: ['sent', 'stopped'],
  sent: ['accepted', 'declined', 'stopped'],
  accepted: ['attending', 'did_not_attend', 'stopped'],
  attending: ['completed', 'did_not_attend', 'stopped'],
  declined: [],
  completed: [],
  did_not_attend: [],
  stopped: [],
};

/** Still open: counts against sending the same service twice, and shows in follow-ups. */
export const OPEN_ONWARD: readonly OnwardStatus[] = ['draft', 'sent', 'accepted', 'attending'];

export function isOnwardStatus(value: string): value is OnwardStatus {
  return (ONWARD_STATUSES as readonly string[]).includes(value);
}

export function canMove(from: OnwardStatus, to: OnwardStatus): boolean {
  return ONWARD_TRANSITIONS[from].includes(to);
}

export function illegalMoveMessage(from: OnwardStatus, to: OnwardStatus): string {
  const next = ONWARD_TRANSITIONS[from];
  const allowed = next.length === 0 ? 'nothing: it is closed' : next.map((s) => `"${ONWARD_LABELS[s]}"`).join(', ');
  return `This referral to the service cannot move to "${ONWARD_LABELS[to]}": it is "${ONWARD_LABELS[from]}", and from there it can only move to ${allowed}.`;
}

export const DECLINE_REASONS = [
  { code: 'full', label: 'No places available' },
  { code: 'not_eligible', label: 'Does not meet the service’s criteria' },
  { code: 'unable_to_contact', label: 'Could not contact the person' },
  { code: 'person_declined', label: 'The person did not want the service' },
  { code: 'other', label: 'Another reason' },
] as const;

export const STOP_REASONS = [
  { code: 'person_chose', label: 'The person chose to stop' },
  { code: 'needs_changed', label: 'Their needs changed' },
  { code: 'service_ended', label: 'The service ended or changed' },
  { code: 'unsafe', label: 'Not safe to continue' },
  { code: 'other', label: 'Another reason' },
] as const;

/** What the link worker may tick to share; name and contact are always shared. */
export const SHARE_FIELDS = [
  { code: 'needs', label: 'Their needs and what matters to them' },
  { code: 'notes', label: 'Your note to the service' },
  { code: 'accessibility', label: 'Communication and accessibility needs' },
] as const;

// Working days (weekends and bank holidays in England and Wales left out) are counted by the calendar in src/geo.
export { addWorkingDays } from '../calendar/london.ts';
