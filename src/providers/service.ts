import type pg from 'pg';
import { withTenant } from '../db/transaction.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAudit } from '../identity/audit.ts';
import * as plans from '../plans/service.ts';
import { Forbidden, InvalidInput, NotFound } from '../web/errors.ts';

interface RequestContext {
  requestId?: string;
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
    const open = await plans.onwardSentToOrganisation(tx, actor.tenantId, organisationId, openStatuses);
    const closedRows = await plans.onwardSentToOrganisation(tx, actor.tenantId, organisationId, closedGroup.statuses, {
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
async function ownOnward(tx: import('../db/database.ts').Db, actor: Actor, onwardId: string, context: RequestContext, lock = false) {
  const organisationId = providerOrganisation(actor);
  plans.checkId(onwardId, 'referral');
  const onward = await plans.onwardOfOrganisation(tx, actor.tenantId, onwardId, organisationId, lock);
  if (!onward) {
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'provider.refused',
      entityType: 'onward_referral',
      entityId: onwardId,
      reason: 'not sent to this organisation',
      requestId: context.requestId,
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
  work: (tx: import('../db/database.ts').Db, onward: plans.OnwardRow) => Promise<T>,
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
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'provider.view',
      entityType: 'onward_referral',
      entityId: onward.id,
      personId: onward.personId,
      requestId: context.requestId,
    });
    const { attendance, transitions } = await plans.onwardProgress(tx, actor.tenantId, onward.id);
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

export async function providerRespond(
  pool: pg.Pool,
  actor: Actor,
  onwardId: string,
  request: plans.MoveRequest,
  context: RequestContext = {},
) {
  return asProvider(pool, actor, onwardId, context, true, async (tx, onward) => {
    await plans.moveOnward(tx, actor, onward, request, null, context);
    return { status: onward.status };
  });
}

export async function providerAttendance(
  pool: pg.Pool,
  actor: Actor,
  onwardId: string,
  input: plans.AttendanceInput,
  context: RequestContext = {},
) {
  return asProvider(pool, actor, onwardId, context, true, async (tx, onward) => {
    await plans.recordAttendance(tx, actor, onward, input, null, context);
    return { status: onward.status };
  });
}
