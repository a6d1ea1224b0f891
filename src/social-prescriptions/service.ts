import type pg from 'pg';
import { isWorking, latestAssessmentWithin, lockEpisode, requireStaff } from '../assessment/service.ts';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { findNeed } from '../vocabulary/needs.ts';
import {
  getServiceSummary,
  searchDirectory,
  serviceCards,
  type DirectorySearchInput,
  type DirectorySearchOutcome,
} from '../directory/service.ts';
import type { Capacity } from '../directory/taxonomy.ts';
import { isIsoDate, localDate } from '../calendar/london.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAudit, recordAuditBy } from '../identity/audit.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { personWithin, timelineDetail } from '../people/service.ts';
import { Forbidden, InvalidInput, NotFound, RuleBroken, type FieldError } from '../web/errors.ts';
import {
  canMove,
  DECLINE_REASONS,
  illegalMoveMessage,
  isOnwardStatus,
  ONWARD_LABELS,
  OPEN_ONWARD,
  SHARE_FIELDS,
  STOP_REASONS,
  type OnwardStatus,
} from './lifecycle.ts';
import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';
import { providerOrganisationForDirectory, providerOrganisationsForDirectory } from '../identity/provider-organisations.ts';

// Social prescriptions: onward referrals to community services and signposting, made by link
// workers and answered by providers in their inbox. This area owns the onward referral tables;
// plans and discharge ask it through this file.

export * from './lifecycle.ts';
export type { AttendanceRow, OnwardRow, OnwardTransitionRow, SharedDetails } from './queries.ts';

function trimmed(value: string | null | undefined, field: string, max: number, what: string, errors: FieldError[]): string | null {
  const v = value?.trim() ?? '';
  if (v.length > max) errors.push({ field, message: `${what} must be ${max} characters or fewer` });
  return v || null;
}

// ---------------------------------------------------------------------------------------------
// Onward referrals and signposting
export interface OnwardInput {
  kind: 'refer' | 'signpost' | string;
  serviceId: string;
  need?: string | null;
  /** Optional extras to share; name and contact are always shared. */
  share?: string[];
  consent?: boolean;
  note?: string | null;
  /** For a service not on Signpost: send by secure email or print a letter. */
  delivery?: 'email' | 'print' | string | null;
  /** The link worker has seen that the service is full or has a waiting list and still chooses it. */
  confirmCapacity?: boolean;
}

/** How an onward referral to a service travels: decided by the service's organisation and email. */
export type ReferralRoute = 'signpost' | 'email' | 'print';

export const ROUTE_TEXT: Record<ReferralRoute, string> = {
  signpost: 'Signpost inbox: the service reads it in Signpost',
  email: 'Secure email to the service (or print it)',
  print: 'Print: the service has no Signpost inbox or email',
};

/** One service in the onward-referral picker, with what a link worker needs to choose the right one. */
export interface ServiceChoice {
  id: string;
  name: string;
  organisation: string | null;
  /** The address of each place it runs, or null for a phone or online service. */
  where: string | null;
  deliveryMethods: string[];
  distanceMiles: number | null;
  nextSession: string | null;
  capacity: Capacity;
  capacityLabel: string;
  expectedWaitWeeks: number | null;
  lastVerifiedAt: Date | null;
  stale: boolean;
  route: ReferralRoute;
  email: string | null;
}

/** A capacity that makes the link worker confirm before choosing the service. */
export function needsCapacityConfirmation(capacity: string): boolean {
  return capacity === 'full' || capacity === 'waiting_list';
}

export function capacityWarning(s: {
  name: string;
  organisation?: string | null;
  capacity: string;
  expectedWaitWeeks: number | null;
}): string {
  const who = s.organisation ? `${s.name} (${s.organisation})` : s.name;
  if (s.capacity === 'full')
    return `${who} is full and is not taking new people at the moment. Confirm that you still want to choose it, for example because the person will join its waiting list.`;
  const wait = s.expectedWaitWeeks ? ` of about ${s.expectedWaitWeeks} week${s.expectedWaitWeeks === 1 ? '' : 's'}` : '';
  return `${who} has a waiting list${wait}. Confirm that the person is happy to wait.`;
}

/**
 * The directory's own search (words, need, distance, how it is delivered, phone and online
 * services included, paged), each result with its organisation, where it runs, capacity, when it
 * was last checked and how a referral to it would travel from this tenant.
 */
export async function findServicesToRefer(
  pool: pg.Pool,
  actor: Actor,
  input: DirectorySearchInput,
): Promise<DirectorySearchOutcome & { choices: ServiceChoice[] }> {
  requireStaff(actor);
  const { outcome, cards } = await withTenant(pool, null, async (tx) => {
    const found = await searchDirectory(tx, input);
    return {
      outcome: found,
      cards: await serviceCards(
        tx,
        found.results.map((r) => r.id),
      ),
    };
  });
  const organisationIds = [...new Set(cards.flatMap((c) => (c.organizationId ? [c.organizationId] : [])))];
  const inboxes = await withTenant(pool, actor.tenantId, (tx) => providerOrganisationsForDirectory(tx, actor.tenantId, organisationIds));
  const choices = outcome.results.map((r): ServiceChoice => {
    const card = cards.find((c) => c.id === r.id);
    const onSignpost = !!card?.organizationId && inboxes.some((p) => p.directoryOrganizationId === card.organizationId);
    return {
      id: r.id,
      name: r.name,
      organisation: r.organizationName,
      where: card?.addresses.length ? card.addresses.join('; ') : null,
      deliveryMethods: card?.delivery ?? [],
      distanceMiles: r.distanceMiles,
      nextSession: r.nextSession,
      capacity: r.capacity,
      capacityLabel: r.capacityLabel,
      expectedWaitWeeks: r.expectedWaitWeeks,
      lastVerifiedAt: card?.lastVerifiedAt ?? null,
      stale: r.stale,
      route: onSignpost ? 'signpost' : card?.email ? 'email' : 'print',
      email: card?.email ?? null,
    };
  });
  return { ...outcome, choices };
}

async function sharedSnapshot(
  tx: Db,
  actor: Actor,
  personId: string,
  referralId: string,
  share: string[],
  note: string | null,
): Promise<q.SharedDetails> {
  const person = await personWithin(tx, actor, personId);
  const shared: q.SharedDetails = {
    name: `${person.givenName} ${person.familyName}`,
    preferredName: person.preferredName ?? null,
    dateOfBirth: person.dateOfBirth,
    phone: person.phone ?? null,
    email: person.email ?? null,
    contactChannels: person.contactChannels ?? [],
    safeToLeaveMessage: person.safeToLeaveMessage ?? null,
  };
  if (share.includes('needs')) {
    const latest = await latestAssessmentWithin(tx, actor, referralId);
    shared.needs = (latest?.needs ?? [])
      .filter((n) => n.rating !== 'none')
      .map((n) => ({ need: n.need, label: findNeed(n.need)?.label ?? n.need, rating: n.rating }));
    shared.whatMatters = latest?.whatMatters ?? null;
  }
  if (share.includes('notes')) shared.notes = note;
  if (share.includes('accessibility')) {
    const a: string[] = [];
    if (person.interpreterLanguage) a.push(`Interpreter: ${person.interpreterLanguage}`);
    if (person.largePrint) a.push('Large print');
    if (person.easyRead) a.push('Easy read');
    if (person.bsl) a.push('British Sign Language');
    if (person.otherCommunicationNeeds) a.push(person.otherCommunicationNeeds);
    shared.accessibility = a;
  }
  return shared;
}

/** Told, in the same transaction, when a social prescription on a referral is sent or changes status after (see wiring.ts). */
export type OnwardChangeListener = (tx: Db, tenantId: string, referralId: string) => Promise<void>;

const onwardChangeListeners: OnwardChangeListener[] = [];

export function registerOnwardChangeListener(listener: OnwardChangeListener): void {
  onwardChangeListeners.push(listener);
}

/** A social prescription's step, recorded; past draft, the listeners hear of it. */
async function recordOnwardTransition(tx: Db, tenantId: string, referralId: string, step: Parameters<typeof q.insertOnwardTransition>[2]) {
  await q.insertOnwardTransition(tx, tenantId, step);
  if (step.to !== 'draft') for (const listener of onwardChangeListeners) await listener(tx, tenantId, referralId);
}

/**
 * Signposts (gives the person the details, recorded) or refers to a directory service. A referral
 * needs the person's consent, an active service, and no open referral to the same service; it is
 * sent at once: through Signpost when the service's organisation receives referrals here,
 * otherwise by secure email through the outbox or on paper.
 */
export async function createOnwardReferral(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: OnwardInput,
  context: RequestContext = {},
) {
  requireStaff(actor);
  const errors: FieldError[] = [];
  if (input.kind !== 'refer' && input.kind !== 'signpost') errors.push({ field: 'kind', message: 'Select whether to refer or signpost' });
  const share = [...new Set(input.share ?? [])];
  if (share.some((s) => !SHARE_FIELDS.some((f) => f.code === s)))
    errors.push({ field: 'share', message: 'Select what to share from the list' });
  const note = trimmed(input.note, 'note', 2000, 'The note', errors);
  if (input.need && !findNeed(input.need)) errors.push({ field: 'need', message: 'Select a need from the list' });
  if (input.kind === 'refer' && !input.consent)
    errors.push({
      field: 'consent',
      message: 'Record the person’s consent to this referral and to sharing what you ticked before sending it',
    });
  if (input.delivery && !['email', 'print'].includes(input.delivery)) errors.push({ field: 'delivery', message: 'Select email or print' });
  // One transaction, the referral locked from the status check to the last write: a discharge
  // made at the same moment waits for this referral to the service, or this waits and is refused.
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockEpisode(tx, actor, referralId);
    if (!isWorking(referral.status)) throw new RuleBroken('Social prescriptions can be made once contact is made and until discharge.');
    if (errors.length) throw new InvalidInput(errors);
    const personId = referral.personId;
    const shared = input.kind === 'refer' ? await sharedSnapshot(tx, actor, personId, referralId, share, note) : undefined;
    const service = /^[A-Za-z0-9:_-]{1,200}$/.test(input.serviceId) ? await getServiceSummary(tx, input.serviceId) : undefined;
    if (!service) throw new InvalidInput([{ field: 'serviceId', message: 'Select a service from the directory' }]);
    if (!service.active)
      throw new RuleBroken(
        `${service.name} is not taking referrals at the moment (it is ${service.status}). Choose another service.`,
        'serviceId',
      );
    if (needsCapacityConfirmation(service.capacity) && !input.confirmCapacity) {
      throw new RuleBroken(
        capacityWarning({
          name: service.name,
          organisation: service.organizationName,
          capacity: service.capacity,
          expectedWaitWeeks: service.expectedWaitWeeks,
        }),
        'confirmCapacity',
      );
    }
    if (input.kind === 'signpost') {
      const id = await q.insertOnward(tx, actor.tenantId, {
        referralId,
        personId,
        kind: 'signpost',
        delivery: 'signposted',
        serviceId: service.id,
        serviceName: service.name,
        organisationName: service.organizationName,
        providerOrganisationId: null,
        need: input.need ?? null,
        status: 'signposted',
        shareFields: [],
        shared: {} as q.SharedDetails,
        consent: false,
        userId: actor.userId,
        note,
      });
      await recordOnwardTransition(tx, actor.tenantId, referralId, {
        onwardId: id,
        from: null,
        to: 'signposted',
        reason: note,
        byUserId: actor.userId,
        byDescription: null,
      });
      await recordAuditBy(tx, actor, context, {
        action: 'onward.signpost',
        entityType: 'onward_referral',
        entityId: id,
        personId,
        reason: service.name,
      });
      return { id, status: 'signposted' as OnwardStatus, delivery: 'signposted' };
    }
    if (await q.hasOpenOnward(tx, actor.tenantId, referralId, service.id, OPEN_ONWARD)) {
      throw new RuleBroken(
        `There is already an open referral to ${service.name} for this person. Wait for its outcome or stop it before referring again.`,
        'serviceId',
      );
    }
    const provider = service.organizationId
      ? await providerOrganisationForDirectory(tx, actor.tenantId, service.organizationId)
      : undefined;
    const delivery = provider ? 'signpost' : input.delivery === 'print' || !service.email ? 'print' : 'email';
    const id = await q.insertOnward(tx, actor.tenantId, {
      referralId,
      personId,
      kind: 'refer',
      delivery,
      serviceId: service.id,
      serviceName: service.name,
      organisationName: service.organizationName,
      providerOrganisationId: provider?.id ?? null,
      need: input.need ?? null,
      status: 'draft',
      shareFields: share,
      shared: shared!,
      consent: true,
      userId: actor.userId,
      note,
    });
    await recordOnwardTransition(tx, actor.tenantId, referralId, {
      onwardId: id,
      from: null,
      to: 'draft',
      reason: 'Consent recorded',
      byUserId: actor.userId,
      byDescription: null,
    });
    await q.updateOnwardStatus(tx, actor.tenantId, id, 'sent', { sent: true });
    const how =
      delivery === 'signpost' ? 'Sent through Signpost' : delivery === 'email' ? 'Sent by secure email' : 'Printed to send on paper';
    await recordOnwardTransition(tx, actor.tenantId, referralId, {
      onwardId: id,
      from: 'draft',
      to: 'sent',
      reason: how,
      byUserId: actor.userId,
      byDescription: null,
    });
    await recordAuditBy(tx, actor, context, {
      action: 'onward.send',
      entityType: 'onward_referral',
      entityId: id,
      personId,
      reason: `${service.name} (${delivery}); shared: name, contact${share.length ? `, ${share.join(', ')}` : ''}`,
    });
    if (delivery === 'signpost' && provider?.email) {
      // The provider signs in to read it; the email names no person.
      await queueNotification(tx, {
        tenantId: actor.tenantId,
        channel: 'email',
        recipient: provider.email,
        template: 'onward_referral_received',
        personalisation: { service_name: service.name },
        idempotencyKey: `onward-sent:${id}`,
      });
    } else if (delivery === 'email') {
      await queueNotification(tx, {
        tenantId: actor.tenantId,
        channel: 'email',
        recipient: service.email!,
        template: 'onward_referral_email',
        personalisation: {
          service_name: service.name,
          ...sharedPersonalisation(shared!),
          link_worker: actor.name,
          link_worker_email: actor.email,
        },
        idempotencyKey: `onward-email:${id}`,
      });
    }
    return { id, status: 'sent' as OnwardStatus, delivery };
  });
}

/** The shared details as flat text for a secure email to a service not on Signpost. */
export function sharedPersonalisation(shared: q.SharedDetails): Record<string, string> {
  return {
    person_name: shared.name,
    date_of_birth: shared.dateOfBirth,
    phone: shared.phone ?? 'not given',
    email: shared.email ?? 'not given',
    needs: shared.needs?.map((n) => n.label).join(', ') ?? 'not shared',
    notes: shared.notes ?? 'not shared',
    accessibility: shared.accessibility?.join(', ') || 'not shared',
  };
}

export interface MoveRequest {
  to: string;
  reason?: string | null;
  detail?: string | null;
  firstSessionDate?: string | null;
}

/**
 * One step along the life cycle, as the provider or (for services not on Signpost, or to stop)
 * the link worker records it. Checks the step and its reason, writes the transition row, and
 * tells the link worker through the outbox when someone else made the change.
 */
export async function moveOnward(
  tx: Db,
  actor: Actor,
  onward: q.OnwardRow,
  request: MoveRequest,
  byDescription: string | null,
  context: RequestContext = {},
) {
  if (!isOnwardStatus(request.to)) throw new InvalidInput([{ field: 'to', message: 'Select what happened from the list' }]);
  const to = request.to;
  if (!canMove(onward.status, to)) throw new RuleBroken(illegalMoveMessage(onward.status, to), 'to');
  const errors: FieldError[] = [];
  const detail = trimmed(request.detail, 'detail', 1000, 'The detail', errors);
  let reasonText: string | null = detail;
  const extra: Parameters<typeof q.updateOnwardStatus>[4] = { responded: onward.status === 'sent' };
  if (to === 'declined') {
    const reason = DECLINE_REASONS.find((r) => r.code === request.reason);
    if (!reason) errors.push({ field: 'reason', message: 'Select why the referral was declined' });
    if (request.reason === 'other' && !detail) errors.push({ field: 'detail', message: 'Enter the reason the referral was declined' });
    extra.declineReason = reason?.code ?? null;
    extra.declineDetail = detail;
    reasonText = [reason?.label, detail].filter(Boolean).join(': ');
  }
  if (to === 'stopped') {
    const reason = STOP_REASONS.find((r) => r.code === request.reason);
    if (!reason) errors.push({ field: 'reason', message: 'Select why it stopped' });
    if (request.reason === 'other' && !detail) errors.push({ field: 'detail', message: 'Enter why it stopped' });
    extra.stopReason = [reason?.label, detail].filter(Boolean).join(': ') || null;
    reasonText = extra.stopReason ?? null;
  }
  if (request.firstSessionDate) {
    if (!isIsoDate(request.firstSessionDate)) errors.push({ field: 'firstSessionDate', message: 'First session date must be a real date' });
    else extra.firstSessionDate = request.firstSessionDate;
  }
  if (errors.length) throw new InvalidInput(errors);
  await q.updateOnwardStatus(tx, actor.tenantId, onward.id, to, extra);
  await recordOnwardTransition(tx, actor.tenantId, onward.referralId, {
    onwardId: onward.id,
    from: onward.status,
    to,
    reason: reasonText,
    byUserId: actor.userId,
    byDescription,
  });
  await recordAuditBy(tx, actor, context, {
    action: 'onward.transition',
    entityType: 'onward_referral',
    entityId: onward.id,
    personId: onward.personId,
    reason: `${onward.status} -> ${to}${reasonText ? `: ${reasonText}` : ''}`,
  });
  if (onward.createdByEmail && onward.createdBy !== actor.userId) {
    await queueNotification(tx, {
      tenantId: actor.tenantId,
      channel: 'email',
      recipient: onward.createdByEmail,
      template: 'onward_referral_update',
      personalisation: { service_name: onward.serviceName, status: ONWARD_LABELS[to] },
      idempotencyKey: `onward-update:${onward.id}:${to}`,
    });
  }
  const from = onward.status;
  onward.status = to;
  return { from, to };
}

/** The link worker records a response by hand (services not on Signpost) or stops a referral. */
export async function recordOnwardResponse(
  pool: pg.Pool,
  actor: Actor,
  onwardId: string,
  request: MoveRequest,
  context: RequestContext = {},
) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const onward = await q.findOnward(tx, actor.tenantId, onwardId, { lock: true });
    if (!onward) throw new NotFound('referral to a service');
    if (onward.delivery === 'signpost' && request.to !== 'stopped') {
      throw new RuleBroken(
        `${onward.serviceName} receives referrals in Signpost and records its own response. You can stop the referral.`,
        'to',
      );
    }
    await moveOnward(
      tx,
      actor,
      onward,
      request,
      onward.delivery === 'signpost' ? null : 'Recorded by hand from the service’s response',
      context,
    );
    return { referralId: onward.referralId, status: onward.status };
  });
}

export interface AttendanceInput {
  /** A session date, or null for an overall record. */
  sessionDate?: string | null;
  attended: boolean | null;
  sessionsAttended?: number | null;
  sessionsOffered?: number | null;
  note?: string | null;
}

export function checkAttendance(input: AttendanceInput, today = localDate(new Date())): FieldError[] {
  const errors: FieldError[] = [];
  if (input.sessionDate && !isIsoDate(input.sessionDate))
    errors.push({ field: 'sessionDate', message: 'Session date must be a real date' });
  // Nobody has attended (or missed) a session that has not happened yet.
  else if (input.sessionDate && input.sessionDate > today)
    errors.push({ field: 'sessionDate', message: 'Session date must be today or in the past' });
  if (input.attended === null) errors.push({ field: 'attended', message: 'Select whether the person attended' });
  if (!input.sessionDate) {
    const a = input.sessionsAttended,
      o = input.sessionsOffered;
    if (a === null || a === undefined || o === null || o === undefined)
      errors.push({
        field: 'sessionsAttended',
        message: 'Enter a session date, or how many sessions were attended out of how many offered',
      });
    else if (a > o) errors.push({ field: 'sessionsAttended', message: 'Sessions attended cannot be more than sessions offered' });
  }
  if ((input.note ?? '').length > 1000) errors.push({ field: 'note', message: 'The note must be 1000 characters or fewer' });
  return errors;
}

/**
 * Attendance per session or overall. The first attended session moves an accepted referral to
 * "attending" and sets the first session date (for the "did you go?" follow-up).
 */
export async function recordAttendance(
  tx: Db,
  actor: Actor,
  onward: q.OnwardRow,
  input: AttendanceInput,
  byDescription: string | null,
  context: RequestContext = {},
) {
  const errors = checkAttendance(input);
  if (errors.length) throw new InvalidInput(errors);
  if (!['accepted', 'attending'].includes(onward.status)) {
    throw new RuleBroken(`Attendance can be recorded once the referral is accepted. It is "${ONWARD_LABELS[onward.status]}".`);
  }
  await q.insertAttendance(tx, actor.tenantId, {
    onwardId: onward.id,
    sessionDate: input.sessionDate || null,
    attended: !!input.attended,
    sessionsAttended: input.sessionDate ? null : (input.sessionsAttended ?? null),
    sessionsOffered: input.sessionDate ? null : (input.sessionsOffered ?? null),
    note: input.note?.trim() || null,
    userId: actor.userId,
  });
  await recordAuditBy(tx, actor, context, {
    action: 'onward.attendance',
    entityType: 'onward_referral',
    entityId: onward.id,
    personId: onward.personId,
  });
  if (onward.status === 'accepted' && input.attended) {
    await moveOnward(
      tx,
      actor,
      onward,
      { to: 'attending', firstSessionDate: onward.firstSessionDate ?? input.sessionDate ?? null },
      byDescription,
      context,
    );
  }
}

/** The person's answer to "did you go, and how was it?", recorded by the link worker. */
export async function recordFollowUp(pool: pg.Pool, actor: Actor, onwardId: string, answer: string, context: RequestContext = {}) {
  requireStaff(actor);
  const text = answer.trim();
  if (!text) throw new InvalidInput([{ field: 'answer', message: 'Enter what the person said' }]);
  if (text.length > 2000) throw new InvalidInput([{ field: 'answer', message: 'The answer must be 2000 characters or fewer' }]);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const onward = await q.findOnward(tx, actor.tenantId, onwardId, { lock: true });
    if (!onward || onward.kind !== 'refer') throw new NotFound('referral to a service');
    await q.recordFollowUpAnswer(tx, actor.tenantId, onwardId, text);
    await recordAuditBy(tx, actor, context, {
      action: 'onward.follow-up',
      entityType: 'onward_referral',
      entityId: onwardId,
      personId: onward.personId,
    });
    return { referralId: onward.referralId };
  });
}

/** One onward referral, for the link worker's pages. */
export async function getOnward(pool: pg.Pool, actor: Actor, onwardId: string) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const onward = await q.findOnward(tx, actor.tenantId, onwardId);
    if (!onward) throw new NotFound('referral to a service');
    return onward;
  });
}

// ---------------------------------------------------------------------------------------------
// Responses from services

/** How far back the responses page and its header count look. */
export const RESPONSES_DAYS = 30;

/**
 * The responses page: services' responses to the onward referrals the link worker sent in the
 * last 30 days, naming the person, those since their last visit marked new. Opening it counts as
 * reading them, so the header count goes back to none.
 */
export async function responsesPage(pool: pg.Pool, actor: Actor, now: Date, context: RequestContext = {}) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const since = new Date(now.getTime() - RESPONSES_DAYS * 86_400_000);
    const seenAt = await q.listSeenAt(tx, actor.tenantId, actor.userId, 'responses');
    const rows = await q.responsesTo(tx, actor.tenantId, actor.userId, since, 200);
    await q.markListSeen(tx, actor.tenantId, actor.userId, 'responses', now);
    await recordAuditBy(tx, actor, context, {
      action: 'responses.view',
      entityType: 'onward_referral',
      reason: `${rows.length} responses listed`,
    });
    return rows.map((r) => ({ ...r, isNew: !seenAt || r.occurredAt > seenAt }));
  });
}

/** Responses not yet seen on the responses page, newest first, for the home page; reading them here does not mark them seen. */
export async function unseenResponses(pool: pg.Pool, actor: Actor, now: Date, limit: number) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const windowStart = new Date(now.getTime() - RESPONSES_DAYS * 86_400_000);
    const seenAt = await q.listSeenAt(tx, actor.tenantId, actor.userId, 'responses');
    return q.responsesTo(tx, actor.tenantId, actor.userId, seenAt && seenAt > windowStart ? seenAt : windowStart, limit);
  });
}

/** Responses that arrived since the link worker last opened the responses page, for the header. */
export async function newResponseCount(tx: Db, actor: Actor, now: Date): Promise<number> {
  if (!actor.roles.includes('link_worker')) return 0;
  const windowStart = new Date(now.getTime() - RESPONSES_DAYS * 86_400_000);
  const seenAt = await q.listSeenAt(tx, actor.tenantId, actor.userId, 'responses');
  return q.responseCount(tx, actor.tenantId, actor.userId, seenAt && seenAt > windowStart ? seenAt : windowStart);
}

// ---------------------------------------------------------------------------------------------
// What plans and discharge ask, inside their transaction

/** Stops an open onward referral because the person is being discharged, inside the discharge's transaction. */
export async function stopOnwardAtDischarge(tx: Db, actor: Actor, onwardId: string, context: RequestContext = {}) {
  const onward = await q.findOnward(tx, actor.tenantId, onwardId, { lock: true });
  if (!onward) throw new NotFound('referral to a service');
  await moveOnward(
    tx,
    actor,
    onward,
    { to: 'stopped', reason: 'other', detail: 'Support from the link worker ended (discharged)' },
    null,
    context,
  );
}

/** A referral's onward referrals, each with its attendance and steps, for the plan and the discharge summary. */
export async function onwardOfReferralWithin(tx: Db, actor: Actor, referralId: string) {
  requireStaff(actor);
  const onward = await q.onwardOf(tx, actor.tenantId, [referralId]);
  const onwardIds = onward.map((o) => o.id);
  const attendance = await q.attendanceOf(tx, actor.tenantId, onwardIds);
  const transitions = await q.onwardTransitionsOf(tx, actor.tenantId, { onwardIds });
  return onward.map((o) => ({
    ...o,
    attendance: attendance.filter((a) => a.onwardReferralId === o.id),
    transitions: transitions.filter((t) => t.onwardReferralId === o.id),
  }));
}

// A system's reads (a GP system over FHIR, of the referrals it sent): the caller scopes them to
// those referrals and audits them as the system's. A draft was never sent, so a system never sees one.

/** The social prescriptions sent on these referrals, oldest first. */
export async function sentOnwardForSystem(tx: Db, tenantId: string, referralIds: string[]) {
  if (!referralIds.length) return [];
  return (await q.onwardOf(tx, tenantId, referralIds)).filter((o) => o.status !== 'draft');
}

/** Onward referrals still open for the follow-ups page: one link worker's, or everyone's when `createdBy` is null. */
export async function onwardFollowUpsWithin(tx: Db, tenantId: string, createdBy: string | null, limit: number) {
  return (await q.onwardFollowUps(tx, tenantId, createdBy, limit)).map((r) => ({
    ...r,
    kind: 'onward' as const,
    what: r.what.replace(/: (\w+)$/, (_, s: string) => `: ${isOnwardStatus(s) ? ONWARD_LABELS[s] : s}`),
  }));
}

/** Social prescriptions for the person timeline (called inside its transaction). */
export async function onwardTimeline(tx: Db, tenantId: string, personIds: string[]) {
  const entries = [];
  for (const t of await q.onwardTransitionsOf(tx, tenantId, { personIds })) {
    if (t.toStatus === 'draft') continue;
    const service = t.organisationName ? `${t.serviceName}, ${t.organisationName}` : t.serviceName;
    const title = t.toStatus === 'signposted' ? `Signposted to ${service}` : `${service}: ${ONWARD_LABELS[t.toStatus]}`;
    entries.push({
      at: t.occurredAt,
      kind: 'onward',
      title,
      detail: timelineDetail(t.reason, t.byUserName ? `by ${t.byUserName}` : t.byDescription) || undefined,
      referralId: t.referralId,
      href: `/referrals/${t.referralId}/support`,
    });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// The provider inbox: what a community organisation sees of the referrals sent to it

/** Onward referrals sent through Signpost to a provider organisation, in these statuses; a page of them if asked. */
async function onwardSentToOrganisation(
  tx: Db,
  tenantId: string,
  organisationId: string,
  statuses: readonly string[],
  page?: { limit: number; offset: number },
) {
  return q.onwardForProvider(tx, tenantId, organisationId, statuses, page);
}

/** One onward referral if it was sent to this organisation, locked when the provider will change it. */
async function onwardOfOrganisation(tx: Db, tenantId: string, onwardId: string, organisationId: string, lock: boolean) {
  return q.findOnward(tx, tenantId, onwardId, { providerOrganisationId: organisationId, lock });
}

/** An onward referral's attendance and its steps, for the provider's view of it. */
async function onwardProgress(tx: Db, tenantId: string, onwardId: string) {
  return {
    attendance: await q.attendanceOf(tx, tenantId, [onwardId]),
    transitions: await q.onwardTransitionsOf(tx, tenantId, { onwardIds: [onwardId] }),
  };
}

function providerOrganisation(actor: Actor): string {
  if (!hasRole(actor, 'provider') || !actor.providerOrganisationId) throw new Forbidden();
  return actor.providerOrganisationId;
}

export const INBOX_GROUPS = [
  { key: 'new', heading: 'New', statuses: ['sent'] },
  { key: 'accepted', heading: 'Accepted', statuses: ['accepted'] },
  { key: 'attending', heading: 'Attending', statuses: ['attending'] },
  { key: 'closed', heading: 'Closed', statuses: ['declined', 'completed', 'did_not_attend', 'stopped'] },
] as const;

/** Closed referrals per inbox page: the open ones are the provider's work and are always listed in full. */
export const CLOSED_PAGE_SIZE = 20;

/**
 * The provider's inbox: onward referrals sent to their organisation, grouped by where they are.
 * New, accepted and attending are listed whole; closed ones, which only grow, a page at a time.
 */
export async function providerInbox(pool: pg.Pool, actor: Actor, options: { closedPage?: number } & RequestContext = {}) {
  const organisationId = providerOrganisation(actor);
  const closedPage = options.closedPage ?? 1;
  if (!Number.isInteger(closedPage) || closedPage < 1)
    throw new InvalidInput([{ field: 'closedPage', message: 'That page of closed referrals does not exist' }]);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const closedGroup = INBOX_GROUPS.find((g) => g.key === 'closed')!;
    const openStatuses = INBOX_GROUPS.filter((g) => g !== closedGroup).flatMap((g) => g.statuses);
    const open = await onwardSentToOrganisation(tx, actor.tenantId, organisationId, openStatuses);
    const closedRows = await onwardSentToOrganisation(tx, actor.tenantId, organisationId, closedGroup.statuses, {
      limit: CLOSED_PAGE_SIZE,
      offset: (closedPage - 1) * CLOSED_PAGE_SIZE,
    });
    // A page past the end returns no rows (and so no total): only page 1 may be empty.
    if (closedPage > 1 && closedRows.length === 0)
      throw new InvalidInput([{ field: 'closedPage', message: 'That page of closed referrals does not exist' }]);
    const closedTotal = closedRows[0]?.total ?? 0;
    const groups = INBOX_GROUPS.map((g) => {
      if (g === closedGroup) return { ...g, rows: closedRows, total: closedTotal };
      const rows = open.filter((r) => (g.statuses as readonly string[]).includes(r.status));
      return { ...g, rows, total: rows.length };
    });
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'provider-inbox.view',
      entityType: 'onward_referral',
      reason: `${open.length + closedRows.length} listed`,
      requestId: options.requestId,
    });
    return { groups, closed: { page: closedPage, pages: Math.max(1, Math.ceil(closedTotal / CLOSED_PAGE_SIZE)), total: closedTotal } };
  });
}

/**
 * One onward referral, exactly as shared. Anything not sent to the actor's organisation is a
 * 404 (never confirming it exists), and the attempt is audited.
 */
async function ownOnward(tx: Db, actor: Actor, onwardId: string, context: RequestContext, lock = false) {
  const organisationId = providerOrganisation(actor);
  const onward = await onwardOfOrganisation(tx, actor.tenantId, onwardId, organisationId, lock);
  if (!onward) {
    await recordAuditBy(tx, actor, context, {
      action: 'provider.refused',
      entityType: 'onward_referral',
      entityId: onwardId,
      reason: 'not sent to this organisation',
    });
    return undefined;
  }
  return onward;
}

/** Runs `work` and keeps the refusal's audit row even though the request fails. */
async function asProvider<T>(
  pool: pg.Pool,
  actor: Actor,
  onwardId: string,
  context: RequestContext,
  lock: boolean,
  work: (tx: Db, onward: q.OnwardRow) => Promise<T>,
): Promise<T> {
  const found = await withTenant(pool, actor.tenantId, async (tx) => {
    const onward = await ownOnward(tx, actor, onwardId, context, lock);
    if (!onward) return { missing: true as const };
    return { missing: false as const, value: await work(tx, onward) };
  });
  if (found.missing) throw new NotFound('referral');
  return found.value;
}

export async function providerReferral(pool: pg.Pool, actor: Actor, onwardId: string, context: RequestContext = {}) {
  return asProvider(pool, actor, onwardId, context, false, async (tx, onward) => {
    await recordAuditBy(tx, actor, context, {
      action: 'provider.view',
      entityType: 'onward_referral',
      entityId: onward.id,
      personId: onward.personId,
    });
    const { attendance, transitions } = await onwardProgress(tx, actor.tenantId, onward.id);
    // Only what was shared leaves this function: no person id, referral id or the worker's notes.
    return {
      id: onward.id,
      serviceName: onward.serviceName,
      status: onward.status,
      shared: onward.shared,
      shareFields: onward.shareFields,
      sentAt: onward.sentAt,
      firstSessionDate: onward.firstSessionDate,
      declineReason: onward.declineReason,
      declineDetail: onward.declineDetail,
      stopReason: onward.stopReason,
      sentBy: onward.createdByName,
      attendance,
      history: transitions.map((t) => ({ toStatus: t.toStatus, reason: t.reason, occurredAt: t.occurredAt })),
    };
  });
}

export async function providerRespond(pool: pg.Pool, actor: Actor, onwardId: string, request: MoveRequest, context: RequestContext = {}) {
  return asProvider(pool, actor, onwardId, context, true, async (tx, onward) => {
    await moveOnward(tx, actor, onward, request, null, context);
    return { status: onward.status };
  });
}

export async function providerAttendance(
  pool: pg.Pool,
  actor: Actor,
  onwardId: string,
  input: AttendanceInput,
  context: RequestContext = {},
) {
  return asProvider(pool, actor, onwardId, context, true, async (tx, onward) => {
    await recordAttendance(tx, actor, onward, input, null, context);
    return { status: onward.status };
  });
}

/** Bulk loading of onward referrals for the demo and the benchmarks. */
export { bulkInsertOnwardReferrals, type BulkOnward } from './queries.ts';
