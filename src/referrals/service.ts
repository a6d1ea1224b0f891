import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { findNeed } from '../vocabulary/needs.ts';
import { localDate } from '../calendar/london.ts';
import type { Actor } from '../identity/actor.ts';
import { recordAudit, recordAuditBy } from '../identity/audit.ts';
import * as people from '../people/service.ts';
import type { PersonReferral, ReferralsOfPeople, TimelineEntry } from '../people/service.ts';
import { InvalidInput, NotFound, RuleBroken } from '../web/errors.ts';
import { markUnableToContact } from './contacts.ts';
import { allowedNext, canTransition, illegalTransitionMessage, isReferralStatus, STATUS_LABELS, type ReferralStatus } from './lifecycle.ts';

import { requireStaff, requireLead, unableToContactThreshold, applyTransition, lockReferral } from './transitions.ts';
import * as q from './queries.ts';

// The referrals area's service, the one other areas call: a referral's life cycle, the referral
// page's reads, waiting times and next actions here; intake, allocation, contacts, held referrals
// and the lists of work in the files named for them, all exported from here.

/** A referral as other areas receive it (transition listeners, notifications). */
export type { ReferralRow, ReferralWithReason } from './queries.ts';
export { STATUS_LABELS, allowedNext } from './lifecycle.ts';
export {
  DEFAULT_UNABLE_TO_CONTACT_ATTEMPTS,
  MATCH_FIRST_MESSAGE,
  registerTransitionListener,
  type TransitionListener,
} from './transitions.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';
export * from './intake.ts';
export * from './allocation.ts';
export * from './contacts.ts';
export * from './held-referrals.ts';
export * from './worklists.ts';

export interface TransitionRequest {
  to: ReferralStatus | string;
  reason?: string | null;
  /** The version the person saw; a different current version is refused as a stale edit. */
  version?: number;
  notSuitableReason?: string | null;
  redirectedTo?: string | null;
}

/** Moves a referral along its life cycle, refusing anything the transition table does not allow. */
export async function transitionReferral(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  request: TransitionRequest,
  context: RequestContext = {},
) {
  requireStaff(actor);
  if (!isReferralStatus(request.to)) throw new InvalidInput([{ field: 'status', message: 'Select what happened from the list' }]);
  const to = request.to;
  if (to === 'unable_to_contact')
    return markUnableToContact(pool, actor, referralId, { version: request.version, reason: request.reason ?? null }, context);
  if (['triaged', 'not_suitable', 'allocated'].includes(to)) requireLead(actor);
  const reason = request.reason?.trim() || null;
  if (to === 'not_suitable') {
    const errors = [];
    if (!request.notSuitableReason?.trim()) errors.push({ field: 'notSuitableReason', message: 'Enter why the referral is not suitable' });
    if (!request.redirectedTo?.trim())
      errors.push({ field: 'redirectedTo', message: 'Enter where the person was redirected (or "nowhere" and why)' });
    if (errors.length) throw new InvalidInput(errors);
  }
  if ((to === 'declined' || to === 'withdrawn') && !reason) {
    throw new InvalidInput([
      { field: 'reason', message: to === 'declined' ? 'Enter why the person declined' : 'Enter why the referral was withdrawn' },
    ]);
  }
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockReferral(tx, actor, referralId, request.version);
    await applyTransition(
      tx,
      actor,
      referral,
      to,
      reason ?? (to === 'not_suitable' ? request.notSuitableReason!.trim() : null),
      {
        notSuitableReason: request.notSuitableReason?.trim() || null,
        redirectedTo: request.redirectedTo?.trim() || null,
      },
      context,
    );
    return { status: referral.status, version: referral.version };
  });
}

/**
 * The referral a piece of work is about, locked until the caller's transaction ends, so a check
 * on its status holds until the work is written (a discharge and an onward referral made at the
 * same moment are taken one after the other). Another tenant's referral is a 404. Not audited as a
 * view: the write it serves is audited.
 */
export async function lockReferralForWork(tx: Db, actor: Actor, referralId: string): Promise<q.ReferralRow> {
  requireStaff(actor);
  return lockReferral(tx, actor, referralId, undefined);
}

/** A life-cycle move inside the caller's transaction, on a referral it has locked. */
export async function transitionWithin(
  tx: Db,
  actor: Actor,
  referral: q.ReferralRow,
  to: ReferralStatus,
  reason: string | null,
  context: RequestContext = {},
) {
  requireStaff(actor);
  await applyTransition(tx, actor, referral, to, reason, {}, context);
  return { status: referral.status, version: referral.version };
}

/** A referral's contacts inside the caller's transaction (a discharge summary counts them), with no view audit row. */
export async function contactsWithin(tx: Db, actor: Actor, referralId: string) {
  requireStaff(actor);
  return q.contactsOf(tx, actor.tenantId, [referralId]);
}

/**
 * Discharges a referral the caller locked in its transaction (`lockReferralForWork`), so the
 * discharge record written beside it and the life-cycle move commit together or not at all.
 */
export async function dischargeWithin(tx: Db, actor: Actor, referral: q.ReferralRow, reason: string, context: RequestContext = {}) {
  requireStaff(actor);
  await applyTransition(tx, actor, referral, 'discharged', reason, {}, context);
  return { status: referral.status, version: referral.version };
}

/**
 * The referrer's system withdraws a referral it sent (a FHIR Task cancelled), inside the caller's
 * transaction. No user is signed in: the transition row names none and its reason names the
 * system; the audit event carries the system's client id. Transition listeners are not called:
 * they expect a user, and a withdrawal notifies no one.
 */
export async function withdrawReferralForSystem(
  tx: Db,
  tenantId: string,
  referralId: string,
  reason: string,
  system: { clientId: string; name: string },
  context: RequestContext = {},
) {
  if (!reason.trim()) throw new InvalidInput([{ field: 'reason', message: 'Enter why the referral was withdrawn' }]);
  const referral = await q.findReferral(tx, tenantId, referralId, { lock: true });
  if (!referral) throw new NotFound('referral');
  if (!canTransition(referral.status, 'withdrawn')) throw new RuleBroken(illegalTransitionMessage(referral.status, 'withdrawn'), 'status');
  const why = `${reason.trim()} (withdrawn by ${system.name})`;
  await q.setStatus(tx, tenantId, referral.id, 'withdrawn');
  await q.insertTransition(tx, tenantId, { referralId: referral.id, from: referral.status, to: 'withdrawn', byUserId: null, reason: why });
  await recordAudit(tx, {
    actor: { userId: system.clientId, roles: [] },
    tenantId,
    action: 'referral.transition',
    entityType: 'referral',
    entityId: referral.id,
    personId: referral.personId,
    reason: `${referral.status} -> withdrawn: ${why}`,
    requestId: context.requestId,
  });
  return { status: 'withdrawn' as const };
}

/**
 * Of the referrals a system sent, those matching its search, with when each last changed status.
 * A system's reads: the caller scopes them to the referrals the system sent and audits them as the
 * system's, so no person's view is audited here.
 */
export async function referralChangesForSystem(
  tx: Db,
  tenantId: string,
  referralIds: string[],
  filter: { personId?: string | null; reference?: string | null; since?: Date | null } = {},
) {
  if (!referralIds.length) return [];
  return q.referralChangesAmong(tx, tenantId, referralIds, {
    personId: filter.personId ?? null,
    reference: filter.reference ?? null,
    since: filter.since ?? null,
  });
}

/** The ids of a person's referrals, or of the one with this reference: a system's search narrowed by them. */
export async function referralIdsForSystem(tx: Db, tenantId: string, filter: { personId?: string | null; reference?: string | null }) {
  if (!filter.personId && !filter.reference) throw new Error('referralIdsForSystem needs a person or a reference');
  const found = await q.referralChangesAmong(tx, tenantId, null, {
    personId: filter.personId ?? null,
    reference: filter.reference ?? null,
    since: null,
  });
  return found.map((r) => r.id);
}

/** The referrals a system sent, as a page of its search shows them (see referralChangesForSystem). */
export async function referralsForSystem(tx: Db, tenantId: string, referralIds: string[]) {
  return referralIds.length ? q.referralsWithReason(tx, tenantId, referralIds) : [];
}

/** A referral inside the caller's transaction, with no view audit row (where its discharge summary is sent). */
export async function referralRecordWithin(tx: Db, tenantId: string, referralId: string) {
  return q.findReferral(tx, tenantId, referralId);
}

/** Triage: the lead accepts the referral for the service. */
export async function acceptReferral(pool: pg.Pool, actor: Actor, referralId: string, version?: number, context: RequestContext = {}) {
  requireLead(actor);
  return transitionReferral(pool, actor, referralId, { to: 'triaged', reason: 'Accepted at triage', version }, context);
}

export async function getReferral(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  requireStaff(actor);
  // Other areas pass ids from their own addresses: an id that is not one names no referral.
  if (!isUuid(referralId)) throw new NotFound('referral');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await q.findReferral(tx, actor.tenantId, referralId);
    if (!referral) throw new NotFound('referral');
    await recordAuditBy(tx, actor, context, {
      action: 'referral.view',
      entityType: 'referral',
      entityId: referralId,
      personId: referral.personId,
    });
    const transitions = await q.transitionsOf(tx, actor.tenantId, [referralId]);
    const contacts = await q.contactsOf(tx, actor.tenantId, [referralId]);
    const allocations = await q.allocationsOf(tx, actor.tenantId, [referralId]);
    const failedAttempts = await q.failedAttemptsSinceLastContact(tx, actor.tenantId, referralId);
    const threshold = await unableToContactThreshold(tx, actor.tenantId);
    const match = await q.findReferralMatch(tx, actor.tenantId, referralId);
    // Attached to an existing record, the consents given with the submission were not added to it:
    // the link worker confirms them with the person.
    const submittedConsents =
      match?.decision === 'same_person'
        ? (await people.consentsOf(tx, actor.tenantId, match.submittedPersonId)).filter((c) => c.referralId === referralId)
        : [];
    return {
      referral,
      transitions,
      contacts,
      allocations,
      failedAttempts,
      threshold,
      match,
      submittedConsents,
      offerUnableToContact: referral.status === 'allocated' && failedAttempts >= threshold,
      allowedNext: allowedNext(referral.status),
      waiting: waitingTimes(referral.receivedAt, transitions),
      reasons: referral.reasons.map((code) => ({ code, label: findNeed(code)?.label ?? code, snomed: findNeed(code)?.snomed })),
    };
  });
}

export interface WaitingTimes {
  /** Calendar days from the referral arriving to the first contact made, when there has been one (0 the same day). */
  toFirstContactDays: number | null;
  toAssessmentDays: number | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Waiting times from the transition rows: the first move into "in contact" and into "assessed". */
export function waitingTimes(receivedAt: Date, transitions: { toStatus: string; occurredAt: Date }[]): WaitingTimes {
  const first = (status: string) => transitions.find((t) => t.toStatus === status)?.occurredAt;
  // Calendar days in England, as the reports count them: a contact on the day it arrived is 0.
  const days = (at: Date | undefined) => (at ? Math.round((Date.parse(localDate(at)) - Date.parse(localDate(receivedAt))) / DAY_MS) : null);
  return { toFirstContactDays: days(first('in_contact')), toAssessmentDays: days(first('assessed')) };
}

/** Waiting times for one referral, read from its transitions. */
export async function referralWaitingTimes(pool: pg.Pool, actor: Actor, referralId: string): Promise<WaitingTimes> {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await q.findReferral(tx, actor.tenantId, referralId);
    if (!referral) throw new NotFound('referral');
    return waitingTimes(referral.receivedAt, await q.transitionsOf(tx, actor.tenantId, [referralId]));
  });
}

export async function setNextAction(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: { nextAction: string; due: string; version: number | undefined },
  context: RequestContext = {},
) {
  requireStaff(actor);
  const errors = [];
  const nextAction = input.nextAction.trim();
  if (nextAction.length > 500) errors.push({ field: 'nextAction', message: 'Next action must be 500 characters or fewer' });
  let due: string | null = null;
  if (input.due) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.due) || Number.isNaN(Date.parse(input.due)))
      errors.push({ field: 'due', message: 'Due date must be a real date' });
    // An action due in the past is overdue as soon as it is set: almost always a mistyped date.
    else if (input.due < localDate(new Date())) errors.push({ field: 'due', message: 'Due date must be today or in the future' });
    else due = input.due;
  }
  if (nextAction && !due) errors.push({ field: 'due', message: 'Enter when the next action is due' });
  if (errors.length) throw new InvalidInput(errors);
  await withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockReferral(tx, actor, referralId, input.version);
    if (
      input.version === undefined ||
      !(await q.updateNextAction(tx, actor.tenantId, referralId, input.version, nextAction || null, due))
    ) {
      throw new RuleBroken(people.STALE_RECORD_MESSAGE);
    }
    await recordAuditBy(tx, actor, context, {
      action: 'referral.next-action',
      entityType: 'referral',
      entityId: referralId,
      personId: referral.personId,
    });
  });
}

/** The referrals' entries on the person page's timeline: each received, moved, allocated and contacted. */
async function referralTimeline(tx: Db, tenantId: string, referrals: PersonReferral[]): Promise<TimelineEntry[]> {
  const referralIds = referrals.map((r) => r.id);
  const entries: TimelineEntry[] = [];
  for (const r of referrals) {
    entries.push({
      at: r.receivedAt,
      kind: 'referral',
      title: `Referral ${r.reference} received`,
      detail: r.reasons.map((c) => findNeed(c)?.label ?? c).join(', '),
      referralId: r.id,
      href: `/referrals/${r.id}`,
    });
  }
  for (const t of await q.transitionsOf(tx, tenantId, referralIds)) {
    if (t.fromStatus === null) continue;
    entries.push({
      at: t.occurredAt,
      kind: 'transition',
      title: `${STATUS_LABELS[t.fromStatus]} → ${STATUS_LABELS[t.toStatus]}`,
      detail: people.timelineDetail(t.reason, t.byUserName && `by ${t.byUserName}`),
      referralId: t.referralId,
    });
  }
  for (const a of await q.allocationsOf(tx, tenantId, referralIds)) {
    entries.push({
      at: a.allocatedAt,
      kind: 'allocation',
      title: a.previousLinkWorkerName
        ? `Reallocated from ${a.previousLinkWorkerName} to ${a.linkWorkerName}`
        : `Allocated to ${a.linkWorkerName}`,
      detail: people.timelineDetail(a.reason, a.allocatedByName && `by ${a.allocatedByName}`),
      referralId: a.referralId,
    });
  }
  for (const c of await q.contactsOf(tx, tenantId, referralIds)) {
    entries.push({
      at: c.occurredAt,
      kind: 'contact',
      title: c.outcome === 'made' ? 'Contact made' : 'Contact attempted',
      detail: people.timelineDetail(
        c.mode.replace(/_/g, ' '),
        c.minutes !== null ? `${c.minutes} minutes` : '',
        c.recordedByName && `by ${c.recordedByName}`,
      ),
      referralId: c.referralId,
    });
  }
  return entries;
}

/** The referrals area's part of a person's record (see people/service.ts), set in wiring.ts. */
export const referralsOfPeople: ReferralsOfPeople = {
  list: (tx, tenantId, personIds) => q.referralsOfPeople(tx, tenantId, personIds),
  timeline: referralTimeline,
  move: (tx, tenantId, fromPersonId, toPersonId) => q.movePersonReferrals(tx, tenantId, fromPersonId, toPersonId),
};
