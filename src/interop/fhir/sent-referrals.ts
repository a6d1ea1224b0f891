import type { Db } from '../../db/database.ts';
import { dischargeChangesForSystem, dischargesForSystem, type DischargeDocument } from '../../discharge/service.ts';
import { tenantLetterhead } from '../../identity/service.ts';
import { peopleForSystem } from '../../people/service.ts';
import { referralChangesForSystem, referralsForSystem } from '../../referrals/service.ts';
import { onwardChangesForSystem, sentOnwardForSystem } from '../../social-prescriptions/service.ts';
import type { ApiClientActor } from '../clients/service.ts';
import type { DischargeForFhir, OnwardForFhir, ReferralForFhir } from './mapping.ts';
import * as q from './queries.ts';

// What a system may see of the referrals it sent: the ids come from this area's record of what
// each system sent; the referrals, their people, social prescriptions and discharges from the
// areas that own them, each asked once for all the ids. Reads for a system, not a person: the
// owners write no view audit rows, and the FHIR service audits each resource a system reads.

export interface Page {
  count: number;
  offset: number;
}

/** A referral a system sent, with what its Task shows of its social prescriptions and discharge. */
export interface TrackedReferral {
  referral: ReferralForFhir;
  onward: OnwardForFhir[];
  discharge?: DischargeForFhir;
}

export interface ReferralFilter {
  ids?: string[] | null;
  /** Only referrals changed after this (the referral, a social prescription or the discharge). */
  updatedAfter?: Date | null;
  personId?: string | null;
  reference?: string | null;
}

/** The ids of the referrals a system sent, narrowed to these ids and this person's when given. */
export async function sentReferralIds(
  tx: Db,
  system: ApiClientActor,
  filter: { ids?: string[] | null; personId?: string | null },
): Promise<string[]> {
  const ids = (await q.referralsSentBy(tx, system.tenantId, system.clientId, filter.ids ?? null)).map((s) => s.referralId);
  if (!filter.personId) return ids;
  return (await referralChangesForSystem(tx, system.tenantId, ids, { personId: filter.personId })).map((r) => r.id);
}

const byTimeThenId = (a: { lastUpdated: Date; id: string }, b: { lastUpdated: Date; id: string }) =>
  a.lastUpdated.getTime() - b.lastUpdated.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A page of the referrals a system sent that match the filter, the least recently changed first,
 * with the total matching. A referral changes when its status does, when one of its social
 * prescriptions does and when it is discharged; the latest of these is its lastUpdated.
 */
export async function sentReferralsPage(
  tx: Db,
  system: ApiClientActor,
  filter: ReferralFilter,
  page: Page,
): Promise<{ referrals: TrackedReferral[]; total: number }> {
  const { tenantId } = system;
  const sent = await q.referralsSentBy(tx, tenantId, system.clientId, filter.ids ?? null);
  const since = filter.updatedAfter ?? null;
  const changes = await referralChangesForSystem(
    tx,
    tenantId,
    sent.map((s) => s.referralId),
    { personId: filter.personId, reference: filter.reference, since },
  );
  const ids = changes.map((c) => c.id);
  // Only changes after `since` come back, and each was compared in the database, to the microsecond.
  const later = [
    ...(await onwardChangesForSystem(tx, tenantId, ids, since)).map((o) => ({ referralId: o.referralId, at: o.changedAt })),
    ...(await dischargeChangesForSystem(tx, tenantId, ids, since)).map((d) => ({ referralId: d.referralId, at: d.dischargedAt })),
  ];
  const latest = new Map<string, Date>();
  for (const { referralId, at } of later) {
    const known = latest.get(referralId);
    if (!known || at > known) latest.set(referralId, at);
  }
  const matching = changes
    .filter((c) => c.changedSince || latest.has(c.id))
    .map((c) => {
      const other = latest.get(c.id);
      return { id: c.id, lastUpdated: other && other > c.statusChangedAt ? other : c.statusChangedAt };
    })
    .sort(byTimeThenId);
  const shown = matching.slice(page.offset, page.offset + page.count);
  const shownIds = shown.map((m) => m.id);
  // A page past the end says a total of 0, as the other searches do.
  if (!shown.length) return { referrals: [], total: 0 };
  const rows = await referralsForSystem(tx, tenantId, shownIds);
  const onward = await sentOnwardForSystem(tx, tenantId, shownIds);
  const discharges = await dischargesForSystem(tx, tenantId, shownIds, { count: shownIds.length, offset: 0 });
  const tenantName = (await tenantLetterhead(tx, tenantId)).name;
  const referrals = shown.map(({ id, lastUpdated }) => {
    const row = rows.find((r) => r.id === id)!;
    const discharge = discharges.find((d) => d.referralId === id);
    return {
      referral: { ...row, lastUpdated, tenantName, identifiers: sent.find((s) => s.referralId === id)!.identifiers },
      onward: onward.filter((o) => o.referralId === id),
      discharge: discharge ? dischargeForFhir({ ...discharge, personId: row.personId }) : undefined,
    };
  });
  return { referrals, total: matching.length };
}

/** The people of the referrals a system sent, oldest record first, with the total matching. */
export async function sentPeoplePage(tx: Db, system: ApiClientActor, search: { id?: string; nhsNumber?: string | null }, page: Page) {
  const ids = (await q.referralsSentBy(tx, system.tenantId, system.clientId, null)).map((s) => s.referralId);
  const referrals = await referralChangesForSystem(tx, system.tenantId, ids, { personId: search.id });
  const personIds = [...new Set(referrals.map((r) => r.personId))];
  const people = await peopleForSystem(tx, system.tenantId, personIds, { ...search, ...page });
  return { people, total: people[0]?.total ?? 0 };
}

/** The discharges of the referrals a system sent, oldest first, with the total matching. */
export async function sentDischargesPage(
  tx: Db,
  system: ApiClientActor,
  search: { id?: string; patient?: string; related?: string },
  page: Page,
): Promise<{ discharges: (DischargeForFhir & { document: DischargeDocument })[]; total: number }> {
  const ids = (await q.referralsSentBy(tx, system.tenantId, system.clientId, search.related ? [search.related] : null)).map(
    (s) => s.referralId,
  );
  const referrals = await referralChangesForSystem(tx, system.tenantId, ids, { personId: search.patient });
  const rows = await dischargesForSystem(
    tx,
    system.tenantId,
    referrals.map((r) => r.id),
    { id: search.id, ...page },
  );
  const discharges = rows.map((d) => dischargeForFhir({ ...d, personId: referrals.find((r) => r.id === d.referralId)!.personId }));
  return { discharges, total: rows[0]?.total ?? 0 };
}

function dischargeForFhir<D extends Omit<DischargeForFhir, 'snomed' | 'title'> & { document: DischargeDocument }>(
  d: D,
): D & DischargeForFhir {
  return { ...d, snomed: d.document.snomed, title: `Social prescribing discharge summary ${d.document.referral.reference}` };
}
