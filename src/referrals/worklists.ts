import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { localDate } from '../calendar/london.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAuditBy } from '../identity/audit.ts';
import { remindersFor } from '../reminders/caseload.ts';
import { Forbidden, InvalidInput, NotFound } from '../web/errors.ts';
import { OPEN_STATUSES, type ReferralStatus } from './lifecycle.ts';

import { requireStaff, requireLead } from './transitions.ts';
import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';

// The lists of work: the triage queue, caseloads, the referrer's own referrals, new allocations.

/** The longest search a list accepts: a full name with room to spare. */
export const SEARCH_MAX_LENGTH = 100;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Reads what someone typed into a list's search box: an NHS number with or without spaces, a
 * reference with or without its "SP-", or words of a name. Empty text searches for nothing.
 */
export function personSearch(text: string | undefined): q.PersonSearch | null {
  const typed = (text ?? '').trim().slice(0, SEARCH_MAX_LENGTH);
  if (!typed) return null;
  const digits = typed.replace(/[\s-]/g, '');
  const reference = /^(?:SP-?)?([0-9A-Z]{8})$/.exec(typed.toUpperCase().replace(/\s/g, ''));
  return {
    namePatterns: typed
      .toLowerCase()
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => `%${escapeLike(word)}%`),
    nhsNumber: /^\d{10}$/.test(digits) ? digits : null,
    reference: reference ? `SP-${reference[1]}` : null,
  };
}

/** Reminders due today on the listed referrals, by referral. */
function remindersToday(tx: Db, actor: Actor, rows: { id: string }[]) {
  return remindersFor(
    tx,
    actor.tenantId,
    rows.map((r) => r.id),
    localDate(new Date()),
  );
}

export async function triageQueue(pool: pg.Pool, actor: Actor, context: RequestContext & { search?: string } = {}) {
  requireLead(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const rows = await q.triageQueue(tx, actor.tenantId, personSearch(context.search));
    // Referrals waiting past the first-contact target before anyone is allocated show it here.
    const reminders = await remindersToday(tx, actor, rows);
    await recordAuditBy(tx, actor, context, { action: 'triage.view', entityType: 'referral', reason: `${rows.length} referrals listed` });
    return rows.map((row) => ({ ...row, reminders: reminders.get(row.id) ?? [] }));
  });
}

export interface CaseloadFilter {
  /** A user id, 'all' (leads only) or undefined for the actor's own. */
  worker?: string;
  status?: string;
  overdueOnly?: boolean;
  sort?: string;
  /** 1-based page of CASELOAD_PAGE_SIZE rows. */
  page?: number;
  /** A name, NHS number or reference. */
  search?: string;
}

/** Rows per caseload page; counts (total, overdue) cover the whole caseload. */
export const CASELOAD_PAGE_SIZE = 50;

export async function caseload(pool: pg.Pool, actor: Actor, filter: CaseloadFilter = {}, context: RequestContext = {}) {
  requireStaff(actor);
  const isLead = hasRole(actor, 'lead');
  let assignedTo: string | null = actor.userId;
  if (filter.worker && filter.worker !== actor.userId) {
    if (!isLead) throw new Forbidden('You can see your own caseload. A lead can see everyone’s.');
    if (filter.worker === 'all') assignedTo = null;
    else if (isUuid(filter.worker)) assignedTo = filter.worker;
    else throw new InvalidInput([{ field: 'worker', message: 'Select a link worker from the list' }]);
  } else if (!filter.worker && isLead && !hasRole(actor, 'link_worker')) {
    assignedTo = null;
  }
  const statuses = filter.status && OPEN_STATUSES.includes(filter.status as ReferralStatus) ? [filter.status] : OPEN_STATUSES;
  const sort = (filter.sort && filter.sort in q.CASELOAD_SORTS ? filter.sort : 'waiting') as q.CaseloadSort;
  return withTenant(pool, actor.tenantId, async (tx) => {
    const page = filter.page && Number.isInteger(filter.page) && filter.page > 0 ? filter.page : 1;
    const rows = await q.caseload(tx, actor.tenantId, {
      assignedTo,
      statuses,
      overdueOnly: !!filter.overdueOnly,
      sort,
      limit: CASELOAD_PAGE_SIZE,
      offset: (page - 1) * CASELOAD_PAGE_SIZE,
      search: personSearch(filter.search),
    });
    const workers = isLead ? await q.linkWorkerLoads(tx, actor.tenantId, OPEN_STATUSES, null) : [];
    const reminders = await remindersToday(tx, actor, rows);
    await recordAuditBy(tx, actor, context, {
      action: 'caseload.view',
      entityType: 'caseload',
      entityId: assignedTo,
      reason: `${rows.length} referrals listed (page ${page})`,
    });
    const total = rows[0]?.total ?? 0;
    return {
      rows,
      total,
      overdue: rows[0]?.overdueTotal ?? 0,
      page,
      pages: Math.max(1, Math.ceil(total / CASELOAD_PAGE_SIZE)),
      assignedTo,
      sort,
      status: statuses.length === 1 ? statuses[0] : '',
      workers,
      isLead,
      reminders,
      remindersTotal: [...reminders.values()].reduce((n, list) => n + list.length, 0),
    };
  });
}

export async function referrerView(pool: pg.Pool, actor: Actor, context: RequestContext = {}) {
  if (!hasRole(actor, 'referrer')) throw new Forbidden();
  return withTenant(pool, actor.tenantId, async (tx) => {
    const rows = await q.referrerReferrals(tx, actor.tenantId, actor.userId, actor.practiceId);
    await recordAuditBy(tx, actor, context, {
      action: 'referrer-view.view',
      entityType: 'referral',
      reason: `${rows.length} referrals listed`,
    });
    return rows;
  });
}

/** Rows per page of the referrer's view. */
export const REFERRER_PAGE_SIZE = 25;

/** The referrer's view a page at a time, newest first, optionally narrowed by a search. */
export async function referrerPage(
  pool: pg.Pool,
  actor: Actor,
  options: { page?: number; search?: string } = {},
  context: RequestContext = {},
) {
  if (!hasRole(actor, 'referrer')) throw new Forbidden();
  const page = options.page && Number.isInteger(options.page) && options.page > 0 ? options.page : 1;
  return withTenant(pool, actor.tenantId, async (tx) => {
    const rows = await q.referrerReferralsPage(tx, actor.tenantId, actor.userId, actor.practiceId, {
      search: personSearch(options.search),
      limit: REFERRER_PAGE_SIZE,
      offset: (page - 1) * REFERRER_PAGE_SIZE,
    });
    await recordAuditBy(tx, actor, context, {
      action: 'referrer-view.view',
      entityType: 'referral',
      reason: `${rows.length} referrals listed (page ${page})`,
    });
    const total = rows[0]?.total ?? 0;
    return { rows, total, page, pages: Math.max(1, Math.ceil(total / REFERRER_PAGE_SIZE)) };
  });
}

/**
 * One referral as its referrer sees it: who, what was asked, where it is now and each step's
 * date. Reasons given at each step stay with the service; a referral the referrer may not see is
 * a 404, never confirming it exists.
 */
export async function referralForReferrer(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  if (!hasRole(actor, 'referrer')) throw new Forbidden();
  return withTenant(pool, actor.tenantId, async (tx) => {
    const referral = await q.referralForReferrer(tx, actor.tenantId, referralId, actor.userId, actor.practiceId);
    if (!referral) throw new NotFound('referral');
    await recordAuditBy(tx, actor, context, {
      action: 'referrer-view.referral',
      entityType: 'referral',
      entityId: referralId,
      personId: referral.personId,
    });
    const transitions = (await q.transitionsOf(tx, actor.tenantId, [referralId])).map((t) => ({
      toStatus: t.toStatus,
      occurredAt: t.occurredAt,
    }));
    return { referral, transitions };
  });
}

/** A link worker's referrals allocated and not yet contacted, most urgent first. */
export async function newAllocations(pool: pg.Pool, actor: Actor, limit = 10) {
  requireStaff(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const rows = await q.newAllocations(tx, actor.tenantId, actor.userId, limit);
    return { rows, total: rows[0]?.total ?? 0 };
  });
}

/** The number of new allocations alone, for the header. */
export async function newAllocationCount(tx: Db, actor: Actor): Promise<number> {
  if (!hasRole(actor, 'link_worker')) return 0;
  return (await q.newAllocations(tx, actor.tenantId, actor.userId, 1))[0]?.total ?? 0;
}

/** The lead's overview: referrals waiting at triage and every link worker's open caseload. */
export async function teamOverview(pool: pg.Pool, actor: Actor) {
  requireLead(actor);
  return withTenant(pool, actor.tenantId, async (tx) => ({
    triage: await q.triageCounts(tx, actor.tenantId),
    caseloads: await q.linkWorkerLoads(tx, actor.tenantId, OPEN_STATUSES, null),
  }));
}
