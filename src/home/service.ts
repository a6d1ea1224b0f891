import type pg from 'pg';
import { openSafeguardingTasks } from '../assessment/service.ts';
import { appointmentsOn } from '../appointments/service.ts';
import { withTenant } from '../db/transaction.ts';
import { referrerDischarges } from '../discharge/service.ts';
import { localDate } from '../calendar/london.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { myFollowUps } from '../plans/service.ts';
import { newResponseCount, providerInbox, unseenResponses } from '../social-prescriptions/service.ts';
import { newAllocationCount, newAllocations, referrerPage, teamOverview } from '../referrals/service.ts';
import type { RequestContext } from '../identity/audit.ts';

// The staff home page gathers each role's work from the areas that own it; it holds no data of
// its own. Every list is short (the first few, with a link to the whole list).

const FIRST = 5;
/** A discharge summary counts as new on the referrer's home page for this long. */
const NEW_SUMMARY_DAYS = 14;

async function linkWorkerHome(pool: pg.Pool, actor: Actor, now: Date, today: string) {
  const followUps = (await myFollowUps(pool, actor, today)).filter((f) => f.overdue);
  return {
    allocations: await newAllocations(pool, actor, FIRST),
    overdueFollowUps: { rows: followUps.slice(0, FIRST), total: followUps.length },
    responses: await unseenResponses(pool, actor, now, 50),
    appointmentsToday: await appointmentsOn(pool, actor, today),
  };
}

async function leadHome(pool: pg.Pool, actor: Actor) {
  const tasks = await openSafeguardingTasks(pool, actor);
  return { ...(await teamOverview(pool, actor)), safeguarding: { rows: tasks.slice(0, FIRST), total: tasks.length } };
}

async function referrerHome(pool: pg.Pool, actor: Actor, now: Date, context: RequestContext) {
  const since = now.getTime() - NEW_SUMMARY_DAYS * 86_400_000;
  const summaries = (await referrerDischarges(pool, actor, context)).filter((d) => d.dischargedAt.getTime() >= since);
  const recent = await referrerPage(pool, actor, { page: 1 }, context);
  return { recent: { rows: recent.rows.slice(0, FIRST), total: recent.total }, summaries };
}

async function providerHome(pool: pg.Pool, actor: Actor, context: RequestContext) {
  const inbox = await providerInbox(pool, actor, context);
  return inbox.groups.find((g) => g.key === 'new')!;
}

/** Each of the actor's roles' work; a role the actor does not hold is left out. */
export async function homeFor(pool: pg.Pool, actor: Actor, now: Date, context: RequestContext = {}) {
  const today = localDate(now);
  return {
    linkWorker: hasRole(actor, 'link_worker') ? await linkWorkerHome(pool, actor, now, today) : undefined,
    lead: hasRole(actor, 'lead') ? await leadHome(pool, actor) : undefined,
    referrer: hasRole(actor, 'referrer') ? await referrerHome(pool, actor, now, context) : undefined,
    provider: hasRole(actor, 'provider') && actor.providerOrganisationId ? await providerHome(pool, actor, context) : undefined,
  };
}

export interface WorkCounts {
  newAllocations: number;
  newResponses: number;
}

/** The counts beside the header's links, for a link worker; one short transaction per page. */
export async function workCounts(pool: pg.Pool, actor: Actor, now: Date): Promise<WorkCounts | undefined> {
  if (!hasRole(actor, 'link_worker')) return undefined;
  return withTenant(pool, actor.tenantId, async (tx) => ({
    newAllocations: await newAllocationCount(tx, actor),
    newResponses: await newResponseCount(tx, actor, now),
  }));
}
