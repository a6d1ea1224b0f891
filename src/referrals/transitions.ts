import type { Db } from '../db/database.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAuditBy } from '../identity/audit.ts';
import * as people from '../people/service.ts';
import { Forbidden, NotFound, RuleBroken } from '../web/errors.ts';
import { canTransition, illegalTransitionMessage, type ReferralStatus } from './lifecycle.ts';

import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';

// Who may act on a referral, and a referral moving along its life cycle inside a transaction:
// locked, checked against the transition table, written as a row, audited, and heard by the
// listeners other areas register (wiring.ts).

/** Failed contact attempts before "unable to contact" is offered, unless the tenant sets its own. */
export const DEFAULT_UNABLE_TO_CONTACT_ATTEMPTS = 3;

export function requireStaff(actor: Actor) {
  if (!hasRole(actor, 'link_worker', 'lead')) throw new Forbidden();
}

export function requireLead(actor: Actor) {
  if (!hasRole(actor, 'lead')) throw new Forbidden('Only a link worker lead can do that.');
}

export function requireReferrer(actor: Actor) {
  if (!hasRole(actor, 'referrer', 'link_worker', 'lead')) throw new Forbidden();
}

export async function unableToContactThreshold(db: Db, tenantId: string): Promise<number> {
  const value = (await q.tenantSettings(db, tenantId)).unableToContactAttempts;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : DEFAULT_UNABLE_TO_CONTACT_ATTEMPTS;
}

/** Another area (notifications to referrers) hears of every status change, inside its transaction. */
export type TransitionListener = (tx: Db, actor: Actor, referral: q.ReferralRow, from: ReferralStatus, to: ReferralStatus) => Promise<void>;

const transitionListeners: TransitionListener[] = [];

export function registerTransitionListener(listener: TransitionListener): void {
  transitionListeners.push(listener);
}

export const MATCH_FIRST_MESSAGE = 'Match this referral to a person before accepting or allocating it: it is waiting to be matched.';

export async function applyTransition(
  tx: Db,
  actor: Actor,
  referral: q.ReferralRow,
  to: ReferralStatus,
  reason: string | null,
  extra: { notSuitableReason?: string | null; redirectedTo?: string | null } = {},
  context: RequestContext = {},
) {
  if (!canTransition(referral.status, to)) throw new RuleBroken(illegalTransitionMessage(referral.status, to), 'status');
  // Work on a held referral would be done for whoever typed the details; closing it is still allowed.
  if ((to === 'triaged' || to === 'allocated') && referral.status === 'received') {
    const match = await q.findReferralMatch(tx, actor.tenantId, referral.id);
    if (match && !match.decision) throw new RuleBroken(MATCH_FIRST_MESSAGE);
  }
  await q.setStatus(tx, actor.tenantId, referral.id, to, extra);
  await q.insertTransition(tx, actor.tenantId, { referralId: referral.id, from: referral.status, to, byUserId: actor.userId, reason });
  await recordAuditBy(tx, actor, context, {
    action: 'referral.transition',
    entityType: 'referral',
    entityId: referral.id,
    personId: referral.personId,
    reason: `${referral.status} -> ${to}${reason ? `: ${reason}` : ''}`,
  });
  const from = referral.status;
  referral.status = to;
  referral.version += 1;
  for (const listener of transitionListeners) await listener(tx, actor, referral, from, to);
}

export async function lockReferral(tx: Db, actor: Actor, referralId: string, version: number | undefined): Promise<q.ReferralRow> {
  // Other areas pass ids from their own addresses: an id that is not one names no referral.
  if (!isUuid(referralId)) throw new NotFound('referral');
  const referral = await q.findReferral(tx, actor.tenantId, referralId, { lock: true });
  if (!referral) throw new NotFound('referral');
  if (version !== undefined && version !== referral.version) throw new RuleBroken(people.STALE_RECORD_MESSAGE);
  return referral;
}
