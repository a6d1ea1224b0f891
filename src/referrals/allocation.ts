import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import type { Actor } from '../identity/actor.ts';
import { recordAuditBy } from '../identity/audit.ts';
import { holdsRole } from '../identity/service.ts';
import { InvalidInput, NotFound, RuleBroken } from '../web/errors.ts';
import { ALLOCATED_STATUSES, OPEN_STATUSES, STATUS_LABELS } from './lifecycle.ts';

import { requireLead, MATCH_FIRST_MESSAGE, applyTransition, lockReferral } from './transitions.ts';
import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';

// Triage decisions: who a referral is allocated to, one at a time or several from the queue.

export interface AllocationSuggestion {
  workers: (q.LinkWorkerLoad & { suggested: boolean })[];
  suggestedUserId: string | undefined;
}

/**
 * Suggests the link worker with the lightest open caseload, counting each person they already
 * support from the same practice as a few fewer (a worker who knows the practice is worth a little).
 */
export async function suggestAllocation(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
): Promise<AllocationSuggestion & { referral: q.ReferralRow }> {
  requireLead(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await q.findReferral(tx, actor.tenantId, referralId);
    if (!referral) throw new NotFound('referral');
    const practiceId = referral.personPracticeId ?? referral.practiceId;
    const loads = await q.linkWorkerLoads(tx, actor.tenantId, OPEN_STATUSES, practiceId);
    const score = (w: q.LinkWorkerLoad) => w.openReferrals - Math.min(w.samePractice, 3) * 2;
    const candidates = loads.filter((w) => w.userId !== referral.assignedTo);
    const best = [...candidates].sort((a, b) => score(a) - score(b) || a.name.localeCompare(b.name))[0];
    return {
      referral,
      workers: loads.map((w) => ({ ...w, suggested: w.userId === best?.userId })),
      suggestedUserId: best?.userId,
    };
  });
}

/**
 * Allocates (or reallocates) a referral to a link worker. A new referral is accepted on the way
 * (two transition rows); reallocation keeps the status and adds an allocation row.
 */
export async function allocateReferral(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: { linkWorkerId: string; reason?: string | null; version?: number },
  context: RequestContext = {},
) {
  requireLead(actor);
  if (!isUuid(input.linkWorkerId)) throw new InvalidInput([{ field: 'linkWorkerId', message: 'Select a link worker' }]);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await lockReferral(tx, actor, referralId, input.version);
    if (!(await holdsRole(tx, actor.tenantId, input.linkWorkerId, 'link_worker')))
      throw new InvalidInput([{ field: 'linkWorkerId', message: 'Select a link worker from the list' }]);
    await allocateWithin(tx, actor, referral, input.linkWorkerId, input.reason?.trim() || null, context);
    return { status: referral.status };
  });
}

async function allocateWithin(
  tx: Db,
  actor: Actor,
  referral: q.ReferralRow,
  linkWorkerId: string,
  reason: string | null,
  context: RequestContext,
) {
  const previous = referral.assignedTo;
  if (ALLOCATED_STATUSES.includes(referral.status)) {
    if (previous === linkWorkerId) throw new RuleBroken('This referral is already allocated to that link worker.', 'linkWorkerId');
  } else {
    if (referral.status === 'received') await applyTransition(tx, actor, referral, 'triaged', 'Accepted at allocation', {}, context);
    await applyTransition(tx, actor, referral, 'allocated', reason, {}, context);
  }
  await q.setAssignee(tx, actor.tenantId, referral.id, linkWorkerId);
  await q.insertAllocation(tx, actor.tenantId, {
    referralId: referral.id,
    linkWorkerId,
    previousLinkWorkerId: previous,
    allocatedBy: actor.userId,
    reason,
  });
  await recordAuditBy(tx, actor, context, {
    action: previous ? 'referral.reallocate' : 'referral.allocate',
    entityType: 'referral',
    entityId: referral.id,
    personId: referral.personId,
    reason: `to ${linkWorkerId}${reason ? `: ${reason}` : ''}`,
  });
}

export interface BulkTriageRequest {
  action: 'accept' | 'allocate' | string;
  referralIds: string[];
  linkWorkerId?: string;
}

/** The most referrals one bulk action takes: a triage page's worth. */
export const BULK_TRIAGE_LIMIT = 100;

/**
 * Accepts, or allocates to one link worker, several referrals from the triage queue at once. All
 * or nothing in one transaction: if any referral cannot move (held for matching, already moved on,
 * changed by someone else), nothing changes and the refusal names each such referral by reference.
 * Each referral gets its own transition and audit rows, as if done one at a time.
 */
export async function bulkTriage(pool: pg.Pool, actor: Actor, request: BulkTriageRequest, context: RequestContext = {}) {
  requireLead(actor);
  const errors: { field: string; message: string }[] = [];
  if (request.action !== 'accept' && request.action !== 'allocate')
    errors.push({ field: 'action', message: 'Choose whether to accept or allocate the selected referrals' });
  const ids = [...new Set(request.referralIds)];
  if (ids.length === 0) errors.push({ field: 'referralIds', message: 'Select at least one referral' });
  if (ids.length > BULK_TRIAGE_LIMIT)
    errors.push({ field: 'referralIds', message: `Select ${BULK_TRIAGE_LIMIT} referrals or fewer at a time` });
  if (ids.some((id) => !isUuid(id)))
    errors.push({ field: 'referralIds', message: 'One of the selected referrals does not exist. Reload the page and select again' });
  if (request.action === 'allocate' && !isUuid(request.linkWorkerId ?? ''))
    errors.push({ field: 'linkWorkerId', message: 'Select a link worker to allocate the referrals to' });
  if (errors.length) throw new InvalidInput(errors);
  return withTenant(pool, actor.tenantId, async (tx) => {
    if (request.action === 'allocate' && !(await holdsRole(tx, actor.tenantId, request.linkWorkerId!, 'link_worker'))) {
      throw new InvalidInput([{ field: 'linkWorkerId', message: 'Select a link worker from the list' }]);
    }
    const refused: { field: string; message: string }[] = [];
    for (const id of ids) {
      const referral = await q.findReferral(tx, actor.tenantId, id, { lock: true });
      if (!referral) {
        refused.push({ field: 'referralIds', message: 'One of the selected referrals does not exist. Reload the page and select again' });
        continue;
      }
      try {
        // Only the queue's own referrals: a bulk action must not reallocate someone's caseload.
        if (referral.status !== 'received' && referral.status !== 'triaged') {
          throw new RuleBroken(`it is already ${STATUS_LABELS[referral.status].toLowerCase()}`);
        }
        if (request.action === 'accept') {
          if (referral.status !== 'received') throw new RuleBroken('it was already accepted');
          await applyTransition(tx, actor, referral, 'triaged', 'Accepted at triage', {}, context);
        } else {
          await allocateWithin(tx, actor, referral, request.linkWorkerId!, null, context);
        }
      } catch (error) {
        if (!(error instanceof RuleBroken)) throw error;
        const why = error.message === MATCH_FIRST_MESSAGE ? 'it is waiting to be matched to a person' : error.message.replace(/\.$/, '');
        refused.push({
          field: `referral-${referral.id}`,
          message: `${referral.reference} (${referral.givenName} ${referral.familyName}): ${why}`,
        });
      }
    }
    // Throwing rolls back every change made above, so the queue is as it was.
    if (refused.length)
      throw new InvalidInput([
        {
          field: 'referralIds',
          message: `Nothing was changed. ${refused.length === 1 ? 'This referral' : 'These referrals'} cannot be ${request.action === 'accept' ? 'accepted' : 'allocated'}; untick ${refused.length === 1 ? 'it' : 'them'} and try again`,
        },
        ...refused,
      ]);
    return { count: ids.length };
  });
}
