/**
 * The referral life cycle, in one table. Every change goes through `checkTransition` and is
 * written as a referral_transition row (who, when, why); waiting times are read from those rows.
 */
export const REFERRAL_STATUSES = [
  'received',
  'triaged',
  'allocated',
  'in_contact',
  'assessed',
  'active_plan',
  'discharged',
  'declined',
  'unable_to_contact',
  'not_suitable',
  'withdrawn',
] as const;

export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

export const STATUS_LABELS: Record<ReferralStatus, string> = {
  received: 'Received',
  triaged: 'Accepted, waiting for a link worker',
  allocated: 'Allocated',
  in_contact: 'In contact',
  assessed: 'Assessed',
  active_plan: 'Active plan',
  discharged: 'Discharged',
  declined: 'Declined by the person',
  unable_to_contact: 'Unable to contact',
  not_suitable: 'Not suitable',
  withdrawn: 'Withdrawn',
};

/** Which status may follow which. Anything not listed here is refused. */
export const TRANSITIONS: Record<ReferralStatus, readonly ReferralStatus[]> = {
  received: ['triaged', 'not_suitable', 'declined', 'withdrawn'],
  triaged: ['allocated', 'not_suitable', 'declined', 'withdrawn'],
  allocated: ['in_contact', 'unable_to_contact', 'declined', 'withdrawn'],
  in_contact: ['assessed', 'declined', 'withdrawn', 'discharged'],
  assessed: ['active_plan', 'declined', 'withdrawn', 'discharged'],
  active_plan: ['discharged', 'declined', 'withdrawn'],
  // The person got in touch after all.
  unable_to_contact: ['in_contact'],
  discharged: [],
  declined: [],
  not_suitable: [],
  withdrawn: [],
};

/** Statuses a link worker is still working on: these make up caseloads. */
export const OPEN_STATUSES: readonly ReferralStatus[] = ['received', 'triaged', 'allocated', 'in_contact', 'assessed', 'active_plan'];

/** Statuses in which the referral is with a link worker and may be reallocated. */
export const ALLOCATED_STATUSES: readonly ReferralStatus[] = ['allocated', 'in_contact', 'assessed', 'active_plan'];

export function isReferralStatus(value: string): value is ReferralStatus {
  return (REFERRAL_STATUSES as readonly string[]).includes(value);
}

export function allowedNext(from: ReferralStatus): readonly ReferralStatus[] {
  return TRANSITIONS[from];
}

export function canTransition(from: ReferralStatus, to: ReferralStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The refusal message for an illegal change: names the current state and the allowed next steps. */
export function illegalTransitionMessage(from: ReferralStatus, to: ReferralStatus): string {
  const next = TRANSITIONS[from];
  const allowed = next.length === 0 ? 'nothing: it is closed' : next.map((s) => `"${STATUS_LABELS[s]}"`).join(', ');
  return `This referral cannot move to "${STATUS_LABELS[to]}": it is "${STATUS_LABELS[from]}", and from there it can only move to ${allowed}.`;
}
